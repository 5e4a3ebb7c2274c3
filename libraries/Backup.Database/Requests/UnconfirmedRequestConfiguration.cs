using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Backup.Database.Requests;

/// <summary>unconfirmed_requests: the API's requests whose routing the broker has not confirmed, found by caller and subject.</summary>
sealed class UnconfirmedRequestConfiguration : IEntityTypeConfiguration<UnconfirmedRequest>
{
    public void Configure(EntityTypeBuilder<UnconfirmedRequest> request)
    {
        request.ToTable("unconfirmed_requests");
        request.HasKey(r => r.Id);
        request.Property(r => r.Id).ValueGeneratedNever();
        request.Property(r => r.Kind).HasMaxLength(16);
        request.Property(r => r.Subject).HasMaxLength(500);
        request.Property(r => r.Actor).HasMaxLength(200);
        request.HasIndex(r => new { r.Kind, r.Actor, r.Subject, r.RequestedAt });
    }
}
