import Foundation

/// A small SVG chart: axes with ticks, line series, scatter points and a shaded grid.
///
/// Enough for the book's figures (loss curves, decision boundaries) without a plotting
/// library. Coordinates are data coordinates; the plot maps them to pixels.
public struct SVGPlot: SVGFigure {
  /// A polyline through `points`.
  public struct Line {
    /// The points, in data coordinates.
    public var points: [(x: Double, y: Double)]
    /// A CSS colour.
    public var color: String
    /// The legend entry (none when empty).
    public var label: String

    /// Creates a line series.
    public init(points: [(x: Double, y: Double)], color: String, label: String = "") {
      self.points = points
      self.color = color
      self.label = label
    }
  }

  /// Points drawn as small circles.
  public struct Scatter {
    /// The points, in data coordinates.
    public var points: [(x: Double, y: Double)]
    /// A CSS colour.
    public var color: String
    /// The legend entry (none when empty).
    public var label: String

    /// Creates a scatter series.
    public init(points: [(x: Double, y: Double)], color: String, label: String = "") {
      self.points = points
      self.color = color
      self.label = label
    }
  }

  /// A grid of cells, each filled with a colour (e.g. a classifier's decision regions).
  public struct Grid {
    /// The x range the grid covers.
    public var xRange: ClosedRange<Double>
    /// The y range the grid covers.
    public var yRange: ClosedRange<Double>
    /// `colors[row][column]`, row 0 at the bottom (lowest y).
    public var colors: [[String]]

    /// Creates a grid of `colors` over the rectangle `xRange` × `yRange`.
    public init(xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, colors: [[String]]) {
      self.xRange = xRange
      self.yRange = yRange
      self.colors = colors
    }
  }

  /// The title above the plot.
  public var title: String
  /// The x axis label.
  public var xLabel: String
  /// The y axis label.
  public var yLabel: String
  /// Line series.
  public var lines: [Line] = []
  /// Scatter series.
  public var scatters: [Scatter] = []
  /// An optional background grid.
  public var grid: Grid?
  /// The width in pixels.
  public var width = 640.0
  /// The height in pixels.
  public var height = 400.0

  /// Creates an empty plot.
  public init(title: String, xLabel: String, yLabel: String) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
  }

  /// A training run's curve: each step's loss, smoothed over the last 10 steps, and the test
  /// accuracy at the steps it was measured, against the step.
  public static func trainingCurve(
    title: String, losses: [Double], accuracies: [(x: Double, y: Double)]
  ) -> SVGPlot {
    var curve = SVGPlot(title: title, xLabel: "step", yLabel: "")
    let smoothed = losses.indices.map { i in
      (
        x: Double(i + 1),
        y: losses[Swift.max(0, i - 9)...i].reduce(0, +) / Double(Swift.min(i + 1, 10))
      )
    }
    curve.lines = [
      .init(points: smoothed, color: "#d62728", label: "training loss (mean of 10 steps)"),
      .init(points: accuracies, color: "#1f77b4", label: "test accuracy"),
    ]
    return curve
  }

  /// The SVG document.
  public func svg() -> String {
    let left = 64.0, right = 20.0, top = 36.0, bottom = 48.0
    let (xRange, yRange) = dataRanges()
    let plotWidth = width - left - right, plotHeight = height - top - bottom
    func px(_ x: Double) -> Double {
      left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * plotWidth
    }
    func py(_ y: Double) -> Double {
      top + plotHeight - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)
        * plotHeight
    }
    var out = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" "
        + "viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"Helvetica, Arial, sans-serif\" "
        + "font-size=\"12\">",
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
    ]
    if let grid, !grid.colors.isEmpty, !grid.colors[0].isEmpty {
      let rows = grid.colors.count, columns = grid.colors[0].count
      let cellW = (grid.xRange.upperBound - grid.xRange.lowerBound) / Double(columns)
      let cellH = (grid.yRange.upperBound - grid.yRange.lowerBound) / Double(rows)
      for (r, row) in grid.colors.enumerated() {
        for (c, color) in row.enumerated() {
          let x0 = grid.xRange.lowerBound + Double(c) * cellW
          let y1 = grid.yRange.lowerBound + Double(r + 1) * cellH
          out.append(
            "<rect x=\"\(f(px(x0)))\" y=\"\(f(py(y1)))\" width=\"\(f(px(x0 + cellW) - px(x0) + 0.5))\" "
              + "height=\"\(f(py(y1 - cellH) - py(y1) + 0.5))\" fill=\"\(color)\"/>")
        }
      }
    }
    // Axes and ticks.
    out.append(
      "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" "
        + "fill=\"none\" stroke=\"#333\"/>")
    for tick in Self.ticks(xRange) {
      out.append(
        "<line x1=\"\(f(px(tick)))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(px(tick)))\" "
          + "y2=\"\(f(top + plotHeight + 5))\" stroke=\"#333\"/>")
      out.append(
        "<text x=\"\(f(px(tick)))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">"
          + "\(Self.label(tick))</text>")
    }
    for tick in Self.ticks(yRange) {
      out.append(
        "<line x1=\"\(f(left - 5))\" y1=\"\(f(py(tick)))\" x2=\"\(f(left))\" y2=\"\(f(py(tick)))\" "
          + "stroke=\"#333\"/>")
      out.append(
        "<text x=\"\(f(left - 8))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">"
          + "\(Self.label(tick))</text>")
    }
    out.append(
      "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">"
        + "\(Self.escape(xLabel))</text>")
    out.append(
      "<text transform=\"translate(16 \(f(top + plotHeight / 2))) rotate(-90)\" "
        + "text-anchor=\"middle\">\(Self.escape(yLabel))</text>")
    out.append(
      "<text x=\"\(f(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
        + "\(Self.escape(title))</text>")
    for line in lines where !line.points.isEmpty {
      let path = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
      out.append(
        "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.8\" points=\"\(path)\"/>"
      )
    }
    for scatter in scatters {
      for p in scatter.points {
        out.append(
          "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3.5\" fill=\"\(scatter.color)\" "
            + "stroke=\"white\" stroke-width=\"0.8\"/>")
      }
    }
    // Legend.
    let entries =
      lines.filter { !$0.label.isEmpty }.map { ($0.label, $0.color) }
      + scatters.filter { !$0.label.isEmpty }.map { ($0.label, $0.color) }
    if !entries.isEmpty {
      // Sized from its longest label (about 0.6 em per character at 12 px), inside the frame's
      // top-right corner, on a white box so that curves behind it do not cross the text.
      let textWidth = Double(entries.map(\.0.count).max()!) * 7.2
      let boxWidth = Swift.min(textWidth + 30, plotWidth - 8)
      let boxLeft = left + plotWidth - boxWidth - 4
      out.append(
        "<rect x=\"\(f(boxLeft))\" y=\"\(f(top + 4))\" width=\"\(f(boxWidth))\" "
          + "height=\"\(f(Double(entries.count) * 16 + 6))\" fill=\"white\" fill-opacity=\"0.85\" "
          + "stroke=\"#ccc\"/>")
      for (i, entry) in entries.enumerated() {
        let y = top + 18 + Double(i) * 16
        out.append(
          "<rect x=\"\(f(boxLeft + 6))\" y=\"\(f(y - 9))\" width=\"10\" height=\"10\" "
            + "fill=\"\(entry.1)\"/>")
        out.append(
          "<text x=\"\(f(boxLeft + 22))\" y=\"\(f(y))\" textLength=\"\(f(Swift.min(Double(entry.0.count) * 6.6, boxWidth - 28)))\" "
            + "lengthAdjust=\"spacingAndGlyphs\">\(Self.escape(entry.0))</text>")
      }
    }
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }

  private func dataRanges() -> (ClosedRange<Double>, ClosedRange<Double>) {
    var xs = lines.flatMap { $0.points.map(\.x) } + scatters.flatMap { $0.points.map(\.x) }
    var ys = lines.flatMap { $0.points.map(\.y) } + scatters.flatMap { $0.points.map(\.y) }
    if let grid {
      xs += [grid.xRange.lowerBound, grid.xRange.upperBound]
      ys += [grid.yRange.lowerBound, grid.yRange.upperBound]
    }
    return (Self.padded(xs.filter(\.isFinite)), Self.padded(ys.filter(\.isFinite)))
  }

  private static func padded(_ values: [Double]) -> ClosedRange<Double> {
    guard let low = values.min(), let high = values.max() else { return 0...1 }
    if low == high { return (low - 1)...(high + 1) }
    return low...high
  }

  /// About five round tick positions inside `range`.
  static func ticks(_ range: ClosedRange<Double>) -> [Double] {
    let span = range.upperBound - range.lowerBound
    let raw = span / 5
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
    var tick = ceil(range.lowerBound / step) * step
    var result: [Double] = []
    while tick <= range.upperBound + step * 1e-9 {
      result.append(abs(tick) < step * 1e-9 ? 0 : tick)
      tick += step
    }
    return result
  }

  private static func label(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e6 ? String(Int(x)) : String(format: "%.3g", x)
  }

  private static func escape(_ text: String) -> String { SVG.escape(text) }

  private func f(_ x: Double) -> String { SVG.number(x) }
}
