import Foundation
import Scalar
import TestSupport
import Testing

@testable import NN

// The graded exercises of Chapter 5 (suites `Ch05ExN…`).

@Suite("Exercise 5.1: Linear's backward")
struct Ch05Ex1Linear {
  @Test("x̄ = ȳW, W̄ = ȳᵀx and b̄ = Σ ȳ over the batch, with a non-uniform ȳ")
  func gradients() throws {
    var generator = SeededGenerator(seed: 4)
    let layer = Linear(3, 2, dtype: .float64, using: &generator)
    let x = sample([5, 3])
    x.requiresGrad = true
    let u = sample([5, 2], seed: 1.9)
    try (layer(x) * u).sum().backward()
    let (gb, gw, gx) = (
      try #require(layer.bias?.grad), try #require(layer.weight.grad), try #require(x.grad)
    )
    #expect(allClose(gb.scalars, try u.sum(axes: [0]).scalars, tolerance: 1e-9))
    #expect(allClose(gw.scalars, try u.transposed().matmul(x).scalars, tolerance: 1e-9))
    #expect(allClose(gx.scalars, try u.matmul(layer.weight).scalars, tolerance: 1e-9))
  }

  @Test("differentiable again: the mixed second derivative ∂/∂W ⟨x̄, v⟩ equals the composed layer's")
  func mixedSecondDerivative() throws {
    let x = sample([4, 3])
    let w = sample([2, 3], seed: 1.1)
    let u = sample([4, 2], seed: 1.9)
    let v = sample([4, 3], seed: 2.7)
    // ⟨∂⟨layer(x), u⟩/∂x, v⟩ as a function of W, differentiated by W.
    func mixed(_ layer: @escaping (Tensor, Tensor) throws -> Tensor) throws -> [Double] {
      try grad(
        { w in
          let gx = try grad({ x in try (layer(x, w) * u).sum() }, at: x)
          return try (gx * v).sum()
        }, at: w
      ).scalars
    }
    let fused = try mixed { try $0.linear(weight: $1, bias: nil) }
    let composed = try mixed { try $0.matmul($1.transposed()) }
    #expect(allClose(fused, composed, tolerance: 1e-12))
    #expect(fused.contains { $0 != 0 })
  }

  @Test("finite differences agree, for a batch of sequences [2, 4, 3] and without a bias")
  func gradcheckLinear() throws {
    let x = sample([2, 4, 3])
    let w = sample([5, 3], seed: 1.1)
    let b = sample([5], seed: 2.3)
    #expect(
      try gradcheck({ try $0[0].linear(weight: $0[1], bias: $0[2]) }, inputs: [x, w, b]).passed)
    #expect(try gradcheck({ try $0[0].linear(weight: $0[1], bias: nil) }, inputs: [x, w]).passed)
  }
}

@Suite("Exercise 5.2: cross-entropy with log-sum-exp")
struct Ch05Ex2CrossEntropy {
  @Test("matches logsumexp − z[y] in Float64, with logits of ±1000")
  func values() throws {
    let logits = try Tensor([1000, -1000, 0, -1000, 1000, 999], shape: [2, 3], dtype: .float64)
    let loss = try crossEntropy(logits: logits, targets: [0, 2])
    let row1 = 1 + Foundation.log1p(Foundation.exp(-1.0))
    #expect(Swift.abs(try loss.item() - row1 / 2) < 1e-12)
    let sum = try crossEntropy(logits: logits, targets: [0, 2], reduction: .sum)
    #expect(Swift.abs(try sum.item() - row1) < 1e-12)
    let float = try crossEntropy(logits: logits.to(.float32), targets: [1, 0])
    #expect(try float.item().isFinite)
    #expect(Swift.abs(try float.item() - (4000 + row1 - 1) / 2) < 1e-2)
  }

  @Test("small logits: −log softmax of the target, averaged")
  func small() throws {
    let z = sample([3, 4])
    let targets = [1, 3, 0]
    let zs = z.scalars
    var expected = 0.0
    for (row, target) in targets.enumerated() {
      let values = zs[(row * 4)..<(row * 4 + 4)]
      expected -= Foundation.log(
        Foundation.exp(values[values.startIndex + target])
          / values.map { Foundation.exp($0) }.reduce(0, +))
    }
    #expect(Swift.abs(try crossEntropy(logits: z, targets: targets).item() - expected / 3) < 1e-12)
  }
}

@Suite("Exercise 5.3: an SGD-momentum step")
struct Ch05Ex3Momentum {
  @Test("two steps with momentum 0.9: the buffer starts as the gradient, then accumulates")
  func momentum() throws {
    let p = parameter([1, 2], gradient: [0.5, -1])
    let optimizer = SGD([p], learningRate: 0.1, momentum: 0.9)
    try optimizer.step()
    #expect(allClose(p.scalars, [0.95, 2.1], tolerance: 1e-9))
    try optimizer.step()  // b = 0.9·g + g = 1.9 g
    #expect(allClose(p.scalars, [0.855, 2.29], tolerance: 1e-9))
    #expect(allClose(optimizer.buffers[0].scalars, [0.95, -1.9], tolerance: 1e-9))
  }

  @Test("Nesterov looks ahead: g + μ·b; weight decay adds λ·p to the gradient")
  func nesterovAndDecay() throws {
    let p = parameter([1, 2], gradient: [0.5, -1])
    try SGD([p], learningRate: 0.1, momentum: 0.9, nesterov: true).step()
    #expect(allClose(p.scalars, [0.905, 2.19], tolerance: 1e-9))
    let q = parameter([1, 2], gradient: [0.5, -1])
    try SGD([q], learningRate: 0.1, weightDecay: 0.5).step()  // g = [1, 0]
    #expect(allClose(q.scalars, [0.9, 2], tolerance: 1e-9))
  }

  @Test("decay with momentum: λ·p joins the gradient before it enters the buffer")
  func decayInsideMomentum() throws {
    let p = parameter([1, 2], gradient: [0.5, -1])
    let optimizer = SGD([p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.5)
    try optimizer.step()  // g = [1, 0], b = g, p = [0.9, 2]
    #expect(allClose(p.scalars, [0.9, 2], tolerance: 1e-9))
    try optimizer.step()  // g = [0.5 + 0.45, −1 + 1] = [0.95, 0], b = 0.9·[1, 0] + g
    #expect(allClose(optimizer.buffers[0].scalars, [1.85, 0], tolerance: 1e-9))
    #expect(allClose(p.scalars, [0.715, 2], tolerance: 1e-9))
  }
}

@Suite("Exercise 5.4: an Adam step with bias correction")
struct Ch05Ex4Adam {
  @Test("with bias correction every step of a constant gradient moves by lr·sign(g)")
  func constantGradient() throws {
    let p = parameter([1, 2, 3], gradient: [0.5, -1, 1e-3])
    let optimizer = Adam([p], learningRate: 0.1)
    try optimizer.step()
    #expect(allClose(p.scalars, [0.9, 2.1, 2.9], tolerance: 1e-6))
    try optimizer.step()
    #expect(allClose(p.scalars, [0.8, 2.2, 2.8], tolerance: 1e-6))
    // m = 0.19 g and v = 0.001999 g² after two steps
    #expect(allClose(optimizer.moments[0].m.scalars, [0.095, -0.19, 0.00019], tolerance: 1e-9))
    #expect(
      allClose(
        optimizer.moments[0].v.scalars, [0.00049975, 0.001999, 0.000000001999], tolerance: 1e-9))
  }

  @Test("a changing gradient: the second step by hand")
  func changingGradient() throws {
    let p = parameter([0], gradient: [1])
    let optimizer = Adam([p], learningRate: 0.01)
    try optimizer.step()
    p.grad = Tensor([3.0], dtype: .float64)
    try optimizer.step()
    let m = 0.9 * 0.1 + 0.1 * 3, v = 0.999 * 0.001 + 0.001 * 9
    let update = 0.01 * (m / (1 - 0.81)) / ((v / (1 - 0.998001)).squareRoot() + 1e-8)
    let first = 0.01 * 1 / (1 + 1e-8)  // m̂ = 1, √v̂ = 1
    #expect(allClose(p.scalars, [-first - update], tolerance: 1e-12))
  }

  @Test("Adam's weight decay is L2: λ·p is added to the gradient, inside the moments")
  func l2Decay() throws {
    let p = parameter([2], gradient: [1])
    let optimizer = Adam([p], learningRate: 0.01, weightDecay: 0.5)
    try optimizer.step()  // g = 1 + 0.5·2 = 2
    #expect(allClose(optimizer.moments[0].m.scalars, [0.2], tolerance: 1e-12))
    #expect(allClose(optimizer.moments[0].v.scalars, [0.004], tolerance: 1e-12))
    #expect(allClose(p.scalars, [2 - 0.01 * 2 / (2 + 1e-8)], tolerance: 1e-12))
  }
}

@Suite("Exercise 5.5: AdamW's decoupled weight decay")
struct Ch05Ex5AdamW {
  @Test("with a zero gradient AdamW shrinks the weights by lr·wd; Adam's L2 decay does not")
  func zeroGradient() throws {
    let p = parameter([1, -2], gradient: [0, 0])
    let optimizer = AdamW([p], learningRate: 0.1, weightDecay: 0.5)
    try optimizer.step()
    #expect(allClose(p.scalars, [0.95, -1.9], tolerance: 1e-9))
    try optimizer.step()
    #expect(allClose(p.scalars, [0.9025, -1.805], tolerance: 1e-9))
    let q = parameter([1, -2], gradient: [0, 0])
    try Adam([q], learningRate: 0.1, weightDecay: 0.5).step()  // moves by lr·sign(λp)
    #expect(allClose(q.scalars, [0.9, -1.9], tolerance: 1e-6))
  }

  @Test("with a gradient: the decay p·(1 − ηλ) comes before Adam's step, not inside the gradient")
  func withGradient() throws {
    let p = parameter([1, -2], gradient: [0.5, 0.5])
    try AdamW([p], learningRate: 0.1, weightDecay: 0.5).step()
    // (1 − 0.05)·p, then Adam's first step moves by lr·sign(g) = 0.1.
    #expect(allClose(p.scalars, [0.85, -2.0], tolerance: 1e-6))
  }
}

@Suite("Exercise 5.6: global-norm gradient clipping")
struct Ch05Ex6Clipping {
  @Test("scales every gradient by max/norm when the global norm is larger, and the step uses it")
  func clips() throws {
    let a = parameter([0, 0], gradient: [3, 4])
    let b = parameter([0], gradient: [12])
    let norm = try clipGradientNorm([a, b], maxNorm: 6.5)
    #expect(Swift.abs(norm - 13) < 1e-12)
    #expect(allClose(a.grad!.scalars, [1.5, 2], tolerance: 1e-6))
    #expect(allClose(b.grad!.scalars, [6], tolerance: 1e-6))
    try SGD([a, b], learningRate: 1).step()
    #expect(allClose(a.scalars, [-1.5, -2], tolerance: 1e-6))
  }

  @Test("leaves gradients below the limit alone")
  func belowLimit() throws {
    let a = parameter([0, 0], gradient: [3, 4])
    #expect(try clipGradientNorm([a], maxNorm: 10) == 5)
    #expect(a.grad!.scalars == [3, 4])
  }
}

@Suite("Exercise 5.7: a DataLoader epoch")
struct Ch05Ex7DataLoader {
  @Test("every example exactly once per epoch, in batches of the size asked, shuffled")
  func coversEveryExample() throws {
    let loader = try DataLoader(
      inputs: Tensor.zeros([10, 2]), labels: Array(0..<10), batchSize: 4, seed: 5)
    let epoch = loader.nextEpochIndices()
    #expect(epoch.map(\.count) == [4, 4, 2])
    #expect(epoch.flatMap { $0 }.sorted() == Array(0..<10))
    #expect(epoch.flatMap { $0 } != Array(0..<10))
    let next = loader.nextEpochIndices()
    #expect(next.flatMap { $0 }.sorted() == Array(0..<10))
    #expect(next != epoch)
  }

  @Test(
    "the same seed gives the same orders; dropLast drops the short batch; no shuffle keeps order")
  func deterministic() throws {
    let make = { (seed: UInt64, dropLast: Bool, shuffle: Bool) in
      try DataLoader(
        inputs: Tensor.zeros([10, 1]), labels: Array(0..<10), batchSize: 4, shuffle: shuffle,
        dropLast: dropLast, seed: seed)
    }
    #expect(try make(1, false, true).nextEpochIndices() == make(1, false, true).nextEpochIndices())
    #expect(try make(1, true, true).nextEpochIndices().map(\.count) == [4, 4])
    #expect(
      try make(1, false, false).nextEpochIndices() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
  }

  @Test("a batch size that divides the count: no empty or extra batch")
  func dividesEvenly() throws {
    let loader = try DataLoader(
      inputs: Tensor.zeros([8, 1]), labels: Array(0..<8), batchSize: 4, seed: 2)
    #expect(loader.nextEpochIndices().map(\.count) == [4, 4])
    #expect(loader.batchCount == 2)
  }
}

@Suite("Exercise 5.8: a cosine schedule with warmup")
struct Ch05Ex8Cosine {
  @Test("linear warmup, the cosine's middle, the floor at the end and after")
  func values() {
    let schedule = CosineSchedule(base: 1, warmupSteps: 10, totalSteps: 110, minimum: 0.1)
    #expect(Swift.abs(schedule.learningRate(at: 0) - 0.1) < 1e-12)
    #expect(Swift.abs(schedule.learningRate(at: 4) - 0.5) < 1e-12)
    #expect(Swift.abs(schedule.learningRate(at: 9) - 1) < 1e-12)
    #expect(Swift.abs(schedule.learningRate(at: 10) - 1) < 1e-12)
    #expect(Swift.abs(schedule.learningRate(at: 60) - 0.55) < 1e-12)
    #expect(
      Swift.abs(schedule.learningRate(at: 35) - (0.1 + 0.45 * (1 + Foundation.cos(.pi / 4))))
        < 1e-12)
    #expect(Swift.abs(schedule.learningRate(at: 110) - 0.1) < 1e-12)
    #expect(Swift.abs(schedule.learningRate(at: 500) - 0.1) < 1e-12)
  }
}
