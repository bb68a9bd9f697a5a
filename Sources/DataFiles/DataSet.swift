import Foundation

/// A data file the book needs: where to look for it, where to download it, and the
/// SHA-256 of its (decompressed) content.
public struct DataFile: Sendable {
  /// The path under a data folder, e.g. `mnist/train-images-idx3-ubyte`; a `.gz` copy
  /// beside it is found too.
  public let path: String
  /// The SHA-256 of the uncompressed content, in hexadecimal.
  public let sha256: String
  /// Where to download it (gzip or not) when no copy is found.
  public let url: String

  /// Describes a data file.
  public init(path: String, sha256: String, url: String) {
    self.path = path
    self.sha256 = sha256
    self.url = url
  }

  /// The folders searched, in order: `$GRADBOOK_DATA`, the project's `data/`, then
  /// `../shared/data/` (relative ones from the working directory).
  public static func searchFolders(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> [String] {
    let custom = environment["GRADBOOK_DATA"].map { $0.isEmpty ? [] : [$0] } ?? []
    return custom + ["data", "../shared/data"]
  }

  /// The verified, decompressed content: from the first copy found, else downloaded into
  /// `data/`.
  ///
  /// Throws `DataFileError` naming the file when a copy is truncated, corrupt or has the
  /// wrong digest, or when there is no copy and the download fails (then the message says
  /// where to put the file).
  public func load(searchFolders: [String] = searchFolders()) throws -> [UInt8] {
    let fileManager = FileManager.default
    for folder in searchFolders {
      for candidate in ["\(folder)/\(path)", "\(folder)/\(path).gz"]
      where fileManager.fileExists(atPath: candidate) {
        return try verified(contentsOf: candidate)
      }
    }
    let target = "data/\(path)" + (url.hasSuffix(".gz") ? ".gz" : "")
    do {
      try download(to: target)
    } catch {
      let places = searchFolders.map { "\($0)/\(path)[.gz]" }.joined(separator: ", ")
      throw DataFileError(
        file: path,
        problem: "no copy found (looked for \(places)) and the download from \(url) failed "
          + "(\(error)); put the file in one of those places or set GRADBOOK_DATA")
    }
    return try verified(contentsOf: target)
  }

  /// The content of the file at `location`, decompressed, with its digest checked.
  public func verified(contentsOf location: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: location) else {
      throw DataFileError(file: location, problem: "cannot be read")
    }
    var bytes = [UInt8](data)
    if Gzip.isCompressed(bytes) { bytes = try Gzip.decompress(bytes, name: location) }
    let digest = SHA256.hexDigest(bytes)
    guard digest == sha256 else {
      throw DataFileError(
        file: location,
        problem: "SHA-256 of the content is \(digest), expected \(sha256) (\(bytes.count) "
          + "bytes; a truncated or different file — delete it to download it again)")
    }
    return bytes
  }

  /// Downloads `url` to `target` with `curl`, through a temporary file and a rename so
  /// that a failed download leaves nothing behind.
  func download(to target: String) throws {
    let folder = (target as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let partial = target + ".part"
    let curl = Process()
    curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    curl.arguments = ["curl", "-fsSL", "--max-time", "300", "-o", partial, url]
    try curl.run()
    curl.waitUntilExit()
    guard curl.terminationStatus == 0 else {
      try? FileManager.default.removeItem(atPath: partial)
      throw DataFileError(file: url, problem: "curl exited with \(curl.terminationStatus)")
    }
    _ = try FileManager.default.replaceItemAt(
      URL(fileURLWithPath: target), withItemAt: URL(fileURLWithPath: partial))
  }
}
