import Foundation

/// A drawing of broadcasting's two directions for a row vector stretched over a grid: in the
/// forward pass each of its elements fans out to a whole column (expand, stride 0); in the
/// backward pass each column's gradients fan back in to one element (a sum).
public struct FanFigure: SVGFigure {
  /// The vector's values (one per column).
  public var vector: [Double]
  /// The grid's rows.
  public var rows: Int
  /// The gradient arriving at each grid cell, row-major (`rows × vector.count`).
  public var gridGradient: [Double]
  /// The vector's gradient: each column of `gridGradient` summed.
  public var vectorGradient: [Double]
  /// Captions of the two panels.
  public var titles: (forward: String, backward: String)

  /// Creates a figure.
  public init(
    vector: [Double], rows: Int, gridGradient: [Double], vectorGradient: [Double],
    titles: (forward: String, backward: String)
  ) {
    self.vector = vector
    self.rows = rows
    self.gridGradient = gridGradient
    self.vectorGradient = vectorGradient
    self.titles = titles
  }

  /// The SVG document.
  public func svg() -> String {
    let (boxWidth, boxHeight, pitch, rowPitch) = (40.0, 30.0, 66.0, 44.0)
    let columns = vector.count
    let panel = Double(columns) * pitch + 50
    let width = 2 * panel + 40
    let vectorTop = 40.0
    let gridTop = 130.0
    let height = gridTop + Double(rows) * rowPitch + 20
    let blue = "#1f77b4"
    let red = "#d62728"
    var out = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(SVG.number(width))\" "
        + "height=\"\(SVG.number(height))\" viewBox=\"0 0 \(SVG.number(width)) "
        + "\(SVG.number(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">",
      "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" "
        + "markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/>"
        + "</marker></defs>",
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
    ]
    func box(_ x: Double, _ y: Double, _ text: String, _ color: String) {
      out.append(
        "<rect x=\"\(SVG.number(x))\" y=\"\(SVG.number(y))\" width=\"\(SVG.number(boxWidth))\" "
          + "height=\"\(SVG.number(boxHeight))\" fill=\"\(color)\" fill-opacity=\"0.15\" "
          + "stroke=\"\(color)\"/>")
      out.append(
        "<text x=\"\(SVG.number(x + boxWidth / 2))\" y=\"\(SVG.number(y + boxHeight / 2 + 5))\" "
          + "text-anchor=\"middle\">\(SVG.escape(text))</text>")
    }
    /// An arrow along `points`, through the gap left of a column.
    func arrow(_ points: [(Double, Double)]) {
      let d = points.enumerated().map { i, p in
        "\(i == 0 ? "M" : "L")\(SVG.number(p.0)),\(SVG.number(p.1))"
      }.joined(separator: " ")
      out.append(
        "<path d=\"\(d)\" fill=\"none\" stroke=\"#555\" stroke-width=\"1\" "
          + "marker-end=\"url(#arrow)\"/>")
    }
    func number(_ x: Double) -> String { String(format: "%g", x) }
    for (side, left) in [(0, 20.0), (1, 20 + panel + 20)] {
      let title = side == 0 ? titles.forward : titles.backward
      out.append(
        "<text x=\"\(SVG.number(left))\" y=\"22\" font-weight=\"bold\">\(SVG.escape(title))</text>")
      for j in 0..<columns {
        let x = left + 24 + Double(j) * pitch
        box(x, vectorTop, number(side == 0 ? vector[j] : vectorGradient[j]), side == 0 ? blue : red)
        for i in 0..<rows {
          let y = gridTop + Double(i) * rowPitch
          box(
            x, y, number(side == 0 ? vector[j] : gridGradient[i * columns + j]),
            side == 0 ? blue : red)
          let gap = x - 10 - Double(i) * 4
          let route = [
            (x + boxWidth / 2 - 6 + Double(i) * 6, vectorTop + boxHeight), (gap, gridTop - 22),
            (gap, y + boxHeight / 2), (x, y + boxHeight / 2),
          ]
          arrow(side == 0 ? route : route.reversed())
        }
      }
    }
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }
}
