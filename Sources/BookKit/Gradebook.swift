import Foundation

/// The grade of one exercise.
public struct Grade: Codable, Equatable, Sendable {
  /// `1.2`.
  public var exercise: String
  /// The chapter number.
  public var chapter: Int
  /// The exercise's title.
  public var title: String
  /// Tests that ran (started).
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

  /// Runs every exercise's tests (the package must already be built with its tests) and
  /// returns the grades; each run's output goes to `logFolder/ex-C.N.log`. A run longer than
  /// `timeLimit` seconds (an endless loop in an exercise) is stopped and fails.
  public static func grade(
    _ exercises: [Exercise], packageRoot: URL, logFolder: URL, timeLimit: Double = 600,
    progress: (String) -> Void = { _ in }
  ) throws -> [Grade] {
    try FileManager.default.createDirectory(at: logFolder, withIntermediateDirectories: true)
    var grades: [Grade] = []
    for exercise in exercises {
      progress("grading exercise \(exercise.id): \(exercise.title)")
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
      grades.append(
        Grade(
          exercise: exercise.id, chapter: exercise.chapter, title: exercise.title,
          tests: counts.started, passed: counts.passed, exitStatus: result.status,
          crashed: crashed, isStub: stopper == exercise.id,
          blockedBy: stopper == exercise.id ? nil : stopper, points: exercise.points))
    }
    return grades
  }

  /// The gradebook as a table, with a total per chapter and overall.
  public static func table(_ grades: [Grade], chapterTitles: [Int: String]) -> String {
    let titleWidth = min(max(grades.map(\.title.count).max() ?? 5, 5), 48)
    func pad(_ s: String, _ n: Int) -> String {
      s.count >= n ? String(s.prefix(n)) : s + String(repeating: " ", count: n - s.count)
    }
    var out: [String] = []
    let header =
      "\(pad("chapter", 22))  \(pad("exercise", 8))  \(pad("title", titleWidth))  "
      + "\(pad("tests", 7))  \(pad("result", 9))  points"
    out.append(header)
    out.append(String(repeating: "─", count: header.count + 2))
    for chapter in Set(grades.map(\.chapter)).sorted() {
      let rows = grades.filter { $0.chapter == chapter }
      let name = "\(chapter) \(chapterTitles[chapter] ?? "")"
      for (i, g) in rows.enumerated() {
        let result =
          g.isDone
          ? "passed"
          : g.tests == 0
            ? "no tests"
            : g.isStub
              ? "stub" : g.blockedBy.map { "needs \($0)" } ?? (g.crashed ? "crashed" : "failed")
        out.append(
          "\(pad(i == 0 ? name : "", 22))  \(pad(g.exercise, 8))  \(pad(g.title, titleWidth))  "
            + "\(pad("\(g.passed)/\(g.tests)", 7))  \(pad(result, 9))  \(g.earned)/\(g.points)")
      }
      let earned = rows.map(\.earned).reduce(0, +)
      let possible = rows.map(\.points).reduce(0, +)
      let done = rows.filter(\.isDone).count
      out.append(
        "\(pad("", 22))  \(pad("", 8))  chapter \(chapter): \(done) of \(rows.count) done, "
          + "\(earned)/\(possible) points")
    }
    out.append(String(repeating: "─", count: header.count + 2))
    let earned = grades.map(\.earned).reduce(0, +)
    let possible = grades.map(\.points).reduce(0, +)
    out.append(
      "\(pad("total", 22))  \(pad("", 8))  \(grades.filter(\.isDone).count) of \(grades.count) "
        + "exercises done, \(earned)/\(possible) points")
    return out.joined(separator: "\n")
  }
}
