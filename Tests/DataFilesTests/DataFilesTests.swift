import Foundation
import Testing

@testable import DataFiles

@Suite("Data files: SHA-256, gzip, lookup")
struct DataFilesTests {
  @Test("SHA-256 of the standard test vectors")
  func sha256() {
    #expect(
      SHA256.hexDigest([])
        == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(
      SHA256.hexDigest(Array("abc".utf8))
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      SHA256.hexDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    #expect(
      SHA256.hexDigest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  /// `text` gzipped by the system's `gzip`.
  func gzipped(_ text: String) throws -> [UInt8] {
    let folder = NSTemporaryDirectory() + "gradbook-gz-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try text.write(toFile: folder + "/f", atomically: true, encoding: .utf8)
    let gzip = Process()
    gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    gzip.arguments = ["gzip", "-n", folder + "/f"]
    try gzip.run()
    gzip.waitUntilExit()
    return [UInt8](FileManager.default.contents(atPath: folder + "/f.gz")!)
  }

  @Test("gzip round trip; a truncated or corrupt stream names the file")
  func gzip() throws {
    let text = String(repeating: "gradbook ", count: 10_000)
    let compressed = try gzipped(text)
    #expect(Gzip.isCompressed(compressed))
    #expect(try Gzip.decompress(compressed, name: "x.gz") == Array(text.utf8))
    let truncated = #expect(throws: DataFileError.self) {
      try Gzip.decompress(Array(compressed.prefix(compressed.count / 2)), name: "cut.gz")
    }
    #expect(truncated?.file == "cut.gz" && truncated?.problem.contains("truncated") == true)
    var corrupt = compressed
    for i in 12..<20 { corrupt[i] ^= 0xff }
    let bad = #expect(throws: DataFileError.self) { try Gzip.decompress(corrupt, name: "bad.gz") }
    #expect(bad?.problem.contains("corrupt") == true)
  }

  @Test("$GRADBOOK_DATA is searched first, then data/ and ../shared/data; a .gz copy is found")
  func searchOrder() throws {
    #expect(
      DataFile.searchFolders(environment: ["GRADBOOK_DATA": "/mine"])
        == ["/mine", "data", "../shared/data"])
    #expect(DataFile.searchFolders(environment: [:]) == ["data", "../shared/data"])
    let folder = NSTemporaryDirectory() + "gradbook-search-\(UUID().uuidString)"
    try FileManager.default.createDirectory(
      atPath: folder + "/second/set", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let text = String(repeating: "digits ", count: 100)
    try Data(gzipped(text)).write(to: URL(fileURLWithPath: folder + "/second/set/f.gz"))
    let file = DataFile(
      path: "set/f", sha256: SHA256.hexDigest(Array(text.utf8)), urls: ["http://127.0.0.1:9/f"])
    let found = try file.load(searchFolders: [folder + "/first", folder + "/second"])
    #expect(found == Array(text.utf8))
  }

  @Test("a download: the first address that works, checked, kept in data/; a wrong one is not kept")
  func download() throws {
    let folder = NSTemporaryDirectory() + "gradbook-remote-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let local = "test-\(UUID().uuidString)"
    defer {
      try? FileManager.default.removeItem(atPath: folder)
      try? FileManager.default.removeItem(atPath: "data/\(local)")
    }
    let text = String(repeating: "seven ", count: 50)
    try Data(gzipped(text)).write(to: URL(fileURLWithPath: folder + "/f.gz"))
    try "not it".write(toFile: folder + "/wrong.gz", atomically: true, encoding: .utf8)
    let file = DataFile(
      path: "\(local)/f", sha256: SHA256.hexDigest(Array(text.utf8)),
      urls: ["file://\(folder)/missing.gz", "file://\(folder)/wrong.gz", "file://\(folder)/f.gz"])
    #expect(try file.load(searchFolders: [folder + "/empty"]) == Array(text.utf8))
    #expect(FileManager.default.fileExists(atPath: "data/\(local)/f.gz"))
    #expect(try file.load(searchFolders: ["data"]) == Array(text.utf8))  // now found locally
    let bad = DataFile(
      path: "\(local)/g", sha256: SHA256.hexDigest(Array(text.utf8)),
      urls: ["file://\(folder)/wrong.gz"])
    let error = #expect(throws: DataFileError.self) {
      try bad.load(searchFolders: [folder + "/empty"])
    }
    #expect(error?.problem.contains("SHA-256") == true)
    #expect(!FileManager.default.fileExists(atPath: "data/\(local)/g.gz"))
  }

  @Test("a copy with the wrong digest is rejected; a missing file says where to put it")
  func lookup() throws {
    let folder = NSTemporaryDirectory() + "gradbook-data-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try "hello".write(toFile: folder + "/f.txt", atomically: true, encoding: .utf8)
    let file = DataFile(
      path: "f.txt", sha256: SHA256.hexDigest(Array("hello".utf8)), urls: ["http://127.0.0.1:9/f"])
    #expect(try file.verified(contentsOf: folder + "/f.txt") == Array("hello".utf8))
    let wrong = DataFile(path: "f.txt", sha256: String(repeating: "0", count: 64), urls: [])
    let error = #expect(throws: DataFileError.self) {
      try wrong.verified(contentsOf: folder + "/f.txt")
    }
    #expect(error?.file.hasSuffix("f.txt") == true && error?.problem.contains("SHA-256") == true)
    let missing = DataFile(
      path: "nowhere/\(UUID().uuidString)", sha256: "",
      urls: ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"])
    let absent = #expect(throws: DataFileError.self) { try missing.load() }
    #expect(absent?.problem.contains("GRADBOOK_DATA") == true)
    #expect(absent?.problem.contains("127.0.0.1:9/b") == true)  // every address was tried
    for address in missing.urls {  // each named once
      #expect(absent.map { "\($0)".components(separatedBy: address).count - 1 } == 1)
    }
    #expect(!FileManager.default.fileExists(atPath: "data/\(missing.path)"))
  }
}
