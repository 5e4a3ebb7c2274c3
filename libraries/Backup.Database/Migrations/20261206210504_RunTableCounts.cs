using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Backup.Database.Migrations
{
    /// <inheritdoc />
    public partial class RunTableCounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "data_warnings",
                table: "backup_runs",
                type: "jsonb",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "backup_run_tables",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    schema_name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    table_name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    source = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    rows = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_backup_run_tables", x => new { x.run_id, x.schema_name, x.table_name });
                });

            migrationBuilder.CreateIndex(
                name: "ix_backup_run_tables_source_completed_at",
                table: "backup_run_tables",
                columns: new[] { "source", "completed_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "backup_run_tables");

            migrationBuilder.DropColumn(
                name: "data_warnings",
                table: "backup_runs");
        }
    }
}
