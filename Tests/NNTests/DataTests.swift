import DataFiles
import Foundation
import Testing

@testable import NN

@Suite("Data: the loader, IDX files and MNIST")
struct DataTests {
  @Test("a batch holds the rows and labels at its indices")
  func batchContent() throws {
    let inputs = try Tensor((0..<12).map(Double.init), shape: [6, 2])
    let loader = try DataLoader(
      inputs: inputs, labels: [10, 11, 12, 13, 14, 15], batchSize: 4, seed: 2)
    let batch = loader.batch([5, 0, 3])
    #expect(batch.inputs.shape == [3, 2])
    #expect(batch.inputs.scalars == [10, 11, 0, 1, 6, 7])
    #expect(batch.labels == [15, 10, 13])
    let all = Array(loader.nextEpoch())
    #expect(all.map(\.labels.count) == [4, 2])
    #expect(all.flatMap(\.labels).sorted() == [10, 11, 12, 13, 14, 15])
    #expect(throws: TensorError.self) { try DataLoader(inputs: inputs, labels: [1], batchSize: 2) }
  }

  /// An IDX file of unsigned bytes with `shape`.
  func idx(_ shape: [Int], magic: [UInt8]? = nil) -> [UInt8] {
    var bytes = magic ?? [0, 0, 8, UInt8(shape.count)]
    for size in shape { bytes += [0, 0, UInt8(size >> 8), UInt8(size & 255)] }
    return bytes + (0..<shape.reduce(1, *)).map { UInt8($0 % 256) }
  }

  @Test("the IDX parser reads shapes and bytes, and names the file in every error")
  func idxParser() throws {
    let array = try IDXArray(idx([2, 3, 3]), name: "ok")
    #expect(array.shape == [2, 3, 3] && array.bytes.count == 18 && array.bytes[17] == 17)
    let truncated = #expect(throws: DataFileError.self) {
      try IDXArray(Array(idx([2, 3, 3]).dropLast(5)), name: "cut.idx")
    }
    #expect(truncated?.file == "cut.idx" && truncated?.problem.contains("truncated") == true)
    let magic = #expect(throws: DataFileError.self) {
      try IDXArray(idx([4], magic: [0x1f, 0x8b, 8, 1]), name: "gz.idx")
    }
    #expect(magic?.problem.contains("magic") == true)
    let trailing = #expect(throws: DataFileError.self) { try IDXArray(idx([4]) + [1], name: "t") }
    #expect(trailing?.problem.contains("trailing") == true)
    #expect(throws: DataFileError.self) { try IDXArray([0, 0, 8], name: "short") }
    let huge: [UInt8] = [0, 0, 8, 4] + [UInt8](repeating: 0xff, count: 16)
    let overflow = #expect(throws: DataFileError.self) { try IDXArray(huge, name: "huge") }
    #expect(overflow?.problem.contains("impossibly large") == true)
    #expect(throws: DataFileError.self) {
      try IDXArray(idx([2], magic: [0, 0, 0x0d, 1]), name: "float")
    }
  }

  @Test("MNIST: a slice of the real test set, checked against its SHA-256")
  func mnistSlice() throws {
    let (images, labels) = try MNIST.load(.test, limit: 100)
    #expect(images.shape == [100, 784])
    #expect(labels.count == 100 && labels.allSatisfy { (0...9).contains($0) })
    #expect(Array(labels.prefix(5)) == [7, 2, 1, 0, 4])
    let pixels = images.scalars
    #expect(pixels.min()! == 0 && pixels.max()! == 1)
  }
}
