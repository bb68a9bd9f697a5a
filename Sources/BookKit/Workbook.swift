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

  /// The package's files: what git tracks plus new files it does not ignore; outside a git
  /// checkout (a downloaded archive), every file but the build and rendered folders.
  static func packageFiles(_ root: URL) throws -> [String] {
    let fm = FileManager.default
    if fm.fileExists(atPath: root.appendingPathComponent(".git").path) {
      let result = try Shell.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"], in: root)
      guard result.status == 0 else {
        throw BookError("git ls-files failed in \(root.path): \(result.output)")
      }
      return result.output.split(separator: "\n").map(String.init)
        .filter { fm.fileExists(atPath: root.appendingPathComponent($0).path) }
    }
    let skipped: Set<String> = [
      ".build", ".git", ".gradbook", ".peers", ".swiftpm", "reader-edition", "data",
    ]
    var files: [String] = []
    let rootPath = root.standardizedFileURL.path
    guard let walker = fm.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
    else { return [] }
    for case let url as URL in walker {
      let path = String(url.standardizedFileURL.path.dropFirst(rootPath.count + 1))
      if skipped.contains(path) || path == "book/site" || path == "Package.resolved" {
        walker.skipDescendants()
        continue
      }
      if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
        files.append(path)
      }
    }
    return files.sorted()
  }

  /// The file under a reader edition's root that records what the book tool wrote there:
  /// each file's hash with every exercise holding its stub, so that a later update can tell
  /// the reader's changes from the book's.
  public static let manifestFile = ".gradbook/edition.json"

  /// What writing or updating a reader edition did.
  public struct Report: Equatable, Sendable {
    /// Whether the edition was created (it did not exist).
    public var created = false
    /// Exercises whose solution (anything but the stub) the reader had written and that
    /// were kept in place.
    public var keptExercises: [String] = []
    /// Solved exercises that the new book no longer has, saved to the backup folder.
    public var orphanedExercises: [String] = []
    /// Files the book changed and the update rewrote.
    public var refreshedFiles: [String] = []
    /// Files the reader had changed outside the exercises: copied to the backup folder
    /// before they were refreshed or removed.
    public var savedFiles: [String] = []
    /// Files the new book no longer has, removed (after a copy, if the reader changed them).
    public var removedFiles: [String] = []
    /// Files left as they were because their exercise markers no longer parse (the reader
    /// removed or changed one): the book cannot tell the reader's solutions apart there.
    public var untouchedFiles: [String] = []
    /// Where copies of the reader's changes went (relative to the edition), if anywhere.
    public var backupFolder: String?

    /// What happened, in sentences for the reader.
    public var summary: [String] {
      var lines: [String] = []
      if !keptExercises.isEmpty {
        lines.append(
          "kept your work in \(keptExercises.count) exercise"
            + (keptExercises.count == 1 ? "" : "s") + ": "
            + keptExercises.joined(separator: ", "))
      }
      if !refreshedFiles.isEmpty {
        lines.append(
          "refreshed \(refreshedFiles.count) file\(refreshedFiles.count == 1 ? "" : "s") "
            + "from the book: " + Self.list(refreshedFiles))
      }
      if !removedFiles.isEmpty {
        lines.append(
          "removed \(removedFiles.count) file(s) the book no longer has: "
            + Self.list(removedFiles))
      }
      if let backupFolder, !savedFiles.isEmpty || !orphanedExercises.isEmpty {
        if !savedFiles.isEmpty {
          lines.append(
            "you had changed \(Self.list(savedFiles)) outside the exercises: "
              + "your version is saved in \(backupFolder)/")
        }
        if !orphanedExercises.isEmpty {
          lines.append(
            "the book no longer has exercise(s) \(orphanedExercises.joined(separator: ", ")): "
              + "your solutions are saved in \(backupFolder)/")
        }
      }
      if !untouchedFiles.isEmpty {
        lines.append(
          "left \(Self.list(untouchedFiles)) as they were: their exercise markers "
            + "(// exercise C.N … // end exercise C.N) no longer parse; restore them and update again"
        )
      }
      if lines.isEmpty && !created { lines.append("already up to date; nothing changed") }
      return lines
    }

    static func list(_ files: [String]) -> String {
      files.count <= 6
        ? files.joined(separator: ", ")
        : files.prefix(5).joined(separator: ", ") + " and \(files.count - 5) more"
    }
  }

  /// Writes the reader edition of `project` into `destination`, or updates the one there.
  ///
  /// A reader edition belongs to its reader, so an update loses nothing: every exercise the
  /// reader changed from its stub keeps the reader's code (in the new book's version of its
  /// file); a file the reader changed outside the exercises is copied to
  /// `.gradbook/kept/DATE/` before the book's version replaces it; files the reader added,
  /// and the build folder, are left alone. A folder that is not a reader edition is never
  /// touched.
  @discardableResult
  public static func write(
    _ project: Project, to destination: URL, now: Date = Date()
  ) throws -> Report {
    let fm = FileManager.default
    var report = Report()
    if fm.fileExists(atPath: destination.path) {
      guard isReaderEdition(destination) else {
        throw BookError(
          "\(destination.path) exists and is not a reader edition (no \(markerFile)); "
            + "not touching it")
      }
    } else {
      report.created = true
    }

    // The new edition, every exercise holding its stub.
    var fresh: [String: Data] = [:]
    for file in try packageFiles(project.root) {
      fresh[file] = try Data(contentsOf: project.root.appendingPathComponent(file))
    }
    for (file, regions) in project.regions where regions.contains(where: { $0.kind == .exercise }) {
      fresh[file] = Data(
        stubbed(project.sourceLines[file]!, regions: regions).joined(separator: "\n").utf8)
    }
    // The mistake catalogues, without the reference text their patches quote.
    for (file, data) in fresh
    where file.hasPrefix("Chapters/") && file.hasSuffix("/" + Mistake.fileName) {
      guard let copy = MistakeCatalogue.readerCopy(of: data) else {
        throw BookError("\(file): not a mistake catalogue")
      }
      fresh[file] = copy
    }
    let exercises = try project.exercises()
    fresh[markerFile] = Data(readerReadme(exercises).utf8)
    if let readme = fresh["README.md"] {
      fresh["README.md"] = Data(readerBanner.utf8) + readme
    }

    // What the reader has: solved exercises, and each file with its exercises reset to stubs.
    let manifest = report.created ? [:] : readManifest(destination)
    var solved: [String: (region: Region, body: [String])] = [:]
    var unreadable: Set<String> = []
    if !report.created {
      for file in try Project.files(
        under: ["Sources", "Chapters"], root: destination, ext: "swift")
      {
        let text = try String(
          contentsOf: destination.appendingPathComponent(file), encoding: .utf8)
        guard let regions = try? RegionParser.regions(in: text, file: file) else {
          unreadable.insert(file)
          continue
        }
        let lines = text.components(separatedBy: "\n")
        for region in regions where region.kind == .exercise {
          let body = Array(lines[(region.begin + 1)..<region.end])
          if body != RegionParser.stub(for: region) { solved[region.name] = (region, body) }
        }
      }
    }

    var backup: URL? = nil
    func saveCopy(of file: String) throws {
      if backup == nil {
        let stamp = DateFormatter()
        stamp.dateFormat = "yyyyMMdd-HHmmss"
        stamp.timeZone = TimeZone(identifier: "UTC")
        report.backupFolder = ".gradbook/kept/\(stamp.string(from: now))"
        backup = destination.appendingPathComponent(report.backupFolder!)
      }
      let target = backup!.appendingPathComponent(file)
      try fm.createDirectory(
        at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
      if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
      try fm.copyItem(at: destination.appendingPathComponent(file), to: target)
      report.savedFiles.append(file)
    }
    /// The reader's file as the tool would have written it: exercises back to their stubs.
    func normalized(_ file: String) -> Data? {
      let url = destination.appendingPathComponent(file)
      guard let data = try? Data(contentsOf: url) else { return nil }
      guard file.hasSuffix(".swift"), !unreadable.contains(file),
        let text = String(data: data, encoding: .utf8),
        let regions = try? RegionParser.regions(in: text, file: file),
        regions.contains(where: { $0.kind == .exercise })
      else { return data }
      return Data(
        stubbed(text.components(separatedBy: "\n"), regions: regions)
          .joined(separator: "\n").utf8)
    }
    /// Whether the reader changed `file` outside its exercises since the tool wrote it.
    func readerChanged(_ file: String, comparedWith book: Data) -> Bool {
      guard let current = normalized(file) else { return false }
      if let written = manifest[file] { return hash(current) != written }
      return current != book  // no record (an edition older than the record): be careful
    }

    // Before anything is rewritten: copies of solved exercises the new book does not have,
    // and of files whose markers the reader broke (their solutions cannot be picked out).
    let ids = Set(exercises.map(\.id))
    for (id, mine) in solved.sorted(by: { $0.key < $1.key }) where !ids.contains(id) {
      if !report.savedFiles.contains(mine.region.file) { try saveCopy(of: mine.region.file) }
      report.orphanedExercises.append(id)
    }
    report.untouchedFiles = unreadable.sorted()

    var written: [String: String] = [:]
    for file in fresh.keys.sorted() {
      let book = fresh[file]!
      written[file] = hash(book)
      if unreadable.contains(file) { continue }  // the reader's markers are broken: hands off
      var content = book
      if let regions = project.regions[file], regions.contains(where: { $0.kind == .exercise }) {
        var lines = stubbed(project.sourceLines[file]!, regions: regions)
        // Put the reader's solutions back, bottom up so that line numbers stay valid.
        let stubbedRegions =
          (try? RegionParser.regions(in: lines.joined(separator: "\n"), file: file)) ?? []
        for region in stubbedRegions.reversed() where region.kind == .exercise {
          guard let mine = solved[region.name] else { continue }
          lines.replaceSubrange((region.begin + 1)..<region.end, with: mine.body)
          report.keptExercises.append(region.name)
        }
        content = Data(lines.joined(separator: "\n").utf8)
      }
      let url = destination.appendingPathComponent(file)
      let current = try? Data(contentsOf: url)
      if current == content { continue }
      if current != nil {
        if readerChanged(file, comparedWith: book), !report.savedFiles.contains(file) {
          try saveCopy(of: file)
        }
        if normalized(file) != book { report.refreshedFiles.append(file) }
      }
      try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try content.write(to: url, options: .atomic)
    }
    // Files of the old book that the new one no longer has.
    for (file, recorded) in manifest.sorted(by: { $0.key < $1.key }) where fresh[file] == nil {
      guard let current = normalized(file) else { continue }
      if hash(current) != recorded, !report.savedFiles.contains(file) { try saveCopy(of: file) }
      try fm.removeItem(at: destination.appendingPathComponent(file))
      report.removedFiles.append(file)
    }
    report.keptExercises.sort { $0.localizedStandardCompare($1) == .orderedAscending }
    report.savedFiles.sort()

    let manifestURL = destination.appendingPathComponent(manifestFile)
    try fm.createDirectory(
      at: manifestURL.deletingLastPathComponent(), withIntermediateDirectories: true)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(written).write(to: manifestURL, options: .atomic)
    return report
  }

  /// Where the book tool proves a reader edition (`make check`): a scratch folder of its
  /// own under the build folder, never the reader's `reader-edition/`.
  public static let scratchFolder = ".build/reader-edition-check"

  /// Writes a fresh reader edition into `scratch`, a folder the book tool owns (its own
  /// checks), deleting whatever else is there except the build folder, which it reuses.
  public static func writeScratch(_ project: Project, to scratch: URL) throws {
    let fm = FileManager.default
    if fm.fileExists(atPath: scratch.path) {
      for item in try fm.contentsOfDirectory(atPath: scratch.path) where item != ".build" {
        try fm.removeItem(at: scratch.appendingPathComponent(item))
      }
      try readerReadme([]).write(
        to: scratch.appendingPathComponent(markerFile), atomically: true, encoding: .utf8)
    }
    try write(project, to: scratch)
  }

  /// The hashes a reader edition's record holds, by file (empty when there is none).
  static func readManifest(_ destination: URL) -> [String: String] {
    let url = destination.appendingPathComponent(manifestFile)
    guard let data = try? Data(contentsOf: url),
      let manifest = try? JSONDecoder().decode([String: String].self, from: data)
    else { return [:] }
    return manifest
  }

  /// A 64-bit FNV-1a hash: enough to notice that a file changed (not a security measure).
  static func hash(_ data: Data) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in data {
      h ^= UInt64(byte)
      h = h &* 0x100_0000_01b3
    }
    return String(h, radix: 16)
  }

  /// What the reader edition's copy of the book's README says first.
  static let readerBanner = """
    > **This is your reader edition of Gradbook.** Start with `READER-EDITION.md`: it lists
    > the exercises. Here `make check` grades them. The chapters' programs (and `make book`)
    > stop at the first exercise stub they reach, so run a chapter's program once its
    > exercises are done. The rest of this page describes the book's own repository.

    """

  /// The reader edition's front page, listing its exercises.
  static func readerReadme(_ exercises: [Exercise]) -> String {
    let list = exercises.map {
      "- Exercise \($0.id) (\($0.points) points): \($0.title) — `\($0.region.file)`"
    }
    return """
      # Gradbook — reader edition

      This is your copy of the workbook. Every exercise's solution has been replaced by a stub
      that stops the program with a message naming the exercise. Fill them in, chapter by chapter:

      \(list.joined(separator: "\n"))

      Each exercise is explained in its chapter (`Chapters/NN-name/README.md`, or the book's
      site), right above the listing that holds its stub.

      Then run `make check` here: it builds, runs each exercise's tests in its own process and
      prints your gradebook — under each exercise not done, the first thing its tests found
      wrong and, when they fail the way a classic mistake makes them fail, which mistake it
      looks like and where the chapter explains it — and your score. An unfinished exercise fails itself and only the exercises whose
      tests build on it (the gradebook says "needs N.M" there). To run one exercise's tests
      alone while you work, say exercise 1.2: `swift test --disable-xctest --filter Ch01Ex2`.
      A chapter's program stops at the first stub it reaches, so run it once its exercises
      are done.

      Your work is yours: when the book gets a new version, update the repository this edition
      was made from (`git pull`) and run `make workbook` again there. It keeps every exercise
      you changed, refreshes the rest, copies any other file you changed to
      `.gradbook/kept/` before replacing it, and says what it did.

      """
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
