import DataFiles
import HigherOrder

// listing: idx
/// An array in the IDX format of the MNIST files: a magic number (two zero bytes, a type
/// code, the number of axes), each axis's size as a big-endian UInt32, then the elements.
public struct IDXArray {
  /// The size of each axis.
  public let shape: [Int]
  /// The elements (unsigned bytes, type code 0x08), row-major.
  public let bytes: [UInt8]

  /// Parses `data`, the content of the file `name` (named in errors).
  ///
  /// Throws `DataFileError` for a wrong magic number, an unsupported element type, or a
  /// size that does not match the header (truncated or trailing data).
  public init(_ data: [UInt8], name: String) throws {
    guard data.count >= 4 else {
      throw DataFileError(file: name, problem: "\(data.count) bytes: too short for an IDX header")
    }
    guard data[0] == 0, data[1] == 0, (1...4).contains(data[3]) else {
      let magic = data[0..<4].map { String($0, radix: 16) }.joined(separator: " ")
      throw DataFileError(file: name, problem: "not an IDX file (magic bytes \(magic))")
    }
    guard data[2] == 0x08 else {
      throw DataFileError(
        file: name,
        problem: "element type 0x\(String(data[2], radix: 16)) (only unsigned bytes, 0x08)")
    }
    let axes = Int(data[3])
    let headerSize = 4 + 4 * axes
    guard data.count >= headerSize else {
      throw DataFileError(file: name, problem: "truncated in the header (\(data.count) bytes)")
    }
    shape = (0..<axes).map { axis in
      (0..<4).reduce(0) { $0 << 8 | Int(data[4 + 4 * axis + $1]) }
    }
    var expected = 1
    for size in shape {
      let (product, overflow) = expected.multipliedReportingOverflow(by: size)
      guard !overflow else {
        throw DataFileError(file: name, problem: "header shape \(shape) is impossibly large")
      }
      expected = product
    }
    guard data.count - headerSize == expected else {
      throw DataFileError(
        file: name,
        problem: "header says \(shape) = \(expected) elements, the file holds "
          + "\(data.count - headerSize) (\(data.count - headerSize < expected ? "truncated" : "trailing data"))"
      )
    }
    bytes = Array(data[headerSize...])
  }
}
// end listing: idx

/// The MNIST handwritten digits: 60,000 training and 10,000 test images of 28×28 pixels.
public enum MNIST {
  /// Which half of the data.
  public enum Split: String, Sendable {
    /// 60,000 images.
    case train
    /// 10,000 images.
    case test
  }

  /// Where the files are downloaded from, in order: the canonical site, then the mirror
  /// torchvision uses (the canonical site has refused downloads at times).
  static let sources = [
    "https://yann.lecun.com/exdb/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/",
  ]

  /// The images and labels files of `split`, with their SHA-256 digests (uncompressed).
  public static func files(_ split: Split) -> (images: DataFile, labels: DataFile) {
    let prefix = split == .train ? "train" : "t10k"
    let digests =
      split == .train
      ? (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
      )
      : (
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
      )
    func file(_ name: String, _ digest: String) -> DataFile {
      DataFile(path: "mnist/\(name)", sha256: digest, urls: sources.map { $0 + name + ".gz" })
    }
    return (
      file("\(prefix)-images-idx3-ubyte", digests.0), file("\(prefix)-labels-idx1-ubyte", digests.1)
    )
  }

  /// The images of `split` as `[n, 784]` floats in [0, 1], and their labels 0…9; the first
  /// `limit` only when given.
  public static func load(_ split: Split, limit: Int? = nil) throws -> (
    images: Tensor, labels: [Int]
  ) {
    let (imageFile, labelFile) = files(split)
    let images = try IDXArray(imageFile.load(), name: imageFile.path)
    let labels = try IDXArray(labelFile.load(), name: labelFile.path)
    guard images.shape.count == 3, labels.shape.count == 1, images.shape[0] == labels.shape[0]
    else {
      throw DataFileError(
        file: imageFile.path,
        problem: "images \(images.shape) do not match labels \(labels.shape)")
    }
    let n = Swift.max(0, Swift.min(limit ?? images.shape[0], images.shape[0]))
    let pixels = images.shape[1] * images.shape[2]
    let tensor = try Tensor(
      unsignedBytes: images.bytes[0..<(n * pixels)], shape: [n, pixels], scale: 1 / 255)
    return (tensor, labels.bytes[0..<n].map { Int($0) })
  }
}
