using Backup.Storage.Encryption;

namespace Backup.Storage.Tests.Encryption;

public class When_a_large_artifact_is_encrypted
{
    const long DataBytes = 256L << 20;
    const int WriteBytes = 64 << 10;
    const long AllowedAllocation = 32L << 20;

    static readonly OpenPgpEncryptor Encryptor = Encrypting.Encryptor(new() { Passphrase = "break-glass-2026" });

    [Fact]
    public void It_allocates_far_less_than_the_data_when_written_synchronously()
    {
        var chunk = Bytes.Random(WriteBytes);
        var sink = new CountingSink();

        var before = GC.GetAllocatedBytesForCurrentThread();
        using (var encrypting = Encryptor.Encrypt(sink))
            for (long written = 0; written < DataBytes; written += chunk.Length)
                encrypting.Write(chunk, 0, chunk.Length);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(sink.Count > DataBytes, $"only {sink.Count} bytes came out");
        Assert.True(allocated < AllowedAllocation, $"{allocated:N0} bytes allocated to encrypt {DataBytes:N0}");
    }

    [Fact]
    public async Task It_allocates_far_less_than_the_data_when_written_asynchronously()
    {
        var chunk = Bytes.Random(WriteBytes);
        var sink = new CountingSink();

        // The sink completes synchronously, so every continuation stays on this thread and is counted.
        var before = GC.GetAllocatedBytesForCurrentThread();
        await using (var encrypting = Encryptor.Encrypt(sink))
            for (long written = 0; written < DataBytes; written += chunk.Length)
                await encrypting.WriteAsync(chunk);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(sink.Count > DataBytes, $"only {sink.Count} bytes came out");
        Assert.True(allocated < AllowedAllocation, $"{allocated:N0} bytes allocated to encrypt {DataBytes:N0}");
    }

    [Fact]
    public void It_is_decrypted_by_our_tool_as_it_is_read_not_all_at_once()
    {
        var chunk = Bytes.Random(WriteBytes);
        using var ciphertext = new MemoryStream();
        using (var encrypting = Encryptor.Encrypt(ciphertext))
            for (var i = 0; i < 512; i++) encrypting.Write(chunk, 0, chunk.Length);
        ciphertext.Position = 0;
        var buffer = new byte[WriteBytes];

        using var decrypting = OpenPgpEncryptor.Decrypt(ciphertext, DecryptionKeys.FromPassphrase("break-glass-2026"));
        decrypting.ReadExactly(buffer);

        // 64 KiB of plaintext out of 32 MiB needs only the packets around it.
        Assert.Equal(chunk, buffer);
        Assert.True(ciphertext.Position < 1 << 20, $"{ciphertext.Position:N0} bytes of ciphertext read for the first {WriteBytes:N0} of plaintext");
    }

    [Fact]
    public void It_passes_ciphertext_on_while_being_written_not_only_at_the_end()
    {
        var chunk = Bytes.Random(WriteBytes);
        var sink = new CountingSink();

        using var encrypting = Encryptor.Encrypt(sink);
        for (var i = 0; i < 64; i++) encrypting.Write(chunk, 0, chunk.Length);

        // 4 MiB in: all but the last partial chunk or so must already be out.
        Assert.True(sink.Count > 64L * WriteBytes - 2 * WriteBytes, $"only {sink.Count} bytes out after {64 * WriteBytes} in");
    }

    /// <summary>Counts what it is given and keeps nothing.</summary>
    sealed class CountingSink : Stream
    {
        public long Count { get; private set; }

        public override void Write(byte[] buffer, int offset, int count) => Count += count;
        public override void Write(ReadOnlySpan<byte> buffer) => Count += buffer.Length;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Count += buffer.Length;
            return ValueTask.CompletedTask;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Count;
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
