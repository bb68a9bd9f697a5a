import Figures
import Foundation

extension Tensor {
  /// The tape that produced this tensor in graphviz's DOT language.
  ///
  /// A record per tensor shows its label, shape and dtype (and gradient norm when it has
  /// one); an ellipse per operation sits between inputs and result. Leaves are shaded,
  /// leaves that require a gradient (parameters) more strongly. Names follow the
  /// topological order, so the text is the same on every run.
  ///
  /// Drawn top to bottom by default: a graph is mostly one long chain, and downwards it
  /// fits a page's column (`rankdir: "LR"` draws it left to right).
  public func dot(rankdir: String = "TB") -> String {
    let order = topologicalOrder()
    var index: [ObjectIdentifier: Int] = [:]
    for (i, t) in order.enumerated() { index[ObjectIdentifier(t)] = i }
    var lines = [
      "digraph Tape {",
      "  rankdir=\(rankdir);",
      "  node [fontname=\"Helvetica\", fontsize=11];",
      "  edge [color=\"#555555\"];",
    ]
    for (i, t) in order.enumerated() {
      var fields: [String] = []
      if !t.label.isEmpty { fields.append(DOT.escapeRecordField(t.label)) }
      fields.append(DOT.escapeRecordField("\(describe(t.shape)) \(t.dtype)"))
      if let grad = t.grad {
        let norm = grad.scalars.reduce(0) { $0 + $1 * $1 }.squareRoot()
        fields.append(DOT.escapeRecordField(String(format: "‖grad‖ %.4g", norm)))
      }
      let fill = !t.isLeaf ? "#ffffff" : (t.requiresGrad ? "#c6dbef" : "#eeeeee")
      lines.append(
        "  t\(i) [shape=record, style=filled, fillcolor=\"\(fill)\", "
          + "label=\"{ \(fields.joined(separator: " | ")) }\"];")
      guard let node = t.node else { continue }
      lines.append("  t\(i)_op [shape=ellipse, label=\"\(DOT.escapeString(node.op))\"];")
      lines.append("  t\(i)_op -> t\(i);")
      for input in node.inputs {
        lines.append("  t\(index[ObjectIdentifier(input)]!) -> t\(i)_op;")
      }
    }
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  /// Writes the tape as `path` (an `.svg`) and the `.dot` beside it; see `Graphviz.render`.
  @discardableResult
  public func renderTape(to path: String) throws -> GraphvizOutcome {
    try Graphviz.render(dot: dot(), toSVG: path)
  }
}
