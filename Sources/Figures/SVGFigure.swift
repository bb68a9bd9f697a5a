import Foundation

/// A figure that renders itself as an SVG document.
public protocol SVGFigure {
  /// The SVG document.
  func svg() -> String
}

extension SVGFigure {
  /// Writes the SVG to `path`, creating its folder.
  public func write(to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try svg().write(to: url, atomically: true, encoding: .utf8)
  }
}

/// Small helpers shared by the figures.
enum SVG {
  /// Text escaped for SVG content.
  static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }

  /// A coordinate with one decimal.
  static func number(_ x: Double) -> String { String(format: "%.1f", x) }
}
