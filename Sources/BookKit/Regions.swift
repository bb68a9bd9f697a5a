import Foundation

/// An error in the book's sources: a dangling marker, a stale listing, a broken link.
public struct BookError: Error, CustomStringConvertible, Equatable {
  /// What is wrong, naming the file and line.
  public let description: String

  /// Creates an error with a message that names the file.
  public init(_ description: String) { self.description = description }
}

/// A marked region of a source file: a listing the prose shows, or an exercise.
///
/// Markers are comment lines, alone on their line:
///
///     // listing: NAME                 …   // end listing: NAME
///     // exercise 1.2: TITLE           …   // end exercise 1.2
///     // exercise 1.2 (20 points): TITLE
///     // since chapter 4: NOTE          …   // end since chapter 4
///
/// Listings may nest and may contain exercises; exercises may not nest. A *since* region
/// holds code that a later chapter teaches (Crafting Interpreters' way): listings shown by
/// earlier chapters leave it out, listings shown from that chapter on include it.
public struct Region: Equatable, Sendable {
  /// Whether the region is shown in the prose or graded.
  public enum Kind: Equatable, Sendable {
    case listing
    case exercise
    /// Code taught from chapter `n` on.
    case since(Int)
  }

  /// Listing or exercise.
  public var kind: Kind
  /// The listing's name, or the exercise's number such as `1.2`.
  public var name: String
  /// The exercise's title (empty for listings).
  public var title: String
  /// The exercise's points (0 for listings).
  public var points: Int
  /// The file, relative to the package root.
  public var file: String
  /// The 0-based line index of the opening marker.
  public var begin: Int
  /// The 0-based line index of the closing marker.
  public var end: Int
  /// The indentation of the opening marker.
  public var indent: String
}

extension Region {
  /// Whether this is code taught after chapter `chapter` (a `since` region of a later one).
  func taughtAfter(_ chapter: Int) -> Bool {
    if case .since(let n) = kind { return n > chapter }
    return false
  }
}

/// One exercise, as the grader and the reader edition see it.
public struct Exercise: Equatable, Sendable {
  /// The chapter number (the part of `name` before the dot).
  public var chapter: Int
  /// The exercise number within its chapter.
  public var number: Int
  /// The title from the marker.
  public var title: String
  /// The points it is worth.
  public var points: Int
  /// Where its reference solution lives.
  public var region: Region

  /// `1.2`.
  public var id: String { "\(chapter).\(number)" }

  /// The pattern (a regular expression on Swift Testing test IDs) that selects its tests:
  /// every test in a suite whose type name starts with `Ch01Ex2` followed by a capital
  /// letter, such as `Ch01Ex2Tanh`.
  public var testFilter: String {
    "\\.\(Self.suitePrefix(chapter: chapter, number: number))[A-Z]"
  }

  /// `Ch01Ex2`.
  public static func suitePrefix(chapter: Int, number: Int) -> String {
    "Ch" + (chapter < 10 ? "0" : "") + "\(chapter)Ex\(number)"
  }
}

/// Finds the marked regions of source files.
public enum RegionParser {
  private static let listingBegin = try! NSRegularExpression(
    pattern: #"^\s*// listing: ([A-Za-z0-9_.-]+)\s*$"#)
  private static let listingEnd = try! NSRegularExpression(
    pattern: #"^\s*// end listing: ([A-Za-z0-9_.-]+)\s*$"#)
  private static let exerciseBegin = try! NSRegularExpression(
    pattern: #"^(\s*)// exercise ([0-9]+)\.([0-9]+)(?: \(([0-9]+) points?\))?: (.+?)\s*$"#)
  private static let exerciseEnd = try! NSRegularExpression(
    pattern: #"^\s*// end exercise ([0-9]+)\.([0-9]+)\s*$"#)
  private static let sinceBegin = try! NSRegularExpression(
    pattern: #"^(\s*)// since chapter ([0-9]+): (.+?)\s*$"#)
  private static let sinceEnd = try! NSRegularExpression(
    pattern: #"^\s*// end since chapter ([0-9]+)\s*$"#)
  /// Anything that looks like a marker but is not well-formed is an error, not silence.
  private static let markerLike = try! NSRegularExpression(
    pattern: #"^\s*//\s*(end\s+)?(listing|exercise|since chapter)\b"#)

  /// The default points of an exercise.
  public static let defaultPoints = 10

  /// The regions of one file; throws on a dangling, unbalanced or malformed marker.
  public static func regions(in text: String, file: String) throws -> [Region] {
    let lines = text.components(separatedBy: "\n")
    var open: [Region] = []
    var done: [Region] = []
    for (i, line) in lines.enumerated() {
      let location = "\(file):\(i + 1)"
      if let m = match(listingBegin, line) {
        if open.contains(where: { $0.kind == .listing && $0.name == m[1] }) {
          throw BookError("\(location): listing '\(m[1])' opened twice")
        }
        open.append(
          Region(
            kind: .listing, name: m[1], title: "", points: 0, file: file, begin: i, end: -1,
            indent: leadingWhitespace(line)))
      } else if let m = match(listingEnd, line) {
        guard let last = open.last, last.kind == .listing, last.name == m[1] else {
          throw BookError(
            "\(location): '// end listing: \(m[1])' does not close the innermost open region"
              + (open.last.map { " (that is \($0.kind) '\($0.name)')" } ?? " (none is open)"))
        }
        var region = open.removeLast()
        region.end = i
        done.append(region)
      } else if let m = match(exerciseBegin, line) {
        if open.contains(where: { $0.kind == .exercise }) {
          throw BookError("\(location): exercise \(m[2]).\(m[3]) opens inside another exercise")
        }
        open.append(
          Region(
            kind: .exercise, name: "\(m[2]).\(m[3])", title: m[5],
            points: Int(m[4]) ?? defaultPoints, file: file, begin: i, end: -1,
            indent: m[1]))
      } else if let m = match(exerciseEnd, line) {
        let name = "\(m[1]).\(m[2])"
        guard let last = open.last, last.kind == .exercise, last.name == name else {
          throw BookError(
            "\(location): '// end exercise \(name)' does not close the innermost open region"
              + (open.last.map { " (that is \($0.kind) '\($0.name)')" } ?? " (none is open)"))
        }
        var region = open.removeLast()
        region.end = i
        done.append(region)
      } else if let m = match(sinceBegin, line) {
        if open.contains(where: { if case .since = $0.kind { return true } else { return false } })
        {
          throw BookError("\(location): 'since chapter' opens inside another one")
        }
        open.append(
          Region(
            kind: .since(Int(m[2])!), name: "since \(m[2])", title: m[3], points: 0, file: file,
            begin: i, end: -1, indent: m[1]))
      } else if let m = match(sinceEnd, line) {
        guard let last = open.last, last.kind == .since(Int(m[1])!) else {
          throw BookError(
            "\(location): '// end since chapter \(m[1])' does not close the innermost open region"
              + (open.last.map { " (that is \($0.kind) '\($0.name)')" } ?? " (none is open)"))
        }
        var region = open.removeLast()
        region.end = i
        done.append(region)
      } else if match(markerLike, line) != nil {
        throw BookError(
          "\(location): malformed marker '\(line.trimmingCharacters(in: .whitespaces))'; "
            + "expected '// listing: NAME', '// end listing: NAME', "
            + "'// exercise C.N: TITLE', '// end exercise C.N', '// since chapter N: NOTE' "
            + "or '// end since chapter N'")
      }
    }
    if let unclosed = open.last {
      throw BookError(
        "\(file):\(unclosed.begin + 1): \(unclosed.kind) '\(unclosed.name)' is never closed")
    }
    return done.sorted { $0.begin < $1.begin }
  }

  /// The exercises among `regions`, checked for duplicate numbers.
  public static func exercises(in regions: [Region]) throws -> [Exercise] {
    var seen: [String: Region] = [:]
    var result: [Exercise] = []
    for region in regions where region.kind == .exercise {
      if let other = seen[region.name] {
        throw BookError(
          "exercise \(region.name) is defined twice: \(other.file):\(other.begin + 1) "
            + "and \(region.file):\(region.begin + 1)")
      }
      seen[region.name] = region
      let parts = region.name.split(separator: ".").compactMap { Int($0) }
      result.append(
        Exercise(
          chapter: parts[0], number: parts[1], title: region.title, points: region.points,
          region: region))
    }
    return result.sorted { ($0.chapter, $0.number) < ($1.chapter, $1.number) }
  }

  /// The stub that replaces an exercise's solution in the reader edition and in listings.
  public static func stub(for region: Region) -> [String] {
    [
      "\(region.indent)// Exercise \(region.name): \(region.title). Replace this line with your code.",
      "\(region.indent)fatalError(\"Exercise \(region.name) is not done yet: "
        + "\(region.title.replacingOccurrences(of: "\"", with: "'"))\")",
    ]
  }

  static func match(_ regex: NSRegularExpression, _ line: String) -> [String]? {
    let range = NSRange(line.startIndex..., in: line)
    guard let m = regex.firstMatch(in: line, range: range) else { return nil }
    return (0..<m.numberOfRanges).map { i in
      Range(m.range(at: i), in: line).map { String(line[$0]) } ?? ""
    }
  }

  static func leadingWhitespace(_ line: String) -> String {
    String(line.prefix { $0 == " " || $0 == "\t" })
  }
}
