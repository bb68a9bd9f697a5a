import Foundation
import TestSupport
import Testing

@testable import Broadcasting
@testable import Tensors

func expectGradients(
  _ name: String, _ inputs: [Tensor], _ f: @escaping ([Tensor]) throws -> Tensor
) throws {
  let report = try gradcheck(f, inputs: inputs)
  #expect(report.passed, "\(name):\n\(report)")
}

@Suite("Broadcasting: shapes, values, gradients")
struct BroadcastingTests {
  @Test("the rule on mixed ranks and size-1 axes on both sides")
  func rule() throws {
    #expect(try broadcastShape([4, 1], [2, 4, 3]) == [2, 4, 3])
    #expect(try broadcastShape([2, 1, 3], [4, 1]) == [2, 4, 3])
    #expect(try broadcastShape([], [2, 3]) == [2, 3])
    #expect(try broadcastShape([0, 1], [1, 5]) == [0, 5])
    #expect {
      try broadcastShape([2, 3], [4])
    } throws: {
      "\($0)".contains("shapes [2, 3] and [4] do not broadcast: axis -1 has sizes 3 and 4")
    }
  }

  @Test("values: [4, 1] + [2, 4, 3] and a 0-d operand, both orders")
  func values() throws {
    let a = try Tensor([1, 2, 3, 4], shape: [4, 1], dtype: .float64)
    let b = Tensor.ones([2, 4, 3], dtype: .float64)
    let c = try a + b
    #expect(c.shape == [2, 4, 3])
    #expect(try c.element(at: [1, 2, 0]) == 4 && c.element(at: [0, 3, 2]) == 5)
    #expect(try (b - a).shape == [2, 4, 3])
    #expect(try (Tensor(scalar: 2, dtype: .float64) * a).scalars == [2, 4, 6, 8])
    #expect(try (a / Tensor(scalar: 2, dtype: .float64)).scalars == [0.5, 1, 1.5, 2])
  }

  @Test("expand is a zero-stride view and sum(toShape:) its adjoint")
  func expandAndSum() throws {
    let a = try Tensor([1, 2], shape: [2, 1], dtype: .float64)
    let e = try a.expand(to: [3, 2, 4])
    #expect(e.strides == [0, 1, 0] && e.storage === a.storage)
    #expect(try e.sum(toShape: [2, 1]).scalars == [12, 24])
    #expect(try e.sum(toShape: [1, 4]).scalars == [9, 9, 9, 9])
    #expect(throws: TensorError.self) { try a.expand(to: [3, 3]) }
    #expect(throws: TensorError.self) { try e.sum(toShape: [3, 2]) }
  }

  @Test("gradients through broadcasting, size-1 axes on both sides, 0-d operands")
  func gradients() throws {
    try expectGradients("[4,1] + [2,4,3]", [sample([4, 1]), sample([2, 4, 3], seed: 1)]) {
      try $0[0] + $0[1]
    }
    try expectGradients("[2,1,3] * [4,1]", [sample([2, 1, 3]), sample([4, 1], seed: 1)]) {
      try $0[0] * $0[1]
    }
    try expectGradients("[3] / [2,3]", [sample([3]), try sample([2, 3], seed: 1).abs() + 1]) {
      try $0[0] / $0[1]
    }
    try expectGradients("0-d - [2,3]", [sample([]), sample([2, 3], seed: 1)]) {
      try $0[0] - $0[1]
    }
    try expectGradients("expand", [sample([3, 1])]) { try $0[0].expand(to: [2, 3, 4]).tanh() }
    try expectGradients("sum(toShape:)", [sample([2, 3, 4])]) {
      try $0[0].sum(toShape: [3, 1]).exp()
    }
  }

  @Test("matmul with broadcast batch axes")
  func matmul() throws {
    let a = sample([5, 1, 3, 4])
    let b = sample([2, 4, 6], seed: 2)
    let c = try a.matmul(b)
    #expect(c.shape == [5, 2, 3, 6])
    let direct = try a.selected(axis: 0, 4).selected(axis: 0, 0).matmul(b.selected(axis: 0, 1))
    #expect(
      allClose(
        try c.selected(axis: 0, 4).selected(axis: 0, 1).scalars, direct.scalars, tolerance: 1e-9))
    try expectGradients(
      "batched broadcast matmul", [sample([2, 1, 3, 2]), sample([3, 2, 2], seed: 1)]
    ) {
      try $0[0].matmul($0[1])
    }
    #expect(throws: TensorError.self) { try sample([2, 3, 4]).matmul(sample([3, 4, 5])) }
  }

  @Test("matmul: every rank combination, 1-d operands against batched ones (NumPy's rule)")
  func matmulRanks() throws {
    // [2] · [2, 2, 1]: the vector is a row [1, 2], the batch broadcasts, the row axis goes.
    let v = try Tensor([1, 2], shape: [2], dtype: .float64)
    let m = try Tensor([1, 2, 3, 4], shape: [2, 2, 1], dtype: .float64)
    let vm = try v.matmul(m)
    #expect(vm.shape == [2, 1] && vm.scalars == [5, 11])
    // [2, 1, 2] · [2]: the vector is a column, the column axis goes.
    let mv = try m.reshaped([2, 1, 2]).matmul(v)
    #expect(mv.shape == [2, 1] && mv.scalars == [5, 11])
    // Shapes of every combination of ranks 1–4, as NumPy and PyTorch give them.
    let cases: [([Int], [Int], [Int])] = [
      ([3], [3], []), ([3], [3, 2], [2]), ([2, 3], [3], [2]), ([3], [4, 3, 2], [4, 2]),
      ([4, 2, 3], [3], [4, 2]), ([5, 1, 2, 3], [3], [5, 1, 2]), ([3], [5, 4, 3, 2], [5, 4, 2]),
      ([2, 3], [4, 3, 2], [4, 2, 2]), ([4, 2, 3], [3, 2], [4, 2, 2]),
      ([1, 2, 3], [4, 3, 2], [4, 2, 2]), ([5, 1, 2, 3], [4, 3, 2], [5, 4, 2, 2]),
    ]
    for (sa, sb, expected) in cases {
      let a = sample(sa)
      let b = sample(sb, seed: 1)
      let c = try a.matmul(b)
      #expect(c.shape == expected, "\(sa) · \(sb)")
      try expectGradients("\(sa) · \(sb)", [a, b]) { try $0[0].matmul($0[1]) }
    }
    #expect(throws: TensorError.self) { try sample([]).matmul(sample([3])) }
    #expect(throws: TensorError.self) { try sample([2]).matmul(sample([4, 3, 2])) }
  }

  @Test("softmax and log-softmax: stable at ±1000, rows sum to 1, gradients")
  func softmax() throws {
    let logits = try Tensor([1000, 0, -1000, 1, 2, 3], shape: [2, 3], dtype: .float64)
    let p = try logits.softmax()
    #expect(p.scalars.allSatisfy { $0.isFinite })
    #expect(allClose(try p.sum(axes: [1]).scalars, [1, 1], tolerance: 1e-9))
    #expect(p.scalars[0] == 1)
    let l = try logits.logSoftmax()
    #expect(l.scalars.allSatisfy { $0.isFinite })
    #expect(l.scalars[2] == -2000)
    try expectGradients("softmax", [sample([3, 4])]) { try $0[0].softmax(axis: 1) }
    try expectGradients("log-softmax axis 0", [sample([3, 4])]) { try $0[0].logSoftmax(axis: 0) }
  }

  @Test("one spelling, one meaning: `+` broadcasts in a file that imports both stages")
  func overloadResolution() throws {
    // This file imports Tensors and Broadcasting; `+` exists once, and broadcasts.
    #expect(try (Tensor.ones([2, 1]) + Tensor.ones([3])).shape == [2, 3])
  }
}

@Suite("Broadcasting: views, no copies")
struct BroadcastMemoryTests {
  @Test("[1000, 1] + [1, 1000] allocates the [1000, 1000] result and nothing more")
  func noCopies() throws {
    let column = Tensor.ones([1000, 1])
    let row = Tensor.ones([1, 1000])
    let log = TensorStorage.Statistics.AllocationLog()
    let sum = try TensorStorage.Statistics.$allocationLog.withValue(log) { try column + row }
    #expect(sum.shape == [1000, 1000])
    #expect(log.bytes == 1000 * 1000 * 4, "allocated \(log.bytes) bytes")
  }
}

@Suite("Statistics and empty axes")
struct StatisticsTests {
  @Test("variance and standard deviation, unbiased by default, against their definitions")
  func varianceAndDeviation() throws {
    let x = try Tensor([1, 2, 4, 7, 0, -2], shape: [2, 3], dtype: .float64)
    // Rows: means 7/3 and 5/3; squared deviations summed 42/9 and 402/9.
    let rows = try x.variance(axes: [1])
    #expect(allClose(rows.scalars, [42.0 / 9 / 2, 402.0 / 9 / 2], tolerance: 1e-14))
    let biased = try x.variance(axes: [1], keepingAxes: true, unbiased: false)
    #expect(biased.shape == [2, 1])
    #expect(allClose(biased.scalars, [42.0 / 9 / 3, 402.0 / 9 / 3], tolerance: 1e-14))
    let all = try x.standardDeviation()
    let values = x.scalars
    let mean = values.reduce(0, +) / 6
    let expected = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5).squareRoot()
    #expect(Swift.abs(try all.item() - expected) < 1e-14)
    #expect(
      try gradcheck({ try $0[0].standardDeviation(axes: [0], unbiased: false) }, inputs: [x])
        .passed)
  }

  @Test("variance subtracts the mean first: exact in Float32 far from zero, along any axis")
  func varianceFarFromZero() throws {
    // E[x²] − E[x]² would lose every digit here (x² ≈ 1e8, Float32 keeps 7).
    let values: [Float] = (0..<24).map { 10_000 + Float($0 % 5) * 0.25 + Float($0 / 5) * 0.5 }
    let x = try Tensor(values.map(Double.init), shape: [2, 3, 4], dtype: .float32)
    let got = try x.variance(axes: [0, 2], unbiased: false)  // strided rows, a kept middle axis
    for c in 0..<3 {
      let channel = (0..<2).flatMap { n in (0..<4).map { Double(values[(n * 3 + c) * 4 + $0]) } }
      let mean = channel.reduce(0, +) / 8
      let expected = channel.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 8
      #expect(Swift.abs(got.scalars[c] - expected) <= 1e-4 * expected, "channel \(c)")
    }
  }

  @Test("variance over a million elements (rows merged on both cores) matches two passes")
  func varianceMerged() throws {
    let shape = [64, 4, 64, 64]  // 1,048,576: split between the cores
    let count = shape.reduce(1, *)
    // The second half of the batch sits higher: the halves' means differ, so their merge counts.
    let values: [Double] = (0..<count).map { i in
      let half = Double(i / (count / 2))
      let noise = Double((i &* 2_654_435_761) % 1000) / 250
      return 100 + half * 3 + noise
    }
    let x = try Tensor(values, shape: shape, dtype: .float32)
    let got = try x.variance(axes: [0, 2, 3], unbiased: false).scalars
    let stored = x.scalars  // the Float32 values, widened
    for c in 0..<4 {
      var channel: [Double] = []
      for n in 0..<64 { channel += stored[(n * 4 + c) * 4096..<((n * 4 + c) * 4096 + 4096)] }
      let mean = channel.reduce(0, +) / Double(channel.count)
      let squares: [Double] = channel.map { ($0 - mean) * ($0 - mean) }
      let expected = squares.reduce(0, +) / Double(channel.count)
      #expect(Swift.abs(got[c] - expected) <= 1e-5 * expected, "channel \(c)")
    }
  }

  @Test("softmax and log-softmax over an empty axis are empty, not an error")
  func emptyAxis() throws {
    let x = Tensor.zeros([3, 0], dtype: .float64)
    #expect(try x.softmax(axis: 1).shape == [3, 0])
    #expect(try x.logSoftmax(axis: -1).shape == [3, 0])
    #expect(throws: TensorError.self) { try x.softmax(axis: 2) }
  }
}
