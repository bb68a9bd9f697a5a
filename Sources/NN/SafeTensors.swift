import DataFiles
import Foundation
import HigherOrder

// listing: safetensors
/// Reading and writing the safetensors format (Hugging Face's, read and written by
/// PyTorch's `safetensors` package):
///
///     8 bytes    N, the header's length, little-endian UInt64
///     N bytes    JSON: {"__metadata__": {string: string}, "name": {"dtype": "F32",
///                "shape": [2, 3], "data_offsets": [begin, end]}, …}, padded with spaces
///     the rest   every tensor's elements, little-endian, row-major, at its offsets
public enum SafeTensors {
  /// The file's bytes for `tensors` and `metadata`, in the order the Python package writes
  /// them (by its dtype order, I64 before F64 before F32, then by name), so that the bytes
  /// are the same as its.
  public static func encode(
    _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]
  ) -> [UInt8] {
    let sorted = tensors.sorted {
      (rank($0.tensor.dtype), $1.name) > (rank($1.tensor.dtype), $0.name)
    }
    var entries: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
      entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
    }
    var offset = 0
    for (name, tensor) in sorted {
      let size = tensor.count * tensor.dtype.size
      entries.append(
        "\(jsonString(name)):{\"dtype\":\"\(code(tensor.dtype))\",\"shape\":["
          + tensor.shape.map(String.init).joined(separator: ",")
          + "],\"data_offsets\":[\(offset),\(offset + size)]}")
      offset += size
    }
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
    var bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
    bytes.reserveCapacity(bytes.count + offset)
    for (_, tensor) in sorted { bytes.append(contentsOf: tensor.littleEndianBytes) }
    return bytes
  }
  // end listing: safetensors

  /// The tensors (in file order) and metadata in `bytes`, the content of `file`.
  ///
  /// Throws `DataFileError` naming `file` for a short file, a header that is not the
  /// format's JSON, an unsupported dtype, or offsets that do not tile the data exactly.
  public static func decode(_ bytes: [UInt8], file: String) throws -> (
    tensors: [(name: String, tensor: Tensor)], metadata: [String: String]
  ) {
    func fail(_ problem: String) -> DataFileError { DataFileError(file: file, problem: problem) }
    guard bytes.count >= 8 else { throw fail("\(bytes.count) bytes: too short for safetensors") }
    let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    guard headerLength <= UInt64(bytes.count - 8) else {
      throw fail(
        "header length \(headerLength) exceeds the file (\(bytes.count) bytes): truncated?")
    }
    let dataStart = 8 + Int(headerLength)
    guard
      let json = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])),
      let header = json as? [String: Any]
    else { throw fail("the header is not a JSON object") }
    let metadata = header["__metadata__"] as? [String: String] ?? [:]
    var tensors: [(name: String, tensor: Tensor, begin: Int)] = []
    var covered: [(Int, Int)] = []
    for (name, value) in header where name != "__metadata__" {
      guard let entry = value as? [String: Any], let code = entry["dtype"] as? String,
        let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int],
        offsets.count == 2
      else { throw fail("tensor \"\(name)\": entry is not {dtype, shape, data_offsets}") }
      guard let dtype = dtype(code) else {
        throw fail(
          "tensor \"\(name)\": dtype \(code) is not supported (F32, F64 and I64 are)")
      }
      let (begin, end) = (offsets[0], offsets[1])
      var size = dtype.size
      for axis in shape {
        let (product, overflow) = size.multipliedReportingOverflow(by: axis)
        guard !overflow, axis >= 0 else {
          throw fail("tensor \"\(name)\": shape \(shape) is negative or impossibly large")
        }
        size = product
      }
      guard begin >= 0, begin <= end, end - begin == size,
        end <= bytes.count - dataStart
      else {
        throw fail(
          "tensor \"\(name)\": \(code) \(shape) needs \(size) bytes, offsets are [\(begin), "
            + "\(end)] in \(bytes.count - dataStart) bytes of data")
      }
      let tensor = try Tensor(
        littleEndianBytes: bytes[(dataStart + begin)..<(dataStart + end)], shape: shape,
        dtype: dtype)
      tensors.append((name, tensor, begin))
      covered.append((begin, end))
    }
    covered.sort { $0.0 < $1.0 }
    var position = 0
    for (begin, end) in covered {
      guard begin == position else {
        throw fail("tensor data overlaps or leaves a gap at byte \(position)")
      }
      position = end
    }
    guard position == bytes.count - dataStart else {
      throw fail("\(bytes.count - dataStart - position) bytes of data belong to no tensor")
    }
    return (tensors.sorted { $0.begin < $1.begin }.map { ($0.name, $0.tensor) }, metadata)
  }

  /// Writes `tensors` to `path` through a temporary file and a rename: a crash mid-write
  /// leaves the old file, never half a new one.
  public static func save(
    _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String
  ) throws {
    let temporary = path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    do {
      try Data(encode(tensors, metadata: metadata)).write(to: URL(fileURLWithPath: temporary))
      guard rename(temporary, path) == 0 else {
        throw DataFileError(file: path, problem: "cannot replace it (errno \(errno))")
      }
    } catch {
      try? FileManager.default.removeItem(atPath: temporary)
      throw error
    }
  }

  /// The tensors and metadata of the file at `path`.
  public static func load(from path: String) throws -> (
    tensors: [(name: String, tensor: Tensor)], metadata: [String: String]
  ) {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DataFileError(file: path, problem: "cannot be read")
    }
    return try decode([UInt8](data), file: path)
  }

  /// The dtypes this reader knows, with their codes, in the order the Python package puts
  /// them in a file.
  static let dtypes: [(dtype: DType, code: String)] = [
    (.int64, "I64"), (.float64, "F64"), (.float32, "F32"),
  ]

  static func code(_ dtype: DType) -> String { dtypes.first { $0.dtype == dtype }!.code }

  static func dtype(_ code: String) -> DType? { dtypes.first { $0.code == code }?.dtype }

  /// Where the Python package puts `dtype` in a file: higher first.
  static func rank(_ dtype: DType) -> Int { -dtypes.firstIndex { $0.dtype == dtype }! }

  /// `text` as a JSON string literal.
  static func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }
}
