using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Backup.Database.Migrations
{
    /// <inheritdoc />
    public partial class RunAttemptStarts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<List<DateTimeOffset>>(
                name: "attempt_starts",
                table: "backup_runs",
                type: "timestamp with time zone[]",
                nullable: false,
                defaultValueSql: "'{}'"); // runs recorded before attempts were told apart
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "attempt_starts",
                table: "backup_runs");
        }
    }
}
