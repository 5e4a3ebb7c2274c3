using Backup.Recovery.Postgres;

namespace Backup.Restorer.Tests.Restoring;

/// <summary>What pg_restore 15 writes when the server refuses a table's data or a constraint: the summary keeps its own lines only.</summary>
public class When_a_failed_pg_restores_errors_are_summarized
{
    const string Said = """
        pg_restore: while PROCESSING TOC:
        pg_restore: from TOC entry 3342; 2606 16420 FK CONSTRAINT orders orders_customer_id_fkey source
        pg_restore: error: could not execute query: ERROR:  insert or update on table "orders" violates foreign key constraint "orders_customer_id_fkey"
        DETAIL:  Key (customer_id)=(987654321) is not present in table "customers".
        Command was: ALTER TABLE ONLY public.orders
            ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers(id);
        pg_restore: error: COPY failed for table "customers": ERROR:  invalid input syntax for type integer: "alice@example.com"
        CONTEXT:  COPY customers, line 3, column id: "alice@example.com"
        """;

    [Fact]
    public void It_keeps_the_error_and_the_object()
    {
        var summary = PgRestoreErrors.Summarize(Said);

        Assert.Contains("FK CONSTRAINT orders orders_customer_id_fkey", summary);
        Assert.Contains("violates foreign key constraint \"orders_customer_id_fkey\"", summary);
        Assert.Contains("COPY failed for table \"customers\": ERROR:  invalid input syntax for type integer: (value left out)", summary);
    }

    [Fact]
    public void It_leaves_out_every_quoted_row_value()
    {
        var summary = PgRestoreErrors.Summarize(Said);

        Assert.DoesNotContain("987654321", summary);
        Assert.DoesNotContain("alice@example.com", summary);
        Assert.DoesNotContain("DETAIL", summary);
        Assert.DoesNotContain("Command was", summary);
    }
}
