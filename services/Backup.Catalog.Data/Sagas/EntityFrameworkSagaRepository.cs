using System.Data;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Context;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace Backup.Catalog.Data.Sagas;

/// <summary>
/// A MassTransit saga repository on EF Core and Npgsql (MassTransit.EntityFrameworkCore is not available here).
/// Each message is handled in its own transaction: the saga's row is read with SELECT … FOR UPDATE, so events of
/// one run are applied one after another and none is lost; the row's xmin guards any write outside this path.
/// Two first events of the same run racing to insert: one insert fails on the primary key, the whole transaction is
/// thrown away, and the endpoint's message retry runs it again, this time finding the row.
/// </summary>
public static class EntityFrameworkSagaRepository
{
    public static ISagaRegistrationConfigurator<TSaga> EntityFrameworkRepository<TSaga, TDbContext>(
        this ISagaRegistrationConfigurator<TSaga> configurator)
        where TSaga : class, ISaga
        where TDbContext : DbContext
    {
        configurator.Repository(repository => repository.RegisterSagaRepository<TSaga, TDbContext,
            SagaConsumeContextFactory<TDbContext, TSaga>, EntityFrameworkSagaRepositoryContextFactory<TSaga, TDbContext>>());
        return configurator;
    }
}

/// <summary>Created per message scope, with that scope's DbContext.</summary>
public sealed class EntityFrameworkSagaRepositoryContextFactory<TSaga, TDbContext>(
    TDbContext db, ISagaConsumeContextFactory<TDbContext, TSaga> factory) : ISagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
    where TDbContext : DbContext
{
    public void Probe(ProbeContext context) => context.Add("persistence", "entity-framework-npgsql");

    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next) where T : class
    {
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);
        await next.Send(new EntityFrameworkSagaRepositoryContext<TSaga, T, TDbContext>(db, context, factory));
        await db.SaveChangesAsync(context.CancellationToken);
        await transaction.CommitAsync(context.CancellationToken);
    }

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        throw new NotSupportedException($"{typeof(TSaga).Name} is correlated by id only; query correlation is not supported.");
}

sealed class EntityFrameworkSagaRepositoryContext<TSaga, TMessage, TDbContext> :
    ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISaga
    where TMessage : class
    where TDbContext : DbContext
{
    readonly TDbContext db;
    readonly ConsumeContext<TMessage> consumeContext;
    readonly ISagaConsumeContextFactory<TDbContext, TSaga> factory;

    public EntityFrameworkSagaRepositoryContext(TDbContext db, ConsumeContext<TMessage> consumeContext,
        ISagaConsumeContextFactory<TDbContext, TSaga> factory) : base(consumeContext, db)
    {
        this.db = db;
        this.consumeContext = consumeContext;
        this.factory = factory;
    }

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        factory.CreateSagaConsumeContext(db, consumeContext, instance, SagaConsumeContextMode.Add);

    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        db.Set<TSaga>().Add(instance);
        await db.SaveChangesAsync(CancellationToken);
        return await factory.CreateSagaConsumeContext(db, consumeContext, instance, SagaConsumeContextMode.Insert);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = await LockRow(correlationId);
        return instance is null
            ? null!
            : await factory.CreateSagaConsumeContext(db, consumeContext, instance, SagaConsumeContextMode.Load);
    }

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> context, TSaga instance,
        SagaConsumeContextMode mode) where T : class =>
        factory.CreateSagaConsumeContext(db, context, instance, mode);

    public Task Save(SagaConsumeContext<TSaga> context)
    {
        db.Set<TSaga>().Add(context.Saga);
        return Task.CompletedTask;
    }

    public Task Update(SagaConsumeContext<TSaga> context) => Task.CompletedTask; // tracked since Load

    public Task Delete(SagaConsumeContext<TSaga> context)
    {
        db.Set<TSaga>().Remove(context.Saga);
        return Task.CompletedTask;
    }

    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> context)
    {
        db.Entry(context.Saga).State = EntityState.Detached;
        return Task.CompletedTask;
    }

    async Task<TSaga?> LockRow(Guid correlationId)
    {
        var entity = db.Model.FindEntityType(typeof(TSaga))
            ?? throw new InvalidOperationException($"{typeof(TSaga).Name} is not part of {typeof(TDbContext).Name}'s model.");
        var table = entity.GetSchemaQualifiedTableName()!;
        var key = entity.FindPrimaryKey()!.Properties.Single().GetColumnName();
        // Every mapped column by name: "*" would leave out system columns such as xmin, the row version.
        var columns = string.Join(", ", entity.GetProperties().Select(p => "\"" + p.GetColumnName() + "\""));
        // Names come from the EF model, never from a message; the id is a parameter.
        var sql = "SELECT " + columns + " FROM \"" + table + "\" WHERE \"" + key + "\" = {0} FOR UPDATE";
        var rows = await db.Set<TSaga>()
            .FromSqlRaw(sql, correlationId)
            .AsTracking()
            .ToListAsync(CancellationToken);
        return rows.SingleOrDefault();
    }
}
