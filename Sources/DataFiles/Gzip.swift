import CZlib

/// Decompression of gzip (and zlib) data through the system's zlib.
public enum Gzip {
  /// Whether `bytes` start with the gzip magic number (1f 8b).
  public static func isCompressed(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
  }

  /// The decompressed content of `bytes` (gzip or zlib framing).
  ///
  /// Throws `DataFileError` naming `name` when the data is truncated or corrupt.
  public static func decompress(_ bytes: [UInt8], name: String) throws -> [UInt8] {
    var stream = z_stream()
    guard gradbook_inflate_init(&stream) == Z_OK else {
      throw DataFileError(file: name, problem: "zlib could not start decompressing")
    }
    defer { inflateEnd(&stream) }
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count * 4)
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var input = bytes
    var status: Int32 = Z_OK
    try input.withUnsafeMutableBufferPointer { source in
      stream.next_in = source.baseAddress
      stream.avail_in = UInt32(source.count)
      repeat {
        try chunk.withUnsafeMutableBufferPointer { buffer in
          stream.next_out = buffer.baseAddress
          stream.avail_out = UInt32(buffer.count)
          status = inflate(&stream, Z_NO_FLUSH)
          guard status == Z_OK || status == Z_STREAM_END else {
            let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            throw DataFileError(file: name, problem: "corrupt gzip data (\(reason))")
          }
          output.append(contentsOf: buffer[0..<(buffer.count - Int(stream.avail_out))])
        }
      } while status != Z_STREAM_END && (stream.avail_in > 0 || stream.avail_out == 0)
    }
    guard status == Z_STREAM_END else {
      throw DataFileError(
        file: name, problem: "truncated gzip data (the stream ends before its end marker)")
    }
    return output
  }
}
