import Foundation

/// Small images in a grid, each with a caption: a network's learned filters, or the feature
/// maps of one input.
///
/// Each image is scaled on its own. Grayscale maps the smallest value to white and the
/// largest to black; the diverging scale (for filters, whose sign matters) maps 0 to white,
/// positive values to red and negative ones to blue, symmetric around 0.
public struct ImageGrid: SVGFigure {
  /// One image: row-major values and a caption.
  public struct Image {
    /// The values, row-major (`height × width`).
    public var pixels: [Double]
    /// The number of rows.
    public var height: Int
    /// The number of columns.
    public var width: Int
    /// The caption under it.
    public var caption: String

    /// An image of `height × width` values.
    public init(pixels: [Double], height: Int, width: Int, caption: String = "") {
      precondition(pixels.count == height * width, "ImageGrid.Image: \(pixels.count) values")
      (self.pixels, self.height, self.width, self.caption) = (pixels, height, width, caption)
    }
  }

  /// The figure's title.
  public var title: String
  /// The images, left to right, top to bottom.
  public var images: [Image]
  /// Images per row.
  public var columns: Int
  /// The side of one displayed image, in points.
  public var cellSize: Double
  /// Red and blue around a white 0 instead of grayscale.
  public var diverging: Bool

  /// A grid of `images`, `columns` per row, each drawn `cellSize` points wide.
  public init(
    title: String, images: [Image], columns: Int, cellSize: Double = 64, diverging: Bool = false
  ) {
    (self.title, self.images, self.columns) = (title, images, Swift.max(columns, 1))
    (self.cellSize, self.diverging) = (cellSize, diverging)
  }

  /// The fill color of `value` in an image whose values span `low...high`.
  func color(_ value: Double, low: Double, high: Double) -> String {
    func hex(_ x: Double) -> String {
      String(format: "%02x", Int((x.isFinite ? Swift.min(Swift.max(x, 0), 1) : 0) * 255))
    }
    if diverging {
      let bound = Swift.max(Swift.abs(low), Swift.abs(high), 1e-12)
      let t = Swift.min(Swift.abs(value) / bound, 1)
      // White to red (214, 39, 40) or to blue (31, 119, 180).
      let (r, g, b) = value >= 0 ? (214.0, 39.0, 40.0) : (31.0, 119.0, 180.0)
      return "#" + hex(1 - t * (1 - r / 255)) + hex(1 - t * (1 - g / 255))
        + hex(1 - t * (1 - b / 255))
    }
    let t = high > low ? (value - low) / (high - low) : 0
    let level = hex(1 - t)
    return "#" + level + level + level
  }

  /// The SVG document.
  public func svg() -> String {
    let gap = 14.0
    let captionHeight = 18.0
    let top = 34.0
    let rows = (images.count + columns - 1) / columns
    let width = Double(columns) * (cellSize + gap) + gap
    let height = top + Double(rows) * (cellSize + captionHeight + gap) + 4
    var out = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(SVG.number(width))\" "
        + "height=\"\(SVG.number(height))\" viewBox=\"0 0 \(SVG.number(width)) "
        + "\(SVG.number(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">",
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
      "<text x=\"\(SVG.number(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">"
        + "\(SVG.escape(title))</text>",
    ]
    for (index, image) in images.enumerated() {
      let x0 = gap + Double(index % columns) * (cellSize + gap)
      let y0 = top + Double(index / columns) * (cellSize + captionHeight + gap)
      let pixel = cellSize / Double(Swift.max(image.height, image.width, 1))
      let finite = image.pixels.filter(\.isFinite)
      let (low, high) = (finite.min() ?? 0, finite.max() ?? 0)
      for row in 0..<image.height {
        for column in 0..<image.width {
          let value = image.pixels[row * image.width + column]
          // Overlap by a hair so that no seams show between pixels.
          out.append(
            "<rect x=\"\(SVG.number(x0 + Double(column) * pixel))\" "
              + "y=\"\(SVG.number(y0 + Double(row) * pixel))\" "
              + "width=\"\(String(format: "%.2f", pixel + 0.6))\" "
              + "height=\"\(String(format: "%.2f", pixel + 0.6))\" "
              + "fill=\"\(color(value, low: low, high: high))\"/>")
        }
      }
      out.append(
        "<rect x=\"\(SVG.number(x0))\" y=\"\(SVG.number(y0))\" "
          + "width=\"\(SVG.number(pixel * Double(image.width)))\" "
          + "height=\"\(SVG.number(pixel * Double(image.height)))\" fill=\"none\" "
          + "stroke=\"#999\" stroke-width=\"0.5\"/>")
      out.append(
        "<text x=\"\(SVG.number(x0 + cellSize / 2))\" "
          + "y=\"\(SVG.number(y0 + cellSize + 13))\" text-anchor=\"middle\">"
          + "\(SVG.escape(image.caption))</text>")
    }
    out.append("</svg>")
    return out.joined(separator: "\n")
  }
}
