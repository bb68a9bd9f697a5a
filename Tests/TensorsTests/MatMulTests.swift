import Foundation
import Scalar
import TestSupport
import Testing

@testable import Tensors

/// The product of `[…, m, k]` and `[…, k, n]` row-major arrays with equal batches, by the
/// definition: three nested loops.
private func naiveProduct(
  _ a: [Double], _ b: [Double], batches: Int, m: Int, k: Int, n: Int
) -> [Double] {
  var c = [Double](repeating: 0, count: batches * m * n)
  for p in 0..<batches {
    for i in 0..<m {
      for j in 0..<n {
        var s = 0.0
        for l in 0..<k { s += a[p * m * k + i * k + l] * b[p * k * n + l * n + j] }
        c[p * m * n + i * n + j] = s
      }
    }
  }
  return c
}

/// The transpose of the last two axes of a row-major `[batches, rows, columns]` array.
private func transposedArray(_ x: [Double], batches: Int, rows: Int, columns: Int) -> [Double] {
  var t = [Double](repeating: 0, count: x.count)
  for p in 0..<batches {
    for i in 0..<rows {
      for j in 0..<columns {
        t[p * rows * columns + j * rows + i] = x[p * rows * columns + i * columns + j]
      }
    }
  }
  return t
}

private func close(_ a: [Double], _ b: [Double], _ tolerance: Double) -> Bool {
  a.count == b.count
    && zip(a, b).allSatisfy { x, y in Swift.abs(x - y) <= tolerance * Swift.max(1, Swift.abs(y)) }
}

@Suite("matmul: BLAS layouts against the definition")
struct MatMulLayoutTests {
  @Test("a one-column product's gradient from sum (issue: reads past the storage)")
  func oneColumnGradient() throws {
    let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2], dtype: .float64)
    let w = try Tensor([1, -1], shape: [2, 1], dtype: .float64)
    a.requiresGrad = true
    w.requiresGrad = true
    try a.matrixProduct(w).sum().backward()
    #expect(a.grad?.scalars == [1, -1, 1, -1, 1, -1])
    #expect(w.grad?.scalars == [9, 12])
  }

  @Test("a column made by a step slice gives the right forward value")
  func stepSlicedColumn() throws {
    let x = try Tensor([1, 2, 3, 4], shape: [2, 2], dtype: .float64)
    let row = try Tensor([1, 2], shape: [1, 2], dtype: .float64)
    let column = try x.sliced(axis: 1, 0..<1, step: 2)
    #expect(try row.matrixProduct(column).scalars == [7])
  }

  @Test("the BLAS layout rule for degenerate shapes and strides")
  func layoutRule() {
    typealias L = (transposed: Bool, leading: Int)?
    func rule(_ r: Int, _ c: Int, _ rs: Int, _ cs: Int) -> L {
      Tensor.blasLayout(rows: r, columns: c, rowStride: rs, columnStride: cs)
    }
    // Ordinary and transposed matrices.
    #expect(rule(3, 4, 4, 1)! == (false, 4))
    #expect(rule(3, 4, 1, 3)! == (true, 3))
    // A column: its row stride is its leading dimension; stride 0 (expanded) is copied.
    #expect(rule(3, 1, 1, 1)! == (false, 1))
    #expect(rule(3, 1, 2, 2)! == (false, 2))
    #expect(rule(3, 1, 0, 0) == nil)
    // A row: any row stride; a column stride of 1 or a transposed read with a step.
    #expect(rule(1, 4, 0, 1)! == (false, 4))
    #expect(rule(1, 4, 7, 2)! == (true, 2))
    #expect(rule(1, 4, 0, 0) == nil)
    // Overlapping rows or zero strides in a full matrix are copied.
    #expect(rule(3, 4, 2, 1) == nil)
    #expect(rule(3, 4, 0, 1) == nil)
    #expect(rule(3, 4, 4, 0) == nil)
    // One element: any strides.
    #expect(rule(1, 1, 0, 0)! == (false, 1))
  }

  @Test(
    "random shapes and layouts, forward and backward, against three loops",
    arguments: [DType.float64, .float32])
  func randomLayouts(dtype: DType) throws {
    var g = SeededGenerator(seed: dtype == .float64 ? 9 : 10)
    let tolerance = dtype == .float64 ? 1e-12 : 2e-5
    for trial in 0..<300 {
      let batch: [Int] = trial % 3 == 0 ? [Int.random(in: 1...3, using: &g)] : []
      let sizes = [1, 1, 2, 3, 5, 8]
      let m = sizes.randomElement(using: &g)!
      let k = sizes.randomElement(using: &g)!
      let n = sizes.randomElement(using: &g)!
      let a = try randomOperand(batch + [m, k], dtype: dtype, using: &g).detach()
      let b = try randomOperand(batch + [k, n], dtype: dtype, using: &g).detach()
      let seed = try randomOperand(batch + [m, n], dtype: dtype, using: &g)
      a.requiresGrad = true
      b.requiresGrad = true
      let c = try a.matrixProduct(b)
      let batches = batch.reduce(1, *)
      let expected = naiveProduct(a.scalars, b.scalars, batches: batches, m: m, k: k, n: n)
      let what = "\(dtype) A\(a.shape) strides \(a.strides), B\(b.shape) strides \(b.strides)"
      #expect(close(c.scalars, expected, tolerance), "forward \(what)")
      try c.backward(seed: seed)
      // Ā = C̄ Bᵀ, B̄ = Aᵀ C̄ by the definition.
      let bT = transposedArray(b.scalars, batches: batches, rows: k, columns: n)
      let aT = transposedArray(a.scalars, batches: batches, rows: m, columns: k)
      let expectedA = naiveProduct(seed.scalars, bT, batches: batches, m: m, k: n, n: k)
      let expectedB = naiveProduct(aT, seed.scalars, batches: batches, m: k, k: m, n: n)
      #expect(close(a.grad?.scalars ?? [], expectedA, tolerance), "Ā \(what), seed \(seed.strides)")
      #expect(close(b.grad?.scalars ?? [], expectedB, tolerance), "B̄ \(what), seed \(seed.strides)")
    }
  }
}

@Suite("MatMul: the Float32 kernel across its blocks and both cores")
struct MatMulKernelTests {
  @Test(
    "products that cross every block edge and both two-core splits equal Float64's",
    arguments: [
      // (batch, m, k, n): ragged tiles; k past one 256-deep block; m past one 96-row block;
      // n past one 2048-column block; a large single product (split by columns); a large
      // batch (split by matrices); short products with a long k (dot products when B is
      // transposed: a convolution's weight gradient), k not a multiple of 16.
      ([Int](), 7, 5, 13), ([], 97, 300, 33), ([], 5, 7, 2100), ([], 130, 257, 130),
      ([3], 70, 50, 90), ([2, 3], 9, 20, 64), ([], 16, 196, 72), ([2], 30, 100, 9),
      ([], 8, 784, 9),
      // Matrix–vector products (one column or one row of C), read without packing: k below,
      // at and past the vector loops' 8 and 32; batched; a 1 × 1 result; one row split by
      // columns over both cores.
      ([], 100, 100, 1), ([], 1, 100, 100), ([], 37, 5, 1), ([], 1, 7, 45), ([2], 1, 33, 40),
      ([3], 20, 64, 1), ([], 1, 1, 1), ([], 1, 300, 1), ([], 1, 2048, 128),
    ])
  func blocks(batch: [Int], m: Int, k: Int, n: Int) throws {
    var g = SeededGenerator(seed: UInt64(m * 1000 + n))
    for (layoutA, layoutB) in [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (2, 1), (4, 2), (5, 3)] {
      let count = batch.reduce(1, *)
      let va = (0..<(count * m * k)).map { _ in Double.random(in: -2...2, using: &g) }
      let vb = (0..<(count * k * n)).map { _ in Double.random(in: -2...2, using: &g) }
      func operand(_ values: [Double], _ shape: [Int], _ layout: Int, _ dtype: DType) throws
        -> Tensor
      {
        guard layout == 5, let first = shape.first, first > 1 else {
          return try laidOut(values, shape: shape, layout: layout, dtype: dtype)
        }
        // The first matrix of the batch, expanded over it (stride 0).
        let one = Array(values.prefix(values.count / first))
        return try Tensor(one, shape: [1] + shape.dropFirst(), dtype: dtype)
          .expandedKeptAxes(to: shape)
      }
      let a32 = try operand(va, batch + [m, k], layoutA, .float32)
      let b32 = try operand(vb, batch + [k, n], layoutB, .float32)
      let a64 = try operand(va, batch + [m, k], layoutA, .float64)
      let b64 = try operand(vb, batch + [k, n], layoutB, .float64)
      let got = try a32.matrixProduct(b32)
      let expected = try a64.matrixProduct(b64)
      #expect(got.shape == expected.shape)
      let close = allClose(got.scalars, expected.scalars, tolerance: 1e-4)
      #expect(close, "A \(a32.shape)/\(a32.strides), B \(b32.shape)/\(b32.strides)")
    }
  }
}
