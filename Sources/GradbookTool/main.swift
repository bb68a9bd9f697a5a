import ArgumentParser
import BookKit
import Foundation

/// The book's own tool: listings, chapters, site, gradebook and reader edition.
@main
struct GradbookCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gradbook",
    abstract: "Keeps the book honest: listings, chapters, site, gradebook, reader edition.",
    subcommands: [
      Sync.self, RunChapters.self, Render.self, Links.self, Quotes.self, Grade.self,
      MakeWorkbook.self, Mutants.self,
    ])
}

/// Options every subcommand takes.
struct RootOption: ParsableArguments {
  @Option(help: "The package root (default: the current folder).")
  var root: String = FileManager.default.currentDirectoryPath

  var url: URL { URL(fileURLWithPath: root).standardizedFileURL }
}

/// Prints a problem list and fails when it is not empty.
func fail(on problems: [String], what: String) throws {
  guard !problems.isEmpty else { return }
  for problem in problems { say("  ✘ \(problem)") }
  say("\(what): \(problems.count) problem\(problems.count == 1 ? "" : "s")")
  throw ExitCode.failure
}

struct Sync: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Refresh the chapters' listings from the marked regions of the code.")

  @OptionGroup var root: RootOption
  @Flag(help: "Change nothing; fail if a listing is stale or a marker dangles.")
  var check = false

  func run() throws {
    let project = try Project(root: root.url)
    let updates = try project.syncedMarkdown()
    if check {
      try fail(
        on: updates.flatMap { $0.stale.map { "stale listing at \($0) (run `make sync`)" } },
        what: "listings")
      let count = project.regions.values.joined().filter { $0.kind == .listing }.count
      say("listings: \(count) listings in sync with the sources")
      return
    }
    for update in updates {
      try update.text.write(
        to: root.url.appendingPathComponent(update.file), atomically: true, encoding: .utf8)
      for stale in update.stale { say("updated \(stale)") }
    }
    if updates.isEmpty { say("listings: all in sync") }
  }
}

struct RunChapters: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run-chapters",
    abstract: "Run every chapter's executable in quick mode; keep its output and figures.")

  @OptionGroup var root: RootOption
  @Option(help: "The folder holding the built executables (`swift build --show-bin-path`).")
  var binPath: String

  func run() throws {
    let config = try BookConfig.load(root: root.url)
    try Site.runChapters(config, root: root.url, binPath: URL(fileURLWithPath: binPath))
  }
}

struct Render: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Render the book to HTML under book/site with pandoc.")

  @OptionGroup var root: RootOption

  func run() throws {
    let config = try BookConfig.load(root: root.url)
    try Site.render(config, root: root.url)
    say("book: \(Site.folder(root: root.url).path)/index.html")
  }
}

struct Links: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check that every local link and image in the rendered site resolves.")

  @OptionGroup var root: RootOption

  func run() throws {
    let site = Site.folder(root: root.url)
    try fail(on: try Site.brokenLinks(site: site), what: "links")
    say("links: every local link and image in \(site.path) resolves")
  }
}

struct Quotes: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check that the output the prose quotes is what the chapters printed.")

  @OptionGroup var root: RootOption

  func run() throws {
    let config = try BookConfig.load(root: root.url)
    try fail(on: try Site.staleQuotes(config, root: root.url), what: "quoted output")
    say("quoted output: every quoted line was printed by its chapter's program")
  }
}

struct Grade: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run each exercise's tests in its own process and print the gradebook.",
    discussion: """
      The package and its tests must be built (`swift build --build-tests`). Grading that \
      ran to the end exits 0 whatever the score; --require-all makes any exercise not done \
      a failure (the reference edition's check).
      """)

  @OptionGroup var root: RootOption
  @Option(help: "Where to write the grades as JSON.")
  var json: String = ".build/gradebook.json"
  @Flag(help: "Print only the gradebook, not each exercise's progress.")
  var quiet = false
  @Flag(help: "Fail unless every exercise is done (for the reference edition).")
  var requireAll = false

  func run() throws {
    let project = try Project(root: root.url)
    let exercises = try project.exercises()
    let config = try BookConfig.load(root: root.url)
    let logs = ".build/gradebook-logs"
    let grades = try Gradebook.grade(
      exercises, packageRoot: root.url,
      logFolder: root.url.appendingPathComponent(logs),
      progress: { message in
        if !quiet {
          say(message)
        }
      })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let jsonURL = URL(fileURLWithPath: json, relativeTo: root.url)
    try FileManager.default.createDirectory(
      at: jsonURL.deletingLastPathComponent(), withIntermediateDirectories: true)
    try encoder.encode(grades).write(to: jsonURL)
    let titles = Dictionary(uniqueKeysWithValues: config.chapters.map { ($0.number, $0.title) })
    let places = Dictionary(
      uniqueKeysWithValues: exercises.map { ($0.id, "\($0.region.file):\($0.region.begin + 2)") })
    say()
    say("Gradebook")
    let catalogue = try MistakeCatalogue.load(config, root: root.url)
    say(Gradebook.table(grades, chapterTitles: titles, places: places, mistakes: catalogue))
    say("(each exercise's full test log: \(logs)/ex-C.N.log)")
    let done = grades.filter(\.isDone).count
    let earned = grades.map(\.earned).reduce(0, +)
    let possible = grades.map(\.points).reduce(0, +)
    if requireAll {
      let tests = grades.map(\.tests).reduce(0, +)
      let passed = grades.map(\.passed).reduce(0, +)
      say("gradebook: \(passed) passed, \(tests - passed) failed")
      if done < grades.count { throw ExitCode.failure }
    } else {
      say()
      say(
        "Your score: \(done) of \(grades.count) exercises done, \(earned) of \(possible) points."
          + (done == grades.count ? " Every exercise is done: well done!" : ""))
    }
  }
}

struct MakeWorkbook: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "workbook",
    abstract: "Write the reader edition: the package with every exercise replaced by a stub.")

  @OptionGroup var root: RootOption
  @Option(
    help: """
      Where to write it. An existing reader edition there is updated: every exercise you \
      changed is kept, and any other file you changed is copied to .gradbook/kept/ first.
      """)
  var output = "reader-edition"
  @Flag(
    help: """
      Prove the reader edition instead, in a scratch folder of the tool's own \
      (.build/reader-edition-check): it holds no solution text, it builds, and grading it \
      completes with every exercise not done. Your reader edition is not touched.
      """)
  var verify = false

  func run() throws {
    guard !Workbook.isReaderEdition(root.url) else {
      say("This is already a reader edition: fill in the exercises and run `make check`.")
      return
    }
    let project = try Project(root: root.url)
    let exercises = try project.exercises()
    guard verify else {
      let destination = URL(fileURLWithPath: output, relativeTo: root.url).standardizedFileURL
      let report = try Workbook.write(project, to: destination)
      say(
        "reader edition: \(report.created ? "wrote" : "updated") \(destination.path) "
          + "(\(exercises.count) exercises)")
      for line in report.summary { say("  \(line)") }
      return
    }
    let destination = root.url.appendingPathComponent(Workbook.scratchFolder)
    try Workbook.writeScratch(project, to: destination)
    say(
      "reader edition: a scratch copy in \(destination.path) (\(exercises.count) exercises stubbed)"
    )

    // 1. No solution text, and every exercise region holds exactly its stub.
    var problems = try Workbook.leaks(of: project, in: destination)
    let reader = try Project(root: destination)
    let readerExercises = try reader.exercises()
    if readerExercises.map(\.id) != exercises.map(\.id) {
      problems.append("the reader edition's exercises differ from the reference's")
    }
    for exercise in readerExercises {
      let lines = reader.sourceLines[exercise.region.file]!
      let body = Array(lines[(exercise.region.begin + 1)..<exercise.region.end])
      if body != RegionParser.stub(for: exercise.region) {
        problems.append("\(exercise.region.file): exercise \(exercise.id) is not its stub")
      }
    }
    let readerCatalogue = try MistakeCatalogue.load(
      BookConfig.load(root: destination), root: destination)
    if readerCatalogue.mistakes.contains(where: { $0.replace != nil || $0.with != nil }) {
      problems.append("the reader edition's mistake catalogues quote the reference solutions")
    }
    try fail(on: problems, what: "reader edition")
    say("reader edition: no solution text; every exercise holds its stub")

    // 2. It builds, and the grader runs to the end with every exercise not done.
    say("reader edition: building (swift build --build-tests)…")
    let build = try Shell.run(["swift", "build", "--build-tests"], in: destination)
    guard build.status == 0 else {
      say(build.output)
      try fail(on: ["the reader edition does not build (output above)"], what: "reader edition")
      return
    }
    say("reader edition: grading it (each exercise in its own process)…")
    let gradesFile = destination.appendingPathComponent(".build/gradebook.json")
    try? FileManager.default.removeItem(at: gradesFile)
    let grading = try Shell.run(
      ["swift", "run", "--skip-build", "gradbook", "grade", "--quiet"], in: destination)
    try grading.output.write(
      to: destination.appendingPathComponent(".build/grading.log"), atomically: true,
      encoding: .utf8)
    guard let data = try? Data(contentsOf: gradesFile),
      let grades = try? JSONDecoder().decode([BookKit.Grade].self, from: data)
    else {
      try fail(
        on: [
          "grading the reader edition did not complete (see \(destination.path)/.build/grading.log)"
        ],
        what: "reader edition")
      return
    }
    let done = grades.filter(\.isDone).map(\.exercise)
    if grades.count != exercises.count {
      problems.append("graded \(grades.count) exercises, expected \(exercises.count)")
    }
    if !done.isEmpty {
      problems.append("exercises graded done with only a stub: \(done.joined(separator: ", "))")
    }
    try fail(on: problems, what: "reader edition")
    let stubs = grades.filter(\.isStub).count
    say(
      "reader edition: builds; grading completed with all \(grades.count) exercises not done "
        + "(\(stubs) stopped at their own stub, each in its own process)")
  }
}

struct Mutants: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Make every catalogued mistake and check that its exercise's tests catch it.",
    discussion: """
      Works in a scratch reader edition of its own (.build/mutants) whose exercises hold the \
      reference solutions, as a reader who solved them all would have it. Each mistake of \
      the chapters' mistakes.json is made there in turn; the package is rebuilt (one build \
      at a time, incrementally) and the exercise graded. A mistake its tests do not catch \
      survives and fails the run, and so does one whose failing tests differ from those \
      the catalogue records (the gradebook names a mistake by them): --record writes the \
      observed ones into the catalogue instead.
      """)

  @OptionGroup var root: RootOption
  @Flag(help: "Write the failing tests each mistake showed into the catalogues.")
  var record = false
  @Option(help: "Only the mistakes of this exercise (such as 1.5); repeatable.")
  var exercise: [String] = []
  @Flag(help: "Only check the catalogues: every patch applies once, every section exists.")
  var dryRun = false

  func run() throws {
    guard !Workbook.isReaderEdition(root.url) else {
      say(
        "This is a reader edition: its catalogues hold no patches. Run this in the book's repository."
      )
      throw ExitCode.failure
    }
    let project = try Project(root: root.url)
    let config = try BookConfig.load(root: root.url)
    var catalogue = try MistakeCatalogue.load(config, root: root.url)
    try fail(
      on: try catalogue.problems(
        project, config: config, only: exercise.isEmpty ? nil : Set(exercise)),
      what: "mistake catalogue")
    if dryRun {
      say(
        "mistake catalogue: \(catalogue.mistakes.count) mistakes; each patch applies once to "
          + "its exercise and points to a section of its chapter")
      return
    }
    let exercises = Dictionary(uniqueKeysWithValues: try project.exercises().map { ($0.id, $0) })

    // A reader edition with every exercise solved by the reference.
    let scratch = root.url.appendingPathComponent(".build/mutants")
    try Workbook.writeScratch(project, to: scratch)
    for (file, regions) in project.regions where regions.contains(where: { $0.kind == .exercise }) {
      try project.sourceLines[file]!.joined(separator: "\n").write(
        to: scratch.appendingPathComponent(file), atomically: true, encoding: .utf8)
    }
    let readerCatalogue = try MistakeCatalogue.load(config, root: scratch)
    let logs = scratch.appendingPathComponent(".build/mutant-logs")
    func build() throws -> Shell.Result {
      try Shell.run(["swift", "build", "--build-tests"], in: scratch)
    }
    say("mutants: building the solved scratch edition in \(scratch.path)…")
    let first = try build()
    guard first.status == 0 else {
      say(first.output)
      try fail(on: ["the solved scratch edition does not build"], what: "mutants")
      return
    }

    let chosen = catalogue.mistakes.indices.filter {
      exercise.isEmpty || exercise.contains(catalogue.mistakes[$0].exercise)
    }
    var problems: [String] = []
    var caught = 0
    var named = 0
    for (n, index) in chosen.enumerated() {
      let mistake = catalogue.mistakes[index]
      let label = "\(mistake.exercise) \(mistake.name)"
      let (file, text) = try MistakeCatalogue.apply(mistake, to: project)
      let url = scratch.appendingPathComponent(file)
      try text.write(to: url, atomically: true, encoding: .utf8)
      defer {
        try? project.sourceLines[file]!.joined(separator: "\n").write(
          to: url, atomically: true, encoding: .utf8)
      }
      let built = try build()
      guard built.status == 0 else {
        problems.append("\(label): does not compile, so no test can catch it")
        say("  ✘ [\(n + 1)/\(chosen.count)] \(label): does not compile")
        continue
      }
      let grade = try Gradebook.grade(
        [exercises[mistake.exercise]!], packageRoot: scratch, logFolder: logs, timeLimit: 120
      )[0]
      guard !grade.isDone else {
        problems.append("\(label): survives (its exercise's tests all pass)")
        say("  ✘ [\(n + 1)/\(chosen.count)] \(label): SURVIVES")
        continue
      }
      caught += 1
      let observed = grade.crashed ? [] : grade.failedTests
      if record { catalogue.mistakes[index].fails = observed }
      var recorded = readerCatalogue
      recorded.mistakes = recorded.mistakes.map {
        $0.exercise == mistake.exercise && $0.name == mistake.name
          ? {
            var m = $0; m.fails = catalogue.mistakes[index].fails; return m
          }($0) : $0
      }
      let likely = recorded.likely(for: grade)
      let isNamed = likely.contains { $0.name == mistake.name }
      if isNamed { named += 1 }
      if !record, observed != mistake.fails {
        problems.append(
          "\(label): fails \(observed.isEmpty ? "by stopping" : observed.joined(separator: ", ")), "
            + "the catalogue records \(mistake.fails.joined(separator: ", ")) (--record)")
      }
      let how =
        grade.crashed
        ? "caught (its tests stop: not named)"
        : "caught by \(observed.joined(separator: ", "))" + (isNamed ? "; named" : "")
          + (likely.count > 1 ? " (with \(likely.count - 1) other)" : "")
      say("  ✔ [\(n + 1)/\(chosen.count)] \(label): \(how)")
    }
    if record {
      let touched = Set(chosen.map { catalogue.mistakes[$0].chapter })
      for (chapter, file) in catalogue.files where touched.contains(chapter) {
        let data = try MistakeCatalogue.encode(
          catalogue.mistakes.filter { $0.chapter == chapter })
        try data.write(to: root.url.appendingPathComponent(file))
      }
      say("mutants: recorded the failing tests in the catalogues")
    }
    say(
      "mutants: \(caught) of \(chosen.count) catalogued mistakes caught; "
        + "\(named) named by the gradebook")
    try fail(on: problems, what: "mutants")
  }
}
