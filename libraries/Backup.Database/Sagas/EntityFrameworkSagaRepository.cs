using System.Data;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Context;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace Backup.Database.Sagas;

/// <summary>
/// A MassTransit saga repository on EF Core and Npgsql (MassTransit.EntityFrameworkCore is not available here).
/// Each message is handled in its own transaction: the saga's row is read with SELECT … FOR UPDATE, so events of
/// one run are applied one after another and none is lost; the row's xmin guards any write outside this path (a
/// conflict fails SaveChanges with DbUpdateConcurrencyException, and the endpoint's retry runs the message again).
/// Events that may open a saga (InsertOnInitial) first run INSERT … ON CONFLICT (key) DO NOTHING and then lock the
/// row: two first events of one run racing on two instances both find it and are applied one after the other. A
/// failed statement would abort the PostgreSQL transaction, so no insert here is ever expected to fail.
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

    /// <summary>
    /// Handles the message in its own transaction; or, when the scope's DbContext is in a transaction already (an
    /// in-process caller such as the catalog's time-out sweeper, through the scoped mediator), in that one: the
    /// saga's changes are saved into it and the caller commits them with its own.
    /// </summary>
    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next) where T : class
    {
        await using var transaction = db.Database.CurrentTransaction is null
            ? await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken)
            : null;
        await next.Send(new EntityFrameworkSagaRepositoryContext<TSaga, T, TDbContext>(db, context, factory));
        await db.SaveChangesAsync(context.CancellationToken);
        if (transaction is not null) await transaction.CommitAsync(context.CancellationToken);
    }

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        throw new NotSupportedException($"{typeof(TSaga).Name} is correlated by id only; query correlation is not supported.");
}

/// <summary>
/// One message's view of the repository. The saga's contexts are made on this scope, which carries the DbContext as a
/// payload: the saga's activities can add rows of their own (a timeline) to the same SaveChanges and transaction.
/// </summary>
sealed class EntityFrameworkSagaRepositoryContext<TSaga, TMessage, TDbContext> :
    ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISaga
    where TMessage : class
    where TDbContext : DbContext
{
    readonly TDbContext db;
    readonly ISagaConsumeContextFactory<TDbContext, TSaga> factory;

    public EntityFrameworkSagaRepositoryContext(TDbContext db, ConsumeContext<TMessage> consumeContext,
        ISagaConsumeContextFactory<TDbContext, TSaga> factory) : base(consumeContext, db)
    {
        this.db = db;
        this.factory = factory;
    }

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        factory.CreateSagaConsumeContext(db, this, instance, SagaConsumeContextMode.Add);

    /// <summary>
    /// Inserts the new instance's row unless one exists, and returns null either way: MassTransit then calls
    /// <see cref="Load"/>, which locks the row and tracks the instance the saga changes (had this returned a context,
    /// the saga would run on the untracked instance and its changes would never be saved).
    /// </summary>
    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        var entity = EntityType();
        var properties = entity.GetProperties().Where(p => p.ValueGenerated != ValueGenerated.OnAddOrUpdate).ToList();
        var parameters = properties.Select((property, i) =>
        {
            var value = property.GetGetter().GetClrValue(instance);
            var converter = property.GetTypeMapping().Converter;
            return new NpgsqlParameter("p" + i, (converter is null || value is null ? value : converter.ConvertToProvider(value)) ?? DBNull.Value);
        }).ToArray();
        // Names come from the EF model, never from a message; values are parameters.
        var sql = "INSERT INTO " + Table(entity) + " (" + string.Join(", ", properties.Select(Column)) + ") VALUES ("
            + string.Join(", ", parameters.Select(p => "@" + p.ParameterName)) + ") ON CONFLICT (" + Column(Key(entity))
            + ") DO NOTHING";
        await db.Database.ExecuteSqlRawAsync(sql, parameters, CancellationToken);
        return null!;
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = await LockRow(correlationId);
        return instance is null
            ? null!
            : await factory.CreateSagaConsumeContext(db, this, instance, SagaConsumeContextMode.Load);
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
        var entity = EntityType();
        // Every mapped column by name: "*" would leave out system columns such as xmin, the row version.
        var columns = string.Join(", ", entity.GetProperties().Select(Column));
        // Names come from the EF model, never from a message; the id is a parameter.
        var sql = "SELECT " + columns + " FROM " + Table(entity) + " WHERE " + Column(Key(entity)) + " = {0} FOR UPDATE";
        var rows = await db.Set<TSaga>()
            .FromSqlRaw(sql, correlationId)
            .AsTracking()
            .ToListAsync(CancellationToken);
        return rows.SingleOrDefault();
    }

    IEntityType EntityType() => db.Model.FindEntityType(typeof(TSaga))
        ?? throw new InvalidOperationException($"{typeof(TSaga).Name} is not part of {typeof(TDbContext).Name}'s model.");

    static string Table(IEntityType entity) =>
        (entity.GetSchema() is { } schema ? "\"" + schema + "\"." : "") + "\"" + entity.GetTableName() + "\"";

    static IProperty Key(IEntityType entity) => entity.FindPrimaryKey()!.Properties.Single();

    static string Column(IProperty property) => "\"" + property.GetColumnName() + "\"";
}
