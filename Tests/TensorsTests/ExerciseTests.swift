import Foundation
import Testing

import func TestSupport.allClose

@testable import Tensors

// The graded exercises of Chapter 2. Suites named `Ch02ExN…` hold the tests of exercise 2.N;
// each checks its exercise against closed forms, not against other exercises.

@Suite("Exercise 2.1: strides of a permutation")
struct Ch02Ex1Permute {
  @Test("shape and strides are permuted together")
  func layout() {
    let (shape, strides) = Tensor.permutedLayout(
      shape: [2, 3, 4], strides: [12, 4, 1], [2, 0, 1])
    #expect(shape == [4, 2, 3] && strides == [1, 12, 4])
    let (s2, st2) = Tensor.permutedLayout(shape: [5, 7], strides: [1, 5], [1, 0])
    #expect(s2 == [7, 5] && st2 == [5, 1])
  }

  @Test("a permuted view reads the right elements")
  func elements() throws {
    let t = try Tensor.arange(0, 24).reshaped([2, 3, 4])
    let p = try t.permuted([1, 2, 0])
    #expect(p.shape == [3, 4, 2])
    #expect(try p.element(at: [2, 1, 1]) == 12 + 2 * 4 + 1)
  }
}

@Suite("Exercise 2.2: the storage position of an element")
struct Ch02Ex2StoragePosition {
  @Test("offset + Σ index × stride, for contiguous and strided views")
  func positions() throws {
    let t = try Tensor.arange(0, 24).reshaped([2, 3, 4])
    #expect(t.storagePosition(of: [0, 0, 0]) == 0)
    #expect(t.storagePosition(of: [1, 2, 3]) == 23)
    let s = try t.sliced(axis: 2, 1..<4, step: 2)  // offset 1, strides [12, 4, 2]
    #expect(s.storagePosition(of: [1, 1, 1]) == 1 + 12 + 4 + 2)
    #expect(try s.element(at: [1, -1, 0]) == 12 + 8 + 1)
    #expect(Tensor(scalar: 5).storagePosition(of: []) == 0)
  }
}

@Suite("Exercise 2.3: the VJP of the elementwise product")
struct Ch02Ex3Multiply {
  @Test("∂⟨g, x·y⟩/∂x = g·y and ∂/∂y = g·x")
  func product() throws {
    let x = try Tensor([1, -2, 3, 0.5], shape: [2, 2], dtype: .float64)
    let y = try Tensor([4, 0.25, -1, 2], shape: [2, 2], dtype: .float64)
    x.requiresGrad = true
    y.requiresGrad = true
    let g = try Tensor([1, 2, 3, 4], shape: [2, 2], dtype: .float64)
    try x.multiplied(by: y).backward(seed: g)
    #expect(x.grad?.scalars == [4, 0.5, -3, 8])
    #expect(y.grad?.scalars == [1, -4, 9, 2])
  }

  @Test("a 0-d operand receives the sum over every position it multiplied")
  func scalarOperand() throws {
    let s = Tensor(scalar: 3, dtype: .float64)
    s.requiresGrad = true
    let x = Tensor([1, 2, 4], dtype: .float64)
    try s.multiplied(by: x).backward(seed: Tensor([1, 1, 0.5], dtype: .float64))
    #expect(s.grad?.shape == [] && s.grad?.scalars == [5])
  }

  @Test("a 0-d operand on the right is summed too, and the left one gets g·s")
  func scalarOnTheRight() throws {
    let x = Tensor([1, 2, 4], dtype: .float64)
    let s = Tensor(scalar: 3, dtype: .float64)
    x.requiresGrad = true
    s.requiresGrad = true
    try x.multiplied(by: s).backward(seed: Tensor([1, 1, 0.5], dtype: .float64))
    #expect(s.grad?.shape == [] && s.grad?.scalars == [5])
    #expect(x.grad?.scalars == [3, 3, 1.5])
  }
}

@Suite("Exercise 2.4: the VJP of tanh")
struct Ch02Ex4Tanh {
  @Test("g · (1 − tanh²x) at many points, and 0 (not NaN) at ±1000")
  func tanhGradient() throws {
    let values = (-20...20).map { Double($0) * 0.2 } + [-1000, 1000]
    let x = Tensor(values, dtype: .float64)
    x.requiresGrad = true
    let g = Tensor(values.indices.map { 1 + Double($0 % 3) }, dtype: .float64)
    try x.tanh().backward(seed: g)
    let expected = zip(values, g.scalars).map { v, w in
      w * (1 - Foundation.pow(Foundation.tanh(v), 2))
    }
    #expect(allClose(x.grad!.scalars, expected, tolerance: 1e-12))
    #expect(x.grad!.scalars.suffix(2) == [0, 0])
  }
}

@Suite("Exercise 2.5: the VJP of a sum over axes")
struct Ch02Ex5Sum {
  @Test("every summed element receives its slot's gradient")
  func sumAxes() throws {
    let x = try Tensor.arange(0, 24, dtype: .float64).reshaped([2, 3, 4]).detach()
    x.requiresGrad = true
    let g = try Tensor([1, 2, 3], shape: [3], dtype: .float64)
    try x.sum(axes: [0, -1]).backward(seed: g)
    #expect(x.grad?.shape == [2, 3, 4])
    let expected: [Double] = (0..<24).map { i in Double((i / 4) % 3 + 1) }
    #expect(x.grad?.scalars == expected)
  }

  @Test("kept axes and the sum of everything")
  func keptAndAll() throws {
    let x = Tensor.ones([2, 3], dtype: .float64)
    x.requiresGrad = true
    try x.sum(axes: [1], keepingAxes: true).backward(
      seed: try Tensor([5, 7], shape: [2, 1], dtype: .float64))
    #expect(x.grad?.scalars == [5, 5, 5, 7, 7, 7])
    let y = Tensor.ones([2, 2], dtype: .float64)
    y.requiresGrad = true
    try y.sum().backward()
    #expect(y.grad?.scalars == [1, 1, 1, 1])
  }
}

@Suite("Exercise 2.6: the VJP of the matrix product")
struct Ch02Ex6MatMul {
  /// ∂⟨g, AB⟩/∂A and /∂B by three nested loops, for `batches` products [m, k]·[k, n].
  func loopGradients(
    _ a: Tensor, _ b: Tensor, _ g: Tensor, batches: Int, m: Int, k: Int, n: Int
  ) -> (a: [Double], b: [Double]) {
    let (av, bv, gv) = (a.scalars, b.scalars, g.scalars)
    var ga = [Double](repeating: 0, count: av.count)
    var gb = [Double](repeating: 0, count: bv.count)
    for batch in 0..<batches {
      let (oa, ob, og) = (batch * m * k, batch * k * n, batch * m * n)
      for i in 0..<m {
        for j in 0..<n {
          for p in 0..<k {
            ga[oa + i * k + p] += gv[og + i * n + j] * bv[ob + p * n + j]
            gb[ob + p * n + j] += av[oa + i * k + p] * gv[og + i * n + j]
          }
        }
      }
    }
    return (ga, gb)
  }

  @Test("∂/∂A = G·Bᵀ and ∂/∂B = Aᵀ·G, against loops")
  func matmulGradient() throws {
    let a = sample([3, 4])
    let b = sample([4, 2], seed: 1.3)
    a.requiresGrad = true
    b.requiresGrad = true
    let g = sample([3, 2], seed: 2.9)
    try a.matrixProduct(b).backward(seed: g)
    let expected = loopGradients(a, b, g, batches: 1, m: 3, k: 4, n: 2)
    #expect(allClose(a.grad!.scalars, expected.a, tolerance: 1e-12))
    #expect(allClose(b.grad!.scalars, expected.b, tolerance: 1e-12))
  }

  @Test("a batch of products: each matrix transposes its own last two axes")
  func batched() throws {
    let a = sample([2, 3, 4])
    let b = sample([2, 4, 2], seed: 1.3)
    a.requiresGrad = true
    b.requiresGrad = true
    let g = sample([2, 3, 2], seed: 2.9)
    try a.matrixProduct(b).backward(seed: g)
    let expected = loopGradients(a, b, g, batches: 2, m: 3, k: 4, n: 2)
    #expect(allClose(a.grad!.scalars, expected.a, tolerance: 1e-12))
    #expect(allClose(b.grad!.scalars, expected.b, tolerance: 1e-12))
  }

  @Test("a matrix times a vector: the vector's gradient is Aᵀg")
  func matrixVector() throws {
    let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], dtype: .float64)
    let v = Tensor([1, 0, -1], dtype: .float64)
    v.requiresGrad = true
    try a.matrixProduct(v).backward(seed: Tensor([1, 2], dtype: .float64))
    #expect(v.grad?.scalars == [9, 12, 15])
  }
}

@Suite("Exercise 2.7: scatter-add for repeated indices")
struct Ch02Ex7ScatterAdd {
  @Test("a row picked several times receives the sum of its gradients")
  func repeated() throws {
    let table = try Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2], dtype: .float64)
    table.requiresGrad = true
    let rows = try table.indexSelect(axis: 0, [2, 0, 2])
    try rows.backward(seed: try Tensor([1, 1, 2, 2, 10, 10], shape: [3, 2], dtype: .float64))
    #expect(table.grad?.scalars == [2, 2, 0, 0, 11, 11])
  }

  @Test("indexAdded directly: values land at their indices and add up")
  func direct() throws {
    let rows = try Tensor([1, 2, 3], shape: [3, 1], dtype: .float64)
    let added = try rows.indexAdded(into: [2, 1], axis: 0, [1, 1, 0])
    #expect(added.scalars == [3, 3])
  }

  @Test("along axis 1: columns land at their indices and add up")
  func secondAxis() throws {
    let columns = try Tensor([1, 2, 3, 10, 20, 30], shape: [2, 3], dtype: .float64)
    let added = try columns.indexAdded(into: [2, 3], axis: 1, [2, 0, 2])
    #expect(added.scalars == [2, 0, 4, 20, 0, 40])
  }
}

@Suite("Exercise 2.8: a central difference")
struct Ch02Ex8CentralDifference {
  @Test("(g(x + h) − g(x − h)) / 2h of a cubic, element by element")
  func cubic() throws {
    let x = Tensor([0.5, -1.25, 2], dtype: .float64)
    let objective: ([Tensor]) throws -> Double = { xs in
      xs[0].scalars.map { $0 * $0 * $0 }.reduce(0, +)
    }
    for j in 0..<3 {
      let d = try centralDifference(objective, at: [x], input: 0, element: j, step: 1e-5)
      let exact = 3 * x.scalars[j] * x.scalars[j]
      #expect(Swift.abs(d - exact) < 1e-8, "element \(j): \(d) vs \(exact)")
    }
  }

  @Test("only the chosen input and element move")
  func isolation() throws {
    let x = Tensor([1, 2], dtype: .float64)
    let y = Tensor([3, 4], dtype: .float64)
    let objective: ([Tensor]) throws -> Double = { xs in
      7 * xs[0].scalars[0] + 11 * xs[0].scalars[1] + 13 * xs[1].scalars[1]
    }
    #expect(
      Swift.abs(
        try centralDifference(objective, at: [x, y], input: 0, element: 1, step: 1e-4) - 11) < 1e-9)
    #expect(
      Swift.abs(
        try centralDifference(objective, at: [x, y], input: 1, element: 1, step: 1e-4) - 13) < 1e-9)
    #expect(
      Swift.abs(try centralDifference(objective, at: [x, y], input: 1, element: 0, step: 1e-4))
        < 1e-9)
  }
}
