using System.Collections;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Backup.ServiceDefaults.Options;

/// <summary>An options class bound from one configuration section.</summary>
public interface IConfigurationSection<TSelf> where TSelf : class
{
    static abstract string Section { get; }
}

/// <summary>An options class with checks that data annotations can't express (a cron expression, a time zone).</summary>
public interface ISelfValidatingOptions
{
    /// <summary>Yields (relative configuration key, problem) pairs; the key is joined to the section's path.</summary>
    IEnumerable<(string Key, string Problem)> Validate();
}

public static class ValidatedOptions
{
    /// <summary>
    /// Binds <typeparamref name="T"/> from its section and validates it when the host starts. A bad setting stops the
    /// service with a message naming the configuration key, for example "RabbitMq:Host: The Host field is required.".
    /// With <paramref name="refuseUnknownKeys"/>, a key under the section that names no setting (a misspelt threshold)
    /// stops the service too, instead of being ignored.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IHostApplicationBuilder builder, bool refuseUnknownKeys = false)
        where T : class, IConfigurationSection<T>
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, SectionValidator<T>>());
        return builder.Services.AddOptions<T>()
            .BindConfiguration(T.Section, binder => binder.ErrorOnUnknownConfiguration = refuseUnknownKeys).ValidateOnStart();
    }

    sealed class SectionValidator<T> : IValidateOptions<T> where T : class, IConfigurationSection<T>
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var failures = Problems(options, T.Section).ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }

    /// <summary>Data annotations and <see cref="ISelfValidatingOptions"/>, walking into dictionaries and nested options.</summary>
    public static IEnumerable<string> Problems(object options, string path)
    {
        if (options is ISelfValidatingOptions && options is IDictionary)
            foreach (var (key, problem) in ((ISelfValidatingOptions)options).Validate())
                yield return $"{Join(path, key)}: {problem}";
        if (options is IDictionary entries)
        {
            foreach (DictionaryEntry entry in entries)
                if (entry.Value is not null && IsNestedOptions(entry.Value.GetType()))
                    foreach (var problem in Problems(entry.Value, Join(path, $"{entry.Key}")))
                        yield return problem;
            yield break;
        }

        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        foreach (var result in results)
        {
            var members = result.MemberNames.DefaultIfEmpty("");
            foreach (var member in members)
                yield return $"{Join(path, member)}: {result.ErrorMessage}";
        }

        if (options is ISelfValidatingOptions self)
            foreach (var (key, problem) in self.Validate())
                yield return $"{Join(path, key)}: {problem}";

        foreach (var property in options.GetType().GetProperties())
        {
            // Only bound (settable) properties are configuration; computed ones may throw on bad input.
            if (property.GetIndexParameters().Length > 0 || !property.CanRead || !property.CanWrite) continue;
            var value = property.GetValue(options);
            if (value is IDictionary dictionary)
            {
                foreach (DictionaryEntry entry in dictionary)
                    if (entry.Value is not null && IsNestedOptions(entry.Value.GetType()))
                        foreach (var problem in Problems(entry.Value, Join(path, $"{property.Name}:{entry.Key}")))
                            yield return problem;
            }
            else if (value is not null && IsNestedOptions(value.GetType()))
            {
                foreach (var problem in Problems(value, Join(path, property.Name)))
                    yield return problem;
            }
        }
    }

    static bool IsNestedOptions(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type)
        && type.Namespace?.StartsWith("Backup", StringComparison.Ordinal) == true;

    static string Join(string path, string member) => member.Length == 0 ? path : $"{path}:{member}";
}
