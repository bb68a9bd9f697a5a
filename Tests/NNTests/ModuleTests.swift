import Foundation
import Scalar
import TestSupport
import Testing

@testable import NN

/// A model with nested modules, an array of modules, an optional tensor and a buffer.
final class Nested: Module {
  let encoder: Sequential
  let heads: [Linear]
  let scale: Tensor?
  let count = Tensor.zeros([1])  // a buffer: saved, not trained

  init(using generator: inout SeededGenerator) {
    encoder = Sequential(Linear(4, 3, using: &generator), Tanh(), try! Dropout(0.5))
    heads = [Linear(3, 2, using: &generator), Linear(3, 1, bias: false, using: &generator)]
    let s = Tensor.ones([1])
    s.requiresGrad = true
    scale = s
  }

  override func forward(_ x: Tensor) throws -> Tensor {
    let h = try encoder(x)
    return try heads[0](h).sum(axes: [1]) + heads[1](h).sum(axes: [1]) * scale!
  }
}

@Suite("Modules: parameters as a tree")
struct ModuleTests {
  @Test("parameters are discovered recursively with dotted names, in declaration order")
  func names() {
    var generator = SeededGenerator(seed: 1)
    let model = Nested(using: &generator)
    #expect(
      model.namedParameters().map(\.name) == [
        "encoder.layers.0.weight", "encoder.layers.0.bias", "heads.0.weight", "heads.0.bias",
        "heads.1.weight", "scale",
      ])
    #expect(model.namedTensors().map(\.name).last == "count")
    #expect(model.parameterCount == 12 + 3 + 6 + 2 + 3 + 1)
    #expect(model.namedModules().map(\.name).contains("encoder.layers.2"))
  }

  @Test("a tensor shared by two modules is one parameter")
  func shared() {
    var generator = SeededGenerator(seed: 1)
    let layer = Linear(2, 2, using: &generator)
    let model = Sequential(layer, ReLU(), layer)
    #expect(model.parameters().count == 2)
  }

  @Test("train and eval switch every module, and so dropout")
  func modes() throws {
    var generator = SeededGenerator(seed: 2)
    let model = Nested(using: &generator)
    let dropout = model.encoder.layers[2]
    let x = Tensor.ones([4, 100])
    #expect(dropout.isTraining)
    let dropped = try dropout(x).scalars
    #expect(dropped.contains(0) && dropped.contains(2))
    model.eval()
    #expect(!dropout.isTraining && !model.heads[1].isTraining)
    #expect(try dropout(x).scalars == x.scalars)
    model.train()
    #expect(dropout.isTraining)
  }

  @Test("dropout keeps the mean and passes gradients only through kept elements")
  func dropoutGradient() throws {
    let dropout = try Dropout(0.25, seed: 3)
    let x = Tensor.ones([10_000])
    x.requiresGrad = true
    let y = try dropout(x)
    #expect(Swift.abs(y.mean().scalars[0] - 1) < 0.05)
    try y.sum().backward()
    #expect(x.grad!.scalars == y.scalars)
    #expect(throws: TensorError.self) { try Dropout(1) }
  }

  @Test("zeroGrad forgets every gradient; a module without forward says so")
  func zeroGradAndForward() throws {
    var generator = SeededGenerator(seed: 1)
    let model = Nested(using: &generator)
    try model(Tensor.ones([2, 4])).sum().backward()
    #expect(model.parameters().allSatisfy { $0.grad != nil })
    model.zeroGrad()
    #expect(model.parameters().allSatisfy { $0.grad == nil })
    #expect(throws: TensorError.self) { try Module()(Tensor.ones([1])) }
  }

  @Test("Linear computes x Wᵀ + b, for batches and sequences, and rejects wrong shapes")
  func linearForward() throws {
    var generator = SeededGenerator(seed: 3)
    let layer = Linear(3, 2, dtype: .float64, using: &generator)
    let x = sample([4, 3])
    let y = try layer(x)
    #expect(y.shape == [4, 2])
    let (w, b, xs) = (layer.weight.scalars, layer.bias!.scalars, x.scalars)
    for row in 0..<4 {
      for out in 0..<2 {
        let expected = (0..<3).reduce(b[out]) { $0 + xs[row * 3 + $1] * w[out * 3 + $1] }
        #expect(Swift.abs(try y.element(at: [row, out]) - expected) < 1e-12)
      }
    }
    let sequence = sample([2, 4, 3])
    #expect(
      try layer(sequence).reshaped([8, 2]).scalars == layer(sequence.reshaped([8, 3])).scalars)
    #expect(try layer(sample([3])).shape == [2])
    let error = #expect(throws: TensorError.self) { try layer(sample([4, 5])) }
    #expect(error?.op == "linear" && error?.message.contains("[4, 5]") == true)
  }

  @Test("Linear's second derivatives and forward-mode rule")
  func linearHigherOrder() throws {
    let w = sample([2, 3], seed: 0.5)
    let b = sample([2], seed: 0.9)
    let x = sample([4, 3])
    let f = { (x: Tensor) in try x.linear(weight: w, bias: b).tanh().sum() }
    #expect(try gradgradcheck(f, at: x) < 1e-6)
    let v = sample([4, 3], seed: 2)
    let forward = try forwardJVP({ try $0.linear(weight: w, bias: b) }, at: x, tangent: v)
    #expect(forward != nil)
    // Jv = v Wᵀ
    #expect(allClose(forward?.scalars ?? [], try v.matmul(w.transposed()).scalars, tolerance: 1e-9))
  }

  @Test("Linear's initialization is uniform in ±1/√in, like PyTorch's")
  func initialization() throws {
    var generator = SeededGenerator(seed: 9)
    let layer = Linear(100, 50, using: &generator)
    let w = layer.weight.scalars
    #expect(w.allSatisfy { Swift.abs($0) <= 0.1 })
    #expect(w.max()! > 0.09 && w.min()! < -0.09)
    #expect(layer.bias!.scalars.allSatisfy { Swift.abs($0) <= 0.1 })
    let empty = Linear(0, 3, using: &generator)  // no inputs: the bound 1/√0 would be infinite
    #expect(empty.bias!.scalars == [0, 0, 0])
    #expect(try empty(Tensor.zeros([2, 0])).scalars == [0, 0, 0, 0, 0, 0])
  }

  @Test("a frozen weight becomes a buffer: saved under its name, not in parameters()")
  func frozenWeightIsABuffer() {
    var generator = SeededGenerator(seed: 11)
    let model = Sequential(Linear(3, 2, using: &generator))
    model.namedParameters().first { $0.name == "layers.0.weight" }!.tensor.requiresGrad = false
    #expect(model.namedParameters().map(\.name) == ["layers.0.bias"])
    #expect(model.namedTensors().map(\.name) == ["layers.0.weight", "layers.0.bias"])
  }

  @Test("that initialization divides the activations' variance by about 3 per layer")
  func varianceThroughALayer() throws {
    var generator = SeededGenerator(seed: 10)
    let layer = Linear(256, 256, bias: false, using: &generator)
    let x = Tensor.randn([512, 256], dtype: .float32, using: &generator)
    func variance(_ t: Tensor) -> Double {
      let v = t.scalars
      let mean = v.reduce(0, +) / Double(v.count)
      return v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)
    }
    let ratio = variance(x) / variance(try layer(x))
    #expect(ratio > 2.7 && ratio < 3.3, "variance divided by \(ratio)")
  }

  @Test("activations: GELU's two forms, erf's derivative, gradients by finite differences")
  func activations() throws {
    let x = try Tensor([-3, -1, -0.2, 0, 0.5, 2], shape: [6], dtype: .float64)
    let exact = try GELU()(x).scalars
    let tanhForm = try GELU(approximate: .tanh)(x).scalars
    let reference = x.scalars.map { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }
    #expect(allClose(exact, reference, tolerance: 1e-12))
    #expect(allClose(tanhForm, reference, tolerance: 1e-3))
    for f in [{ (t: Tensor) in try t.gelu() }, { try $0.gelu(approximate: .tanh) }, { $0.erf() }] {
      #expect(try gradcheck({ try f($0[0]) }, inputs: [x]).passed)
      #expect(try gradgradcheck({ try f($0).sum() }, at: x) < 1e-6)
    }
    #expect(try Sigmoid()(x).scalars == x.sigmoid().scalars)
    #expect(try Tanh()(x).scalars == x.tanh().scalars)
  }
}
