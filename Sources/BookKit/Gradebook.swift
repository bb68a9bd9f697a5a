import Foundation

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
  /// Whether it passed: at least one test ran, all of them passed, and the run succeeded.
  public var isDone: Bool { tests > 0 && passed == tests && exitStatus == 0 }
  /// The points earned: all or nothing.
  public var earned: Int { isDone ? points : 0 }
}

/// Counts of what one Swift Testing run printed.
public struct TestRunCounts: Equatable, Sendable {
  /// Tests that started.
  public var started: Int
  /// Tests that passed.
  public var passed: Int
}

/// Grades exercises by running each one's tests in its own process.
///
/// On Linux every Swift Testing test shares one process, so one trapping stub would take
/// every other test down with it. Running each exercise's tests separately keeps a stub
/// from failing anything but its own exercise; a filter that selects no test fails.
public enum Gradebook {
  /// Counts started and passed tests in Swift Testing's console output.
  public static func counts(in output: String) -> TestRunCounts {
    var started = 0
    var passed = 0
    for rawLine in output.components(separatedBy: "\n") {
      let line = stripANSI(rawLine)
      // "◇ Test name() started." / "✔ Test name() passed after 0.001 seconds."
      guard let range = line.range(of: " Test ") else { continue }
      let symbol = line[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
      guard symbol.count <= 2 else { continue }
      let rest = line[range.upperBound...]
      if rest.hasPrefix("run ") { continue }  // "◇ Test run started.", "✔ Test run with 2 tests…"
      if rest.hasSuffix(" started.") {
        started += 1
      } else if rest.range(of: #" passed after [0-9.]+ seconds"#, options: .regularExpression)
        != nil
      {
        passed += 1
      }
    }
    return TestRunCounts(started: started, passed: passed)
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
      // No crash backtraces: the backtracer can outlive a trapped test process and keep
      // `swift test` waiting on its output; the stub's message says all there is to say.
      let result = try Shell.run(
        [
          "swift", "test", "--skip-build", "--disable-xctest", "--filter", exercise.testFilter,
        ], in: packageRoot, environment: ["SWIFT_BACKTRACE": "enable=no"],
        timeLimit: timeLimit)
      try result.output.write(
        to: logFolder.appendingPathComponent("ex-\(exercise.id).log"), atomically: true,
        encoding: .utf8)
      let counts = counts(in: result.output)
      // `swift test` runs the tests in a child process and reports its signal.
      let crashed =
        result.crashed || result.timedOut
        || result.output.contains("exited with unexpected signal code")
      let stopper = result.output.range(
        of: #"Exercise [0-9]+\.[0-9]+ is not done yet"#, options: .regularExpression
      ).map { result.output[$0].split(separator: " ")[1] }.map(String.init)
      let passed = Swift.min(counts.passed, expected)
      var failure = firstFailure(in: result.output)
      if result.timedOut {
        failure = "stopped after \(Int(timeLimit)) s: an endless loop?"
      } else if failure == nil, passed < expected || result.status != 0 {
        failure =
          counts.started == 0 && expected > 0
          ? "no test ran (see the log)" : "the test process failed (see the log)"
      }
      grades.append(
        Grade(
          exercise: exercise.id, chapter: exercise.chapter, title: exercise.title,
          tests: expected, passed: passed, exitStatus: result.status,
          crashed: crashed, isStub: stopper == exercise.id,
          blockedBy: stopper == exercise.id ? nil : stopper, points: exercise.points,
          firstFailure: passed == expected && result.status == 0 ? nil : failure))
    }
    return grades
  }

  /// The gradebook as a table, with a total per chapter and overall; under each exercise
  /// not done, what stopped it (`places` gives an exercise's file and line for its stub).
  public static func table(
    _ grades: [Grade], chapterTitles: [Int: String], places: [String: String] = [:]
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
