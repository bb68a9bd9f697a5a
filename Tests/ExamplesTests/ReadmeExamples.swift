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
