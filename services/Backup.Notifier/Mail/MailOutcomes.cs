namespace Backup.Notifier.Mail;

/// <summary>
/// The message data reached the mail server but its final reply did not come back (the connection dropped or timed
/// out after DATA): the server may have delivered it. Such a message is recorded as unknown and never sent again.
/// </summary>
public sealed class MailOutcomeUnknownException(string message, Exception inner) : Exception(message, inner);

/// <summary>The mail server refused the message for good (a 5xx reply): sending it again would be refused too.</summary>
public sealed class MailRefusedException(string message, Exception? inner) : Exception(message, inner);

/// <summary>
/// The mail server could not be reached (connection refused or timed out, host not found), and the in-call retries of
/// the connect (Smtp:Retries) are spent: nothing was sent. Not retried again by the endpoint: the event goes back to
/// the broker, which delivers it again until the server is back.
/// </summary>
public sealed class MailServerUnreachableException(string message, Exception inner) : Exception(message, inner);
