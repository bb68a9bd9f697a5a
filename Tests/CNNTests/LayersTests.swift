import CNN
import Foundation
import Scalar
import TestSupport
import Testing

@Suite("CNN layers: initialization, names, a small network that learns")
struct LayersTests {
  @Test("Conv2d is initialized uniformly in ±1/√fan-in, fan-in = in/groups · kh · kw")
  func initialization() throws {
    var g = SeededGenerator(seed: 3)
    let layer = try Conv2d(16, 32, kernel: 3, groups: 2, using: &g)
    #expect(layer.weight.shape == [32, 8, 3, 3])
    let bound = 1 / Double(8 * 9).squareRoot()
    let w = layer.weight.scalars
    #expect(w.allSatisfy { abs($0) <= bound } && w.contains { abs($0) > 0.9 * bound })
    let variance = w.map { $0 * $0 }.reduce(0, +) / Double(w.count)
    #expect(abs(variance / (bound * bound / 3) - 1) < 0.1)
    #expect(throws: TensorError.self) { try Conv2d(6, 4, kernel: 3, groups: 4, using: &g) }
    #expect(throws: TensorError.self) { try Conv2d(1, 4, kernel: 0, using: &g) }
  }

  @Test(
    "parameters and buffers have dotted names (as PyTorch's, camelCase); buffers are not trained")
  func names() throws {
    var g = SeededGenerator(seed: 1)
    let model = Sequential(
      try Conv2d(1, 4, kernel: 3, padding: 1, using: &g), try BatchNorm2d(4), ReLU(),
      MaxPool2d(kernel: 2), Flatten(), Linear(4 * 14 * 14, 10, using: &g))
    let names = model.namedTensors().map(\.name)
    #expect(
      names == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
        "layers.1.runningMean", "layers.1.runningVariance", "layers.1.batchesTracked",
        "layers.5.weight", "layers.5.bias",
      ])
    #expect(model.parameters().count == 6)
    let y = try model(Tensor.zeros([2, 1, 28, 28]))
    #expect(y.shape == [2, 10])
  }

  @Test("a small CNN learns to tell vertical bars from horizontal ones")
  func learns() throws {
    var g = SeededGenerator(seed: 7)
    // 8×8 images with one bar, at a random row (class 0) or column (class 1).
    var images: [Double] = []
    var labels: [Int] = []
    for i in 0..<32 {
      let at = Int.random(in: 1..<7, using: &g)
      let image = (0..<64).map { p in (i % 2 == 0 ? p / 8 : p % 8) == at ? 1.0 : 0.0 }
      images += image
      labels.append(i % 2)
    }
    let x = try Tensor(images, shape: [32, 1, 8, 8])
    let model = Sequential(
      try Conv2d(1, 4, kernel: 3, padding: 1, using: &g), try BatchNorm2d(4), ReLU(),
      MaxPool2d(kernel: 2), Flatten(), Linear(4 * 4 * 4, 2, using: &g))
    let optimizer = Adam(model.parameters(), learningRate: 0.02)
    var losses: [Double] = []
    for _ in 0..<30 {
      model.zeroGrad()
      let loss = try crossEntropy(logits: model(x), targets: labels)
      try loss.backward()
      try optimizer.step()
      losses.append(try loss.item())
    }
    #expect(losses.last! < 0.1 * losses.first!, "\(losses)")
    model.eval()
    #expect(try accuracy(logits: model(x), targets: labels) == 1)
  }

  @Test("a checkpoint round trip: parameters, running statistics and the int64 batch count")
  func checkpoint() throws {
    var g = SeededGenerator(seed: 5)
    func model(_ g: inout SeededGenerator) throws -> Sequential {
      Sequential(
        try Conv2d(1, 2, kernel: 3, padding: 1, using: &g), try BatchNorm2d(2), ReLU(),
        MaxPool2d(kernel: 2), Flatten(), Linear(2 * 2 * 2, 3, using: &g))
    }
    let trained = try model(&g)
    let x = sample([4, 1, 4, 4], seed: 0.3).to(.float32)
    for _ in 0..<3 { _ = try trained(x) }  // moves the running statistics, counts 3 batches
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("cnn-\(UInt64.random(in: 0...UInt64.max)).safetensors").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try trained.save(to: path)
    var other = SeededGenerator(seed: 99)
    let loaded = try model(&other)
    try loaded.load(from: path)
    let bn = loaded.layers[1] as! BatchNorm2d
    #expect(try bn.batchesTracked.integers() == [3])
    #expect(bn.runningMean.scalars == (trained.layers[1] as! BatchNorm2d).runningMean.scalars)
    trained.eval()
    loaded.eval()
    #expect(try loaded(x).scalars == trained(x).scalars)
  }

  @Test("Flatten keeps the leading axes")
  func flatten() throws {
    #expect(try Flatten()(Tensor.zeros([2, 3, 4, 5])).shape == [2, 60])
    #expect(try Flatten(startAxis: 2)(Tensor.zeros([2, 3, 4, 5])).shape == [2, 3, 20])
  }
}
