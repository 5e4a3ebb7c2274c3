using Backup.Deploy.Tests.Compose;

namespace Backup.Deploy.Tests;

/// <summary>The merge keys docker-compose.yml relies on are read the way Compose reads them.</summary>
public sealed class Reading_yaml
{
    [Fact]
    public void A_key_written_in_the_mapping_wins_over_a_merged_one_and_the_first_merged_mapping_wins()
    {
        var root = YamlTree.ParseMapping("""
            a: &a { x: "1", y: "1" }
            b: &b { y: "2", z: "2" }
            c:
              <<: [*a, *b]
              x: "3"
            """);
        var c = Values.Map(root["c"]);
        Assert.Equal("3", c["x"]);
        Assert.Equal("1", c["y"]);
        Assert.Equal("2", c["z"]);
    }

    [Fact]
    public void An_empty_value_is_null_and_a_quoted_no_stays_a_string()
    {
        var root = YamlTree.ParseMapping("""
            volumes:
              artifacts:
            restart: "no"
            """);
        Assert.Null(Values.Map(root["volumes"])["artifacts"]);
        Assert.Equal("no", root["restart"]);
    }
}
