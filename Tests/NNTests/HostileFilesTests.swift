import DataFiles
import Foundation
import Scalar
import Testing

@testable import NN

/// Seeded corruptions of a valid file, a thousand kinds of damage a download or a disk can
/// do: flipped bytes anywhere, flipped bytes in the header, truncations, inserted garbage,
/// and length fields set to extremes (0, 0x7F…, 0xFF…).
func corruptions(of valid: [UInt8], count: Int, headerBytes: Int, seed: UInt64) -> [[UInt8]] {
  var g = SeededGenerator(seed: seed)
  func random(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &g) }
  return (0..<count).map { i in
    var bytes = valid
    switch i % 5 {
    case 0:  // flipped bytes anywhere
      for _ in 0..<random(1...4) { bytes[random(0...(bytes.count - 1))] ^= UInt8(random(1...255)) }
    case 1:  // flipped bytes in the header
      for _ in 0..<random(1...3) {
        bytes[random(0...(Swift.min(headerBytes, bytes.count) - 1))] ^= UInt8(random(1...255))
      }
    case 2:  // truncated
      bytes = Array(bytes.prefix(random(0...(bytes.count - 1))))
    case 3:  // garbage inserted
      let at = random(0...bytes.count)
      bytes.insert(contentsOf: (0..<random(1...16)).map { _ in UInt8(random(0...255)) }, at: at)
    default:  // a header field set to an extreme
      let at = random(0...(Swift.min(headerBytes, bytes.count) - 1))
      let value = [UInt8(0x00), 0x7F, 0x80, 0xFF][random(0...3)]
      for k in at..<Swift.min(at + random(1...8), bytes.count) { bytes[k] = value }
    }
    return bytes
  }
}

@Suite("Hostile files: every corrupted input is a thrown error, never a trap or a hang")
struct HostileFilesTests {
  /// An IDX file of three 2×2 unsigned-byte images.
  let idx: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2] + Array(0..<12)

  @Test("IDX: 2,000 corruptions of a valid file")
  func idxFiles() throws {
    _ = try IDXArray(idx, name: "valid.idx")
    var thrown = 0
    for (i, bytes) in corruptions(of: idx, count: 2_000, headerBytes: 16, seed: 1).enumerated() {
      do {
        let array = try IDXArray(bytes, name: "fuzz-\(i).idx")
        // Whatever parsed must describe exactly the bytes that were there.
        #expect(array.shape.reduce(1, *) <= bytes.count, "corruption \(i)")
      } catch is DataFileError {
        thrown += 1
      }
    }
    #expect(thrown > 1_000)  // most damage is detected (flipped pixels are not damage to see)
  }

  @Test("gzip: 2,000 corruptions of a valid stream")
  func gzipStreams() throws {
    // The IDX file above, gzip-compressed (Python's gzip, mtime 0).
    let gz: [UInt8] = [
      0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x63, 0x60, 0xe0, 0x60, 0x66,
      0x60, 0x60, 0x00, 0x61, 0x26, 0x30, 0x66, 0x64, 0x62, 0x66, 0x61, 0x65, 0x63, 0xe7, 0xe0,
      0xe4, 0xe2, 0x06, 0x00, 0x63, 0x44, 0x6f, 0xc6, 0x1c, 0x00, 0x00, 0x00,
    ]
    #expect(try Gzip.decompress(gz, name: "valid.gz") == idx)
    var thrown = 0
    for (i, bytes) in corruptions(of: gz, count: 2_000, headerBytes: 10, seed: 2).enumerated() {
      do {
        _ = try Gzip.decompress(bytes, name: "fuzz-\(i).gz")
      } catch is DataFileError {
        thrown += 1
      }
    }
    #expect(thrown > 1_000)
  }

  @Test("safetensors: 2,000 corruptions of a valid checkpoint")
  func safetensorsFiles() throws {
    let valid = SafeTensors.encode(
      [
        ("w", try Tensor([1, -2, 3, 4, 5, 6], shape: [2, 3])),
        ("b", try Tensor([0.5, 0.25], shape: [2], dtype: .float64)),
        ("n", try Tensor(integers: [7], shape: [])),
      ], metadata: ["step": "3"])
    _ = try SafeTensors.decode(valid, file: "valid.safetensors")
    let headerLength = Int(valid[0]) + 8
    var thrown = 0
    for (i, bytes) in corruptions(of: valid, count: 2_000, headerBytes: headerLength, seed: 3)
      .enumerated()
    {
      do {
        let (tensors, _) = try SafeTensors.decode(bytes, file: "fuzz-\(i).safetensors")
        for (_, tensor) in tensors { #expect(tensor.count * tensor.dtype.size <= bytes.count) }
      } catch is DataFileError {
        thrown += 1
      }
    }
    #expect(thrown > 1_000)
  }
}
