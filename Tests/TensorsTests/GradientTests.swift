import Foundation
import Testing

import func TestSupport.allClose

@testable import Tensors

/// Runs `gradcheck` and records the report when it fails.
func expectGradients(
  _ name: String, _ inputs: [Tensor], tolerance: Double = 1e-6,
  _ f: @escaping ([Tensor]) throws -> Tensor
) throws {
  let report = try gradcheck(f, inputs: inputs, tolerance: tolerance)
  #expect(report.passed, "\(name):\n\(report)")
}

@Suite("Gradients: every op against central differences (Float64, random cotangents)")
struct GradientTests {
  let a = sample([3, 4])
  let b = sample([3, 4], seed: 2.1)
  let positive = sample([3, 4], seed: 0.9).abs() + 0.5

  @Test("binary ops, including a 0-d operand on either side")
  func binary() throws {
    let s = Tensor(scalar: 0.7, dtype: .float64)
    try expectGradients("add", [a, b]) { try $0[0].adding($0[1]) }
    try expectGradients("subtract", [a, b]) { try $0[0].subtracting($0[1]) }
    try expectGradients("multiply", [a, b]) { try $0[0].multiplied(by: $0[1]) }
    try expectGradients("divide", [a, positive]) { try $0[0].divided(by: $0[1]) }
    try expectGradients("maximum", [a, b]) { try $0[0].maximum($0[1]) }
    try expectGradients("minimum", [a, b]) { try $0[0].minimum($0[1]) }
    try expectGradients("scalar * tensor", [s, a]) { try $0[0].multiplied(by: $0[1]) }
    try expectGradients("tensor / scalar", [a, s]) { try $0[0].divided(by: $0[1]) }
    try expectGradients("number arithmetic", [a]) { try 2 / (($0[0] * 3 - 1).abs() + 1) }
  }

  @Test("unary functions")
  func unary() throws {
    try expectGradients("exp", [a]) { $0[0].exp() }
    try expectGradients("log", [positive]) { $0[0].log() }
    try expectGradients("sqrt", [positive]) { $0[0].sqrt() }
    try expectGradients("abs", [a]) { $0[0].abs() }
    try expectGradients("tanh", [a]) { $0[0].tanh() }
    try expectGradients("sigmoid", [a]) { $0[0].sigmoid() }
    try expectGradients("relu", [a]) { $0[0].relu() }
    try expectGradients("softplus", [a]) { $0[0].softplus() }
    // At 0 exactly the gradient is σ(0) = ½, not the 0 that relu + abs pieces would give.
    let zero = Tensor([0, 40, -40], dtype: .float64)
    zero.requiresGrad = true
    try zero.softplus().sum().backward()
    #expect(zero.grad?.scalars == [0.5, 1, Foundation.exp(-40) / (1 + Foundation.exp(-40))])
    try expectGradients("pow 3", [a]) { $0[0].pow(3) }
    try expectGradients("pow -0.5", [positive]) { $0[0].pow(-0.5) }
    try expectGradients("negate", [a]) { -$0[0] }
    // The fused VJPs are operations too, differentiable in both arguments (for chapter 4).
    try expectGradients("tanh′ (fused VJP of tanh, from its output)", [a, b]) {
      $0[0].tanhGradient($0[1])
    }
    try expectGradients("relu′ (fused VJP of relu)", [a, b]) { $0[0].reluGradient($0[1]) }
  }

  @Test("reductions over axes, kept or not, and max/min with ties")
  func reductions() throws {
    let t = sample([2, 3, 4])
    try expectGradients("sum all", [t]) { $0[0].sum() }
    try expectGradients("sum (0, -1)", [t]) { try $0[0].sum(axes: [0, -1]) }
    try expectGradients("sum keep", [t]) { try $0[0].sum(axes: [1], keepingAxes: true) }
    try expectGradients("mean", [t]) { try $0[0].mean(axes: [2]) }
    try expectGradients("max", [t]) { try $0[0].max(axes: [1]) }
    try expectGradients("min keep", [t]) { try $0[0].min(axes: [0, 2], keepingAxes: true) }
    // Ties share the gradient equally.
    let tied = try Tensor([1, 3, 3, 2], shape: [4], dtype: .float64)
    tied.requiresGrad = true
    try tied.max().backward()
    #expect(tied.grad?.scalars == [0, 0.5, 0.5, 0])
    // maximum and minimum split a tie's gradient equally between the operands, as
    // torch.maximum and torch.minimum do; elsewhere it goes to the operand picked.
    let x = try Tensor([1, 2, 3], shape: [3], dtype: .float64)
    let y = try Tensor([1, 5, 0], shape: [3], dtype: .float64)
    let cotangent = try Tensor([2, 3, 4], shape: [3], dtype: .float64)
    for (name, pick) in [
      ("maximum", { (a: Tensor, b: Tensor) in try a.maximum(b) }),
      ("minimum", { (a: Tensor, b: Tensor) in try a.minimum(b) }),
    ] {
      let (a, b) = (x.detach(), y.detach())
      a.requiresGrad = true
      b.requiresGrad = true
      try pick(a, b).backward(seed: cotangent)
      let toA: [Double] = name == "maximum" ? [1, 0, 4] : [1, 3, 0]
      let toB: [Double] = name == "maximum" ? [1, 3, 0] : [1, 0, 4]
      #expect(a.grad?.scalars == toA, "\(name)")
      #expect(b.grad?.scalars == toB, "\(name)")
    }
  }

  @Test("views: reshape, permute, transpose, slice with steps, select, contiguous")
  func views() throws {
    let t = sample([2, 3, 4])
    try expectGradients("reshape", [t]) { try $0[0].reshaped([4, -1]).tanh() }
    try expectGradients("permute", [t]) { try $0[0].permuted([2, 0, 1]).exp() }
    try expectGradients("transpose", [t]) { try $0[0].transposed(0, 2).contiguous() }
    try expectGradients("slice", [t]) { try $0[0].sliced(axis: 2, 0..<4, step: 3).pow(2) }
    try expectGradients("select", [t]) { try $0[0].selected(axis: 1, -1).sigmoid() }
  }

  @Test("matmul: 2-d, 1-d either side, batched")
  func matmul() throws {
    try expectGradients("2-d", [sample([3, 4]), sample([4, 2], seed: 1)]) {
      try $0[0].matrixProduct($0[1])
    }
    try expectGradients("1-d left", [sample([4]), sample([4, 2], seed: 1)]) {
      try $0[0].matrixProduct($0[1])
    }
    try expectGradients("1-d right", [sample([3, 4]), sample([4], seed: 1)]) {
      try $0[0].matrixProduct($0[1])
    }
    try expectGradients("dot", [sample([4]), sample([4], seed: 1)]) {
      try $0[0].matrixProduct($0[1])
    }
    try expectGradients("batched", [sample([2, 3, 4]), sample([2, 4, 2], seed: 1)]) {
      try $0[0].matrixProduct($0[1])
    }
  }

  @Test("non-contiguous inputs: transposed, sliced and expanded views into every kind of op")
  func nonContiguous() throws {
    let t = sample([4, 3])
    try expectGradients("transposed into matmul", [t, sample([4, 2], seed: 1)]) {
      try $0[0].transposed().matrixProduct($0[1])
    }
    try expectGradients("sliced into multiply", [t, sample([2, 3], seed: 1)]) {
      try $0[0].sliced(axis: 0, 0..<4, step: 2).multiplied(by: $0[1])
    }
    try expectGradients("expanded into tanh and sum", [sample([1, 3])]) {
      try $0[0].expandedKeptAxes(to: [4, 3]).tanh().sum(axes: [0])
    }
    try expectGradients("transposed into max", [t]) { try $0[0].transposed().max(axes: [1]) }
  }

  @Test("joining and picking: concat, stack, split, indexSelect (repeated), where")
  func indexing() throws {
    let x = sample([2, 3])
    let y = sample([2, 2], seed: 1)
    try expectGradients("concat", [x, y]) { try Tensor.concatenated([$0[0], $0[1]], axis: 1) }
    try expectGradients("stack", [x, x.detach()]) { try Tensor.stacked([$0[0], $0[1]], axis: 1) }
    try expectGradients("split", [x]) {
      let parts = try $0[0].split(sizes: [1, 2], axis: 1)
      return try parts[1].multiplied(by: parts[1])
    }
    try expectGradients("indexSelect repeated", [x]) {
      try $0[0].indexSelect(axis: 1, [2, 0, 2, 2])
    }
    let mask = try Tensor([1, 0, 0, 1, 1, 0], shape: [2, 3], dtype: .float64)
    try expectGradients("where", [x, sample([2, 3], seed: 5)]) {
      try Tensor.select(mask, $0[0], $0[1])
    }
  }

  @Test("a repeated index receives the sum of its gradients (scatter-add, not scatter)")
  func scatterAdd() throws {
    let x = Tensor([10, 20, 30], dtype: .float64)
    x.requiresGrad = true
    let picked = try x.indexSelect(axis: 0, [2, 0, 2, 2])
    try picked.backward(seed: Tensor([1, 2, 3, 4], dtype: .float64))
    #expect(x.grad?.scalars == [2, 0, 8])
  }

  @Test("gradcheck notices a wrong gradient")
  func gradcheckCatchesErrors() throws {
    // x·x with a deliberately wrong VJP (forgets the factor 2).
    let wrong: ([Tensor]) throws -> Tensor = { xs in
      let x = xs[0]
      return try withoutGrad { try x.multiplied(by: x) }.recorded("bad-square", [x]) { g in
        [try g.multiplied(by: x)]
      }
    }
    let report = try gradcheck(wrong, inputs: [sample([3])])
    #expect(!report.passed)
  }
}

@Suite("Float32: values and gradients agree with Float64")
struct Float32Tests {
  @Test("Float32 tanh (a rational approximation) is within 4e-7 of the exact value")
  func tanhAccuracy() throws {
    let xs = stride(from: -12.0, through: 12.0, by: 0.0007).map { Double(Float($0)) }
    let t = Tensor(xs, dtype: .float32).tanh().scalars
    let worst = zip(xs, t).map { Swift.abs($1 - Foundation.tanh($0)) }.max()!
    #expect(worst < 4e-7)  // about 5 units in the last place near ±1
    let special = Tensor([.nan, .infinity, -.infinity, 0, 1000], dtype: .float32).tanh().scalars
    #expect(special[0].isNaN && Array(special.dropFirst()) == [1, -1, 0, 1])
  }

  @Test("every op's gradient in Float32 matches Float64 to single precision")
  func gradients() throws {
    let cases: [(String, [[Int]], ([Tensor]) throws -> Tensor)] = [
      ("multiply", [[3, 4], [3, 4]], { try $0[0].multiplied(by: $0[1]) }),
      ("divide", [[3, 4], [3, 4]], { try $0[0].divided(by: $0[1].abs() + 1) }),
      ("tanh", [[3, 4]], { $0[0].tanh() }),
      ("sigmoid", [[3, 4]], { $0[0].sigmoid() }),
      ("softplus", [[3, 4]], { $0[0].softplus() }),
      ("relu", [[3, 4]], { $0[0].relu() }),
      ("exp", [[3, 4]], { $0[0].exp() }),
      ("sum axes", [[2, 3, 4]], { try $0[0].sum(axes: [0, 2]) }),
      ("max axes", [[2, 3, 4]], { try $0[0].max(axes: [1]) }),
      ("matmul", [[3, 4], [4, 5]], { try $0[0].matrixProduct($0[1]) }),
      ("transposed slice", [[4, 6]], { try $0[0].transposed().sliced(axis: 0, 0..<6, step: 2) }),
    ]
    for (name, shapes, f) in cases {
      var grads: [DType: [[Double]]] = [:]
      for dtype in [DType.float32, .float64] {
        let inputs = shapes.enumerated().map { i, shape in
          let t = sample(shape, dtype: dtype, seed: 0.37 + Double(i))
          t.requiresGrad = true
          return t
        }
        let out = try f(inputs)
        let seed = sample(out.shape, dtype: dtype, seed: 5.1)
        try out.backward(seed: seed)
        grads[dtype] = inputs.map { $0.grad!.scalars }
      }
      for (g32, g64) in zip(grads[.float32]!, grads[.float64]!) {
        #expect(allClose(g32, g64, tolerance: 2e-5), "\(name)")
      }
    }
  }
}
