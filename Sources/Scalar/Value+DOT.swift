import Figures
import Foundation

extension Value {
  /// The graph that produced this value in graphviz's DOT language.
  ///
  /// A record per value shows its label, data and grad; an ellipse per operation sits
  /// between the inputs and the result. Node names follow the topological order, so the
  /// text is the same on every run for the same graph.
  ///
  /// Drawn top to bottom by default: a graph is mostly one long chain, and downwards it
  /// fits a page's column (`rankdir: "LR"` draws it left to right).
  public func dot(rankdir: String = "TB") -> String {
    let order = topologicalOrder()
    var index: [ObjectIdentifier: Int] = [:]
    for (i, node) in order.enumerated() { index[ObjectIdentifier(node)] = i }
    var lines = [
      "digraph Value {",
      "  rankdir=\(rankdir);",
      "  node [fontname=\"Helvetica\", fontsize=11];",
      "  edge [color=\"#555555\"];",
    ]
    for (i, node) in order.enumerated() {
      let fields = [
        node.label.isEmpty ? nil : DOT.escapeRecordField(node.label),
        "data \(DOT.escapeRecordField(Self.format4(node.data)))",
        "grad \(DOT.escapeRecordField(Self.format4(node.grad)))",
      ].compactMap { $0 }
      let fill = node.isLeaf ? "#e8f0fe" : "#ffffff"
      lines.append(
        "  v\(i) [shape=record, style=filled, fillcolor=\"\(fill)\", "
          + "label=\"{ \(fields.joined(separator: " | ")) }\"];")
      guard !node.isLeaf else { continue }
      lines.append(
        "  v\(i)_op [shape=ellipse, label=\"\(DOT.escapeString(node.op.symbol))\"];")
      lines.append("  v\(i)_op -> v\(i);")
      for input in node.inputs {
        lines.append("  v\(index[ObjectIdentifier(input)]!) -> v\(i)_op;")
      }
    }
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  /// Writes `path` (an `.svg`) and the `.dot` beside it; see `Graphviz.render`.
  @discardableResult
  public func renderGraph(to path: String) throws -> GraphvizOutcome {
    try Graphviz.render(dot: dot(), toSVG: path)
  }

  static func format4(_ x: Double) -> String {
    x.isFinite ? String(format: "%.4f", x) : String(x)
  }
}
