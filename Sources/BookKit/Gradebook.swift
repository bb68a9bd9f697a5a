import Foundation

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The grade of one exercise.
public struct Grade: Codable, Equatable, Sendable {
  /// `1.2`.
  public var exercise: String
  /// The chapter number.
  public var chapter: Int
  /// The exercise's title.
  public var title: String
  /// The exercise's tests: every test the package lists under its suites (the same count on
  /// every run, whether or not a stub stopped some of them before they started).
  public var tests: Int
  /// Tests that passed.
  public var passed: Int
  /// The test process's exit status.
  public var exitStatus: Int32
  /// Whether the tests' process ended by a signal (a trapping stub, say).
  public var crashed: Bool
  /// Whether the exercise still holds its stub (its tests stopped at it).
  public var isStub: Bool = false
  /// Another exercise whose stub stopped these tests (they build on it), if any.
  public var blockedBy: String? = nil
  /// The points it is worth.
  public var points: Int
  /// The first thing that went wrong, as the test log says it (`File.swift:12: Expectation
  /// failed: …`, or the fatal error that stopped the tests), if anything did.
  public var firstFailure: String? = nil
  /// The tests that failed (`Suite/test()`, sorted), as the run's report lists them.
  public var failedTests: [String] = []
  /// Whether it passed: at least one test ran, all of them passed, and the run succeeded.
  public var isDone: Bool { tests > 0 && passed == tests && exitStatus == 0 }
  /// The points earned: all or nothing.
  public var earned: Int { isDone ? points : 0 }
}

/// What one Swift Testing run reported in its `--xunit-output` file.
public struct TestRunReport: Equatable, Sendable {
  /// Tests that ran to the end (passed or failed).
  public var finished: Int
  /// Tests that passed.
  public var passed: Int
  /// The first failed test and its first issue (`square(): Expectation failed: …`).
  public var firstFailure: String?
  /// The tests that failed, `Suite/test()` (the suite without its module), sorted.
  public var failedTests: [String] = []
}

/// Grades exercises by running each one's tests in its own process.
///
/// On Linux every Swift Testing test shares one process, so one trapping stub would take
/// every other test down with it. Running each exercise's tests separately keeps a stub
/// from failing anything but its own exercise; a filter that selects no test fails.
public enum Gradebook {
  /// Reads a JUnit XML report, as Swift Testing writes with `--xunit-output` (its documented
  /// machine-readable output): each `<testcase>` is a finished test, failed when it holds a
  /// `<failure>`. Nil for a file that is not such a report.
  public static func report(xunit data: Data) -> TestRunReport? {
    let reader = XUnitReader()
    let parser = XMLParser(data: data)
    parser.delegate = reader
    guard parser.parse(), reader.sawSuites else { return nil }
    return TestRunReport(
      finished: reader.finished, passed: reader.finished - reader.failed,
      firstFailure: reader.firstFailure, failedTests: reader.failedTests.sorted())
  }

  static func stripANSI(_ text: String) -> String {
    text.replacingOccurrences(
      of: "\u{1B}\\[[0-9;]*[A-Za-z]", with: "", options: .regularExpression)
  }

  /// The IDs of every test in the built package (`swift test list`), such as
  /// `ScalarTests.Ch01Ex1Multiply/square()`.
  public static func testIDs(packageRoot: URL) throws -> [String] {
    let result = try Shell.run(
      ["swift", "test", "list", "--skip-build", "--disable-xctest"], in: packageRoot)
    guard result.status == 0 else {
      throw BookError("`swift test list` failed in \(packageRoot.path):\n\(result.output)")
    }
    return result.output.split(separator: "\n").map(String.init).filter { $0.contains("/") }
  }

  /// The first issue a Swift Testing log reports: the first failed expectation or caught
  /// error with its place, or else the fatal error that stopped the test process.
  public static func firstFailure(in output: String) -> String? {
    let lines = output.components(separatedBy: "\n").map(stripANSI)
    for line in lines {
      if let range = line.range(of: " recorded an issue at ") {
        return String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
      }
    }
    for line in lines {
      if let range = line.range(of: "Fatal error: ") {
        let place = line[..<range.lowerBound].split(separator: "/").last.map(String.init) ?? ""
        return place + "Fatal error: " + line[range.upperBound...]
      }
    }
    return nil
  }

  /// Runs every exercise's tests (the package must already be built with its tests) and
  /// returns the grades; each run's output goes to `logFolder/ex-C.N.log`. A run longer than
  /// `timeLimit` seconds (an endless loop in an exercise) is stopped and fails.
  public static func grade(
    _ exercises: [Exercise], packageRoot: URL, logFolder: URL, timeLimit: Double = 600,
    progress: (String) -> Void = { _ in }
  ) throws -> [Grade] {
    try FileManager.default.createDirectory(at: logFolder, withIntermediateDirectories: true)
    let ids = try testIDs(packageRoot: packageRoot)
    var grades: [Grade] = []
    for exercise in exercises {
      progress("grading exercise \(exercise.id): \(exercise.title)")
      let filter = try NSRegularExpression(pattern: exercise.testFilter)
      let expected = ids.filter {
        filter.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil
      }.count
      // The results come from the run's JUnit XML report; a process that stopped (a trapping
      // stub) writes none, and its log says why.
      let xunit = logFolder.appendingPathComponent("ex-\(exercise.id).xml")
      try? FileManager.default.removeItem(at: xunit)
      // No crash backtraces: the backtracer can outlive a trapped test process and keep
      // `swift test` waiting on its output; the stub's message says all there is to say.
      let result = try Shell.run(
        [
          "swift", "test", "--skip-build", "--disable-xctest", "--filter", exercise.testFilter,
          "--xunit-output", xunit.path,
        ], in: packageRoot, environment: ["SWIFT_BACKTRACE": "enable=no"],
        timeLimit: timeLimit)
      try result.output.write(
        to: logFolder.appendingPathComponent("ex-\(exercise.id).log"), atomically: true,
        encoding: .utf8)
      let report = (try? Data(contentsOf: xunit)).flatMap { Self.report(xunit: $0) }
      // `swift test` runs the tests in a child process and reports its signal.
      let crashed =
        result.crashed || result.timedOut
        || result.output.contains("exited with unexpected signal code")
      let stopper = result.output.range(
        of: #"Exercise [0-9]+\.[0-9]+ is not done yet"#, options: .regularExpression
      ).map { result.output[$0].split(separator: " ")[1] }.map(String.init)
      let passed = Swift.min(report?.passed ?? 0, expected)
      // The log's issue line adds the place (file and line) to the report's message.
      var failure = firstFailure(in: result.output) ?? report?.firstFailure
      if result.timedOut {
        failure = "stopped after \(Int(timeLimit)) s: an endless loop?"
      } else if failure == nil, passed < expected || result.status != 0 {
        failure =
          report?.finished == 0 && expected > 0
          ? "no test ran (see the log)" : "the test process failed (see the log)"
      }
      grades.append(
        Grade(
          exercise: exercise.id, chapter: exercise.chapter, title: exercise.title,
          tests: expected, passed: passed, exitStatus: result.status,
          crashed: crashed, isStub: stopper == exercise.id,
          blockedBy: stopper == exercise.id ? nil : stopper, points: exercise.points,
          firstFailure: passed == expected && result.status == 0 ? nil : failure,
          failedTests: report?.failedTests ?? []))
    }
    return grades
  }

  /// The gradebook as a table, with a total per chapter and overall; under each exercise
  /// not done, what stopped it (`places` gives an exercise's file and line for its stub),
  /// and the catalogued mistake it failed like, if any.
  public static func table(
    _ grades: [Grade], chapterTitles: [Int: String], places: [String: String] = [:],
    mistakes: MistakeCatalogue? = nil
  ) -> String {
    let titleWidth = min(max(grades.map(\.title.count).max() ?? 5, 5), 48)
    let names = Dictionary(
      uniqueKeysWithValues: Set(grades.map(\.chapter)).map {
        ($0, "\($0) \(chapterTitles[$0] ?? "")")
      })
    let nameWidth = max(names.values.map(\.count).max() ?? 7, 7)
    func pad(_ s: String, _ n: Int) -> String {
      s.count >= n ? String(s.prefix(n)) : s + String(repeating: " ", count: n - s.count)
    }
    var out: [String] = []
    let header =
      "\(pad("chapter", nameWidth))  \(pad("exercise", 8))  \(pad("title", titleWidth))  "
      + "\(pad("tests", 7))  \(pad("result", 9))  points"
    out.append(header)
    out.append(String(repeating: "─", count: header.count + 2))
    let indent = String(repeating: " ", count: nameWidth + 2 + 8 + 2)
    for chapter in Set(grades.map(\.chapter)).sorted() {
      let rows = grades.filter { $0.chapter == chapter }
      for (i, g) in rows.enumerated() {
        let result =
          g.isDone
          ? "passed"
          : g.tests == 0
            ? "no tests"
            : g.isStub
              ? "stub" : g.blockedBy.map { "needs \($0)" } ?? (g.crashed ? "crashed" : "failed")
        out.append(
          "\(pad(i == 0 ? names[chapter]! : "", nameWidth))  \(pad(g.exercise, 8))  "
            + "\(pad(g.title, titleWidth))  "
            + "\(pad("\(g.passed)/\(g.tests)", 7))  \(pad(result, 9))  \(g.earned)/\(g.points)")
        if !g.isDone {
          let why: String
          if g.isStub {
            why = "not started: its stub is at \(places[g.exercise] ?? "its region")"
          } else if let other = g.blockedBy {
            why =
              "its tests stopped at exercise \(other)'s stub, which they use: do \(other) first "
              + "(this one may be a stub too)"
          } else {
            why = g.firstFailure ?? "failed (see its log)"
          }
          out.append(indent + "↳ " + why)
          if let catalogue = mistakes,
            let diagnosis = MistakeCatalogue.diagnosis(catalogue.likely(for: g))
          {
            out.append(indent + "↳ " + diagnosis)
          }
        }
      }
      let earned = rows.map(\.earned).reduce(0, +)
      let possible = rows.map(\.points).reduce(0, +)
      let done = rows.filter(\.isDone).count
      out.append(
        "\(pad("", nameWidth))  \(pad("", 8))  chapter \(chapter): \(done) of \(rows.count) done, "
          + "\(earned)/\(possible) points")
    }
    out.append(String(repeating: "─", count: header.count + 2))
    let earned = grades.map(\.earned).reduce(0, +)
    let possible = grades.map(\.points).reduce(0, +)
    out.append(
      "\(pad("total", nameWidth))  \(pad("", 8))  \(grades.filter(\.isDone).count) of \(grades.count) "
        + "exercises done, \(earned)/\(possible) points")
    return out.joined(separator: "\n")
  }
}

/// Collects the test cases and failures of a JUnit XML report.
final class XUnitReader: NSObject, XMLParserDelegate {
  var sawSuites = false
  var finished = 0
  var failed = 0
  var firstFailure: String?
  var failedTests: [String] = []
  private var testName = ""
  private var suiteName = ""
  private var testFailed = false

  func parser(
    _ parser: XMLParser, didStartElement element: String, namespaceURI: String?,
    qualifiedName: String?, attributes: [String: String] = [:]
  ) {
    switch element {
    case "testsuites", "testsuite": sawSuites = true
    case "testcase":
      testName = attributes["name"] ?? "?"
      suiteName = (attributes["classname"] ?? "").split(separator: ".").last.map(String.init) ?? ""
      testFailed = false
    case "failure", "error":
      if !testFailed {
        failed += 1
        failedTests.append(suiteName + "/" + testName)
      }
      testFailed = true
      if firstFailure == nil { firstFailure = "\(testName): \(attributes["message"] ?? "failed")" }
    default: break
    }
  }

  func parser(
    _ parser: XMLParser, didEndElement element: String, namespaceURI: String?,
    qualifiedName: String?
  ) {
    if element == "testcase" { finished += 1 }
  }
}
