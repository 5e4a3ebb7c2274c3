using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Backup.Database.Migrations
{
    /// <inheritdoc />
    public partial class JobResult : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "result",
                table: "jobs",
                type: "jsonb",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "result",
                table: "jobs");
        }
    }
}
