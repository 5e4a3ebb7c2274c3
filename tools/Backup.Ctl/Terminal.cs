using Spectre.Console;

namespace Backup.Ctl;

/// <summary>
/// Where a command writes: tables and results to <see cref="Out"/>, failures to <see cref="Errors"/>. Progress bars
/// only when standard output is a terminal; plain lines otherwise, so logs and pipes stay readable.
/// </summary>
public sealed class Terminal(IAnsiConsole output, IAnsiConsole errors, bool showsProgress, TextWriter outText, TextWriter errorText)
{
    /// <summary>Wide enough that no table cell or message wraps when output goes to a file or a pipe.</summary>
    const int RedirectedWidth = 8192;

    public IAnsiConsole Out { get; } = output;

    public IAnsiConsole Errors { get; } = errors;

    public bool ShowsProgress { get; } = showsProgress;

    /// <summary>The plain writers behind <see cref="Out"/> and <see cref="Errors"/>: for help and command-line errors.</summary>
    public TextWriter OutText { get; } = outText;

    public TextWriter ErrorText { get; } = errorText;

    public static Terminal ForThisProcess()
    {
        var output = Create(Console.Out, Console.IsOutputRedirected);
        var errors = Create(Console.Error, Console.IsErrorRedirected);
        return new Terminal(output, errors, showsProgress: !Console.IsOutputRedirected, Console.Out, Console.Error);
    }

    /// <summary>Plain text into writers (for tests and embedding): no colours, no progress bars.</summary>
    public static Terminal Capture(TextWriter output, TextWriter errors) =>
        new(Create(output, redirected: true), Create(errors, redirected: true), showsProgress: false, output, errors);

    static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected) console.Profile.Width = RedirectedWidth;
        return console;
    }
}
