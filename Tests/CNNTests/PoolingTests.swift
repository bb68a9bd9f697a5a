import CNN
import TestSupport
import Testing

/// A one-channel `h × w` Float64 image of `values` that requires a gradient.
func image(_ values: [Double], _ h: Int, _ w: Int) throws -> Tensor {
  let x = try Tensor(values, shape: [1, 1, h, w], dtype: .float64)
  x.requiresGrad = true
  return x
}

@Suite("Pooling: max routes the gradient, average spreads it")
struct PoolingTests {
  // Values, routing, ties, overlaps and padding of max pooling are exercise 6.5's
  // (ExerciseTests.swift); what follows goes beyond it.

  @Test("a real −∞ still beats the padding: the output is −∞ and the gradient reaches it")
  func infiniteInput() throws {
    let x = try image([-.infinity, 1, 2, 3], 2, 2)
    let y = try x.maxPool2d(kernel: 2, stride: 2, padding: 1)
    #expect(y.scalars == [-.infinity, 1, 2, 3])
    try y.sum().backward()
    #expect(try #require(x.grad).scalars == [1, 1, 1, 1])
  }

  @Test("max pooling: first and second derivatives in Float64 (no ties)")
  func maxDerivatives() throws {
    let x = sample([2, 3, 5, 4], seed: 0.31)
    let f = { (t: [Tensor]) in try t[0].maxPool2d(kernel: Size2D(2, 3), stride: Size2D(2, 1)) }
    #expect(try gradcheck(f, inputs: [x]).passed)
    let w = sample(try f([x]).shape, seed: 0.7)
    #expect(try gradgradcheck({ try (f([$0]) * w).sum() }, at: x) < 1e-6)
  }

  @Test("average pooling is the mean of each window, padding counted as zeros")
  func average() throws {
    let x = try image((1...16).map(Double.init), 4, 4)
    let y = try x.avgPool2d(kernel: 2)
    #expect(y.scalars == [3.5, 5.5, 11.5, 13.5])
    try y.sum().backward()
    #expect(try #require(x.grad).scalars == Array(repeating: 0.25, count: 16))
    let padded = try x.avgPool2d(kernel: 2, padding: 1)
    #expect(padded.shape == [1, 1, 3, 3])
    #expect(padded.scalars[0] == 0.25)  // one pixel (1) and three zeros
    #expect(
      try gradcheck(
        { try $0[0].avgPool2d(kernel: 3, stride: 2, padding: 1) },
        inputs: [sample([2, 2, 5, 5], seed: 0.4)]
      ).passed)
  }

  @Test("adaptive average pooling to 1×1 is the mean of each channel")
  func adaptive() throws {
    let x = sample([2, 3, 4, 6], seed: 0.2)
    let y = try x.adaptiveAvgPool2d(outputSize: 1)
    #expect(y.shape == [2, 3, 1, 1])
    #expect(allClose(y.scalars, try x.mean(axes: [2, 3]).scalars, tolerance: 1e-14))
    #expect(try x.adaptiveAvgPool2d(outputSize: Size2D(2, 3)).shape == [2, 3, 2, 3])
    #expect(throws: TensorError.self) { try x.adaptiveAvgPool2d(outputSize: Size2D(3, 3)) }
  }

  @Test("bad windows are errors naming the op")
  func errors() throws {
    let x = sample([1, 2, 4, 4])
    #expect(throws: TensorError.self) { try x.maxPool2d(kernel: 5) }
    #expect(throws: TensorError.self) { try x.maxPool2d(kernel: 2, padding: 2) }
    #expect(throws: TensorError.self) { try x.avgPool2d(kernel: 2, stride: 0) }
    #expect(throws: TensorError.self) { try sample([2, 4, 4]).maxPool2d(kernel: 2) }
    // Dilated taps 3 apart on a 2×2 image: the first window's taps, −1 and 2, both pad.
    let straddling = #expect(throws: TensorError.self) {
      try sample([1, 1, 2, 2]).maxPool2d(kernel: 2, padding: 1, dilation: 3)
    }
    #expect(straddling?.description.contains("maxPool2d") == true)
    #expect(straddling?.description.contains("wholly in the padding") == true)
  }

  @Test(
    "windowArgmax is each window's first maximum (or first NaN), padding never picked",
    arguments: [
      Windows2D(kernel: 2, stride: 2),
      Windows2D(kernel: Size2D(3, 2), stride: Size2D(1, 2), padding: Size2D(1, 1)),
      Windows2D(kernel: 3, stride: 2, padding: 1, dilation: Size2D(2, 1)),
      Windows2D(kernel: Size2D(1, 3), stride: 1, padding: Size2D(0, 1)),
      Windows2D(kernel: 2, stride: 2, dilation: Size2D(2, 1)),  // 2×2 rows two apart
    ])
  func windowArgmax(windows: Windows2D) throws {
    try checkWindowArgmax(windows, n: 2, c: 3, h: 7, w: 6)
    if windows.kernel == 2 && windows.stride == 2 {  // 19 windows a row: two vector blocks
      try checkWindowArgmax(windows, n: 1, c: 2, h: 5, w: 38)
    }
  }

  /// windowArgmax of an `[n, c, h, w]` tensor with ties and two NaNs, against a brute-force
  /// scan of each window's taps in row-major order.
  func checkWindowArgmax(_ windows: Windows2D, n: Int, c: Int, h: Int, w: Int) throws {
    // Few distinct values, so that ties are common; two NaNs.
    var values: [Double] = (0..<(n * c * h * w)).map { i in
      let level: Int = (i / 2 * 5 + i / 13) % 3  // neighbours often equal
      return Double(level - 1)
    }
    values[40] = Double.nan  // in plane 0
    values[50] = Double.nan
    let x = try Tensor(values, shape: [n, c, h, w], dtype: .float64)
    let out = windows.outputSize(for: Size2D(h, w))
    var expected: [Int] = []
    for plane in 0..<(n * c) {
      for oy in 0..<out.height {
        for ox in 0..<out.width {
          var best: Int? = nil
          for ki in 0..<windows.kernel.height {
            for kj in 0..<windows.kernel.width {
              let iy =
                oy * windows.stride.height - windows.padding.height
                + ki * windows.dilation.height
              let ix =
                ox * windows.stride.width - windows.padding.width
                + kj * windows.dilation.width
              guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
              let (v, at) = (values[plane * h * w + iy * w + ix], iy * w + ix)
              if let b = best {
                let current: Double = values[plane * h * w + b]
                if !current.isNaN && (v.isNaN || v > current) { best = at }
              } else {
                best = at
              }
            }
          }
          expected.append(best!)
        }
      }
    }
    let winners = try x.windowArgmax(windows)
    #expect(winners.dtype == .int64 && winners.shape == [n, c, out.height * out.width])
    #expect(try winners.integers() == expected)
    #expect(try x.to(.float32).windowArgmax(windows).integers() == expected)
  }

  @Test("windowArgmax refuses integer tensors and windows that do not fit, naming itself")
  func windowArgmaxErrors() throws {
    let error = #expect(throws: TensorError.self) {
      try Tensor(integers: [1, 2, 3, 4], shape: [1, 1, 2, 2]).windowArgmax(
        Windows2D(kernel: 2))
    }
    #expect(error?.description.contains("windowArgmax") == true)
    #expect(throws: TensorError.self) {
      try sample([1, 1, 2, 2]).windowArgmax(Windows2D(kernel: 3))
    }
    let padded = #expect(throws: TensorError.self) {
      try sample([1, 1, 2, 2]).windowArgmax(Windows2D(kernel: 1, padding: 1))
    }
    #expect(padded?.description.contains("12 of the windows") == true)
  }

  @Test("gather picks along an axis; its gradient adds repeated picks; bad indices throw")
  func gather() throws {
    let x = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], dtype: .float64)
    x.requiresGrad = true
    let picks = try Tensor(integers: [2, 2, 0, -1], shape: [2, 2])
    let y = try x.gathered(axis: 1, picks)
    #expect(y.scalars == [3, 3, 4, 6])
    try (y * Tensor([1, 2, 3, 4], shape: [2, 2], dtype: .float64)).sum().backward()
    #expect(try #require(x.grad).scalars == [0, 0, 3, 3, 0, 4])
    let outOfRange = try Tensor(integers: [3, 0], shape: [1, 2])
    let error = #expect(throws: TensorError.self) {
      try x.gathered(axis: 1, Tensor(integers: [0, 3, 0, 0], shape: [2, 2]))
    }
    #expect(error?.description.contains("index 3 is out of range for axis 1 of size 3") == true)
    #expect(throws: TensorError.self) { try x.gathered(axis: 1, outOfRange) }
    #expect(throws: TensorError.self) { try x.gathered(axis: 1, picks.to(.float64)) }
  }
}
