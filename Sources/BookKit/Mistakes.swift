import Foundation

/// A classic mistake in an exercise: how to make it in the reference solution, how the
/// exercise's tests fail when it is made, and what a tutor would tell the reader.
///
/// Each chapter keeps its catalogue beside its text, in `Chapters/NN-name/mistakes.json`.
/// `make mutants` makes every mistake in a scratch copy and checks that the exercise's tests
/// catch it; the gradebook names a mistake when a reader's exercise fails the way it does.
public struct Mistake: Codable, Equatable, Sendable {
  /// The exercise, such as `1.5`.
  public var exercise: String
  /// What the mistake is, in a few words: "`=` instead of `+=`".
  public var name: String
  /// What goes wrong because of it: "a node used twice keeps only its last gradient".
  public var why: String
  /// The heading of the chapter's section that explains it.
  public var see: String
  /// Text of the reference solution that the mistake changes (once in the exercise's
  /// region). The reader edition's catalogue leaves it out.
  public var replace: String?
  /// What the mistake writes instead.
  public var with: String?
  /// The exercise's tests that fail when the mistake is made (`Suite/test()`, sorted), as
  /// `make mutants --record` saw them; empty when the mistake stops the tests (a trap).
  public var fails: [String] = []

  /// The file name of a chapter's catalogue.
  public static let fileName = "mistakes.json"

  /// The catalogue as the reader edition ships it: no reference text.
  public var forReaders: Mistake {
    var copy = self
    copy.replace = nil
    copy.with = nil
    return copy
  }

  /// The chapter number (the part of `exercise` before the dot).
  public var chapter: Int { Int(exercise.split(separator: ".").first ?? "") ?? 0 }
}

/// The mistake catalogues of a book's chapters.
public struct MistakeCatalogue: Sendable {
  /// The mistakes, in chapter order, each chapter's in its file's order.
  public var mistakes: [Mistake]
  /// The catalogue file of each chapter that has one, by chapter number.
  public var files: [Int: String]

  /// Reads every chapter's `mistakes.json` (a chapter without one has no mistakes).
  public static func load(_ config: BookConfig, root: URL) throws -> MistakeCatalogue {
    var catalogue = MistakeCatalogue(mistakes: [], files: [:])
    for chapter in config.chapters {
      let file = "Chapters/" + chapter.folder + "/" + Mistake.fileName
      let url = root.appendingPathComponent(file)
      guard FileManager.default.fileExists(atPath: url.path) else { continue }
      do {
        let mistakes = try JSONDecoder().decode([Mistake].self, from: Data(contentsOf: url))
        catalogue.mistakes += mistakes
        catalogue.files[chapter.number] = file
      } catch {
        throw BookError("\(file): not a mistake catalogue: \(error)")
      }
    }
    return catalogue
  }

  /// Encodes one chapter's mistakes as its catalogue file holds them.
  public static func encode(_ mistakes: [Mistake]) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(mistakes) + Data("\n".utf8)
  }

  /// A chapter's catalogue file as the reader edition ships it: no reference text (so the
  /// file gives no solution away). Nil for data that is not a catalogue.
  public static func readerCopy(of data: Data) -> Data? {
    guard let mistakes = try? JSONDecoder().decode([Mistake].self, from: data) else { return nil }
    return try? encode(mistakes.map(\.forReaders))
  }

  /// The mistakes whose recorded failures are exactly the failures of `grade`.
  public func likely(for grade: Grade) -> [Mistake] {
    guard !grade.isDone, !grade.failedTests.isEmpty, !grade.crashed else { return [] }
    let failed = Set(grade.failedTests)
    return mistakes.filter {
      $0.exercise == grade.exercise && !$0.fails.isEmpty && Set($0.fails) == failed
    }
  }

  /// What the gradebook says under an exercise that failed like `mistakes`.
  public static func diagnosis(_ mistakes: [Mistake]) -> String? {
    guard let first = mistakes.first else { return nil }
    func place(_ m: Mistake) -> String { "see Chapter \(m.chapter), “\(m.see)”" }
    if mistakes.count == 1 {
      return "looks like \(first.name): \(first.why) (\(place(first)))"
    }
    let names = mistakes.map { "\($0.name) (\($0.why))" }
    return "looks like one of: " + names.joined(separator: "; ") + " (\(place(first)))"
  }

  /// The region text with `mistake` made in it, or an error saying why it cannot be.
  public static func apply(_ mistake: Mistake, to project: Project) throws -> (
    file: String, text: String
  ) {
    guard let replace = mistake.replace, let with = mistake.with, !replace.isEmpty else {
      throw BookError("mistake “\(mistake.name)” of exercise \(mistake.exercise) has no patch")
    }
    guard
      let region = project.regions.values.joined().first(where: {
        $0.kind == .exercise && $0.name == mistake.exercise
      })
    else {
      throw BookError("mistake “\(mistake.name)”: no exercise \(mistake.exercise)")
    }
    let lines = project.sourceLines[region.file]!
    let body = lines[(region.begin + 1)..<region.end].joined(separator: "\n")
    let count = body.components(separatedBy: replace).count - 1
    guard count == 1 else {
      throw BookError(
        "mistake “\(mistake.name)” of exercise \(mistake.exercise): its `replace` text occurs "
          + "\(count) times in the exercise's region (\(region.file)), not once")
    }
    let changed = body.replacingOccurrences(of: replace, with: with)
    let text =
      (lines[...region.begin] + [changed] + lines[region.end...]).joined(separator: "\n")
    return (region.file, text)
  }

  /// What is wrong with the catalogue: mistakes of unknown exercises, patches that do not
  /// apply once, duplicate names, sections the chapter does not have, exercises with fewer
  /// than `minimum` mistakes (of those in `only`, when given).
  public func problems(
    _ project: Project, config: BookConfig, minimum: Int = 3, only: Set<String>? = nil
  ) throws -> [String] {
    var problems: [String] = []
    let exercises = try project.exercises()
    let ids = Set(exercises.map(\.id))
    var seen: Set<String> = []
    var headings: [Int: Set<String>] = [:]
    for chapter in config.chapters {
      let text = try String(
        contentsOf: project.root.appendingPathComponent("Chapters/\(chapter.folder)/README.md"),
        encoding: .utf8)
      headings[chapter.number] = Set(
        text.components(separatedBy: "\n").filter { $0.hasPrefix("#") }.map {
          $0.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces)
        })
    }
    for mistake in mistakes {
      let file = files[mistake.chapter] ?? "the catalogue"
      guard ids.contains(mistake.exercise) else {
        problems.append("\(file): “\(mistake.name)” names no exercise \(mistake.exercise)")
        continue
      }
      if !seen.insert(mistake.exercise + " " + mistake.name).inserted {
        problems.append("\(file): exercise \(mistake.exercise) lists “\(mistake.name)” twice")
      }
      if headings[mistake.chapter]?.contains(mistake.see) != true {
        problems.append(
          "\(file): “\(mistake.name)” points to “\(mistake.see)”, "
            + "not a heading of Chapter \(mistake.chapter)")
      }
      do { _ = try Self.apply(mistake, to: project) } catch let error as BookError {
        problems.append(error.description)
      }
    }
    for exercise in exercises where only?.contains(exercise.id) ?? true {
      let count = mistakes.filter { $0.exercise == exercise.id }.count
      if count < minimum {
        problems.append(
          "exercise \(exercise.id) has \(count) catalogued mistakes; at least \(minimum) wanted")
      }
    }
    return problems
  }
}
