import Foundation

/// A one-line progress bar with rate and time left, drawn on standard error when it is a
/// terminal, silent otherwise (logs and the book's captured output stay clean).
public final class ProgressBar {
  /// What is being counted.
  public let label: String
  /// The count at completion.
  public let total: Int
  /// How far along.
  public private(set) var completed = 0
  /// Extra text after the bar (e.g. the current loss).
  public var status = ""
  let start = Date()
  var lastDraw = Date.distantPast
  let enabled: Bool

  /// A bar for `total` units of work; drawn only when `enabled` (default: standard error
  /// is a terminal).
  public init(_ label: String, total: Int, enabled: Bool = isatty(2) != 0) {
    self.label = label
    self.total = Swift.max(total, 1)
    self.enabled = enabled
  }

  /// Records `n` more units done and redraws (at most ten times a second).
  public func advance(by n: Int = 1) {
    completed = Swift.min(completed + n, total)
    let now = Date()
    if enabled && (now.timeIntervalSince(lastDraw) > 0.1 || completed == total) {
      lastDraw = now
      FileHandle.standardError.write(Data(("\r" + line(now: now)).utf8))
    }
  }

  /// Ends the line.
  public func finish() {
    if enabled { FileHandle.standardError.write(Data("\r\(line(now: Date()))\n".utf8)) }
  }

  /// The bar as text: `label [=====>    ] 120/469 · 812.3/s · ETA 0.4 s · status`.
  public func line(now: Date) -> String {
    let width = 24
    let filled = width * completed / total
    let elapsed = Swift.max(now.timeIntervalSince(start), 1e-9)
    let rate = Double(completed) / elapsed
    let remaining = rate > 0 ? Double(total - completed) / rate : 0
    let bar =
      String(repeating: "=", count: filled) + (filled < width ? ">" : "")
      + String(repeating: " ", count: Swift.max(0, width - filled - 1))
    let figures = String(format: "%.1f/s · ETA %.1f s", rate, remaining)
    return "\(label) [\(bar)] \(completed)/\(total) · \(figures)"
      + (status.isEmpty ? "" : " · \(status)")
  }
}
