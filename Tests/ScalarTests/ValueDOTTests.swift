import Foundation
import Testing

@testable import Scalar

@Suite("Value: DOT export")
struct ValueDOTTests {
  @Test("a small graph's DOT text is exactly as expected, and stable")
  func smallGraph() {
    let a = Value(2, label: "a")
    let b = Value(-3, label: "b")
    let c = a * b
    c.label = "c"
    c.backward()
    let expected = """
      digraph Value {
        rankdir=TB;
        node [fontname="Helvetica", fontsize=11];
        edge [color="#555555"];
        v0 [shape=record, style=filled, fillcolor="#e8f0fe", label="{ a | data 2.0000 | grad -3.0000 }"];
        v1 [shape=record, style=filled, fillcolor="#e8f0fe", label="{ b | data -3.0000 | grad 2.0000 }"];
        v2 [shape=record, style=filled, fillcolor="#ffffff", label="{ c | data -6.0000 | grad 1.0000 }"];
        v2_op [shape=ellipse, label="×"];
        v2_op -> v2;
        v0 -> v2_op;
        v1 -> v2_op;
      }

      """
    #expect(c.dot() == expected)
    #expect(c.dot() == c.dot())
  }

  @Test("labels with record syntax and quotes are escaped")
  func escaping() {
    let v = Value(1, label: "{x|\"y\"}<z>\\")
    let dot = v.tanh().dot()
    #expect(dot.contains(#"label="{ \{x\|\"y\"\}\<z\>\\ | data 1.0000"#))
  }

  @Test("a shared input has one record and one edge per use")
  func sharedInput() {
    let a = Value(3, label: "a")
    let dot = (a * a).dot()
    #expect(dot.components(separatedBy: "label=\"{ a |").count == 2)
    #expect(dot.components(separatedBy: "v0 -> v1_op;").count == 3)
  }

  @Test("rendering writes the .dot file even when graphviz is missing")
  func renderWithoutDot() throws {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("gradbook-dot-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let svg = folder.appendingPathComponent("g.svg").path
    let outcome = try Value(1, label: "x").tanh().renderGraph(to: svg)
    let dotPath = folder.appendingPathComponent("g.dot").path
    #expect(FileManager.default.fileExists(atPath: dotPath))
    switch outcome {
    case .svg: #expect(FileManager.default.fileExists(atPath: svg))
    case .dotOnly(_, let message): #expect(message.contains("graphviz"))
    }
  }
}
