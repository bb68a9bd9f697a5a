import Foundation
import Testing

@testable import BookKit

@Suite("Mistakes: the catalogue, its patches, and the gradebook naming a mistake")
struct MistakesTests {
  let code = """
    // listing: backward
    func propagate() {
      // exercise 1.5: Accumulate
      lhs.grad += d * grad
      // end exercise 1.5
    }
    // end listing: backward
    """

  func mistake(
    _ name: String, replace: String = "+=", with: String = "=", fails: [String] = ["S/a()"]
  ) -> Mistake {
    Mistake(
      exercise: "1.5", name: name, why: "a value used twice keeps its last gradient",
      see: "Shared values accumulate", replace: replace, with: with, fails: fails)
  }

  func scratchBook() throws -> Scratch {
    let scratch = try Scratch()
    try scratch.write("Sources/M/Backward.swift", code)
    try scratch.write("book/book.json", #"{"title": "T", "subtitle": "S"}"#)
    try scratch.write(
      "Chapters/01-x/README.md",
      "# Chapter 1 — X\n\n## Shared values accumulate\n\nText.\n")
    return scratch
  }

  @Test("a patch changes the exercise's region once and nothing else")
  func apply() throws {
    let scratch = try scratchBook()
    defer { scratch.remove() }
    let project = try Project(root: scratch.root)
    let (file, text) = try MistakeCatalogue.apply(mistake("`=`"), to: project)
    #expect(file == "Sources/M/Backward.swift")
    #expect(text == code.replacingOccurrences(of: "lhs.grad += d", with: "lhs.grad = d"))
    // Text outside the region does not count; text twice in the region is ambiguous.
    #expect(throws: BookError.self) {
      try MistakeCatalogue.apply(mistake("outside", replace: "func propagate"), to: project)
    }
    #expect(throws: BookError.self) {
      try MistakeCatalogue.apply(mistake("twice", replace: "d"), to: project)
    }
  }

  @Test("the catalogue's problems: unknown exercise, missing section, duplicates, too few")
  func problems() throws {
    let scratch = try scratchBook()
    defer { scratch.remove() }
    let project = try Project(root: scratch.root)
    let config = try BookConfig.load(root: scratch.root)
    var good = mistake("`=`")
    var catalogue = MistakeCatalogue(mistakes: [good], files: [1: "Chapters/01-x/mistakes.json"])
    #expect(try catalogue.problems(project, config: config, minimum: 1).isEmpty)
    #expect(try catalogue.problems(project, config: config, minimum: 2).count == 1)
    good.see = "No such section"
    var unknown = mistake("other")
    unknown.exercise = "1.9"
    catalogue.mistakes = [good, good, unknown]
    let found = try catalogue.problems(project, config: config, minimum: 1)
    #expect(found.contains { $0.contains("not a heading") })
    #expect(found.contains { $0.contains("twice") })
    #expect(found.contains { $0.contains("no exercise 1.9") })
  }

  @Test("the gradebook names a mistake whose failing tests are exactly the exercise's")
  func naming() throws {
    let catalogue = MistakeCatalogue(
      mistakes: [
        mistake("`=` instead of `+=`", fails: ["S/a()", "S/b()"]),
        mistake("swapped", fails: ["S/c()"]),
        mistake("crashes", fails: []),
      ], files: [:])
    var grade = Grade(
      exercise: "1.5", chapter: 1, title: "Accumulate", tests: 3, passed: 1, exitStatus: 1,
      crashed: false, points: 10, firstFailure: "a(): Expectation failed",
      failedTests: ["S/b()", "S/a()"])
    #expect(catalogue.likely(for: grade).map(\.name) == ["`=` instead of `+=`"])
    let table = Gradebook.table([grade], chapterTitles: [1: "X"], mistakes: catalogue)
    #expect(
      table.contains(
        "↳ looks like `=` instead of `+=`: a value used twice keeps its last gradient "
          + "(see Chapter 1, “Shared values accumulate”)"))
    // A different set of failures, a crash, another exercise: no name.
    grade.failedTests = ["S/a()"]
    #expect(catalogue.likely(for: grade).isEmpty)
    grade.failedTests = ["S/a()", "S/b()"]
    grade.crashed = true
    #expect(catalogue.likely(for: grade).isEmpty)
    grade.crashed = false
    grade.exercise = "1.4"
    #expect(catalogue.likely(for: grade).isEmpty)
    #expect(!Gradebook.table([grade], chapterTitles: [:], mistakes: catalogue).contains("looks"))
  }

  @Test("a reader edition's catalogue has no patch to make: mutants stops before writing")
  func readerCatalogueIsRefused() throws {
    let scratch = try scratchBook()
    defer { scratch.remove() }
    let project = try Project(root: scratch.root)
    let config = try BookConfig.load(root: scratch.root)
    let catalogue = MistakeCatalogue(
      mistakes: [mistake("`=`").forReaders], files: [1: "Chapters/01-x/mistakes.json"])
    let found = try catalogue.problems(project, config: config, minimum: 1)
    #expect(found.contains { $0.contains("has no patch") })
  }

  @Test("the reader edition's catalogue quotes no reference text")
  func readerCopy() throws {
    let data = try MistakeCatalogue.encode([mistake("`=`")])
    let copy = try #require(MistakeCatalogue.readerCopy(of: data))
    let mistakes = try JSONDecoder().decode([Mistake].self, from: copy)
    #expect(mistakes.count == 1 && mistakes[0].replace == nil && mistakes[0].with == nil)
    #expect(mistakes[0].fails == ["S/a()"] && mistakes[0].name == "`=`")
    #expect(!String(decoding: copy, as: UTF8.self).contains("+="))
    #expect(MistakeCatalogue.readerCopy(of: Data("{}".utf8)) == nil)
  }

  @Test("a JUnit report lists its failed tests by suite")
  func failedTests() throws {
    let xml = """
      <testsuites><testsuite name="TestResults">
      <testcase classname="ScalarTests.Ch01Ex5Add" name="b()"><failure message="x"/></testcase>
      <testcase classname="ScalarTests.Ch01Ex5Add" name="c()" />
      <testcase classname="ScalarTests.Ch01Ex5Add" name="a()"><failure message="y"/></testcase>
      </testsuite></testsuites>
      """
    let report = try #require(Gradebook.report(xunit: Data(xml.utf8)))
    #expect(report.failedTests == ["Ch01Ex5Add/a()", "Ch01Ex5Add/b()"])
  }
}
