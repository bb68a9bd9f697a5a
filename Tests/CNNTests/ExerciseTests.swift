import Scalar
import TestSupport
import Testing

@testable import CNN

// Chapter 6's exercises. Each suite's name starts with its exercise (`Ch06Ex3…`), which is
// how the gradebook finds them; each checks its exercise against a reference written from
// the definition, on cases where the classic mistakes show.

/// The number of window positions by counting them: starts 0, s, 2s, … whose last tap,
/// d(k − 1) further, is still inside the padded axis.
func countedPositions(_ size: Int, k: Int, s: Int, p: Int, d: Int) -> Int {
  stride(from: 0, to: size + 2 * p, by: s).filter { $0 + d * (k - 1) < size + 2 * p }.count
}

@Suite("Exercise 6.1: the output size of a convolution")
struct Ch06Ex1OutputSize {
  @Test("⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 equals the number of positions a window takes")
  func counted() {
    for size in [1, 4, 5, 7, 28] {
      for k in 1...4 where k <= size + 2 {
        for s in 1...3 {
          for p in 0...2 {
            for d in 1...2 where d * (k - 1) + 1 <= size + 2 * p {
              let w = Windows2D(
                kernel: Size2D(k, 1), stride: Size2D(s, 1), padding: Size2D(p, 0),
                dilation: Size2D(d, 1))
              let got = w.outputSize(for: Size2D(size, 1)).height
              #expect(
                got == countedPositions(size, k: k, s: s, p: p, d: d),
                "size \(size), kernel \(k), stride \(s), padding \(p), dilation \(d)")
            }
          }
        }
      }
    }
  }

  @Test("the book's cases: 28 → 28, 26, 14; 7 → 4; dilation 2: 28 → 24")
  func bookCases() {
    #expect(Windows2D(kernel: 3, padding: 1).outputSize(for: 28) == 28)
    #expect(Windows2D(kernel: 3).outputSize(for: 28) == 26)
    #expect(Windows2D(kernel: 2, stride: 2).outputSize(for: 28) == 14)
    #expect(Windows2D(kernel: 3, stride: 2, padding: 1).outputSize(for: 7) == 4)
    #expect(Windows2D(kernel: 3, dilation: 2).outputSize(for: 28) == 24)
    // Height and width separately.
    let w = Windows2D(kernel: Size2D(3, 1), stride: Size2D(1, 2), padding: Size2D(0, 1))
    #expect(w.outputSize(for: Size2D(10, 9)) == Size2D(8, 6))
  }
}

/// im2col from the definition: row (c, i, j) of the columns, entry (oy, ox).
func referenceColumns(_ x: Tensor, _ w: Windows2D) -> [Double] {
  let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  let o = Size2D(
    countedPositions(
      h, k: w.kernel.height, s: w.stride.height, p: w.padding.height,
      d: w.dilation.height),
    countedPositions(
      wd, k: w.kernel.width, s: w.stride.width, p: w.padding.width,
      d: w.dilation.width))
  let v = x.scalars
  var out: [Double] = []
  for b in 0..<n {
    for ch in 0..<c {
      for i in 0..<w.kernel.height {
        for j in 0..<w.kernel.width {
          for oy in 0..<o.height {
            for ox in 0..<o.width {
              let iy = oy * w.stride.height - w.padding.height + i * w.dilation.height
              let ix = ox * w.stride.width - w.padding.width + j * w.dilation.width
              let inside = iy >= 0 && iy < h && ix >= 0 && ix < wd
              out.append(inside ? v[((b * c + ch) * h + iy) * wd + ix] : 0)
            }
          }
        }
      }
    }
  }
  return out
}

@Suite("Exercise 6.2: im2col")
struct Ch06Ex2Im2col {
  @Test("each column holds its window's taps, channel by channel, zeros in the padding")
  func columns() throws {
    let cases: [([Int], Windows2D)] = [
      ([1, 1, 3, 3], Windows2D(kernel: 2)),
      ([2, 3, 5, 4], Windows2D(kernel: Size2D(3, 2))),
      ([1, 2, 6, 7], Windows2D(kernel: Size2D(2, 3), stride: Size2D(2, 1), padding: Size2D(1, 0))),
      (
        [1, 1, 7, 6], Windows2D(kernel: 3, stride: Size2D(1, 2), padding: 2, dilation: Size2D(2, 1))
      ),
    ]
    for (shape, windows) in cases {
      let x = sample(shape, seed: 0.3)
      let got = try x.unfolded(windows)
      #expect(
        allClose(got.scalars, referenceColumns(x, windows), tolerance: 0), "\(shape) \(windows)")
    }
  }

  @Test("taps in the padding read the pad value the caller passes (here −∞)")
  func padValue() throws {
    let x = try Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2], dtype: .float64)
    let columns = try x.windowColumns(Windows2D(kernel: 2, padding: 1), pad: -.infinity, op: "test")
    // The first window covers the top-left corner: three taps of padding, then pixel 1.
    #expect(try columns.sliced(axis: 2, 0..<1).scalars == [-.infinity, -.infinity, -.infinity, 1])
    #expect(try columns.sliced(axis: 2, 4..<5).scalars == [1, 2, 3, 4])
  }

  @Test("a 3×3 image with 2×2 windows: the columns are its four squares")
  func small() throws {
    let x = try Tensor((1...9).map(Double.init), shape: [1, 1, 3, 3], dtype: .float64)
    let columns = try x.unfolded(Windows2D(kernel: 2))
    #expect(columns.shape == [1, 4, 4])
    // Rows are taps (top-left, top-right, bottom-left, bottom-right), columns windows.
    #expect(columns.scalars == [1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9])
  }
}

@Suite("Exercise 6.3: the gradient of a convolution's weight")
struct Ch06Ex3WeightGradient {
  @Test("W̄[o, c, i, j] = Σ over the batch and the output of ȳ · the input under tap (i, j)")
  func closedForm() throws {
    for k in [
      ConvCase(), ConvCase(stride: 2, padding: 1, dilation: Size2D(1, 2)), ConvCase(groups: 2),
    ] {
      let (x, w, _) = convOperands(k)
      let out = k.outputSize
      let g = sample([k.n, k.o, out.height, out.width], seed: 0.8)
      // The function itself, not through conv2d's VJP (exercise 6.4).
      let gradient = try Tensor.correlationWeightGradient(
        windowsOf: x, correlatedWith: g, k.windows, groups: k.groups, weightShape: w.shape)
      // Reference: the weight gradient of the definition, loop by loop.
      let (xs, gs) = (x.scalars, g.scalars)
      let (cg, og) = (k.c / k.groups, k.o / k.groups)
      var expected = [Double](repeating: 0, count: w.count)
      for n in 0..<k.n {
        for o in 0..<k.o {
          for ci in 0..<cg {
            for i in 0..<k.kh {
              for j in 0..<k.kw {
                for oy in 0..<out.height {
                  for ox in 0..<out.width {
                    let iy = oy * k.stride.height - k.padding.height + i * k.dilation.height
                    let ix = ox * k.stride.width - k.padding.width + j * k.dilation.width
                    guard iy >= 0, iy < k.h, ix >= 0, ix < k.w else { continue }
                    expected[((o * cg + ci) * k.kh + i) * k.kw + j] +=
                      gs[((n * k.o + o) * out.height + oy) * out.width + ox]
                      * xs[((n * k.c + (o / og) * cg + ci) * k.h + iy) * k.w + ix]
                  }
                }
              }
            }
          }
        }
      }
      #expect(allClose(gradient.scalars, expected, tolerance: 1e-12), "\(k)")
    }
  }

  @Test("the transposed convolution's weight gradient too (the roles of x and ȳ swap)")
  func transposed() throws {
    let k = ConvCase(stride: 2, padding: 1, groups: 2)
    let out = k.outputSize
    let y = sample([k.n, k.o, out.height, out.width], seed: 0.6)
    let w = sample([k.o, k.c / k.groups, k.kh, k.kw], seed: 0.9)
    let f = { (t: [Tensor]) in
      try t[0].convTranspose2d(
        weight: t[1], stride: k.stride, padding: k.padding, groups: k.groups,
        outputSize: Size2D(k.h, k.w))
    }
    #expect(try gradcheck(f, inputs: [y, w]).passed)
  }
}

@Suite("Exercise 6.4: conv2d's VJP")
struct Ch06Ex4ConvVJP {
  @Test("x̄, W̄ and b̄ against central differences (stride 2: the input size is ambiguous)")
  func gradients() throws {
    // Height 8, stride 2: a convolution maps 7 and 8 rows alike, so x̄ must be told its size.
    for k in [ConvCase(h: 8, w: 6, stride: 2, padding: 1), ConvCase(dilation: 2, groups: 2)] {
      let (x, w, b) = convOperands(k)
      let f = { (t: [Tensor]) in
        try t[0].conv2d(
          weight: t[1], bias: t[2], stride: k.stride, padding: k.padding, dilation: k.dilation,
          groups: k.groups)
      }
      #expect(try gradcheck(f, inputs: [x, w, b]).passed, "\(k)")
    }
  }

  @Test("x̄ is the transposed convolution of ȳ: x̄[pixel] = Σ of ȳ · the taps that saw it")
  func inputGradient() throws {
    // One channel, a 2×2 kernel of ones, stride 1: each pixel's gradient is the sum of ȳ
    // over the windows that cover it.
    let x = sample([1, 1, 3, 3], seed: 0.2)
    x.requiresGrad = true
    let w = Tensor.ones([1, 1, 2, 2], dtype: .float64)
    let g = try Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2], dtype: .float64)
    try (x.conv2d(weight: w) * g).sum().backward()
    #expect(try #require(x.grad).scalars == [1, 3, 2, 4, 10, 6, 3, 7, 4])
  }

  @Test("differentiable again: second derivatives of a squared output, input and weight")
  func secondDerivatives() throws {
    // Σ c ⊙ conv(x, W)² : its gradient depends on x and W, so x̄ must be recorded.
    let k = ConvCase(stride: Size2D(2, 1), padding: 1)
    let (x, w, b) = convOperands(k)
    let out = k.outputSize
    let c = sample([k.n, k.o, out.height, out.width], seed: 0.45)
    let loss = { (x: Tensor, w: Tensor) in
      let y = try x.conv2d(weight: w, bias: b, stride: k.stride, padding: k.padding)
      return try (y * y * c).sum()
    }
    #expect(try gradgradcheck({ try loss($0, w) }, at: x) < 1e-6)
    #expect(try gradgradcheck({ try loss(x, $0) }, at: w) < 1e-6)
  }
}

@Suite("Exercise 6.5: max pooling as routing")
struct Ch06Ex5MaxPool {
  @Test("the window's maximum, and its gradient goes to that element alone")
  func routing() throws {
    let x = try image([1, 5, 2, 0, 3, 4, 8, 1, 0, -1, -2, -3, 7, 2, 6, 9], 4, 4)
    let y = try x.maxPool2d(kernel: 2)
    #expect(y.scalars == [5, 8, 7, 9])
    try (y * Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2], dtype: .float64)).sum().backward()
    #expect(try #require(x.grad).scalars == [0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 4])
  }

  @Test("ties go to the first maximum; overlapping windows add up")
  func tiesAndOverlaps() throws {
    let tie = try image([3, 3, 3, 3], 2, 2)
    try tie.maxPool2d(kernel: 2).sum().backward()
    #expect(try #require(tie.grad).scalars == [1, 0, 0, 0])
    let x = try image([0, 0, 0, 0, 9, 0, 0, 0, 0], 3, 3)
    try
      (x.maxPool2d(kernel: 2, stride: 1)
      * Tensor(
        [1, 2, 3, 4], shape: [1, 1, 2, 2],
        dtype: .float64)).sum().backward()
    #expect(try #require(x.grad).scalars == [0, 0, 0, 0, 10, 0, 0, 0, 0])
  }

  @Test("padding is never the maximum, even among negative values")
  func padding() throws {
    let x = try image([-5, -6, -7, -8], 2, 2)
    #expect(
      try x.maxPool2d(kernel: 2, stride: 1, padding: 1).scalars
        == [-5, -5, -6, -5, -5, -6, -7, -7, -8])
  }

  @Test("channels and batch pooled separately; first and second derivatives")
  func derivatives() throws {
    let x = sample([2, 3, 4, 5], seed: 0.31)
    let f = { (t: [Tensor]) in try t[0].maxPool2d(kernel: Size2D(2, 3), stride: Size2D(2, 1)) }
    #expect(try f([x]).shape == [2, 3, 2, 3])
    #expect(try gradcheck(f, inputs: [x]).passed)
    let w = sample([2, 3, 2, 3], seed: 0.7)
    #expect(try gradgradcheck({ try (f([$0]) * w).sum() }, at: x) < 1e-6)
  }
}

@Suite("Exercise 6.6: batch statistics")
struct Ch06Ex6BatchNormStatistics {
  @Test("training normalizes each channel with its batch mean and *biased* variance")
  func normalized() throws {
    let x = sample([3, 2, 2, 2], seed: 0.21) * 3 + 1
    let y = try x.batchNorm(training: true, epsilon: 0.5)
    let v = x.scalars
    for c in 0..<2 {
      let values = (0..<3).flatMap { n in (0..<4).map { v[(n * 2 + c) * 4 + $0] } }
      let mean = values.reduce(0, +) / 12
      let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 12
      let expected = values.map { ($0 - mean) / (variance + 0.5).squareRoot() }
      let got = (0..<3).flatMap { n in (0..<4).map { y.scalars[(n * 2 + c) * 4 + $0] } }
      #expect(allClose(got, expected, tolerance: 1e-12), "channel \(c)")
    }
  }

  @Test("γ scales and β shifts each channel; x̄, γ̄, β̄ against central differences")
  func affineAndGradients() throws {
    let x = sample([4, 3, 2, 1], seed: 0.15)
    let gamma = try Tensor([2, -1, 0.5], shape: [3], dtype: .float64)
    let beta = try Tensor([1, 0, -3], shape: [3], dtype: .float64)
    let y = try x.batchNorm(weight: gamma, bias: beta, training: true)
    let plain = try x.batchNorm(training: true)
    let expected = try plain * gamma.reshaped([1, 3, 1, 1]) + beta.reshaped([1, 3, 1, 1])
    #expect(allClose(y.scalars, expected.scalars, tolerance: 1e-12))
    let f = { (t: [Tensor]) in
      try t[0].batchNorm(weight: t[1], bias: t[2], training: true, epsilon: 0.5)
    }
    #expect(try gradcheck(f, inputs: [x, gamma, beta]).passed)
    let w = sample(x.shape, seed: 0.85)
    #expect(try gradgradcheck({ try (f([$0, gamma, beta]) * w).sum() }, at: x) < 1e-6)
  }
}

@Suite("Exercise 6.7: the running statistics")
struct Ch06Ex7RunningStatistics {
  @Test("momentum 0.1 toward the batch mean and the *unbiased* variance (n − 1)")
  func update() throws {
    let running = (
      mean: try Tensor([1, -2], shape: [2], dtype: .float64),
      variance: try Tensor([2, 0.5], shape: [2], dtype: .float64)
    )
    let x = sample([2, 2, 1, 3], seed: 0.4) * 2
    _ = try x.batchNorm(
      runningMean: running.mean, runningVariance: running.variance, training: true,
      momentum: 0.1)
    let v = x.scalars
    for c in 0..<2 {
      let values = (0..<2).flatMap { n in (0..<3).map { v[(n * 2 + c) * 3 + $0] } }
      let mean = values.reduce(0, +) / 6
      let unbiased = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5
      let (oldMean, oldVariance) = ([1.0, -2][c], [2.0, 0.5][c])
      #expect(abs(running.mean.scalars[c] - (0.9 * oldMean + 0.1 * mean)) < 1e-12)
      #expect(abs(running.variance.scalars[c] - (0.9 * oldVariance + 0.1 * unbiased)) < 1e-12)
    }
  }

  @Test("another momentum, and evaluation mode changes nothing")
  func momentumAndEvaluation() throws {
    let layer = try BatchNorm2d(1, momentum: 0.25, dtype: .float64)
    let x = try Tensor([1, 2, 3, 6], shape: [4, 1, 1, 1], dtype: .float64)
    _ = try layer(x)  // mean 3, unbiased variance 14/3
    #expect(abs(layer.runningMean.scalars[0] - 0.75) < 1e-12)
    #expect(abs(layer.runningVariance.scalars[0] - (0.75 + 0.25 * 14 / 3)) < 1e-12)
    layer.eval()
    _ = try layer(x * 10)
    #expect(abs(layer.runningMean.scalars[0] - 0.75) < 1e-12)
    #expect(try layer.batchesTracked.integers() == [1])
  }
}

@Suite("Exercise 6.8: the receptive field of a stack of layers")
struct Ch06Ex8ReceptiveField {
  @Test("the chapter's model: 10 pixels, features 4 apart")
  func model() {
    let convolution = Windows2D(kernel: 3, padding: 1)
    let pooling = Windows2D(kernel: 2, stride: 2)
    let (size, jump) = receptiveField(of: [convolution, pooling, convolution, pooling])
    #expect(size == 10 && jump == 4)
  }

  @Test("strides compound, dilation widens, padding does not; height and width apart")
  func rules() {
    #expect(receptiveField(of: []).size == 1)
    #expect(receptiveField(of: [Windows2D(kernel: 3, stride: 2)]) == (3, 2))
    #expect(receptiveField(of: Array(repeating: Windows2D(kernel: 3), count: 3)).size == 7)
    let strided = [Windows2D(kernel: 3, stride: 2), Windows2D(kernel: 3, stride: 2)]
    #expect(receptiveField(of: strided) == (7, 4))
    #expect(
      receptiveField(of: [Windows2D(kernel: 3, dilation: 2), Windows2D(kernel: 3)]).size == 7)
    #expect(receptiveField(of: [Windows2D(kernel: 5, padding: 2)]).size == 5)
    let r = receptiveField(of: [
      Windows2D(kernel: Size2D(3, 1), stride: Size2D(1, 2)),
      Windows2D(kernel: Size2D(1, 3)),
    ])
    #expect(r.size == Size2D(3, 5) && r.jump == Size2D(1, 2))
  }

  @Test("agrees with backward: the input pixels one feature's gradient reaches")
  func measured() throws {
    var g = SeededGenerator(seed: 1)
    let x = Tensor.zeros([1, 1, 16, 16], dtype: .float64)
    x.requiresGrad = true
    let c1 = try Conv2d(1, 2, kernel: 3, dtype: .float64, using: &g)
    let c2 = try Conv2d(2, 1, kernel: 3, dilation: 2, dtype: .float64, using: &g)
    // Ones as weights: no tap's gradient cancels.
    try c1.weight.update(to: Tensor.ones(c1.weight.shape, dtype: .float64))
    try c2.weight.update(to: Tensor.ones(c2.weight.shape, dtype: .float64))
    // Average pooling, which spreads the gradient over its window (max pooling would send
    // it to one pixel of each window: the field is what *can* reach the feature).
    let y = try c2(c1(x).avgPool2d(kernel: 2))
    try y.sliced(axis: 2, 0..<1).sliced(axis: 3, 0..<1).sum().backward()
    let touched = try #require(x.grad).scalars.enumerated().filter { $0.element != 0 }.map(\.offset)
    let rows = Set(touched.map { $0 / 16 }).count
    let expected = receptiveField(of: [
      Windows2D(kernel: 3), Windows2D(kernel: 2, stride: 2), Windows2D(kernel: 3, dilation: 2),
    ])
    #expect(rows == expected.size.height)
  }
}
