import Foundation
import Testing

@testable import BookKit

/// A throwaway package layout in a temporary folder.
struct Scratch {
  let root: URL

  init() throws {
    root = FileManager.default.temporaryDirectory
      .appendingPathComponent("bookkit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
  }

  func write(_ path: String, _ text: String) throws {
    let url = root.appendingPathComponent(path)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
  }

  func read(_ path: String) throws -> String {
    try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
  }

  func remove() { try? FileManager.default.removeItem(at: root) }
}

@Suite("Project: sync, stale listings and dangling markers")
struct ProjectTests {
  let code = "// listing: two\nlet two = 2\n// end listing: two\n"

  @Test("chapters are the folders NN-name, in order, titled by their README's first line")
  func chapterFolders() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try scratch.write("Chapters/02-views/README.md", "# Chapter 2 — Views\n\nText.\n")
    try scratch.write("Chapters/01-start/README.md", "# Chapter 1 — A start\n")
    try scratch.write("Chapters/notes/README.md", "not a chapter\n")
    let chapters = try BookConfig.chapters(in: scratch.root)
    #expect(
      chapters == [
        .init(number: 1, folder: "01-start", title: "A start", executable: "ch01-start"),
        .init(number: 2, folder: "02-views", title: "Views", executable: "ch02-views"),
      ])
    try scratch.write("Chapters/03-bad/README.md", "# Views\n")
    #expect {
      try BookConfig.chapters(in: scratch.root)
    } throws: { "\($0)".contains("03-bad/README.md: a chapter's README.md opens with") }
  }

  @Test("a stale listing is found, rewritten by sync, then in sync")
  func staleThenSynced() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try scratch.write("Sources/M/A.swift", code)
    try scratch.write(
      "Chapters/01-x/README.md", "# X\n<!-- listing: Sources/M/A.swift#two -->\n```swift\n```\n")
    let project = try Project(root: scratch.root)
    let updates = try project.syncedMarkdown()
    #expect(updates.count == 1)
    #expect(updates[0].stale == ["Chapters/01-x/README.md:2: Sources/M/A.swift#two"])
    #expect(updates[0].text.contains("```swift\nlet two = 2\n```"))
    try scratch.write(updates[0].file, updates[0].text)
    #expect(try Project(root: scratch.root).syncedMarkdown().isEmpty)

    // Editing the marked region makes the listing stale again.
    try scratch.write("Sources/M/A.swift", code.replacingOccurrences(of: "2", with: "3"))
    #expect(try Project(root: scratch.root).syncedMarkdown().count == 1)
  }

  @Test("a listing region that no chapter shows is a dangling marker")
  func danglingRegion() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try scratch.write("Sources/M/A.swift", code)
    try scratch.write("Chapters/01-x/README.md", "# X\n")
    #expect {
      try Project(root: scratch.root).syncedMarkdown()
    } throws: { "\($0)".contains("listing 'two' is shown by no chapter") }
  }

  @Test("a reference to a missing region or file is an error")
  func missingRegion() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try scratch.write("Sources/M/A.swift", code)
    try scratch.write(
      "Chapters/01-x/README.md",
      "<!-- listing: Sources/M/A.swift#two -->\n```swift\n```\n"
        + "<!-- listing: Sources/M/A.swift#three -->\n```swift\n```\n")
    #expect {
      try Project(root: scratch.root).syncedMarkdown()
    } throws: { "\($0)".contains("no '// listing: three' region in Sources/M/A.swift") }
    try scratch.write(
      "Chapters/01-x/README.md", "<!-- listing: Sources/M/B.swift#two -->\n```swift\n```\n")
    #expect {
      try Project(root: scratch.root).syncedMarkdown()
    } throws: { "\($0)".contains("Sources/M/B.swift does not exist") }
  }
}

@Suite("Gradebook: reading Swift Testing's JUnit XML report")
struct GradebookTests {
  @Test("counts finished and passed test cases; the first failure names its test")
  func xunitReport() {
    let xml = """
      <?xml version="1.0" encoding="UTF-8"?>
      <testsuites>
        <testsuite name="TestResults" errors="0" tests="3" failures="1" time="0.01">
          <testcase classname="ScalarTests.Ch01Ex1" name="square()" time="0.001" />
          <testcase classname="ScalarTests.Ch01Ex1" name="cube()" time="0.001">
            <failure message="Expectation failed: (x &#8594; 2.0) == 3" />
            <failure message="a second issue" />
          </testcase>
          <testcase classname="ScalarTests.Ch01Ex1" name="chain()" time="0.001" />
        </testsuite>
      </testsuites>
      """
    #expect(
      Gradebook.report(xunit: Data(xml.utf8))
        == TestRunReport(
          finished: 3, passed: 2, firstFailure: "cube(): Expectation failed: (x → 2.0) == 3",
          failedTests: ["Ch01Ex1/cube()"]))
  }

  @Test("an empty run, and a file that is not a report")
  func xunitEdges() {
    let empty = #"<?xml version="1.0"?><testsuites><testsuite name="T" tests="0"/></testsuites>"#
    #expect(
      Gradebook.report(xunit: Data(empty.utf8))
        == TestRunReport(finished: 0, passed: 0, firstFailure: nil))
    #expect(Gradebook.report(xunit: Data("Fatal error: stub".utf8)) == nil)
    #expect(Gradebook.report(xunit: Data("<html></html>".utf8)) == nil)
  }

  @Test("an exercise is done only if some test ran, all passed, and the run succeeded")
  func done() {
    func grade(_ tests: Int, _ passed: Int, _ status: Int32) -> Grade {
      Grade(
        exercise: "1.1", chapter: 1, title: "t", tests: tests, passed: passed,
        exitStatus: status, crashed: status > 128, isStub: false, points: 10)
    }
    #expect(grade(2, 2, 0).isDone && grade(2, 2, 0).earned == 10)
    #expect(!grade(0, 0, 0).isDone, "a filter that matched nothing fails")
    #expect(!grade(2, 1, 1).isDone)
    #expect(!grade(1, 1, 134).isDone, "a crash after the last test fails")
  }

  @Test("the table lists every exercise and the totals")
  func table() {
    let grades = [
      Grade(
        exercise: "1.1", chapter: 1, title: "Multiply", tests: 2, passed: 2, exitStatus: 0,
        crashed: false, isStub: false, points: 10),
      Grade(
        exercise: "1.2", chapter: 1, title: "Tanh", tests: 1, passed: 0, exitStatus: 133,
        crashed: true, isStub: false, points: 10),
    ]
    var blocked = grades[1]
    blocked.exercise = "1.3"
    blocked.blockedBy = "1.1"
    #expect(Gradebook.table([blocked], chapterTitles: [:]).contains("needs 1.1"))
    let table = Gradebook.table(grades, chapterTitles: [1: "Scalar autodiff"])
    #expect(table.contains("1.1") && table.contains("passed") && table.contains("crashed"))
    #expect(table.contains("1 of 2 exercises done"))
    #expect(table.contains("10/20"))
  }
}

@Suite("Site: what the rendered chapters add to the Markdown")
struct SiteAnnotationTests {
  let code = """
    // listing: twice
    func twice(_ x: Int) -> Int {
      // exercise 1.1: Twice
      return 2 * x
      // end exercise 1.1
    }
    // end listing: twice
    """

  @Test("a listing gets its file as a caption and, in the reference edition, its answer")
  func captionAndAnswer() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try scratch.write("Sources/M/A.swift", code)
    try scratch.write(
      "Chapters/01-x/README.md", "# X\n<!-- listing: Sources/M/A.swift#twice -->\n```swift\n```\n")
    let project = try Project(root: scratch.root)
    for update in try project.syncedMarkdown() { try scratch.write(update.file, update.text) }
    let markdown = try scratch.read("Chapters/01-x/README.md")
    #expect(markdown.contains("Exercise 1.1 is not done yet"))  // the page shows the stub
    let page = try Site.annotatedChapter(
      markdown, file: "Chapters/01-x/README.md", project: project,
      sourceURL: "https://forge.example/blob/main/")
    #expect(
      page.contains(#"<a href="../sources/Sources/M/A.swift.txt""#)
        && page.contains(#">Sources/M/A.swift</a>, lines 2–6"#)
    )
    #expect(page.contains("https://forge.example/blob/main/Sources/M/A.swift#L2-L6"))
    #expect(page.contains("<summary>Show the answer to exercise 1.1: Twice</summary>"))
    #expect(page.contains("\n  return 2 * x\n") || page.contains("\nreturn 2 * x\n"))

    // A reader edition (the stub in the source) shows no answer.
    try scratch.write(
      "Sources/M/A.swift",
      Workbook.stubbed(
        code.components(separatedBy: "\n"),
        regions: try RegionParser.regions(in: code, file: "Sources/M/A.swift")
      ).joined(separator: "\n"))
    let readerPage = try Site.annotatedChapter(
      markdown, file: "Chapters/01-x/README.md", project: try Project(root: scratch.root),
      sourceURL: nil)
    #expect(!readerPage.contains("Show the answer") && readerPage.contains("listing-caption"))
  }

  @Test("an exercise that no shown listing contains is an error: the reader could not see it")
  func exerciseOutsideListings() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try scratch.write(
      "Sources/M/A.swift",
      "func f() -> Int {\n  // exercise 1.1: F\n  return 1\n  // end exercise 1.1\n}\n")
    try scratch.write("Chapters/01-x/README.md", "# X\n")
    #expect {
      try Project(root: scratch.root).syncedMarkdown()
    } throws: { "\($0)".contains("exercise 1.1 is inside no listing") }
  }

  @Test("a figure's image opens full size with a click")
  func enlargeable() {
    let html = #"<figure><img src="figures/tape.svg" alt="the tape" /><figcaption>x</figcaption>"#
    #expect(
      Site.enlargeableFigures(html).contains(
        #"<a class="enlarge" href="figures/tape.svg" title="Open the full-size figure"><img src="figures/tape.svg""#
      ))
  }
}

@Suite("The engine's house rules, checked on its own sources")
struct HouseRulesTests {
  /// The package root, from this file's place in it.
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  @Test("no code outside stage 2 touches storage pointers or switches on the dtype")
  func kernelsLiveInStageTwo() throws {
    let forbidden = try NSRegularExpression(
      pattern:
        #"\.storage\b|\.typed\(|Unsafe(Mutable)?(Raw)?(Buffer)?Pointer|contiguousStorage|Tensor\.make\(|inChunks\(|case \.float(32|64):"#
    )
    var offenders: [String] = []
    for stage in ["Broadcasting", "HigherOrder", "NN"] {
      for file in try Project.files(under: ["Sources/\(stage)"], root: root, ext: "swift") {
        let lines = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
          .components(separatedBy: "\n")
        for (i, line) in lines.enumerated()
        where forbidden.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil {
          offenders.append("\(file):\(i + 1): \(line.trimmingCharacters(in: .whitespaces))")
        }
      }
    }
    #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
  }

  @Test("the chapters are registered once: their folders, the manifest's table, the README")
  func chaptersInOneTable() throws {
    let chapters = try BookConfig.chapters(in: root)
    #expect(chapters.map(\.number) == Array(1...chapters.count))
    let manifest = try String(
      contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    for chapter in chapters {
      #expect(
        manifest.contains("(\"\(chapter.folder)\", \""),
        "Package.swift's chapter table lacks \(chapter.folder)")
      #expect(
        readme.contains("| \(chapter.number). \(chapter.title) |"),
        "README.md's chapter table lacks \"\(chapter.number). \(chapter.title)\"")
    }
  }

  @Test("one spelling, one meaning: no @_disfavoredOverload anywhere")
  func noDisfavoredOverloads() throws {
    for file in try Project.files(under: ["Sources"], root: root, ext: "swift") {
      let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
      #expect(!text.contains("@_disfavored" + "Overload"), "\(file)")
    }
  }
}
