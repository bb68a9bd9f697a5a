import Foundation
import Scalar
import TestSupport
import Testing

@testable import Tensors

@Suite("Kernels: strided and broadcast operands read in place")
struct KernelsTests {
  let kernels: [BinaryKernel] = [
    .add, .subtract, .multiply, .divide, .maximum, .minimum, .equal, .less, .greaterEqual,
    .tanhGradient, .reluGradient,
  ]

  @Test("every binary kernel on strided, expanded and 0-d operands equals it on copies")
  func stridedEqualsContiguous() throws {
    var g = SeededGenerator(seed: 21)
    for dtype in [DType.float64, .float32] {
      for trial in 0..<120 {
        let rank = trial % 4
        let shape = (0..<rank).map { _ in Int.random(in: 1...4, using: &g) }
        func operand() throws -> Tensor {
          if Int.random(in: 0...5, using: &g) == 0 {
            return Tensor(scalar: Double.random(in: -2...2, using: &g), dtype: dtype)
          }
          return try randomOperand(shape, dtype: dtype, using: &g)
        }
        let (a, b) = (try operand(), try operand())
        for kernel in kernels {
          let got = Tensor.zipped(kernel, a, b, shape: shape)
          let copies = Tensor.zipped(kernel, a.contiguous(), b.contiguous(), shape: shape)
          #expect(got.shape == shape)
          let same = zip(got.scalars, copies.scalars).allSatisfy {
            $0 == $1 || ($0.isNaN && $1.isNaN)
          }
          #expect(same, "\(kernel) \(dtype) a \(a.shape)/\(a.strides) b \(b.shape)/\(b.strides)")
        }
      }
    }
  }

  @Test("every unary kernel on strided and expanded views equals it on copies")
  func unaryStridedEqualsContiguous() throws {
    let kernels: [UnaryKernel] = [
      .negate, .exp, .log, .sqrt, .abs, .tanh, .sigmoid, .softplus, .relu, .sign, .positive,
      .power(3), .power(0.5), .scale(-1.5), .shift(2),
    ]
    var g = SeededGenerator(seed: 22)
    for dtype in [DType.float64, .float32] {
      for trial in 0..<60 {
        let shape = (0..<(trial % 4)).map { _ in Int.random(in: 1...4, using: &g) }
        let n = shape.reduce(1, *)
        let values = (0..<n).map { _ in Double(Int.random(in: -4...4, using: &g)) / 2 }
        var operands = [try laidOut(values, shape: shape, layout: 1, dtype: dtype)]
        operands.append(try laidOut(values, shape: shape, layout: 2, dtype: dtype))
        if let axis = shape.indices.last {
          operands.append(
            try laidOut(values, shape: shape, layout: 0, dtype: dtype).sliced(axis: axis, 0..<1)
              .expandedKeptAxes(to: shape))
        }
        for x in operands {
          for kernel in kernels {
            let got = x.mapped(kernel).scalars
            let copy = x.contiguous().mapped(kernel).scalars
            #expect(
              zip(got, copy).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) },
              "\(kernel) \(dtype) \(x.shape)/\(x.strides)")
          }
        }
      }
    }
  }

  @Test("exp of a transposed [300, 400] view allocates the result and nothing else")
  func unaryAllocatesOnlyTheResult() throws {
    let x = try Tensor.ones([400, 300]).transposed()
    let log = TensorStorage.Statistics.AllocationLog()
    let y = TensorStorage.Statistics.$allocationLog.withValue(log) { x.exp() }
    #expect(y.shape == [300, 400] && y.scalars.allSatisfy { abs($0 - M_E) < 1e-6 })
    #expect(log.bytes == 300 * 400 * 4, "allocated \(log.bytes) bytes")
  }

  @Test("[1000, 1] + [1, 1000] allocates the result and nothing else")
  func broadcastAllocatesOnlyTheResult() throws {
    let column = Tensor.ones([1000, 1])
    let row = Tensor.ones([1, 1000])
    let (a, b) = (
      try column.expandedKeptAxes(to: [1000, 1000]), try row.expandedKeptAxes(to: [1000, 1000])
    )
    let log = TensorStorage.Statistics.AllocationLog()
    let sum = try TensorStorage.Statistics.$allocationLog.withValue(log) { try a.adding(b) }
    #expect(sum.scalars.allSatisfy { $0 == 2 })
    #expect(log.bytes == 1000 * 1000 * 4, "allocated \(log.bytes) bytes")
  }
}

@Suite("Kernels: rows merged, split across both cores, reduced and compared in place")
struct RowKernelsTests {
  @Test("a row walk merges the axes every view steps through evenly and drops size-1 axes")
  func merging() {
    let whole = RowWalk(shape: [2, 3, 4, 5], strides: [[60, 20, 5, 1]])
    #expect(whole.shape == [120] && whole.strides == [[1]])
    // A per-channel operand beside an NCHW one: rows of H·W, not of W.
    let perChannel = RowWalk(shape: [2, 3, 4, 5], strides: [[60, 20, 5, 1], [0, 1, 0, 0]])
    #expect(perChannel.shape == [2, 3, 20] && perChannel.strides == [[60, 20, 1], [0, 1, 0]])
    let transposed = RowWalk(shape: [3, 2], strides: [[1, 3]])
    #expect(transposed.shape == [3, 2] && transposed.strides == [[1, 3]])
    let single = RowWalk(shape: [1, 1], strides: [[7, 7]])
    #expect(single.shape == [1] && single.strides == [[0]])
    let scalar = RowWalk(shape: [], strides: [[]])
    #expect(scalar.shape == [1])
    let empty = RowWalk(shape: [2, 0, 3], strides: [[0, 3, 1]])
    var visited = 0
    empty.forEach { _, _ in visited += 1 }
    #expect(visited == 0)
  }

  @Test("walking from any row visits what a walk from the start visits there")
  func rowRanges() {
    let walk = RowWalk(shape: [3, 4, 5, 2], strides: [[1, 30, 3, 15], [40, 10, 2, 1]])
    var all: [[Int]] = []
    walk.forEach { positions, index in all.append([positions[0], positions[1], index]) }
    #expect(all.count == 60)
    for start in [0, 1, 7, 19, 59] {
      var part: [[Int]] = []
      walk.forEach(rows: start..<60) { positions, index in
        part.append([positions[0], positions[1], index])
      }
      #expect(part == Array(all[start...]), "from row \(start)")
    }
  }

  @Test("zips, maps and copies of large strided views, split across both cores, are exact")
  func largeStridedViews() throws {
    // 1,100,000 elements: past the 1,048,576 above which these loops split over two cores.
    let (height, width) = (1100, 1000)
    var g = SeededGenerator(seed: 31)
    let values = (0..<(height * width)).map { _ in Double.random(in: -2...2, using: &g) }
    let rows = (0..<height).map { _ in Double.random(in: -2...2, using: &g) }
    for dtype in [DType.float32, .float64] {
      let shape = [height, width]
      let a = try laidOut(values, shape: shape, layout: 1, dtype: dtype)  // transposed
      let b = try Tensor(rows, shape: [height, 1], dtype: dtype).expandedKeptAxes(to: shape)
      let product = Tensor.zipped(.multiply, a, b, shape: shape).scalars
      let stored = a.scalars
      let factor = (0..<height).map { dtype == .float32 ? Double(Float(rows[$0])) : rows[$0] }
      let exact = (0..<stored.count).map { i in
        dtype == .float32
          ? Double(Float(stored[i]) * Float(factor[i / width])) : stored[i] * factor[i / width]
      }
      #expect(product == exact)
      let sliced = try laidOut(values, shape: shape, layout: 2, dtype: dtype)  // step 2
      #expect(sliced.mapped(.negate).scalars == sliced.scalars.map { -$0 })
      let permuted = try Tensor(values, shape: [110, 100, 100], dtype: dtype).permuted([2, 0, 1])
      let copy = permuted.contiguous().scalars
      let source = try Tensor(values, shape: [110, 100, 100], dtype: dtype).scalars
      #expect(
        (0..<copy.count).allSatisfy { i in
          let (k, rest) = (i / 11_000, i % 11_000)
          return copy[i] == source[(rest / 100) * 10_000 + (rest % 100) * 100 + k]
        })
    }
  }

  /// The row-major multi-index of flat position `i` in `shape`.
  func multiIndex(_ i: Int, _ shape: [Int]) -> [Int] {
    var rest = i
    var index = [Int](repeating: 0, count: shape.count)
    for axis in shape.indices.reversed() {
      index[axis] = rest % shape[axis]
      rest /= shape[axis]
    }
    return index
  }

  @Test(
    "two-axis reductions (rows picked once): max and min take a NaN first, inside or last",
    arguments: [DType.float64, .float32])
  func twoAxisReductions(dtype: DType) throws {
    var g = SeededGenerator(seed: 33)
    let base = (0..<40).map { _ in Double(Int.random(in: -20...20, using: &g)) / 4 }
    for position in [0, 13, 39] {  // row 0 first, row 1 inside, row 3 last (of [4, 10])
      var values = base
      values[position] = .nan
      for layout in [0, 1] {  // contiguous, stored transposed
        let x = try laidOut(values, shape: [4, 10], layout: layout, dtype: dtype)
        for axis in [0, 1] {
          let kept = axis == 0 ? 10 : 4
          func column(_ o: Int) -> [Double] {
            axis == 0 ? (0..<4).map { values[$0 * 10 + o] } : (0..<10).map { values[o * 10 + $0] }
          }
          let hasNaN = (0..<kept).map { column($0).contains { $0.isNaN } }
          let what = "NaN at \(position), layout \(layout), axis \(axis), \(dtype)"
          for (got, pick) in [
            (try x.max(axes: [axis]).scalars, { (c: [Double]) in c.max()! }),
            (try x.min(axes: [axis]).scalars, { (c: [Double]) in c.min()! }),
          ] {
            for o in 0..<kept {
              let expected = hasNaN[o] ? Double.nan : pick(column(o))
              #expect(expected.isNaN ? got[o].isNaN : got[o] == expected, "\(what), slot \(o)")
            }
          }
        }
      }
    }
  }

  @Test("a two-axis reduction large enough to split over both cores equals one core's")
  func largeTwoAxisReduction() throws {
    var g = SeededGenerator(seed: 34)
    let values = (0..<(1100 * 1000)).map { _ in Double(Int.random(in: -8...8, using: &g)) }
    let x = try Tensor(values, shape: [1100, 1000], dtype: .float64)
    let rows = try x.sum(axes: [1]).scalars
    let columns = try x.max(axes: [0]).scalars
    for r in [0, 549, 550, 1099] {
      #expect(rows[r] == values[(r * 1000)..<((r + 1) * 1000)].reduce(0, +), "row \(r)")
    }
    for c in [0, 499, 999] {
      #expect(columns[c] == (0..<1100).map { values[$0 * 1000 + c] }.max()!, "column \(c)")
    }
  }

  @Test(
    "sum, max and min over every set of axes of a transposed 4-d view equal a naive loop",
    arguments: [DType.float64, .float32])
  func reductions(dtype: DType) throws {
    var g = SeededGenerator(seed: 32)
    let shape = [3, 4, 5, 6]
    var values = (0..<360).map { _ in Double(Int.random(in: -20...20, using: &g)) / 4 }
    let x = try laidOut(values, shape: shape, layout: 1, dtype: dtype)  // stored transposed
    values[77] = .nan
    let withNaN = try laidOut(values, shape: shape, layout: 1, dtype: dtype)
    for subset in 1..<16 {
      let axes = (0..<4).filter { subset & (1 << $0) != 0 }
      let kept = shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
      func naive(_ t: Tensor, _ start: Double, _ combine: (Double, Double) -> Double) -> [Double] {
        var out = [Double](repeating: start, count: kept.reduce(1, *))
        let scalars = t.scalars
        for i in 0..<360 {
          let index = multiIndex(i, shape)
          let o = zip(index, kept).reduce(0) { $0 * $1.1 + ($1.1 == 1 ? 0 : $1.0) }
          out[o] = combine(out[o], scalars[i])
        }
        return out
      }
      let nanMax: (Double, Double) -> Double = { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
      let nanMin: (Double, Double) -> Double = { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
      let what = "axes \(axes) \(dtype)"
      #expect(try x.sum(axes: axes, keepingAxes: true).scalars == naive(x, 0, +), "\(what)")
      #expect(
        allClose(
          try withNaN.max(axes: axes, keepingAxes: true).scalars,
          naive(withNaN, -.infinity, nanMax),
          tolerance: 0), "max \(what)")
      #expect(
        allClose(
          try withNaN.min(axes: axes, keepingAxes: true).scalars, naive(withNaN, .infinity, nanMin),
          tolerance: 0), "min \(what)")
    }
  }

  @Test(
    "argmax and argmin along every axis: the first of ties, the first NaN, strided views",
    arguments: [DType.float64, .float32, .int64])
  func argBest(dtype: DType) throws {
    var g = SeededGenerator(seed: 33)
    let shape = [5, 6, 40]
    var values = (0..<1200).map { _ in Double(Int.random(in: -3...3, using: &g)) }  // ties
    if dtype != .int64 { for i in [17, 333, 334, 901] { values[i] = .nan } }
    let x = try laidOut(values, shape: shape, layout: 1, dtype: dtype)  // stored transposed
    let scalars = x.scalars
    for axis in 0..<3 {
      for largest in [true, false] {
        let got = try (largest ? x.argmax(axis: axis) : x.argmin(axis: axis)).integers()
        var kept = shape
        kept[axis] = 1
        var expected: [Int] = []
        for o in 0..<kept.reduce(1, *) {
          var index = multiIndex(o, kept)
          var best = 0
          for t in 0..<shape[axis] {
            index[axis] = t
            let flat = zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
            index[axis] = best
            let b = scalars[zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }]
            index[axis] = t
            let c = scalars[flat]
            if b.isNaN { break }
            if c.isNaN || (largest ? c > b : c < b) { best = t }
          }
          expected.append(best)
        }
        #expect(got == expected, "axis \(axis) \(largest ? "argmax" : "argmin") \(dtype)")
      }
    }
  }
}
