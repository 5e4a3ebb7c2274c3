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
/// Sends through MailKit. Only connecting and authenticating are retried in the call (with backoff): they are safe
/// to repeat. The send itself is not, because a connection dropped after the server took the message would send it
/// twice; a failed send reaches MassTransit, whose endpoint retry and error queue keep the event.
/// </summary>
public sealed class SmtpMailSender(IOptions<SmtpOptions> options) : IMailSender
{
    readonly ResiliencePipeline connectRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            Name = "smtp-connect",
            ShouldHandle = new PredicateBuilder()
                .Handle<System.Net.Sockets.SocketException>()
                .Handle<SmtpProtocolException>()
                .Handle<IOException>(),
            MaxRetryAttempts = 2,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(500),
            UseJitter = true,
        })
        .Build();

    public string Channel => "smtp";

    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var smtp = options.Value;
        using var client = new SmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
        await connectRetry.ExecuteAsync(async token =>
        {
            if (client.IsConnected) await client.DisconnectAsync(quit: false, token);
            await client.ConnectAsync(smtp.Host, smtp.Port, smtp.Security switch
            {
                SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
                SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
                _ => SecureSocketOptions.None,
            }, token);
            if (smtp.Username.Length > 0)
                await client.AuthenticateAsync(smtp.Username, smtp.Password, token);
        }, cancellationToken);
        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}
