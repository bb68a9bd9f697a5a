import CNN
import TestSupport
import Testing

@Suite("Batch normalization: statistics, running averages, modes, derivatives")
struct BatchNormTests {
  /// Per channel of an NCHW tensor's values: mean and biased variance, straight from the sums.
  func channelStatistics(_ x: Tensor) -> [(mean: Double, variance: Double)] {
    let (n, c, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    let v = x.scalars
    return (0..<c).map { ch in
      let values = (0..<n).flatMap { i in (0..<hw).map { v[(i * c + ch) * hw + $0] } }
      let mean = values.reduce(0, +) / Double(values.count)
      let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
      return (mean, variance)
    }
  }

  @Test("training: each channel normalized with its batch mean and biased variance")
  func trainingForward() throws {
    let x = sample([4, 3, 2, 5], seed: 0.21) * 3 + 1
    let gamma = try Tensor([1, 2, -1], shape: [3], dtype: .float64)
    let beta = try Tensor([0, 0.5, -2], shape: [3], dtype: .float64)
    let y = try x.batchNorm(weight: gamma, bias: beta, training: true, epsilon: 0)
    for (c, s) in channelStatistics(y).enumerated() {
      #expect(abs(s.mean - beta.scalars[c]) < 1e-12)
      #expect(abs(s.variance - gamma.scalars[c] * gamma.scalars[c]) < 1e-10)
    }
  }

  @Test("running statistics: momentum 0.1, the mean and the *unbiased* variance")
  func runningStatistics() throws {
    let layer = try BatchNorm2d(3, dtype: .float64)
    let x = sample([2, 3, 2, 2], seed: 0.4) * 2 + 0.5
    _ = try layer(x)
    let stats = channelStatistics(x)
    let n = 8.0  // values per channel
    let expectedMean = stats.map { 0.1 * $0.mean }
    let expectedVariance = stats.map { 0.9 + 0.1 * $0.variance * n / (n - 1) }
    #expect(allClose(layer.runningMean.scalars, expectedMean, tolerance: 1e-12))
    #expect(allClose(layer.runningVariance.scalars, expectedVariance, tolerance: 1e-12))
    #expect(try layer.batchesTracked.integers() == [1])
    _ = try layer(x)
    #expect(try layer.batchesTracked.integers() == [2])
    #expect(
      allClose(layer.runningMean.scalars, stats.map { 0.19 * $0.mean }, tolerance: 1e-12))
  }

  @Test("evaluation uses the running statistics and updates nothing")
  func evaluation() throws {
    let layer = try BatchNorm2d(2, dtype: .float64)
    try layer.runningMean.update(to: Tensor([1, -1], shape: [2], dtype: .float64))
    try layer.runningVariance.update(to: Tensor([4, 0.25], shape: [2], dtype: .float64))
    layer.eval()
    let x = try Tensor([3, 5, 0, 1], shape: [1, 2, 1, 2], dtype: .float64)
    let y = try layer(x)
    let e = 1e-5
    let expected = [
      2 / (4 + e).squareRoot(), 4 / (4 + e).squareRoot(),
      1 / (0.25 + e).squareRoot(), 2 / (0.25 + e).squareRoot(),
    ]
    #expect(allClose(y.scalars, expected, tolerance: 1e-12))
    #expect(layer.runningMean.scalars == [1, -1])
    #expect(try layer.batchesTracked.integers() == [0])
    // One example alone gives the same output as in a batch (no batch statistics).
    let batch = try Tensor.concatenated([x, x * 2], axis: 0)
    #expect(allClose(try layer(batch).sliced(axis: 0, 0..<1).scalars, y.scalars, tolerance: 0))
  }

  @Test(
    "the fused backward: first and second derivatives for x, γ and β; forward mode",
    arguments: [
      [3, 2, 2, 3],  // rows of 6: the two passes over the whole tensor
      [2, 3, 4, 5],  // rows of 20 (two vectors and a tail): channel by channel
    ])
  func derivatives(shape: [Int]) throws {
    let x = sample(shape, seed: 0.15)
    let gamma = sample([shape[1]], seed: 0.6)
    let beta = sample([shape[1]], seed: 0.7)
    let f = { (t: [Tensor]) in try t[0].batchNorm(weight: t[1], bias: t[2], training: true) }
    #expect(try gradcheck(f, inputs: [x, gamma, beta]).passed)
    let w = sample(x.shape, seed: 0.85)
    #expect(try gradgradcheck({ try (f([$0, gamma, beta]) * w).sum() }, at: x) < 1e-6)
    #expect(try gradgradcheck({ try (f([x, $0, beta]) * w).sum() }, at: gamma) < 1e-6)
    let v = sample(x.shape, seed: 0.55)
    let forward = try #require(try forwardJVP({ try f([$0, gamma, beta]) }, at: x, tangent: v))
    let reference = try jvpByDoubleVJP({ try f([$0, gamma, beta]) }, at: x, tangent: v)
    #expect(allClose(forward.scalars, reference.scalars, tolerance: 1e-10))
  }

  @Test(
    "channel by channel and in two passes, the first-order gradients agree",
    arguments: [DType.float32, .float64], ["γ and β", "neither", "γ frozen"])
  func channelByChannel(dtype: DType, affine: String) throws {
    // A contiguous cotangent takes the channel-by-channel kernel; the same values as a
    // transposed view take the two passes over the whole tensor.
    let shape = [5, 3, 4, 9]
    let g = sample(shape, seed: 0.41).to(dtype)
    let strided = try g.transposed(2, 3).contiguous().transposed(2, 3)
    #expect(!strided.isContiguous && strided.scalars == g.scalars)
    var results: [[[Double]]] = []
    for seed in [g, strided] {
      let x = try (sample(shape, seed: 0.23) * 3 + 2).to(dtype)
      let gamma = affine == "neither" ? nil : sample([3], seed: 0.6).to(dtype)
      let beta = affine == "neither" ? nil : sample([3], seed: 0.7).to(dtype)
      x.requiresGrad = true
      gamma?.requiresGrad = affine == "γ and β"
      beta?.requiresGrad = true
      try x.batchNorm(weight: gamma, bias: beta, training: true).backward(seed: seed)
      #expect(gamma.map { ($0.grad == nil) == (affine == "γ frozen") } ?? true)
      results.append(try [x, gamma, beta].compactMap { try $0?.grad.map(\.scalars) })
    }
    let tolerance = dtype == .float32 ? 1e-5 : 1e-12
    #expect(results[0].count == results[1].count)
    for (fused, twoPass) in zip(results[0], results[1]) {
      #expect(allClose(fused, twoPass, tolerance: tolerance))
    }
    // The kernel itself takes the contiguous layout and declines the strided one.
    let x = try (sample(shape, seed: 0.23) * 3 + 2).to(dtype)
    let mean = try x.mean(axes: [0, 2, 3], keepingAxes: true)
    let one = { (_: Int, _: Double, _: Double) in (a: 1.0, k: 0.0, b: 0.0) }
    let copied = try #require(x.channelwiseGradient(weights: g, from: mean, coefficients: one))
    #expect(copied.gradient.scalars == g.scalars)  // a = 1, k = b = 0: ȳ itself
    #expect(x.channelwiseGradient(weights: strided, from: mean, coefficients: one) == nil)
  }

  @Test("a [N, C] input, channels last (the kept last axis takes the two-pass kernels)")
  func featuresOnly() throws {
    let x = sample([5, 3], seed: 0.19) * 2 + 1
    let y = try x.batchNorm(training: true, epsilon: 0)
    for c in 0..<3 {
      let column = (0..<5).map { x.scalars[$0 * 3 + c] }
      let mean = column.reduce(0, +) / 5
      let spread = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5).squareRoot()
      let expected = column.map { ($0 - mean) / spread }
      #expect(allClose((0..<5).map { y.scalars[$0 * 3 + c] }, expected, tolerance: 1e-12))
    }
    let gamma = sample([3], seed: 0.6)
    let beta = sample([3], seed: 0.7)
    let f = { (t: [Tensor]) in try t[0].batchNorm(weight: t[1], bias: t[2], training: true) }
    #expect(try gradcheck(f, inputs: [x, gamma, beta]).passed)
    let w = sample(x.shape, seed: 0.85)
    #expect(try gradgradcheck({ try (f([$0, gamma, beta]) * w).sum() }, at: x) < 1e-6)
  }

  @Test("the closed form (ε = 0): x̄ sums to zero per channel and is orthogonal to x̂")
  func closedForm() throws {
    let x = sample([4, 2, 3, 1], seed: 0.33)
    x.requiresGrad = true
    let g = sample(x.shape, seed: 0.44)
    try (x.batchNorm(training: true, epsilon: 0) * g).sum().backward()
    let gx = try #require(x.grad)
    let normalized = try x.detach().batchNorm(training: true, epsilon: 0)
    for c in 0..<2 {
      let gc = try gx.sliced(axis: 1, c..<(c + 1)).contiguous().scalars
      let nc = try normalized.sliced(axis: 1, c..<(c + 1)).contiguous().scalars
      #expect(abs(gc.reduce(0, +)) < 1e-12)
      #expect(abs(zip(gc, nc).map { $0 * $1 }.reduce(0, +)) < 1e-12)
    }
  }

  @Test("Float32 far from zero: batch norm's and variance's gradients agree with Float64's")
  func gradientsFarFromZero() throws {
    // A mean a hundred times the spread, as after an unnormalized layer; the same values in
    // both precisions, so that only the arithmetic differs.
    let values = (sample([4, 2, 3, 5], seed: 0.27) * 0.5 + 50).to(.float32).scalars
    let g = sample([4, 2, 3, 5], seed: 0.62)
    let w = sample([2], seed: 0.3)
    var normalized: [[Double]] = []
    var variances: [[Double]] = []
    for dtype in [DType.float32, .float64] {
      let x = try Tensor(values, shape: g.shape, dtype: dtype)
      x.requiresGrad = true
      try (x.batchNorm(training: true) * g.to(dtype)).sum().backward()
      normalized.append(try #require(x.grad).scalars)
      let v = try Tensor(values, shape: g.shape, dtype: dtype)
      v.requiresGrad = true
      try (v.variance(axes: [0, 2, 3]) * w.to(dtype)).sum().backward()
      variances.append(try #require(v.grad).scalars)
    }
    for (name, got) in [("batchNorm", normalized), ("variance", variances)] {
      let scale = got[1].map { abs($0) }.max() ?? 1
      let worst = zip(got[0], got[1]).map { abs($0 - $1) }.max() ?? 0
      #expect(worst <= 1e-4 * scale, "\(name): worst \(worst) against a scale of \(scale)")
    }
  }

  @Test("bad input is an error naming batchNorm or the layer")
  func errors() throws {
    #expect(throws: TensorError.self) { try sample([1, 3, 1, 1]).batchNorm(training: true) }
    #expect(throws: TensorError.self) {
      try sample([2, 3, 2, 2]).batchNorm(weight: sample([2]), training: true)
    }
    #expect(throws: TensorError.self) { try BatchNorm2d(0) }
    #expect(throws: TensorError.self) {  // one running statistic without the other
      try sample([2, 3, 2, 2]).batchNorm(runningMean: sample([3]), training: true)
    }
    #expect(throws: TensorError.self) { try BatchNorm2d(3, dtype: .float64)(sample([2, 3])) }
  }
}
