using Backup.ServiceDefaults;
using Microsoft.Extensions.Configuration;

namespace Backup.Dumper.Tests.Startup;

/// <summary>
/// <see cref="BackupHostDefaults.CreateBuilder"/>, which every service's Program.cs starts from: its configuration files
/// are read once and not watched (the default host watched the working directory and every folder below it).
/// </summary>
public class The_services_host_builder
{
    static IEnumerable<FileConfigurationProvider> FileProviders(IConfiguration configuration) =>
        ((IConfigurationRoot)configuration).Providers.OfType<FileConfigurationProvider>();

    [Fact]
    public void Watches_no_configuration_file()
    {
        var builder = BackupHostDefaults.CreateBuilder([]);

        var files = FileProviders(builder.Configuration).ToList();
        Assert.NotEmpty(files); // appsettings.json and appsettings.{Environment}.json, optional, are still read
        Assert.All(files, file => Assert.False(file.Source.ReloadOnChange, $"{file.Source.Path} is watched for changes"));
    }

    [Fact]
    public void Watches_them_when_an_argument_asks_for_it()
    {
        var builder = BackupHostDefaults.CreateBuilder([$"--{BackupHostDefaults.ReloadConfigOnChangeKey}=true"]);

        Assert.Contains(FileProviders(builder.Configuration), file => file.Source.ReloadOnChange);
    }
}
