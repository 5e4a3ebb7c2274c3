using System.Reflection;
using Backup.Contracts;
using Backup.Recovery;

namespace Backup.Restorer.Tests.Restoring;

public class When_a_restore_fails_with_a_recovery_error
{
    /// <summary>The restorer publishes a RecoveryException's code by its name: each name must be a documented wire value.</summary>
    [Fact]
    public void Its_code_is_one_of_the_contracts_RestoreErrorCodes()
    {
        var wire = typeof(RestoreErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        Assert.Equal(Enum.GetNames<RecoveryErrorCode>().Order(), wire.Order());
    }
}
