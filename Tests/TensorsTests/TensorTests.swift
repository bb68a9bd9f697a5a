import Foundation
import Testing

import func TestSupport.allClose

@testable import Tensors

/// A tensor of `shape` with distinct, non-uniform values.
func sample(_ shape: [Int], dtype: DType = .float64, seed: Double = 0.37) -> Tensor {
  let n = shape.reduce(1, *)
  return try! Tensor(
    (0..<n).map { Foundation.sin(Double($0) * 1.7 + seed) * 1.5 }, shape: shape, dtype: dtype)
}

@Suite("Tensor: storage, creation and views")
struct TensorViewTests {
  @Test("creation checks the element count against the shape")
  func creation() throws {
    let t = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    #expect(t.shape == [2, 3] && t.strides == [3, 1] && t.dtype == .float32)
    #expect(t.scalars == [1, 2, 3, 4, 5, 6])
    #expect {
      try Tensor([1, 2, 3], shape: [2, 2])
    } throws: { "\($0)".contains("3 values do not fill shape [2, 2]") }
    #expect(Tensor(scalar: 3).rank == 0 && Tensor(scalar: 3).count == 1)
    #expect(Tensor.zeros([0, 3]).count == 0)
    #expect(Tensor.arange(0, 5).scalars == [0, 1, 2, 3, 4])
    #expect(Tensor.arange(1, 2, step: 0.25).scalars == [1, 1.25, 1.5, 1.75])
  }

  @Test("permute and transpose are views: strides permuted, storage shared")
  func permute() throws {
    let t = Tensor.arange(0, 24).reshapedOrDie([2, 3, 4])
    let p = try t.permuted([2, 0, 1])
    #expect(p.shape == [4, 2, 3] && p.strides == [1, 12, 4])
    #expect(p.storage === t.storage)
    #expect(!p.isContiguous)
    #expect(try p.element(at: [3, 1, 2]) == t.element(at: [1, 2, 3]))
    let tt = try t.transposed()
    #expect(tt.shape == [2, 4, 3] && tt.strides == [12, 1, 4])
    #expect(try t.permuted([0, -1, 1]).shape == [2, 4, 3])
    #expect(throws: TensorError.self) { try t.permuted([0, 0, 1]) }
  }

  @Test("slicing with a step moves the offset and multiplies the stride")
  func slicing() throws {
    let t = Tensor.arange(0, 20).reshapedOrDie([4, 5])
    let s = try t.sliced(axis: 1, 1..<5, step: 2)
    #expect(s.shape == [4, 2] && s.strides == [5, 2] && s.offset == 1)
    #expect(s.scalars == [1, 3, 6, 8, 11, 13, 16, 18])
    let r = try t.sliced(axis: 0, 3..<4)
    #expect(r.scalars == [15, 16, 17, 18, 19])
    #expect(try t.sliced(axis: 0, 2..<2).count == 0)
    #expect(try t.selected(axis: 1, -1).scalars == [4, 9, 14, 19])
    #expect {
      try t.sliced(axis: 1, 2..<7)
    } throws: { "\($0)".contains("does not fit axis 1 of shape [4, 5]") }
  }

  @Test("reshape is a view of a contiguous tensor and a copy of a transposed one")
  func reshape() throws {
    let t = Tensor.arange(0, 6).reshapedOrDie([2, 3])
    let v = try t.reshaped([3, -1])
    #expect(v.shape == [3, 2] && v.storage === t.storage)
    let c = try t.transposed().reshaped([6])
    #expect(c.storage !== t.storage)
    #expect(c.scalars == [0, 3, 1, 4, 2, 5])
    #expect {
      try t.reshaped([4, 2])
    } throws: { "\($0)".contains("holds 8 elements, the tensor of shape [2, 3] has 6") }
    #expect(throws: TensorError.self) { try t.reshaped([-1, -1]) }
  }

  @Test("contiguous() copies only when needed")
  func contiguous() throws {
    let t = Tensor.arange(0, 6).reshapedOrDie([2, 3])
    #expect(t.contiguous() === t)
    let c = try t.transposed().contiguous()
    #expect(c.isContiguous && c.scalars == [0, 3, 1, 4, 2, 5])
  }
}

@Suite("Tensor: pinned values")
struct TensorValueTests {
  @Test("elementwise arithmetic and functions")
  func elementwise() throws {
    let a = try Tensor([1, -2, 3, 0.5], shape: [2, 2], dtype: .float64)
    let b = try Tensor([2, 4, -1, 0.25], shape: [2, 2], dtype: .float64)
    #expect(try a.adding(b).scalars == [3, 2, 2, 0.75])
    #expect(try a.subtracting(b).scalars == [-1, -6, 4, 0.25])
    #expect(try a.multiplied(by: b).scalars == [2, -8, -3, 0.125])
    #expect(try a.divided(by: b).scalars == [0.5, -0.5, -3, 2])
    #expect(try a.maximum(b).scalars == [2, 4, 3, 0.5])
    #expect(try a.minimum(b).scalars == [1, -2, -1, 0.25])
    #expect(a.relu().scalars == [1, 0, 3, 0.5])
    #expect(a.abs().scalars == [1, 2, 3, 0.5])
    #expect((-a).scalars == [-1, 2, -3, -0.5])
    #expect(a.pow(2).scalars == [1, 4, 9, 0.25])
    #expect(allClose(a.exp().scalars, [1, -2, 3, 0.5].map { Foundation.exp($0) }, tolerance: 1e-6))
    #expect(
      allClose(b.abs().log().scalars, [2, 4, 1, 0.25].map { Foundation.log($0) }, tolerance: 1e-6))
    #expect(
      allClose(a.tanh().scalars, [1, -2, 3, 0.5].map { Foundation.tanh($0) }, tolerance: 1e-6))
    #expect((a * 2 + 1).scalars == [3, -3, 7, 2])
    #expect(try (1 - a).scalars == [0, 3, -2, 0.5])
    #expect(try a.adding(Tensor(scalar: 10, dtype: .float64)).scalars == [11, 8, 13, 10.5])
    // x · a + b in one pass, with a 0-d shift.
    let shift = Tensor(scalar: 1, dtype: .float64)
    #expect(try a.multiplied(by: b, adding: shift).scalars == [3, -7, -2, 1.125])
  }

  @Test("comparisons give 0/1 masks; where picks without leaking the other branch")
  func comparisons() throws {
    let a = Tensor([1, 2, 3], dtype: .float64)
    let b = Tensor([3, 2, 1], dtype: .float64)
    #expect(try a.isLess(than: b).scalars == [1, 0, 0])
    #expect(try a.isEqual(to: b).scalars == [0, 1, 0])
    #expect(try a.isGreaterOrEqual(to: b).scalars == [0, 1, 1])
    let inf = Tensor([.infinity, .nan, 5], dtype: .float64)
    let picked = try Tensor.select(Tensor([0, 0, 1], dtype: .float64), a, inf)
    #expect(picked.scalars[0] == .infinity && picked.scalars[1].isNaN && picked.scalars[2] == 3)
    #expect(try a.masked(where: a.isGreater(than: b), with: -1).scalars == [1, 2, -1])
  }

  @Test("NaN and inf propagate through every op without trapping")
  func nonFinite() throws {
    let t = Tensor([.nan, .infinity, -.infinity, 0], dtype: .float32)
    for r in [t.exp(), t.log(), t.tanh(), t.sigmoid(), t.relu(), t.abs(), t.sqrt(), t.pow(3)] {
      #expect(r.count == 4)
    }
    #expect(t.tanh().scalars[0].isNaN && t.tanh().scalars[1] == 1)
    #expect(t.sigmoid().scalars[1] == 1 && t.sigmoid().scalars[2] == 0)
    #expect(try t.max().item().isNaN)
    #expect(try t.sum().item().isNaN)
    #expect(try t.maximum(Tensor.zeros([4])).scalars[0].isNaN)
  }

  @Test("reductions over tuple and negative axes, with and without kept axes")
  func reductions() throws {
    let t = Tensor.arange(0, 24, dtype: .float64).reshapedOrDie([2, 3, 4])
    #expect(try t.sum().item() == 276)
    let s = try t.sum(axes: [0, -1])
    #expect(s.shape == [3] && s.scalars == [60, 92, 124])
    let k = try t.sum(axes: [1], keepingAxes: true)
    #expect(k.shape == [2, 1, 4] && k.scalars == [12, 15, 18, 21, 48, 51, 54, 57])
    #expect(try t.mean(axes: [2]).scalars == [1.5, 5.5, 9.5, 13.5, 17.5, 21.5])
    #expect(try t.max(axes: [0, 1]).scalars == [20, 21, 22, 23])
    #expect(try t.min(axes: [-1], keepingAxes: true).shape == [2, 3, 1])
    #expect(
      try t.transposed(0, 2).sum(axes: [0]).scalars == (try t.sum(axes: [2]).transposed().scalars))
    #expect {
      try t.sum(axes: [3])
    } throws: { "\($0)".contains("sum: axis 3 is out of range for shape [2, 3, 4]") }
    #expect(throws: TensorError.self) { try t.sum(axes: [1, -2]) }
    #expect(try Tensor.zeros([0, 3]).sum(axes: [0]).scalars == [0, 0, 0])
    #expect(throws: TensorError.self) { try Tensor.zeros([0, 3]).max(axes: [0]) }
  }

  @Test("matmul: 2-d, 1-d on either side, batched, transposed views, zero-size")
  func matmul() throws {
    let a = sample([3, 4])
    let b = sample([4, 5], seed: 1.1)
    let c = try a.matrixProduct(b)
    #expect(c.shape == [3, 5])
    #expect(allClose(c.scalars, naiveMatmul(a.scalars, b.scalars, 3, 4, 5), tolerance: 1e-12))
    // Transposed views go to BLAS without a copy and give the same result.
    let at = try a.transposed().contiguous().transposed()
    #expect(allClose(try at.matrixProduct(b).scalars, c.scalars, tolerance: 1e-12))
    let v = sample([4], seed: 2)
    #expect(try a.matrixProduct(v).shape == [3])
    #expect(try v.matrixProduct(b).shape == [5])
    #expect(try v.matrixProduct(v).shape == [])
    #expect(
      allClose(
        [try v.matrixProduct(v).item()], [v.scalars.map { $0 * $0 }.reduce(0, +)], tolerance: 1e-6))
    let batch = try sample([2, 3, 4]).matrixProduct(sample([2, 4, 5], seed: 3))
    #expect(batch.shape == [2, 3, 5])
    let second = try sample([2, 3, 4]).selected(axis: 0, 1).matrixProduct(
      sample([2, 4, 5], seed: 3).selected(axis: 0, 1))
    #expect(allClose(try batch.selected(axis: 0, 1).scalars, second.scalars, tolerance: 1e-12))
    #expect(
      try Tensor.zeros([3, 0], dtype: .float64).matrixProduct(
        Tensor.zeros([0, 2], dtype: .float64)
      )
      .scalars == [0, 0, 0, 0, 0, 0])
    #expect {
      try a.matrixProduct(a)
    } throws: {
      "\($0)".contains("shapes [3, 4] and [3, 4] do not chain: 4 columns against 3 rows")
    }
    #expect {
      try sample([2, 3, 4]).matrixProduct(sample([3, 4, 5]))
    } throws: { "\($0)".contains("batch shapes differ") }
  }

  @Test("float32 and float64 agree")
  func dtypes() throws {
    let a32 = sample([3, 4], dtype: .float32)
    let a64 = sample([3, 4], dtype: .float64)
    #expect(allClose(a32.tanh().scalars, a64.tanh().scalars, tolerance: 1e-6))
    #expect(
      allClose(
        try a32.matrixProduct(a32.transposed()).scalars,
        try a64.matrixProduct(a64.transposed()).scalars,
        tolerance: 1e-5))
    #expect(throws: TensorError.self) { try a32.adding(a64) }
    #expect(a32.to(.float64).dtype == .float64)
  }

  @Test("shape errors are thrown and name the op and both shapes")
  func shapeErrors() throws {
    let a = Tensor.zeros([2, 3])
    let b = Tensor.zeros([3])
    #expect {
      try a.adding(b)
    } throws: { error in
      let message = "\(error)"
      return message.hasPrefix("add: shapes [2, 3] and [3] differ") && message.contains("chapter 3")
    }
    #expect(throws: TensorError.self) { try a.multiplied(by: Tensor.zeros([3, 2])) }
    #expect {
      try a.multiplied(by: a, adding: b)
    } throws: { error in
      "\(error)".hasPrefix("multiplyAdd: shapes [2, 3] and [3] differ")
    }
    #expect(throws: TensorError.self) { try a.element(at: [2, 0]) }
    #expect(throws: TensorError.self) { try a.item() }
  }

  @Test("concat, stack, split and indexSelect")
  func joining() throws {
    let a = Tensor.arange(0, 6).reshapedOrDie([2, 3])
    let b = Tensor.arange(6, 8).reshapedOrDie([2, 1])
    let c = try Tensor.concatenated([a, b], axis: 1)
    #expect(c.shape == [2, 4] && c.scalars == [0, 1, 2, 6, 3, 4, 5, 7])
    let s = try Tensor.stacked([a, a], axis: 0)
    #expect(s.shape == [2, 2, 3])
    let parts = try c.split(sizes: [1, 3], axis: 1)
    #expect(parts[0].scalars == [0, 3] && parts[1].scalars == [1, 2, 6, 4, 5, 7])
    let picked = try a.indexSelect(axis: 1, [2, 0, 2])
    #expect(picked.scalars == [2, 0, 2, 5, 3, 5])
    #expect(throws: TensorError.self) {
      try Tensor.concatenated([a, Tensor.zeros([3, 1])], axis: 1)
    }
    #expect(try a.indexSelect(axis: 1, [-1, -3]).scalars == [2, 0, 5, 3])  // from the end
    #expect {
      try a.indexSelect(axis: 0, [2])
    } throws: {
      "\($0)" == "indexSelect: index 2 is out of range for axis 0 of size 2 (shape [2, 3])"
    }
    #expect {
      try a.indexSelect(axis: -1, [-4])
    } throws: { "\($0)".contains("index -4 is out of range for axis -1 of size 3") }
  }
}

func naiveMatmul(_ a: [Double], _ b: [Double], _ m: Int, _ k: Int, _ n: Int) -> [Double] {
  var c = [Double](repeating: 0, count: m * n)
  for i in 0..<m {
    for j in 0..<n {
      for p in 0..<k { c[i * n + j] += a[i * k + p] * b[p * n + j] }
    }
  }
  return c
}

extension Tensor {
  /// `reshaped` for shapes known to fit, in tests.
  func reshapedOrDie(_ shape: [Int]) -> Tensor { try! reshaped(shape) }
}

@Suite("Views a PyTorch user reaches for: squeeze, flatten, zeros(like:)")
struct EverydayViewTests {
  @Test("squeeze drops size-1 axes (the named ones, or all); another size is an error")
  func squeeze() throws {
    let x = Tensor.zeros([1, 3, 1, 2])
    #expect(try x.squeezed().shape == [3, 2])
    #expect(try x.squeezed([-2]).shape == [1, 3, 2])
    let error = #expect(throws: TensorError.self) { try x.squeezed([1]) }
    #expect(error?.description.contains("axis 1") == true)
  }

  @Test("flatten merges a run of axes; zeros(like:) and ones(like:) copy shape and dtype")
  func flattenAndLike() throws {
    let x = Tensor.zeros([2, 3, 4, 5], dtype: .float64)
    #expect(try x.flattened().shape == [120])
    #expect(try x.flattened(from: 1).shape == [2, 60])
    #expect(try x.flattened(from: 1, to: 2).shape == [2, 12, 5])
    #expect(throws: TensorError.self) { try x.flattened(from: 2, to: 1) }
    let ones = Tensor.ones(like: x)
    #expect(ones.shape == x.shape && ones.dtype == .float64 && ones.scalars.allSatisfy { $0 == 1 })
    #expect(Tensor.zeros(like: x).scalars.allSatisfy { $0 == 0 })
  }
}

@Suite("Initializers: requiresGrad, and a default dtype for a scope")
struct DefaultsTests {
  @Test("requiresGrad: true makes a leaf that requires a gradient")
  func requiresGradInInitializers() throws {
    let x = try Tensor([1, 2], shape: [2], requiresGrad: true)
    #expect(x.requiresGrad && x.isLeaf)
    #expect(Tensor.zeros([2], requiresGrad: true).requiresGrad)
    #expect(Tensor.ones([2]).requiresGrad == false)
    #expect(Tensor(scalar: 3, requiresGrad: true).requiresGrad)
  }

  @Test("withDefaultDType(.float64) changes the dtype of new tensors that name none, only inside")
  func defaultDType() throws {
    #expect(Tensor.zeros([2]).dtype == .float32)
    try withDefaultDType(.float64) {
      #expect(Tensor.zeros([2]).dtype == .float64)
      let filled = try Tensor([1, 2], shape: [2])
      #expect(filled.dtype == .float64)
      #expect(Tensor.zeros([2], dtype: .float32).dtype == .float32)  // explicit wins
    }
    #expect(Tensor([1, 2]).dtype == .float32)
    #expect(throws: TensorError.self) { try withDefaultDType(.int64) {} }
  }
}

@Suite("Tensor: a view says what it shares")
struct ViewDescriptionTests {
  @Test("a view's description names its storage, offset and strides; a whole tensor's does not")
  func viewDescription() throws {
    let t = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], dtype: .float32)
    #expect(t.description == "Tensor([2, 3], float32, [1, 2, 3, 4, 5, 6])")
    #expect(try !t.reshaped([3, 2]).description.contains("view"))
    #expect(
      try t.transposed().description
        == "Tensor([3, 2], float32, view of a storage of 6 (offset 0, strides [1, 3]), "
        + "[1, 4, 2, 5, 3, 6])")
    #expect(try t.sliced(axis: 0, 1..<2).description.contains("view of a storage of 6 (offset 3"))
  }
}

@Suite("Reductions over an empty axis")
struct EmptyAxisTests {
  @Test("sum is 0 and mean NaN; max and min are errors naming the axis and the shape")
  func emptyAxis() throws {
    let x = Tensor.zeros([2, 0])
    #expect(try x.sum(axes: [1]).scalars == [0, 0])
    #expect(try x.mean(axes: [1]).scalars.allSatisfy(\.isNaN))
    #expect {
      try x.max(axes: [1])
    } throws: { "\($0)" == "max: axis 1 of shape [2, 0] is empty: it has no maximum" }
    #expect {
      try x.min(axes: [0, 1], keepingAxes: true)
    } throws: { "\($0)" == "min: axis 1 of shape [2, 0] is empty: it has no minimum" }
    #expect(try x.max(axes: [0]).shape == [0])  // over the non-empty axis: an empty result
  }
}
