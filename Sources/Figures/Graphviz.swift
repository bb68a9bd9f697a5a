import Foundation

/// What `Graphviz.render` produced.
public enum GraphvizOutcome: Equatable, Sendable {
  /// Both the `.dot` and the `.svg` were written.
  case svg(dotPath: String, svgPath: String)
  /// Only the `.dot` was written, because graphviz's `dot` is not installed.
  case dotOnly(dotPath: String, message: String)
}

/// Errors from rendering a graph.
public struct GraphvizError: Error, CustomStringConvertible {
  /// What went wrong, naming the file.
  public let description: String
}

/// Renders DOT text to SVG through graphviz's `dot` program.
public enum Graphviz {
  /// The `dot` executable on `PATH`, if there is one.
  public static func dotExecutable() -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
      let candidate = "\(directory)/dot"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Writes `dot` to the `.dot` file beside `svgPath`, then runs `dot -Tsvg` to write `svgPath`.
  ///
  /// When `dot` is missing the `.dot` file is still written and the outcome says how to
  /// install graphviz; when `dot` fails the error carries its message and the file names.
  @discardableResult
  public static func render(dot: String, toSVG svgPath: String) throws -> GraphvizOutcome {
    let svgURL = URL(fileURLWithPath: svgPath)
    try FileManager.default.createDirectory(
      at: svgURL.deletingLastPathComponent(), withIntermediateDirectories: true)
    let dotPath = svgURL.deletingPathExtension().appendingPathExtension("dot").path
    try dot.write(toFile: dotPath, atomically: true, encoding: .utf8)
    guard let executable = dotExecutable() else {
      return .dotOnly(
        dotPath: dotPath,
        message: "graphviz's `dot` is not on PATH: wrote \(dotPath) but not \(svgPath). "
          + "Install graphviz (apt-get install graphviz) and run again for the SVG.")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["-Tsvg", dotPath, "-o", svgPath]
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw GraphvizError(
        description: "dot -Tsvg \(dotPath) failed (exit \(process.terminationStatus)): "
          + String(decoding: message, as: UTF8.self))
    }
    return .svg(dotPath: dotPath, svgPath: svgPath)
  }
}

/// Escaping for the DOT language.
public enum DOT {
  /// Escapes text for a double-quoted DOT string.
  public static func escapeString(_ text: String) -> String {
    var out = ""
    for ch in text {
      switch ch {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      default: out.append(ch)
      }
    }
    return out
  }

  /// Escapes text for one field of a `shape=record` label, inside a double-quoted string.
  ///
  /// Braces, bars, angle brackets and spaces at the ends are record syntax, so they are
  /// backslash-escaped; quotes and backslashes as in any DOT string.
  public static func escapeRecordField(_ text: String) -> String {
    var out = ""
    for ch in text {
      switch ch {
      case "{", "}", "|", "<", ">": out += "\\\(ch)"
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      default: out.append(ch)
      }
    }
    return out
  }
}
