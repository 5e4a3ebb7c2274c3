using Backup.Notifier.Options;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using Polly;
using Polly.Registry;
using Polly.Retry;

namespace Backup.Notifier.Mail;

/// <summary>
/// Sends through MailKit (StartTls, SslOnConnect or None; authentication when Smtp:Username is set). Only the
/// connect is retried in the call, by the <see cref="PipelineName"/> pipeline (a refused or timed-out connection, a
/// host not found); when its retries are spent it is <see cref="MailServerUnreachableException"/>, which the endpoint
/// hands straight back to the broker. Every other fault is retried by the endpoint, once per fault, never both
/// (<c>NotifierRetry</c>): a 4xx reply, a connection lost before the message data was written, an authentication
/// failure. Once the data has started to flow, a lost connection or a timeout before the server's final reply
/// is <see cref="MailOutcomeUnknownException"/>: never retried, since the server may have delivered it. A 5xx reply
/// is <see cref="MailRefusedException"/>, except a 5xx reply to one recipient's RCPT TO: that recipient is left out
/// and returned with the server's reply, and the message goes to the others (when the server refuses them all, it
/// is <see cref="MailRefusedException"/> with their replies).
/// </summary>
public sealed class SmtpMailSender(IOptions<SmtpOptions> options, ResiliencePipelineProvider<string> pipelines) : IMailSender
{
    public const string PipelineName = "smtp-connect";

    readonly ResiliencePipeline pipeline = pipelines.GetPipeline(PipelineName);

    public string Channel => "smtp";

    /// <summary>The in-call retry of the connect: Smtp:Retries retries, exponential backoff from Smtp:RetryDelay with jitter.</summary>
    public static void Configure(ResiliencePipelineBuilder pipeline, SmtpOptions smtp)
    {
        if (smtp.Retries == 0) return;
        pipeline.AddRetry(new RetryStrategyOptions
        {
            Name = PipelineName,
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsConnectFault),
            MaxRetryAttempts = smtp.Retries,
            BackoffType = DelayBackoffType.Exponential,
            Delay = smtp.RetryDelay,
            UseJitter = true,
        });
    }

    /// <summary>The server did not answer the connect: refused, timed out, not found, or the connection closed before its greeting.</summary>
    static bool IsConnectFault(Exception e) =>
        e is System.Net.Sockets.SocketException or IOException or TimeoutException or SmtpProtocolException;

    public async Task<IReadOnlyDictionary<string, string>> SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var smtp = options.Value;
        using var client = new RecipientRefusingSmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
        await ConnectAsync(client, smtp, cancellationToken);
        if (smtp.Username.Length > 0)
            await client.AuthenticateAsync(smtp.Username, smtp.Password, cancellationToken);

        var data = new DataProgress();
        try
        {
            await client.SendAsync(message, cancellationToken, data);
        }
        catch (SmtpCommandException e) when (e.ErrorCode == SmtpErrorCode.MessageNotAccepted && client.Refused.Count > 0)
        {
            throw new MailRefusedException(
                $"The mail server refused every recipient: {string.Join("; ", client.Refused.Values.Distinct())}", e);
        }
        catch (SmtpCommandException e) when ((int)e.StatusCode >= 500)
        {
            throw new MailRefusedException($"The mail server refused the message: {(int)e.StatusCode} {e.Message}", e);
        }
        catch (Exception e) when (data.Started && e is not SmtpCommandException)
        {
            throw new MailOutcomeUnknownException(
                $"The connection failed after the message data was sent and before the server's final reply ({e.GetType().Name}: {e.Message}); " +
                "the server may have delivered it.", e);
        }

        try
        {
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The server has accepted the message; a failed QUIT changes nothing.
        }
        return client.Refused;
    }

    async Task ConnectAsync(SmtpClient client, SmtpOptions smtp, CancellationToken cancellationToken)
    {
        try
        {
            await pipeline.ExecuteAsync(async token => await client.ConnectAsync(smtp.Host, smtp.Port, smtp.Security switch
            {
                SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
                SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
                _ => SecureSocketOptions.None,
            }, token), cancellationToken);
        }
        catch (Exception e) when (IsConnectFault(e) && !cancellationToken.IsCancellationRequested)
        {
            throw new MailServerUnreachableException(
                $"The mail server {smtp.Host}:{smtp.Port} could not be reached after {smtp.Retries + 1} attempt(s) ({e.GetType().Name}: {e.Message}).", e);
        }
    }

    /// <summary>
    /// Leaves out a recipient the server refuses for good (5xx to RCPT TO) instead of abandoning the message, and
    /// keeps its reply; a 4xx still fails the whole send (tried again).
    /// </summary>
    sealed class RecipientRefusingSmtpClient : SmtpClient
    {
        public Dictionary<string, string> Refused { get; } = new(StringComparer.OrdinalIgnoreCase);

        protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
        {
            if ((int)response.StatusCode < 500)
                base.OnRecipientNotAccepted(message, mailbox, response);
            Refused[mailbox.Address] = $"{(int)response.StatusCode} {response.Response}";
        }
    }

    /// <summary>Reports whether any of the message data has been written to the server.</summary>
    sealed class DataProgress : ITransferProgress
    {
        public bool Started { get; private set; }
        public void Report(long bytesTransferred, long totalSize) => Started |= bytesTransferred > 0;
        public void Report(long bytesTransferred) => Started |= bytesTransferred > 0;
    }
}
