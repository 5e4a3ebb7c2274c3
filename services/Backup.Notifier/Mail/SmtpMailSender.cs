using Backup.Notifier.Options;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using Polly;
using Polly.Retry;

namespace Backup.Notifier.Mail;

/// <summary>
/// Sends through MailKit. Connection-level faults (server down, connection dropped before the message was
/// accepted) are retried in the call with backoff; when those retries are spent the exception reaches
/// MassTransit, whose retry and error queue keep the event.
/// </summary>
public sealed class SmtpMailSender(IOptions<SmtpOptions> options) : IMailSender
{
    readonly ResiliencePipeline retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            Name = "smtp-connect",
            ShouldHandle = new PredicateBuilder()
                .Handle<System.Net.Sockets.SocketException>()
                .Handle<SmtpProtocolException>()
                .Handle<ServiceNotConnectedException>()
                .Handle<IOException>(),
            MaxRetryAttempts = 3,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(500),
            UseJitter = true,
        })
        .Build();

    public string Channel => "smtp";

    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var smtp = options.Value;
        await retry.ExecuteAsync(async token =>
        {
            using var client = new SmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
            await client.ConnectAsync(smtp.Host, smtp.Port, smtp.Security switch
            {
                SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
                SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
                _ => SecureSocketOptions.None,
            }, token);
            if (smtp.Username.Length > 0)
                await client.AuthenticateAsync(smtp.Username, smtp.Password, token);
            await client.SendAsync(message, token);
            await client.DisconnectAsync(quit: true, token);
        }, cancellationToken);
    }
}
