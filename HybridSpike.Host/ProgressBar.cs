using Spectre.Console;

namespace HybridSpike.Host;

/// <summary>One Spectre.Console progress bar (description, bar, percentage, time left) on a text writer, normally stderr.</summary>
internal static class ProgressBar
{
    /// <summary>
    /// Runs <paramref name="work"/> with a bar on <paramref name="to"/>, or with none (a null task) when
    /// <paramref name="to"/> is null. On a terminal the bar redraws in place; elsewhere (a pipe, a test's
    /// writer) Spectre prints plain lines now and then. The bar is full when the work ends.
    /// </summary>
    public static async Task<T> RunAsync<T>(TextWriter? to, string description, Func<ProgressTask?, Task<T>> work)
    {
        if (to is null) return await work(null);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(to) });
        T result = default!;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(description.EscapeMarkup(), maxValue: 1);
                result = await work(task);
                task.Value = task.MaxValue;
            });
        return result;
    }
}
