import Foundation
import Testing

import func TestSupport.allClose

@testable import Tensors

@Suite("Tape: backward, accumulation, detach, freeing")
struct TapeTests {
  @Test("leaf gradients accumulate: exactly 2× after two backward calls")
  func accumulation() throws {
    let w = sample([3, 2])
    w.requiresGrad = true
    let x = sample([2, 4], seed: 1)
    let h = try w.matrixProduct(x).tanh()
    let loss = try h.multiplied(by: h).sum()
    try loss.backward()
    let first = w.grad!.scalars
    try loss.backward()
    #expect(allClose(w.grad!.scalars, first.map { 2 * $0 }, tolerance: 1e-12))
    w.zeroGrad()
    #expect(w.grad == nil)
  }

  @Test("a tensor used on several paths gets the sum of them; intermediates are not kept")
  func sharedTensor() throws {
    let x = Tensor([0.5, -1, 2], dtype: .float64)
    x.requiresGrad = true
    let y = try x.multiplied(by: x).adding(x.exp().multiplied(by: x))  // x feeds four edges
    try y.backward(seed: Tensor([1, 2, 3], dtype: .float64))
    let expected = [0.5, -1, 2].enumerated().map { (i: Int, v: Double) -> Double in
      let derivative: Double = 2 * v + Foundation.exp(v) * (v + 1)
      return Double(i + 1) * derivative
    }
    #expect(allClose(x.grad!.scalars, expected, tolerance: 1e-12))
    #expect(y.grad == nil, "intermediate gradients are not kept unless asked")
  }

  @Test("retainsGrad keeps an intermediate gradient")
  func retain() throws {
    let x = Tensor([1, 2], dtype: .float64)
    x.requiresGrad = true
    let y = x * 3
    y.retainsGrad = true
    try y.sum().backward()
    #expect(y.grad?.scalars == [1, 1])
    #expect(x.grad?.scalars == [3, 3])
  }

  @Test("detach and withoutGrad build no tape")
  func noTape() throws {
    let x = Tensor([1, 2], dtype: .float64)
    x.requiresGrad = true
    let d = x.detach() * 2
    #expect(!d.requiresGrad && d.isLeaf)
    let w = try withoutGrad { try x.multiplied(by: x) }
    #expect(!w.requiresGrad)
    #expect(throws: TensorError.self) { try w.sum().backward() }
    let z = Tensor([1, 2]) * 2
    #expect(!z.requiresGrad, "no input requires a gradient")
  }

  @Test("backward needs a seed for a non-scalar and checks its shape")
  func seeds() throws {
    let x = Tensor([1, 2], dtype: .float64)
    x.requiresGrad = true
    let y = x * 2
    #expect { try y.backward() } throws: { "\($0)".contains("pass seed:") }
    #expect { try y.backward(seed: Tensor([1, 2, 3], dtype: .float64)) } throws: {
      "\($0)".contains("seed of shape [3]")
    }
  }

  @Test("a 100,000-op chain: backward without overflowing the stack")
  func deepChain() throws {
    let x = Tensor([1, -1], dtype: .float64)
    x.requiresGrad = true
    var y = x
    for _ in 0..<100_000 { y = -y }
    try y.sum().backward()
    #expect(x.grad?.scalars == [1, 1])
  }

  @Test("the tape is freed after a step: no retain cycles")
  func freed() throws {
    let w = sample([4, 4])
    w.requiresGrad = true
    weak var weakLoss: Tensor?
    weak var weakHidden: Tensor?
    do {
      let hidden = try w.matrixProduct(sample([4, 2], seed: 1)).tanh()
      let loss = try hidden.multiplied(by: hidden).sum()
      weakHidden = hidden
      weakLoss = loss
      try loss.backward()
    }
    #expect(weakLoss == nil && weakHidden == nil)
    #expect(w.grad != nil && w.isLeaf)
  }

  @Test("0-d tensors and zero-size dimensions work through forward and backward")
  func edgeShapes() throws {
    let s = Tensor(scalar: 2, dtype: .float64)
    s.requiresGrad = true
    try s.multiplied(by: s).tanh().backward()
    #expect(
      allClose(s.grad!.scalars, [4 * (1 - Foundation.pow(Foundation.tanh(4), 2))], tolerance: 1e-6))
    let empty = Tensor.zeros([0, 3], dtype: .float64)
    empty.requiresGrad = true
    try (empty.exp().sum(axes: [0]) * 2).sum().backward()
    #expect(empty.grad?.shape == [0, 3])
  }
}

@Suite("TensorStorage: buffer reuse")
struct StorageTests {
  @Test(
    "a freed large buffer is reused by the next storage of the same size, small ones are not kept")
  func reuse() {
    let count = 262_147  // an unusual size, so that no other test takes the buffer meanwhile
    var first: TensorStorage? = TensorStorage(count: count, dtype: .float32, zeroed: false)
    let address = first!.pointer
    first = nil
    let second = TensorStorage(count: count, dtype: .float32)
    #expect(second.pointer == address)
    #expect(second.typed(Float.self)[count - 1] == 0, "zeroed storage is zeroed even when reused")
    #expect(TensorStorage.Statistics.liveBytes >= count * 4)
  }
}

@Suite("In-place updates under a live tape: version counters")
struct VersionTests {
  func leaf(_ values: [Double]) throws -> Tensor {
    let x = try Tensor(values, shape: [values.count], dtype: .float64)
    x.requiresGrad = true
    return x
  }

  @Test("changing x in place between forward and backward is an error naming the op")
  func updatedAfterRecording() throws {
    let x = try leaf([1, 2, 3])
    let loss = try x.multiplied(by: x).sum()
    try x.update(to: Tensor([10, 20, 30], shape: [3], dtype: .float64))
    let error = #expect(throws: TensorError.self) { try loss.backward() }
    #expect(error?.description.contains("modified in place") == true)
    #expect(error?.description.contains("backward of multiply") == true)
    #expect(x.grad == nil)
  }

  @Test("tanh's VJP does not read its output once it was changed in place: it recomputes it")
  func changedOutput() throws {
    let x = try leaf([0.5, -1, 2])
    let y = x.tanh()
    let loss = y.sum()
    try withoutGrad { try y.update(to: Tensor([0, 0, 0], shape: [3], dtype: .float64)) }
    try loss.backward()
    let expected = [0.5, -1, 2].map { 1 - Foundation.pow(Foundation.tanh($0), 2) }
    #expect(allClose(x.grad?.scalars ?? [], expected, tolerance: 1e-12))
  }

  @Test("a write through a view of the same storage counts too")
  func throughAView() throws {
    let x = try leaf([1, 2, 3, 4])
    let loss = x.exp().sum()
    try x.sliced(axis: 0, 1..<3).update(to: Tensor([0, 0], shape: [2], dtype: .float64))
    #expect(throws: TensorError.self) { try loss.backward() }
  }

  @Test("linear operations read no values: changing their input is allowed, the gradient right")
  func linearIsAllowed() throws {
    let x = try leaf([1, 2, 3])
    let loss = try (x + 1).reshaped([3, 1]).sum()
    try x.update(to: Tensor([7, 8, 9], shape: [3], dtype: .float64))
    try loss.backward()
    #expect(x.grad?.scalars == [1, 1, 1])
  }

  @Test("reading without recording does not bump; after backward, updating and a new pass work")
  func readsAndTheUsualOrder() throws {
    let x = try leaf([1, 2, 3])
    let before = x.storage.version
    _ = withoutGrad { x * 2 }
    #expect(x.storage.version == before)
    try x.multiplied(by: x).sum().backward()
    #expect(x.grad?.scalars == [2, 4, 6])
    try x.update(to: Tensor([2, 2, 2], shape: [3], dtype: .float64))
    #expect(x.storage.version == before + 1)
    x.zeroGrad()
    try x.multiplied(by: x).sum().backward()
    #expect(x.grad?.scalars == [4, 4, 4])
  }
}
