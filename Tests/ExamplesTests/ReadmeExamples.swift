// The README's examples, compiled and run as tests: the README shows these regions (`make
// sync`), so what a newcomer copies from it is code that builds against the public products.
import Foundation
import NN
import Scalar  // SeededGenerator: `import NN` brings Tensor and the engine, not the generator
import Testing

@Suite("README: the examples a newcomer copies")
struct ReadmeExamples {
  @Test("using the stages as a library: a small MLP learns y = 2x − 1")
  func library() throws {
    // listing: readme-library
    var generator = SeededGenerator(seed: 1)
    let model = Sequential(
      Linear(1, 16, using: &generator), Tanh(), Linear(16, 1, using: &generator))
    let optimizer = Adam(model.parameters(), learningRate: 0.01)
    let x = try Tensor((0..<32).map { Double($0) / 16 - 1 }, shape: [32, 1])
    let y = x * 2 - 1
    for _ in 0..<300 {
      model.zeroGrad()
      let loss = try mseLoss(model(x), y)
      try loss.backward()
      try optimizer.step()
    }
    // end listing: readme-library
    let final = try mseLoss(model(x), y).item()
    #expect(final < 1e-2, "loss after training: \(final)")
  }

  @Test("drawing a tape as SVG is one call")
  func drawing() throws {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("gradbook-readme-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("tape.svg").path
    // listing: readme-tape
    let w = try Tensor([0.5, -1, 2], shape: [3])
    w.requiresGrad = true
    let loss = try (w * w).sum()
    try loss.renderTape(to: path)  // tape.svg, and tape.dot beside it
    // end listing: readme-tape
    #expect(
      FileManager.default.fileExists(atPath: path.replacingOccurrences(of: ".svg", with: ".dot")))
  }
}

// listing: custom-op
extension Tensor {
  /// √(x² + y²) elementwise: an operation defined outside the engine, through the same
  /// public API that the engine's own operations use.
  func hypot(_ y: Tensor) throws -> Tensor {
    let x = self
    let value = try plainly { try (x * x + y * y).sqrt() }
    return value.recorded(
      "hypot", [x, y],
      // since chapter 4: forward mode
      jvp: { t, r in
        try sumOfTerms([t[0].map { try $0 * x / r }, t[1].map { try $0 * y / r }])
      }
      // end since chapter 4
    ) { g in
      // Recomputed from the inputs (differentiable again), and only what is needed:
      // `requiresGrad` is PyTorch's `needs_input_grad`.
      let r = try (x * x + y * y).sqrt()
      return [
        x.requiresGrad ? try g * x / r : nil,
        y.requiresGrad ? try g * y / r : nil,
      ]
    }
  }
}
// end listing: custom-op

@Suite("The public op API, used from outside the engine")
struct CustomOperationTests {
  let x = try! Tensor([3, -1, 0.5, 2], shape: [2, 2], dtype: .float64)
  let y = try! Tensor([4, 2, -1.5, 0.25], shape: [2, 2], dtype: .float64)

  @Test("values, gradients against central differences, second derivatives, forward mode")
  func hypotIsDifferentiable() throws {
    #expect(try x.hypot(y).scalars[0] == 5)
    let report = try gradcheck({ try $0[0].hypot($0[1]) }, inputs: [x, y])
    #expect(report.passed, "\(report)")
    #expect(try gradgradcheck({ try $0.hypot(y).sum() }, at: x) < 1e-6)
    let v = try Tensor([0.5, -1, 2, 1], shape: [2, 2], dtype: .float64)
    let forward = try forwardJVP({ try $0.hypot(y) }, at: x, tangent: v)
    let reference = try jvpByDoubleVJP({ try $0.hypot(y) }, at: x, tangent: v)
    #expect(forward != nil)
    for (a, b) in zip(forward?.scalars ?? [], reference.scalars) {
      #expect(Swift.abs(a - b) < 1e-12)
    }
  }

  @Test("the VJP is told which inputs need a gradient")
  func needsInputGradient() throws {
    let a = x.detach()
    a.requiresGrad = true
    let b = y.detach()  // a constant: no gradient is computed for it
    try a.hypot(b).sum().backward()
    #expect(a.grad != nil && b.grad == nil)
    #expect(a.grad?.scalars[0] == 3.0 / 5.0)
  }
}
