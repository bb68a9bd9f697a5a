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
  // Values, routing, ties, overlaps and −∞ padding of max pooling are exercise 6.5's
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
