using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Backup.Database.Migrations
{
    /// <inheritdoc />
    public partial class RestoreDrills : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "backup_verifications",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    source = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    artifact_key = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    queued_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    recovery_seconds = table.Column<double>(type: "double precision", nullable: true),
                    rto_target_seconds = table.Column<double>(type: "double precision", nullable: true),
                    error_code = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    failures = table.Column<string>(type: "jsonb", nullable: true),
                    steps = table.Column<string>(type: "jsonb", nullable: true),
                    tables = table.Column<string>(type: "jsonb", nullable: true),
                    checks = table.Column<string>(type: "jsonb", nullable: true),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_backup_verifications", x => x.run_id);
                });

            migrationBuilder.CreateTable(
                name: "drill_policies",
                columns: table => new
                {
                    source = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    every = table.Column<TimeSpan>(type: "interval", nullable: false),
                    rto_target = table.Column<TimeSpan>(type: "interval", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_drill_policies", x => x.source);
                });

            // The notifier's "no verified backup" alarm is a second kind of stale_alarms row per source; the rows
            // written before kinds existed are alarms about backups.
            migrationBuilder.DropPrimaryKey(
                name: "pk_stale_alarms",
                table: "stale_alarms");

            migrationBuilder.AddColumn<string>(
                name: "kind",
                table: "stale_alarms",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "backup");

            migrationBuilder.AddPrimaryKey(
                name: "pk_stale_alarms",
                table: "stale_alarms",
                columns: new[] { "source", "kind" });

            migrationBuilder.CreateIndex(
                name: "ix_backup_verifications_source_state_finished_at",
                table: "backup_verifications",
                columns: new[] { "source", "state", "finished_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "backup_verifications");

            migrationBuilder.DropTable(
                name: "drill_policies");

            migrationBuilder.DropPrimaryKey(
                name: "pk_stale_alarms",
                table: "stale_alarms");

            migrationBuilder.Sql("DELETE FROM stale_alarms WHERE kind <> 'backup';");

            migrationBuilder.DropColumn(
                name: "kind",
                table: "stale_alarms");

            migrationBuilder.AddPrimaryKey(
                name: "pk_stale_alarms",
                table: "stale_alarms",
                column: "source");
        }
    }
}
