import Foundation

/// A data file the book needs: where to look for it, where to download it, and the
/// SHA-256 of its (decompressed) content.
public struct DataFile: Sendable {
  /// The path under a data folder, e.g. `mnist/train-images-idx3-ubyte`; a `.gz` copy
  /// beside it is found too.
  public let path: String
  /// The SHA-256 of the uncompressed content, in hexadecimal.
  public let sha256: String
  /// Where to download it (gzip or not) when no copy is found, tried in order.
  public let urls: [String]

  /// Describes a data file.
  public init(path: String, sha256: String, urls: [String]) {
    self.path = path
    self.sha256 = sha256
    self.urls = urls
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
    var failures: [String] = []
    for url in urls {
      do {
        return try download(url)
      } catch let error as DataFileError where error.file == url {
        failures.append("\(url): \(error.problem)")  // the address once, not twice
      } catch {
        failures.append("\(url): \(error)")
      }
    }
    let places = searchFolders.map { "\($0)/\(path)[.gz]" }.joined(separator: ", ")
    throw DataFileError(
      file: path,
      problem: "no copy found (looked for \(places)) and no download succeeded ("
        + (failures.isEmpty ? "no address to try" : failures.joined(separator: "; "))
        + "); put the file in one of those places or set GRADBOOK_DATA")
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

  /// Downloads `url` with `curl` into a temporary file, checks its content, and only then
  /// moves it to `data/`: a failed or wrong download leaves nothing behind.
  func download(_ url: String) throws -> [UInt8] {
    let partial = NSTemporaryDirectory() + "gradbook-download-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: partial) }
    let curl = Process()
    curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    curl.arguments = ["curl", "-fsSL", "--max-time", "300", "-o", partial, url]
    try curl.run()
    curl.waitUntilExit()
    guard curl.terminationStatus == 0 else {
      throw DataFileError(file: url, problem: "curl exited with \(curl.terminationStatus)")
    }
    let bytes = try verified(contentsOf: partial)
    let target = "data/\(path)" + (url.hasSuffix(".gz") ? ".gz" : "")
    try FileManager.default.createDirectory(
      atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    _ = try? FileManager.default.removeItem(atPath: target)
    try FileManager.default.moveItem(atPath: partial, toPath: target)
    return bytes
  }
}
