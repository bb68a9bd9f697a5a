import Foundation
import Testing

@testable import BookKit

@Suite("Regions: listing and exercise markers")
struct RegionsTests {
  let source = """
    import Foundation

    // listing: outer
    func f() -> Int {
      // exercise 1.2 (20 points): Return forty-two
      return 42
      // end exercise 1.2
    }
    // end listing: outer

    // listing: inner-free
    let x = 1
    // end listing: inner-free
    """

  @Test("finds listings and exercises with their lines, title and points")
  func parses() throws {
    let regions = try RegionParser.regions(in: source, file: "A.swift")
    #expect(regions.map(\.name) == ["outer", "1.2", "inner-free"])
    let exercise = regions[1]
    #expect(exercise.kind == .exercise)
    #expect(exercise.title == "Return forty-two")
    #expect(exercise.points == 20)
    #expect(exercise.begin == 4 && exercise.end == 6)
    #expect(exercise.indent == "  ")
    let exercises = try RegionParser.exercises(in: regions)
    #expect(exercises.map(\.id) == ["1.2"])
    #expect(exercises[0].testFilter == "\\.Ch01Ex2[A-Z]")
  }

  @Test("a listing shows an exercise as its stub, dedented, without nested markers")
  func listingBody() throws {
    let regions = try RegionParser.regions(in: source, file: "A.swift")
    let body = Listings.body(
      of: regions[0], lines: source.components(separatedBy: "\n"), regions: regions)
    #expect(
      body == [
        "func f() -> Int {",
        "  // Exercise 1.2: Return forty-two. Replace this line with your code.",
        "  fatalError(\"Exercise 1.2 is not done yet: Return forty-two\")",
        "}",
      ])
  }

  @Test(
    "dangling, unbalanced and malformed markers are errors naming the file and line",
    arguments: [
      ("// listing: a\nlet x = 1", "A.swift:1: listing 'a' is never closed"),
      ("let x = 1\n// end listing: a", "A.swift:2: '// end listing: a' does not close"),
      ("// exercise 1.1: T\n// exercise 1.2: U\n", "A.swift:2: exercise 1.2 opens inside"),
      ("// listing: a\n// end listing: b", "A.swift:2: '// end listing: b' does not close"),
      ("// listing a\n", "A.swift:1: malformed marker"),
      ("// exercise: no number\n", "A.swift:1: malformed marker"),
    ])
  func errors(text: String, message: String) {
    #expect {
      _ = try RegionParser.regions(in: text, file: "A.swift")
    } throws: { error in
      "\(error)".hasPrefix(message)
    }
  }

  @Test("an exercise defined twice is an error naming both places")
  func duplicateExercise() throws {
    let a = try RegionParser.regions(in: "// exercise 1.1: T\nx\n// end exercise 1.1", file: "A")
    let b = try RegionParser.regions(in: "// exercise 1.1: U\ny\n// end exercise 1.1", file: "B")
    #expect(throws: BookError.self) { try RegionParser.exercises(in: a + b) }
  }

  @Test("the reader edition keeps the markers and replaces the body by the stub")
  func stubbing() throws {
    let lines = source.components(separatedBy: "\n")
    let regions = try RegionParser.regions(in: source, file: "A.swift")
    let stubbed = Workbook.stubbed(lines, regions: regions)
    #expect(!stubbed.contains("  return 42"))
    #expect(stubbed.contains("  // exercise 1.2 (20 points): Return forty-two"))
    #expect(stubbed.contains("  fatalError(\"Exercise 1.2 is not done yet: Return forty-two\")"))
    #expect(stubbed.count == lines.count + 1)
    // Stubbing is idempotent on the region structure.
    let again = try RegionParser.regions(in: stubbed.joined(separator: "\n"), file: "A.swift")
    #expect(again.map(\.name) == regions.map(\.name))
  }
}

@Suite("Listings: Markdown references")
struct ListingsMarkdownTests {
  @Test("finds a reference and its block")
  func reference() throws {
    let md = "text\n<!-- listing: Sources/A.swift#outer -->\n```swift\nold\n```\nmore"
    let refs = try Listings.references(in: md, file: "C.md")
    #expect(refs.count == 1)
    #expect(refs[0].sourceFile == "Sources/A.swift" && refs[0].name == "outer")
    #expect(refs[0].fenceOpen == 2 && refs[0].fenceClose == 4)
  }

  @Test("a Swift block that is neither a listing nor a sketch is an error")
  func unmarkedSwift() {
    #expect(throws: BookError.self) {
      try Listings.references(in: "```swift\nlet x = 1\n```", file: "C.md")
    }
    #expect(throws: Never.self) {
      try Listings.references(in: "<!-- sketch: pseudo-code -->\n```swift\nx\n```", file: "C.md")
    }
  }

  @Test("a marker without a block, or an unclosed block, is an error")
  func missingBlock() {
    #expect(throws: BookError.self) {
      try Listings.references(in: "<!-- listing: A.swift#a -->\ntext", file: "C.md")
    }
    #expect(throws: BookError.self) {
      try Listings.references(in: "<!-- listing: A.swift#a -->\n```swift\nx", file: "C.md")
    }
  }
}

@Suite("Regions: code a later chapter teaches")
struct SinceRegionTests {
  @Test("a listing leaves out 'since chapter N' code before chapter N and shows it from N on")
  func since() throws {
    let text = """
      // listing: op
      let y = compute(x)
      // since chapter 4: forward mode
      let t = tangent(x)
      // end since chapter 4
      return y
      // end listing: op
      """
    let regions = try RegionParser.regions(in: text, file: "A.swift")
    #expect(regions.contains { $0.kind == .since(4) && $0.title == "forward mode" })
    let lines = text.components(separatedBy: "\n")
    let listing = regions.first { $0.kind == .listing }!
    #expect(
      Listings.body(of: listing, lines: lines, regions: regions, chapter: 2)
        == ["let y = compute(x)", "return y"])
    #expect(
      Listings.body(of: listing, lines: lines, regions: regions, chapter: 4)
        == ["let y = compute(x)", "let t = tangent(x)", "return y"])
    #expect(Project.chapter(of: "Chapters/02-tensors/README.md") == 2)
    #expect(Project.chapter(of: "README.md") == .max)
    #expect {
      try RegionParser.regions(in: "// since chapter 4: x\nlet a = 1\n", file: "B.swift")
    } throws: { "\($0)".contains("never closed") }
    #expect {
      try RegionParser.regions(
        in: "// since chapter 4: x\n// end since chapter 5\n", file: "C.swift")
    } throws: { "\($0)".contains("does not close") }
  }
}
