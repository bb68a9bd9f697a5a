import Foundation
import Testing

@testable import Tensors

@Suite("Integer tensors: int64 indices, targets, argmax and counts")
struct IntegersTests {
  @Test("creation, reading and printing keep integers exact")
  func creation() throws {
    let t = try Tensor(integers: [3, -1, 7, 0, 2, 5], shape: [2, 3])
    #expect(t.dtype == .int64 && t.shape == [2, 3] && !t.requiresGrad)
    #expect(try t.integers() == [3, -1, 7, 0, 2, 5])
    #expect(t.scalars == [3, -1, 7, 0, 2, 5])
    #expect(try t.element(at: [1, -1]) == 5)
    #expect(t.description == "Tensor([2, 3], int64, [3, -1, 7, 0, 2, 5])")
    let big = 1 << 62 + 3
    #expect(try Tensor(integers: [big]).integers() == [big])
    #expect(try Tensor([4, -2], shape: [2], dtype: .int64).integers() == [4, -2])
    #expect {
      try Tensor([1, 2.5], shape: [2], dtype: .int64)
    } throws: { "\($0)".contains("2.5 at 1 is not an int64") }
    #expect {
      try Tensor(integers: [1, 2, 3], shape: [2, 2])
    } throws: { "\($0)".contains("3 values do not fill shape [2, 2]") }
    #expect(try Tensor.full([2], 7, dtype: .int64).integers() == [7, 7])
    #expect(try Tensor.zeros([3], dtype: .int64).integers() == [0, 0, 0])
    #expect(try Tensor.arange(0, 4, dtype: .int64).integers() == [0, 1, 2, 3])
    #expect {
      try Tensor([1.5]).integers()
    } throws: { "\($0)".contains("float32 tensor of shape [1] holds no integers") }
  }

  @Test("conversion truncates toward zero, is exact back to floats, and records nothing")
  func conversion() throws {
    let x = try Tensor([-2.7, -0.5, 0, 0.9, 3.99, 1e15], shape: [6], dtype: .float64)
    x.requiresGrad = true
    let n = x.to(.int64)
    #expect(try n.integers() == [-2, 0, 0, 0, 3, 1_000_000_000_000_000])
    #expect(!n.requiresGrad && n.isLeaf)
    #expect(n.to(.float64).scalars == [-2, 0, 0, 0, 3, 1e15])
    #expect(n.to(.float32).dtype == .float32 && !n.to(.float32).requiresGrad)
    let y = x.to(.float32)
    #expect(y.requiresGrad && !y.isLeaf)
  }

  @Test("views, copies and in-place updates work on integers as on floats")
  func views() throws {
    let t = try Tensor(integers: Array(0..<12), shape: [3, 4])
    let v = try t.transposed(0, 1)
    #expect(!v.isContiguous)
    #expect(try v.contiguous().integers() == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
    #expect(try v.reshaped([12]).integers() == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
    #expect(try t.sliced(axis: 1, 1..<3).integers() == [1, 2, 5, 6, 9, 10])
    try t.update(to: Tensor(integers: Array(repeating: 9, count: 12), shape: [3, 4]))
    #expect(try v.contiguous().integers() == Array(repeating: 9, count: 12))
  }

  @Test("arithmetic on int64 is an error that names the op and says how to convert")
  func arithmeticRefused() throws {
    let a = Tensor(integers: [1, 2])
    let message = "int64 tensors hold indices and counts (convert with .to(.float32) first)"
    #expect(throws: TensorError.self) { try a.adding(a) }
    #expect {
      try a.adding(a)
    } throws: { "\($0)".hasPrefix("add: ") && "\($0)".contains(message) }
    #expect { try a.sum(axes: [0]) } throws: { "\($0)".hasPrefix("sum: ") }
    #expect { try a.max(axes: [0]) } throws: { "\($0)".hasPrefix("max: ") }
    #expect {
      try a.reshaped([1, 2]).matrixProduct(a.reshaped([2, 1]))
    } throws: { "\($0)".hasPrefix("matmul: ") }
    #expect(try a.to(.float32).adding(a.to(.float32)).scalars == [2, 4])
  }

  @Test("non-throwing arithmetic on int64 stops the program with the op's name")
  func arithmeticStops() async throws {
    func message(_ result: ExitTest.Result?) -> String {
      String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    }
    let exp = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor(integers: [1, 2]).exp()
    }
    #expect(message(exp).contains("exp computes on float32 and float64 tensors; int64 tensors"))
    let sum = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor(integers: [1, 2]).sum()
    }
    #expect(message(sum).contains("sum: sum computes on float32 and float64 tensors"))
    let grad = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      Tensor(integers: [1, 2]).requiresGrad = true
    }
    #expect(message(grad).contains("an int64 tensor of shape [2] cannot have gradients"))
    let nan = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor([1, .nan]).to(.int64)
    }
    #expect(message(nan).contains("to(int64): element 1 of shape [2] is nan, which no int64"))
  }

  /// argmax or argmin by brute force: for each index of the other axes, the first position
  /// along `axis` whose value beats every earlier one.
  func bruteForce(_ t: Tensor, axis: Int, max: Bool) -> [Int] {
    let values = t.contiguous().scalars
    let strides = Tensor.contiguousStrides(t.shape)
    var result: [Int] = []
    for flat in 0..<t.count where (flat / strides[axis]) % t.shape[axis] == 0 {
      var best = 0
      for i in 0..<t.shape[axis] {
        let x = values[flat + i * strides[axis]]
        let b = values[flat + best * strides[axis]]
        if max ? x > b : x < b { best = i }
      }
      result.append(best)
    }
    return result
  }

  @Test("argmax and argmin along every axis of strided views match brute force")
  func argReductions() throws {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<40 {
      let shape = (0..<Int.random(in: 1...3, using: &generator)).map { _ in
        Int.random(in: 1...4, using: &generator)
      }
      // Few distinct values, so that ties are common.
      let values = (0..<shape.reduce(1, *)).map { _ in
        Double(Int.random(in: -2...2, using: &generator))
      }
      let base = try Tensor(values, shape: shape, dtype: .float64)
      let views = [base] + (shape.count >= 2 ? [try base.transposed(0, shape.count - 1)] : [])
      for t in views {
        for axis in 0..<t.rank {
          let expectedMax = bruteForce(t, axis: axis, max: true)
          let got = try t.argmax(axis: axis)
          var kept = t.shape
          kept.remove(at: axis)
          #expect(got.dtype == .int64 && got.shape == kept)
          #expect(try got.integers() == expectedMax, "argmax \(t.shape) axis \(axis)")
          #expect(
            try t.argmin(axis: axis - t.rank).integers() == bruteForce(t, axis: axis, max: false))
          kept = t.shape
          kept[axis] = 1
          #expect(try t.argmax(axis: axis, keepingAxes: true).shape == kept)
        }
      }
    }
  }

  @Test("argmax: the first of equal maxima, a NaN wins, an empty axis is an error")
  func argmaxEdges() throws {
    let t = try Tensor([1, 5, 5, 2, 3, .nan, 3, 9], shape: [2, 4])
    #expect(try t.argmax(axis: 1).integers() == [1, 1])
    #expect(try t.argmin(axis: 1).integers() == [0, 1])
    #expect(try Tensor([4, 4, 4]).argmax(axis: 0).integers() == [0])
    #expect(try Tensor([7]).argmax(axis: 0).shape == [])
    #expect {
      try Tensor.zeros([2, 0]).argmax(axis: 1)
    } throws: { "\($0)" == "argmax: axis 1 of shape [2, 0] is empty" }
    #expect { try t.argmax(axis: 2) } throws: { "\($0)".hasPrefix("argmax: ") }
    let logits = try Tensor([0.1, 0.7, 0.2, 0.9, 0.05, 0.05], shape: [2, 3])
    logits.requiresGrad = true
    let predicted = try logits.argmax(axis: -1)
    #expect(try predicted.integers() == [1, 0] && !predicted.requiresGrad)
  }

  @Test("comparisons of int64 tensors give int64 masks; mixed dtypes are an error")
  func comparisons() throws {
    let predicted = Tensor(integers: [1, 0, 3, 3])
    let targets = Tensor(integers: [1, 2, 3, 0])
    let correct = try predicted.isEqual(to: targets)
    #expect(try correct.dtype == .int64 && correct.integers() == [1, 0, 1, 0])
    #expect(try predicted.isEqual(to: Tensor(integers: [3], shape: [])).integers() == [0, 0, 1, 1])
    #expect(try Tensor(integers: [0], shape: []).isLess(than: targets).integers() == [1, 1, 1, 0])
    #expect(try predicted.isGreaterOrEqual(to: targets).integers() == [1, 0, 1, 1])
    let big = 1 << 52
    #expect(try Tensor(integers: [big]).isEqual(to: Tensor(integers: [big + 1])).integers() == [0])
    #expect {
      try predicted.isEqual(to: Tensor([1, 0, 3, 3]))
    } throws: { "\($0)".hasPrefix("==: ") && "\($0)".contains("int64") }
    #expect {
      try predicted.isEqual(to: Tensor(integers: [1, 2]))
    } throws: { "\($0)".contains("shapes [4] and [2] differ") }
  }

  @Test("an index tensor selects like an index list, gradients included; others are refused")
  func indexTensor() throws {
    let x = try Tensor((0..<12).map { Double($0) * 0.5 }, shape: [4, 3], dtype: .float64)
    x.requiresGrad = true
    let picked = try x.indexSelect(axis: 0, Tensor(integers: [2, 0, 2]))
    #expect(picked.scalars == (try x.indexSelect(axis: 0, [2, 0, 2])).scalars)
    let seed = try Tensor((1...9).map(Double.init), shape: [3, 3], dtype: .float64)
    try picked.backward(seed: seed)
    // Row 0 was picked once (seed row 1), row 2 twice (seed rows 0 and 2, accumulated).
    #expect(x.grad?.scalars == [4, 5, 6, 0, 0, 0, 8, 10, 12, 0, 0, 0])
    #expect(try x.gatheringRows(Tensor(integers: [3, 1])).scalars == [4.5, 5, 5.5, 1.5, 2, 2.5])
    #expect {
      try x.indexSelect(axis: 0, Tensor([1, 2]))
    } throws: { "\($0)".contains("indices must be a 1-d int64 tensor, got shape [2] float32") }
    #expect {
      try x.indexSelect(axis: 0, Tensor(integers: [1, 2], shape: [1, 2]))
    } throws: { "\($0)".contains("got shape [1, 2] int64") }
  }
}
