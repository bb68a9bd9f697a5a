import Foundation

/// A drawing of how 2-d views map onto one row of storage: the storage cells, and for
/// each view a grid whose cells show the storage index they read.
public struct LayoutFigure: SVGFigure {
  /// One view: its name and its 2-d layout.
  public struct View {
    /// The caption, such as `t.transposed()`.
    public var name: String
    /// Rows and columns.
    public var shape: (rows: Int, columns: Int)
    /// Elements to step per row and per column.
    public var strides: (row: Int, column: Int)
    /// The storage index of element [0, 0].
    public var offset: Int

    /// Creates a view description.
    public init(
      name: String, shape: (rows: Int, columns: Int), strides: (row: Int, column: Int),
      offset: Int
    ) {
      self.name = name
      self.shape = shape
      self.strides = strides
      self.offset = offset
    }
  }

  /// How many storage cells to draw.
  public var storageCount: Int
  /// The views, drawn left to right under the storage row.
  public var views: [View]

  /// Creates a figure.
  public init(storageCount: Int, views: [View]) {
    self.storageCount = storageCount
    self.views = views
  }

  /// The SVG document.
  public func svg() -> String {
    let cell = 34.0
    let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    func texts(_ view: View) -> [String] {
      [
        view.name, "shape [\(view.shape.rows), \(view.shape.columns)]",
        "strides [\(view.strides.row), \(view.strides.column)], offset \(view.offset)",
      ]
    }
    // Each view's column is as wide as its grid or its longest caption line.
    let columnWidths = views.map { view in
      Swift.max(
        Double(view.shape.columns) * cell, Double(texts(view).map(\.count).max() ?? 0) * 6.8)
    }
    let width = Swift.max(
      Double(storageCount) * cell + 40, columnWidths.reduce(0, +) + Double(views.count) * 30 + 20)
    let maxRows = views.map(\.shape.rows).max() ?? 0
    let height = 150 + Double(maxRows) * cell + 30
    var out = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" "
        + "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">",
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
      "<text x=\"20\" y=\"22\" font-size=\"13\">storage</text>",
    ]
    for i in 0..<storageCount {
      let x = 20 + Double(i) * cell
      out.append(
        "<rect x=\"\(f(x))\" y=\"30\" width=\"\(f(cell))\" height=\"\(f(cell))\" "
          + "fill=\"#f6f6f8\" stroke=\"#333\"/>")
      out.append(
        "<text x=\"\(f(x + cell / 2))\" y=\"\(f(30 + cell / 2 + 4))\" text-anchor=\"middle\">"
          + "\(i)</text>")
    }
    var left = 20.0
    for (v, view) in views.enumerated() {
      let color = palette[v % palette.count]
      let top = 140.0
      for (line, text) in texts(view).enumerated() {
        out.append(
          "<text x=\"\(f(left))\" y=\"\(f(top - 52 + Double(line) * 16))\" "
            + "fill=\"\(line == 0 ? color : "#666")\" font-size=\"\(line == 0 ? 13 : 12)\">"
            + "\(escape(text))</text>")
      }
      for r in 0..<view.shape.rows {
        for c in 0..<view.shape.columns {
          let index = view.offset + r * view.strides.row + c * view.strides.column
          let x = left + Double(c) * cell
          let y = top + Double(r) * cell
          out.append(
            "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" "
              + "fill=\"white\" stroke=\"\(color)\" stroke-width=\"1.5\"/>")
          out.append(
            "<text x=\"\(f(x + cell / 2))\" y=\"\(f(y + cell / 2 + 4))\" text-anchor=\"middle\" "
              + "fill=\"\(color)\">\(index)</text>")
        }
      }
      left += columnWidths[v] + 30
    }
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }

  private func f(_ x: Double) -> String { SVG.number(x) }
  private func escape(_ s: String) -> String { SVG.escape(s) }
}
