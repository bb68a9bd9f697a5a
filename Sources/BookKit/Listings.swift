import Foundation

/// A place in a chapter's Markdown that shows a listing: the marker comment and the fenced
/// block right after it.
///
///     <!-- listing: Sources/Scalar/Value.swift#value -->
///     ```swift
///     …lines `make sync` writes…
///     ```
public struct ListingReference: Equatable, Sendable {
  /// The Markdown file, relative to the package root.
  public var markdownFile: String
  /// The 0-based line of the marker comment.
  public var markerLine: Int
  /// The source file the listing comes from, relative to the package root.
  public var sourceFile: String
  /// The listing region's name.
  public var name: String
  /// The 0-based line of the opening fence.
  public var fenceOpen: Int
  /// The 0-based line of the closing fence.
  public var fenceClose: Int
}

/// Keeps the listings in the prose equal to the marked regions of the code.
public enum Listings {
  static let reference = try! NSRegularExpression(
    pattern: #"^<!-- listing: ([^#\s]+)#([A-Za-z0-9_.-]+) -->\s*$"#)
  static let sketch = try! NSRegularExpression(pattern: #"^<!-- sketch: .+ -->\s*$"#)

  /// Finds the listing references of one Markdown file.
  ///
  /// Throws when a marker is not followed by a fenced block, or when a Swift block is
  /// neither a listing nor marked `<!-- sketch: why -->` (prose never shows Swift that
  /// is not checked against the sources without saying so).
  public static func references(in text: String, file: String) throws -> [ListingReference] {
    let lines = text.components(separatedBy: "\n")
    var result: [ListingReference] = []
    var i = 0
    while i < lines.count {
      let line = lines[i]
      if let m = RegionParser.match(reference, line) {
        guard i + 1 < lines.count, lines[i + 1].hasPrefix("```") else {
          throw BookError(
            "\(file):\(i + 1): listing marker for \(m[1])#\(m[2]) is not followed by a ``` block")
        }
        guard let close = closingFence(lines, from: i + 1) else {
          throw BookError("\(file):\(i + 2): the listing's ``` block is never closed")
        }
        result.append(
          ListingReference(
            markdownFile: file, markerLine: i, sourceFile: m[1], name: m[2], fenceOpen: i + 1,
            fenceClose: close))
        i = close + 1
        continue
      }
      if line.hasPrefix("```") {
        guard let close = closingFence(lines, from: i) else {
          throw BookError("\(file):\(i + 1): a ``` block is never closed")
        }
        if line.hasPrefix("```swift"),
          i == 0 || RegionParser.match(sketch, lines[i - 1]) == nil
        {
          throw BookError(
            "\(file):\(i + 1): a Swift block that is not a listing; pull it from the sources "
              + "with '<!-- listing: PATH#NAME -->' or say why not with '<!-- sketch: … -->'")
        }
        i = close + 1
        continue
      }
      i += 1
    }
    return result
  }

  static func closingFence(_ lines: [String], from open: Int) -> Int? {
    var j = open + 1
    while j < lines.count {
      if lines[j].trimmingCharacters(in: .whitespaces) == "```" { return j }
      j += 1
    }
    return nil
  }

  /// The lines a listing shows in chapter `chapter`: the region's body without nested
  /// markers, with every exercise inside it shown as its stub, code taught by a later
  /// chapter (`since chapter N`, N > `chapter`) left out, and the common indentation removed.
  public static func body(
    of region: Region, lines: [String], regions: [Region], chapter: Int = .max
  ) -> [String] {
    var out: [String] = []
    var i = region.begin + 1
    while i < region.end {
      if let exercise = regions.first(where: { $0.kind == .exercise && $0.begin == i }) {
        out += RegionParser.stub(for: exercise)
        i = exercise.end + 1
        continue
      }
      if let later = regions.first(where: { $0.begin == i && $0.taughtAfter(chapter) }) {
        i = later.end + 1
        continue
      }
      let isMarker = regions.contains { $0.kind != .exercise && ($0.begin == i || $0.end == i) }
      if !isMarker { out.append(lines[i]) }
      i += 1
    }
    return dedent(out)
  }

  static func dedent(_ lines: [String]) -> [String] {
    let indents = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
      .map { RegionParser.leadingWhitespace($0).count }
    let common = indents.min() ?? 0
    return lines.map { line in
      line.trimmingCharacters(in: .whitespaces).isEmpty ? "" : String(line.dropFirst(common))
    }
  }
}

/// The package as the book tool sees it: sources with their regions, Markdown with its
/// listing references.
public struct Project {
  /// The package root.
  public let root: URL
  /// Regions by source file (relative path).
  public private(set) var regions: [String: [Region]] = [:]
  /// Source lines by file (relative path).
  public private(set) var sourceLines: [String: [String]] = [:]
  /// The Markdown files that may show listings (relative paths).
  public private(set) var markdownFiles: [String] = []

  /// The folders whose Swift files may hold listings and exercises: the stages, the
  /// chapters, and the README's examples (a test target, so that they are compiled and run).
  public static let sourceFolders = ["Sources", "Chapters", "Tests/ExamplesTests"]

  /// Reads every Swift file under `sourceFolders`, and the Markdown files that may show
  /// listings: those under `Chapters/` and `book/`, and the README.
  public init(root: URL) throws {
    self.root = root
    for file in try Self.files(under: Self.sourceFolders, root: root, ext: "swift") {
      let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
      sourceLines[file] = text.components(separatedBy: "\n")
      let found = try RegionParser.regions(in: text, file: file)
      if !found.isEmpty { regions[file] = found }
    }
    markdownFiles = try Self.files(under: ["Chapters", "book"], root: root, ext: "md")
      .filter { !$0.hasPrefix("book/site/") }
    if FileManager.default.fileExists(atPath: root.appendingPathComponent("README.md").path) {
      markdownFiles.append("README.md")
    }
  }

  /// All exercises, in chapter and number order.
  public func exercises() throws -> [Exercise] {
    try RegionParser.exercises(in: regions.keys.sorted().flatMap { regions[$0]! })
  }

  /// Relative paths of the files with extension `ext` under `folders`, sorted.
  static func files(under folders: [String], root: URL, ext: String) throws -> [String] {
    var result: [String] = []
    for folder in folders {
      let base = root.appendingPathComponent(folder)
      guard
        let walker = FileManager.default.enumerator(
          at: base, includingPropertiesForKeys: [.isRegularFileKey])
      else { continue }
      for case let url as URL in walker where url.pathExtension == ext {
        let path = url.standardizedFileURL.path
        let rootPath = root.standardizedFileURL.path
        guard path.hasPrefix(rootPath + "/") else { continue }
        result.append(String(path.dropFirst(rootPath.count + 1)))
      }
    }
    return result.sorted()
  }

  /// The chapter a Markdown file belongs to (`Chapters/04-…/README.md` is 4); any other
  /// file (the README, the book's frame) shows listings as the finished code.
  static func chapter(of markdownFile: String) -> Int {
    let parts = markdownFile.split(separator: "/")
    guard parts.count >= 2, parts[0] == "Chapters",
      let n = Int(parts[1].prefix { $0.isNumber })
    else { return .max }
    return n
  }

  /// What each listing block should read, and where it is stale.
  ///
  /// Returns the Markdown files rewritten with fresh listings (only those that changed)
  /// and throws on a reference to a missing file or region, or on a listing region that
  /// no Markdown shows (a dangling marker).
  public func syncedMarkdown() throws -> [(file: String, text: String, stale: [String])] {
    var used: Set<String> = []
    var result: [(file: String, text: String, stale: [String])] = []
    for file in markdownFiles {
      let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
      var lines = text.components(separatedBy: "\n")
      let refs = try Listings.references(in: text, file: file)
      var stale: [String] = []
      for ref in refs.reversed() {
        guard let source = sourceLines[ref.sourceFile] else {
          throw BookError(
            "\(file):\(ref.markerLine + 1): listing source \(ref.sourceFile) does not exist "
              + "(paths are relative to the package root)")
        }
        let fileRegions = regions[ref.sourceFile] ?? []
        guard let region = fileRegions.first(where: { $0.kind == .listing && $0.name == ref.name })
        else {
          throw BookError(
            "\(file):\(ref.markerLine + 1): no '// listing: \(ref.name)' region in \(ref.sourceFile)"
          )
        }
        used.insert("\(ref.sourceFile)#\(ref.name)")
        let fresh = Listings.body(
          of: region, lines: source, regions: fileRegions, chapter: Self.chapter(of: file))
        let current = Array(lines[(ref.fenceOpen + 1)..<ref.fenceClose])
        if current != fresh {
          stale.append("\(file):\(ref.markerLine + 1): \(ref.sourceFile)#\(ref.name)")
          lines.replaceSubrange((ref.fenceOpen + 1)..<ref.fenceClose, with: fresh)
        }
      }
      if !stale.isEmpty {
        result.append((file, lines.joined(separator: "\n"), stale.reversed()))
      }
    }
    for (file, fileRegions) in regions.sorted(by: { $0.key < $1.key }) {
      for exercise in fileRegions where exercise.kind == .exercise {
        let shown = fileRegions.contains {
          $0.kind == .listing && $0.begin < exercise.begin && exercise.end < $0.end
            && used.contains("\(file)#\($0.name)")
        }
        if !shown {
          throw BookError(
            "\(file):\(exercise.begin + 1): exercise \(exercise.name) is inside no listing a "
              + "chapter shows, so a reader cannot see the code around it; put it in a listing")
        }
      }
      for region in fileRegions where region.kind == .listing {
        if !used.contains("\(file)#\(region.name)") {
          throw BookError(
            "\(file):\(region.begin + 1): listing '\(region.name)' is shown by no chapter "
              + "(a dangling marker: show it with <!-- listing: \(file)#\(region.name) --> "
              + "or remove the markers)")
        }
      }
    }
    return result
  }
}
