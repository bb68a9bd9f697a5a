import Foundation
import Testing

@testable import BookKit

/// A tiny book with two exercises, in a scratch folder (not a git checkout).
private func tinyBook(_ scratch: Scratch, secondTitle: String = "Halve", extra: String = "")
  throws
{
  try scratch.write(
    "Sources/M/Ops.swift",
    """
    func double(_ x: Int) -> Int {
      // exercise 1.1: Double
      return 2 * x
      // end exercise 1.1
    }

    func halve(_ x: Int) -> Int {
      // exercise 1.2: \(secondTitle)
      return x / 2
      // end exercise 1.2
    }
    \(extra)
    """)
  try scratch.write("Sources/M/Notes.swift", "// notes of the book\n")
  try scratch.write("Package.swift", "// a manifest\n")
}

/// The reader's solution of exercise 1.1, differing from the reference on purpose.
private let mySolution = "  return x + x  // mine"

private func solveExercise11(in edition: URL) throws {
  let url = edition.appendingPathComponent("Sources/M/Ops.swift")
  let text = try String(contentsOf: url, encoding: .utf8)
  let lines = text.components(separatedBy: "\n")
  let begin = lines.firstIndex { $0.contains("// exercise 1.1") }!
  var out = lines
  out.replaceSubrange((begin + 1)...(begin + 2), with: [mySolution])
  try out.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
}

@Suite("Workbook: the reader edition never loses a reader's work")
struct WorkbookTests {
  @Test("solve, then make the workbook again: the solution and the build folder stay")
  func solveThenRebuild() throws {
    let book = try Scratch()
    defer { book.remove() }
    try tinyBook(book)
    let edition = book.root.appendingPathComponent("reader-edition")
    let first = try Workbook.write(Project(root: book.root), to: edition)
    #expect(first.created)
    let stubbed = try String(
      contentsOf: edition.appendingPathComponent("Sources/M/Ops.swift"), encoding: .utf8)
    #expect(stubbed.contains("Exercise 1.1 is not done yet") && !stubbed.contains("2 * x"))

    try solveExercise11(in: edition)
    let buildFile = edition.appendingPathComponent(".build/artifact")
    try FileManager.default.createDirectory(
      at: buildFile.deletingLastPathComponent(), withIntermediateDirectories: true)
    try "built".write(to: buildFile, atomically: true, encoding: .utf8)

    let second = try Workbook.write(Project(root: book.root), to: edition)
    #expect(!second.created)
    #expect(second.keptExercises == ["1.1"])
    #expect(second.refreshedFiles.isEmpty && second.savedFiles.isEmpty)
    let after = try String(
      contentsOf: edition.appendingPathComponent("Sources/M/Ops.swift"), encoding: .utf8)
    #expect(after.contains(mySolution))
    #expect(after.contains("Exercise 1.2 is not done yet"))
    #expect(FileManager.default.fileExists(atPath: buildFile.path))
  }

  @Test("a newer book: solved regions kept, the rest refreshed, the reader's other edits saved")
  func updateToNewerBook() throws {
    let book = try Scratch()
    defer { book.remove() }
    try tinyBook(book)
    let edition = book.root.appendingPathComponent("reader-edition")
    try Workbook.write(Project(root: book.root), to: edition)
    try solveExercise11(in: edition)
    // The reader also edits a file outside the exercises and adds one of their own.
    try "// my notes\n".write(
      to: edition.appendingPathComponent("Sources/M/Notes.swift"), atomically: true,
      encoding: .utf8)
    try "// mine alone\n".write(
      to: edition.appendingPathComponent("Sources/M/Mine.swift"), atomically: true,
      encoding: .utf8)

    // The book moves on: exercise 1.2 is renamed, code is added, Notes changes.
    try tinyBook(book, secondTitle: "Halve, rounding down", extra: "let added = 1")
    try book.write("Sources/M/Notes.swift", "// notes of the second printing\n")
    let report = try Workbook.write(
      Project(root: book.root), to: edition, now: Date(timeIntervalSince1970: 0))
    #expect(report.keptExercises == ["1.1"])
    #expect(
      Set(report.refreshedFiles) == [
        "READER-EDITION.md", "Sources/M/Ops.swift", "Sources/M/Notes.swift",
      ])
    #expect(report.savedFiles == ["Sources/M/Notes.swift"])
    #expect(report.backupFolder == ".gradbook/kept/19700101-000000")

    let ops = try String(
      contentsOf: edition.appendingPathComponent("Sources/M/Ops.swift"), encoding: .utf8)
    #expect(ops.contains(mySolution) && ops.contains("let added = 1"))
    #expect(ops.contains("// exercise 1.2: Halve, rounding down"))
    #expect(
      try String(
        contentsOf: edition.appendingPathComponent("Sources/M/Notes.swift"), encoding: .utf8)
        == "// notes of the second printing\n")
    #expect(
      try String(
        contentsOf: edition.appendingPathComponent(
          ".gradbook/kept/19700101-000000/Sources/M/Notes.swift"), encoding: .utf8)
        == "// my notes\n")
    #expect(
      try String(
        contentsOf: edition.appendingPathComponent("Sources/M/Mine.swift"), encoding: .utf8)
        == "// mine alone\n")
    #expect(report.summary.joined().contains("kept your work in 1 exercise: 1.1"))
  }

  @Test("a solved exercise the new book dropped is saved; broken markers leave a file alone")
  func orphansAndBrokenMarkers() throws {
    let book = try Scratch()
    defer { book.remove() }
    try tinyBook(book)
    let edition = book.root.appendingPathComponent("reader-edition")
    try Workbook.write(Project(root: book.root), to: edition)
    try solveExercise11(in: edition)

    // The book drops exercise 1.1 (its code stays, unmarked).
    try book.write(
      "Sources/M/Ops.swift",
      "func double(_ x: Int) -> Int { 2 * x }\n\nfunc halve(_ x: Int) -> Int {\n"
        + "  // exercise 1.2: Halve\n  return x / 2\n  // end exercise 1.2\n}\n")
    let report = try Workbook.write(Project(root: book.root), to: edition)
    #expect(report.orphanedExercises == ["1.1"])
    let kept = edition.appendingPathComponent("\(report.backupFolder!)/Sources/M/Ops.swift")
    #expect(try String(contentsOf: kept, encoding: .utf8).contains(mySolution))

    // A reader who deletes an end marker: the file is left exactly as it is.
    let ops = edition.appendingPathComponent("Sources/M/Ops.swift")
    let broken = try String(contentsOf: ops, encoding: .utf8)
      .replacingOccurrences(of: "  // end exercise 1.2\n", with: "")
    try broken.write(to: ops, atomically: true, encoding: .utf8)
    let again = try Workbook.write(Project(root: book.root), to: edition)
    #expect(again.untouchedFiles == ["Sources/M/Ops.swift"])
    #expect(try String(contentsOf: ops, encoding: .utf8) == broken)
  }

  @Test("a folder that is not a reader edition is never touched")
  func refusesOtherFolders() throws {
    let book = try Scratch()
    defer { book.remove() }
    try tinyBook(book)
    let other = book.root.appendingPathComponent("reader-edition")
    try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
    try "precious".write(
      to: other.appendingPathComponent("thesis.txt"), atomically: true, encoding: .utf8)
    #expect(throws: BookError.self) { try Workbook.write(Project(root: book.root), to: other) }
    #expect(
      try String(contentsOf: other.appendingPathComponent("thesis.txt"), encoding: .utf8)
        == "precious")
  }
}

@Suite("Workbook: the tool's own checks use a scratch folder")
struct WorkbookScratchTests {
  @Test("make check's proof writes to its scratch folder, afresh, and leaves the reader's alone")
  func scratch() throws {
    #expect(Workbook.scratchFolder.hasPrefix(".build/"))
    let book = try Scratch()
    defer { book.remove() }
    try tinyBook(book)
    let project = try Project(root: book.root)
    let mine = book.root.appendingPathComponent("reader-edition")
    try Workbook.write(project, to: mine)
    try solveExercise11(in: mine)

    let scratch = book.root.appendingPathComponent(Workbook.scratchFolder)
    try Workbook.writeScratch(project, to: scratch)
    try solveExercise11(in: scratch)  // something left over from an earlier check
    try FileManager.default.createDirectory(
      at: scratch.appendingPathComponent(".build"), withIntermediateDirectories: true)
    try Workbook.writeScratch(project, to: scratch)
    let proof = try String(
      contentsOf: scratch.appendingPathComponent("Sources/M/Ops.swift"), encoding: .utf8)
    #expect(!proof.contains(mySolution) && proof.contains("Exercise 1.1 is not done yet"))
    #expect(FileManager.default.fileExists(atPath: scratch.appendingPathComponent(".build").path))
    let reader = try String(
      contentsOf: mine.appendingPathComponent("Sources/M/Ops.swift"), encoding: .utf8)
    #expect(reader.contains(mySolution))
  }
}

@Suite("Gradebook: what a reader sees")
struct GradebookReaderTests {
  @Test("the first failed expectation, else the fatal error, is picked out of a test log")
  func firstFailure() {
    let log = """
      ◇ Test "a" started.
      ✘ Test "a" recorded an issue at ExerciseTests.swift:12:5: Expectation failed: (x → 3) == 4
      ✘ Test "b" recorded an issue at ExerciseTests.swift:20:5: Expectation failed: later
      """
    #expect(
      Gradebook.firstFailure(in: log)
        == "ExerciseTests.swift:12:5: Expectation failed: (x → 3) == 4")
    let crash = "◇ Test \"a\" started.\nScalar/Value.swift:19: Fatal error: Index out of range\n"
    #expect(Gradebook.firstFailure(in: crash) == "Value.swift:19: Fatal error: Index out of range")
    #expect(Gradebook.firstFailure(in: "✔ Test \"a\" passed after 0.1 seconds.") == nil)
  }

  @Test("rows show why an exercise is not done; long chapter titles are not cut")
  func reasons() {
    let failed = Grade(
      exercise: "4.2", chapter: 4, title: "Hessian-vector product", tests: 3, passed: 1,
      exitStatus: 1, crashed: false, points: 10,
      firstFailure: "ExerciseTests.swift:9:5: Expectation failed: (hvp → [0]) == [2]")
    let stub = Grade(
      exercise: "4.3", chapter: 4, title: "Newton", tests: 2, passed: 0, exitStatus: 1,
      crashed: true, isStub: true, points: 10)
    let table = Gradebook.table(
      [failed, stub], chapterTitles: [4: "Higher-order gradients and their uses"],
      places: ["4.3": "Sources/HigherOrder/Newton.swift:12"])
    #expect(table.contains("4 Higher-order gradients and their uses"))
    #expect(table.contains("↳ ExerciseTests.swift:9:5: Expectation failed: (hvp → [0]) == [2]"))
    #expect(table.contains("↳ not started: its stub is at Sources/HigherOrder/Newton.swift:12"))
  }
}
