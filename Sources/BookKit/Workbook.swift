import Foundation

/// The reader edition: a full copy of the package with every exercise's solution replaced
/// by a stub that says which exercise it is.
public enum Workbook {
  /// The file at the root of a reader edition that marks it as one.
  public static let markerFile = "READER-EDITION.md"

  /// Whether `root` is a reader edition.
  public static func isReaderEdition(_ root: URL) -> Bool {
    FileManager.default.fileExists(atPath: root.appendingPathComponent(markerFile).path)
  }

  /// The source lines of `lines` with each exercise region's body replaced by its stub.
  public static func stubbed(_ lines: [String], regions: [Region]) -> [String] {
    var out: [String] = []
    var i = 0
    while i < lines.count {
      if let exercise = regions.first(where: { $0.kind == .exercise && $0.begin == i }) {
        out.append(lines[exercise.begin])
        out += RegionParser.stub(for: exercise)
        out.append(lines[exercise.end])
        i = exercise.end + 1
      } else {
        out.append(lines[i])
        i += 1
      }
    }
    return out
  }

  /// The package's files: what git tracks plus new files it does not ignore.
  static func packageFiles(_ root: URL) throws -> [String] {
    let result = try Shell.run(
      ["git", "ls-files", "--cached", "--others", "--exclude-standard"], in: root)
    guard result.status == 0 else {
      throw BookError("git ls-files failed in \(root.path): \(result.output)")
    }
    return result.output.split(separator: "\n").map(String.init)
      .filter { FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path) }
  }

  /// Writes the reader edition of `project` into `destination`, replacing what was there
  /// (but refusing to replace a folder that is not a reader edition).
  public static func write(_ project: Project, to destination: URL) throws {
    let fm = FileManager.default
    if fm.fileExists(atPath: destination.path) {
      guard isReaderEdition(destination) else {
        throw BookError(
          "\(destination.path) exists and is not a reader edition (no \(markerFile)); "
            + "not overwriting it")
      }
      try fm.removeItem(at: destination)
    }
    for file in try packageFiles(project.root) {
      let target = destination.appendingPathComponent(file)
      try fm.createDirectory(
        at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
      try fm.copyItem(at: project.root.appendingPathComponent(file), to: target)
    }
    for (file, regions) in project.regions where regions.contains(where: { $0.kind == .exercise }) {
      let lines = stubbed(project.sourceLines[file]!, regions: regions)
      try lines.joined(separator: "\n").write(
        to: destination.appendingPathComponent(file), atomically: true, encoding: .utf8)
    }
    let exercises = try project.exercises()
    let list = exercises.map {
      "- Exercise \($0.id) (\($0.points) points): \($0.title) — `\($0.region.file)`"
    }
    let readme = """
      # Gradbook — reader edition

      This is your copy of the workbook. Every exercise's solution has been replaced by a stub
      that stops the program with a message naming the exercise. Fill them in, chapter by chapter:

      \(list.joined(separator: "\n"))

      Then run `make check` here: it builds, runs each exercise's tests in its own process and
      prints your gradebook. An exercise still holding its stub fails only itself.

      """
    try readme.write(
      to: destination.appendingPathComponent(markerFile), atomically: true, encoding: .utf8)
  }

  /// Lines of solution text that appear in the reader edition at `readerRoot`.
  ///
  /// A solution line is a non-blank line of an exercise region that appears nowhere in the
  /// reference sources or tests outside exercise regions (so `}` or `return result` do not
  /// count);
  /// every such line is looked for in every Swift and Markdown file of the reader edition.
  public static func leaks(of project: Project, in readerRoot: URL) throws -> [String] {
    var inside: [String: String] = [:]  // trimmed line -> exercise
    var outside: Set<String> = []
    for (file, lines) in project.sourceLines {
      let exercises = (project.regions[file] ?? []).filter { $0.kind == .exercise }
      for (i, line) in lines.enumerated() {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { continue }
        if let exercise = exercises.first(where: { $0.begin < i && i < $0.end }) {
          inside[trimmed] = exercise.name
        } else {
          outside.insert(trimmed)
        }
      }
    }
    // The tests ship with both editions, so a line they contain gives nothing away.
    for file in try Project.files(under: ["Tests"], root: project.root, ext: "swift") {
      let text = try String(contentsOf: project.root.appendingPathComponent(file), encoding: .utf8)
      for line in text.components(separatedBy: "\n") {
        outside.insert(line.trimmingCharacters(in: .whitespaces))
      }
    }
    let solutionLines = inside.filter { !outside.contains($0.key) }
    var leaks: [String] = []
    let readerFiles =
      try Project.files(
        under: ["Sources", "Chapters", "Tests", "book"], root: readerRoot, ext: "swift")
      + Project.files(under: ["Chapters", "book"], root: readerRoot, ext: "md")
    for file in readerFiles where !file.hasPrefix("book/site/") {
      let text = try String(contentsOf: readerRoot.appendingPathComponent(file), encoding: .utf8)
      for (i, line) in text.components(separatedBy: "\n").enumerated() {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if let exercise = solutionLines[trimmed] {
          leaks.append("\(file):\(i + 1): solution text of exercise \(exercise): \(trimmed)")
        }
      }
    }
    return leaks.sorted()
  }
}
