using Amazon.S3.Model;
using Backup.Storage.Streams;

namespace Backup.Storage.S3;

/// <summary>
/// An object's bytes as they arrive from the server (never buffered whole), with <see cref="Length"/> from the
/// response; a connection lost mid-read fails with a transient <see cref="ArtifactStoreException"/>.
/// </summary>
sealed class S3ReadStream(GetObjectResponse response, S3Location location) : ReadOnlyStream
{
    readonly Stream body = response.ResponseStream;
    long position;

    public override long Length => response.ContentLength;

    public override long Position
    {
        get => position;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> destination)
    {
        try
        {
            var read = body.Read(destination);
            position += read;
            return read;
        }
        catch (Exception e) when (S3Failures.IsS3Failure(e))
        {
            throw location.Fail(e, "reading");
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        try
        {
            var read = await body.ReadAsync(destination, cancellationToken);
            position += read;
            return read;
        }
        catch (Exception e) when (S3Failures.IsS3Failure(e))
        {
            throw location.Fail(e, "reading");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) response.Dispose();
        base.Dispose(disposing);
    }
}
