using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Backup.Database.Migrations
{
    /// <inheritdoc />
    public partial class RunRawSize : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "raw_size_bytes",
                table: "backup_runs",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_backup_runs_source_requested_at",
                table: "backup_runs",
                columns: new[] { "source", "requested_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_backup_runs_source_requested_at",
                table: "backup_runs");

            migrationBuilder.DropColumn(
                name: "raw_size_bytes",
                table: "backup_runs");
        }
    }
}
