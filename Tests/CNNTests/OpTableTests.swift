import Foundation
import TestSupport
import Testing

@testable import CNN

/// One differentiable operation: the tape name it records, a function of its inputs, and
/// the inputs to check it at (Float64, away from kinks, ties and the edges of its domain).
struct OpRow: CustomStringConvertible {
  let name: String
  let inputs: [Tensor]
  let f: ([Tensor]) throws -> Tensor

  var description: String { name }

  init(_ name: String, _ inputs: [Tensor], _ f: @escaping ([Tensor]) throws -> Tensor) {
    (self.name, self.inputs, self.f) = (name, inputs, f)
  }
}

/// Distinct values away from 0 (no kink of relu or abs, no pole of 1/x).
func awayFromZero(_ shape: [Int], seed: Double) -> Tensor {
  let t = sample(shape, seed: seed)
  return try! Tensor(t.scalars.map { $0 + ($0 < 0 ? -0.3 : 0.3) }, shape: shape, dtype: .float64)
}

/// Values in (0.2, 2.6]: the domain of log, sqrt and fractional powers.
func positive(_ shape: [Int], seed: Double) -> Tensor {
  let t = sample(shape, seed: seed)
  return try! Tensor(t.scalars.map { Swift.abs($0) + 0.2 }, shape: shape, dtype: .float64)
}

/// Every operation that records itself on the tape under a name, as minitorch's suite has
/// one table: the derivative tests below run from it (made afresh for each use).
var opTable: [OpRow] {
  [
    OpRow("add", [sample([2, 3], seed: 1), sample([2, 3], seed: 2)]) { try $0[0].adding($0[1]) },
    OpRow("subtract", [sample([2, 3], seed: 1), sample([3], seed: 2)]) { try $0[0] - $0[1] },
    OpRow("multiply", [sample([2, 3], seed: 1), sample([2, 1], seed: 2)]) { try $0[0] * $0[1] },
    OpRow("divide", [sample([2, 3], seed: 1), awayFromZero([3], seed: 2)]) { try $0[0] / $0[1] },
    OpRow("negate", [sample([2, 3], seed: 3)]) { -$0[0] },
    OpRow("scale", [sample([2, 3], seed: 3)]) { 2.5 * $0[0] },
    OpRow("add", [sample([2, 3], seed: 3)]) { $0[0] + 1.5 },  // a constant shift
    OpRow("maximum", [sample([2, 3], seed: 1), sample([2, 3], seed: 2)]) {
      try $0[0].maximum($0[1])
    },
    OpRow("minimum", [sample([2, 3], seed: 1), sample([2, 3], seed: 2)]) {
      try $0[0].minimum($0[1])
    },
    OpRow("exp", [sample([2, 3], seed: 4)]) { $0[0].exp() },
    OpRow("log", [positive([2, 3], seed: 4)]) { $0[0].log() },
    OpRow("sqrt", [positive([2, 3], seed: 4)]) { $0[0].sqrt() },
    OpRow("abs", [awayFromZero([2, 3], seed: 4)]) { $0[0].abs() },
    OpRow("tanh", [sample([2, 3], seed: 4)]) { $0[0].tanh() },
    OpRow("sigmoid", [sample([2, 3], seed: 4)]) { $0[0].sigmoid() },
    OpRow("softplus", [sample([2, 3], seed: 4)]) { $0[0].softplus() },
    OpRow("relu", [awayFromZero([2, 3], seed: 4)]) { $0[0].relu() },
    OpRow("pow", [positive([2, 3], seed: 4)]) { $0[0].pow(2.5) },
    OpRow("erf", [sample([2, 3], seed: 4)]) { $0[0].erf() },
    OpRow("reshape", [sample([2, 3], seed: 5)]) { try $0[0].reshaped([3, 2]) },
    OpRow("permute", [sample([2, 3, 2], seed: 5)]) { try $0[0].permuted([2, 0, 1]) },
    OpRow("slice", [sample([4, 3], seed: 5)]) { try $0[0].sliced(axis: 0, 1..<4, step: 2) },
    OpRow("contiguous", [sample([3, 2], seed: 5)]) { try $0[0].transposed().contiguous() },
    OpRow("expand", [sample([2, 1], seed: 5)]) { try $0[0].expand(to: [2, 3]) },
    OpRow("concat", [sample([2, 3], seed: 1), sample([1, 3], seed: 2)]) {
      try Tensor.concatenated([$0[0], $0[1]], axis: 0)
    },
    OpRow("indexSelect", [sample([3, 2], seed: 6)]) { try $0[0].indexSelect(axis: 0, [2, 0, 2]) },
    OpRow("where", [sample([2, 3], seed: 1), sample([2, 3], seed: 2)]) {
      try Tensor.select($0[0].isGreater(than: Tensor(scalar: 0, dtype: .float64)), $0[0], $0[1])
    },
    OpRow("sum", [sample([2, 3, 2], seed: 7)]) { try $0[0].sum(axes: [0, -1]) },
    OpRow("variance", [sample([2, 3, 2], seed: 7)]) { try $0[0].variance(axes: [0, -1]) },
    OpRow("variance", [sample([3, 4], seed: 8)]) {
      try $0[0].variance(axes: [0], keepingAxes: true, unbiased: false)
    },
    OpRow(
      "multiplyAdd", [sample([2, 3], seed: 1), sample([2, 3], seed: 2), sample([2, 3], seed: 3)]
    ) {
      try $0[0].multiplied(by: $0[1], adding: $0[2])
    },
    // A per-channel scale and a 0-d shift, read as broadcast views.
    OpRow(
      "multiplyAdd",
      [sample([2, 3, 2], seed: 4), sample([1, 3, 1], seed: 5), sample([], seed: 6)]
    ) {
      try $0[0].multiplied(by: $0[1].expand(to: [2, 3, 2]), adding: $0[2])
    },
    OpRow("max", [sample([2, 3], seed: 7)]) { try $0[0].max(axes: [1]) },
    OpRow("min", [sample([2, 3], seed: 7)]) { try $0[0].min(axes: [0], keepingAxes: true) },
    OpRow("matmul", [sample([2, 3], seed: 1), sample([3, 2], seed: 2)]) {
      try $0[0].matmul($0[1])
    },
    OpRow("matmul", [sample([2, 2, 3], seed: 1), sample([3], seed: 2)]) {
      try $0[0].matmul($0[1])
    },
    OpRow("linear", [sample([2, 3], seed: 1), sample([4, 3], seed: 2), sample([4], seed: 3)]) {
      try $0[0].linear(weight: $0[1], bias: $0[2])
    },
    OpRow("crossEntropy", [sample([3, 4], seed: 8)]) {
      try crossEntropy(logits: $0[0], targets: [3, 0, 1])
    },
    OpRow("crossEntropy", [sample([2, 2, 4], seed: 8)]) {  // unreduced, class axis last
      try crossEntropy(
        logits: $0[0], targets: Tensor(integers: [3, 0, 1, 1], shape: [2, 2]),
        reduction: .unreduced)
    },
    OpRow("gather", [sample([2, 3, 2], seed: 9)]) {
      try $0[0].gathered(axis: 1, Tensor(integers: [2, 0, 2, 1, -1, 1, 0, 0], shape: [2, 2, 2]))
    },
    OpRow("unfold", [sample([2, 2, 4, 3], seed: 9)]) {
      try $0[0].unfolded(Windows2D(kernel: Size2D(2, 3), stride: Size2D(2, 1), padding: 1))
    },
    OpRow("fold", [sample([2, 2 * 4, 30], seed: 9)]) {
      try $0[0].folded(Windows2D(kernel: 2, padding: 1, dilation: Size2D(1, 2)), into: Size2D(4, 6))
    },
    OpRow("windowMean", [sample([2, 3, 4, 6], seed: 9)]) {
      try $0[0].windowMeans(Windows2D(kernel: 2, stride: 2))
    },
    OpRow("windowMean", [sample([1, 2, 5, 4], seed: 9)]) {
      try $0[0].windowMeans(
        Windows2D(kernel: 3, stride: Size2D(2, 1), padding: 1, dilation: Size2D(1, 2)))
    },
    OpRow("windowMeanTranspose", [sample([2, 2, 3, 2], seed: 9)]) {
      try $0[0].spreadOverWindows(Windows2D(kernel: 3, stride: 2, padding: 1), into: Size2D(5, 4))
    },
    OpRow(
      "conv2d",
      [sample([2, 4, 5, 4], seed: 1), sample([6, 2, 3, 2], seed: 2), sample([6], seed: 3)]
    ) {
      try $0[0].conv2d(
        weight: $0[1], bias: $0[2], stride: Size2D(2, 1), padding: Size2D(1, 0),
        dilation: Size2D(1, 2), groups: 2)
    },
    OpRow(
      "convTranspose2d",
      [sample([2, 4, 3, 2], seed: 1), sample([4, 3, 2, 3], seed: 2), sample([6], seed: 3)]
    ) {
      try $0[0].convTranspose2d(
        weight: $0[1], bias: $0[2], stride: 2, padding: Size2D(1, 0), outputPadding: Size2D(1, 0),
        groups: 2)
    },
    OpRow(
      "batchNorm", [sample([4, 3, 2, 2], seed: 1), sample([3], seed: 2), sample([3], seed: 3)]
    ) {
      try $0[0].batchNorm(weight: $0[1], bias: $0[2], training: true)
    },
  ]
}

/// `inputs` with `x` in place of input `i`.
func replacing(_ inputs: [Tensor], _ i: Int, with x: Tensor) -> [Tensor] {
  var copy = inputs
  copy[i] = x
  return copy
}

@Suite("The op table: every recorded operation's derivatives, in Float64")
struct OpTableTests {
  @Test("first derivatives against central differences, with a non-uniform cotangent")
  func gradients() throws {
    for row in opTable {
      let report = try gradcheck(row.f, inputs: row.inputs)
      #expect(report.passed, "\(row.name): \(report)")
    }
  }

  @Test("second derivatives: the recorded VJP differentiated again (gradgradcheck)")
  func secondDerivatives() throws {
    for row in opTable {
      let weights = try row.f(row.inputs).shape  // a non-uniform weighting of the output
      let w = sample(weights, seed: 0.9)
      for i in row.inputs.indices {
        let error = try gradgradcheck(
          { x in try (row.f(replacing(row.inputs, i, with: x)) * w).sum() }, at: row.inputs[i])
        #expect(error < 1e-6, "\(row.name), input \(i): \(error)")
      }
    }
  }

  @Test("forward mode: every op has a JVP rule, and it agrees with the double-VJP trick")
  func forwardMode() throws {
    for row in opTable {
      for i in row.inputs.indices {
        let f = { (x: Tensor) in try row.f(replacing(row.inputs, i, with: x)) }
        let v = sample(row.inputs[i].shape, seed: 0.6)
        let forward = try forwardJVP(f, at: row.inputs[i], tangent: v)
        #expect(forward != nil, "\(row.name), input \(i): no forward-mode rule")
        let reference = try jvpByDoubleVJP(f, at: row.inputs[i], tangent: v)
        #expect(
          allClose(forward?.scalars ?? [], reference.scalars, tolerance: 1e-10),
          "\(row.name), input \(i)")
      }
    }
  }

  @Test("each row records its op, and every op name in the sources has a row")
  func everyOpHasARow() throws {
    var recorded = Set<String>()
    for row in opTable {
      let inputs = row.inputs.map { input -> Tensor in
        let leaf = input.detach()
        leaf.requiresGrad = true
        return leaf
      }
      let names = Set(try row.f(inputs).topologicalOrder().map(\.opName))
      #expect(names.contains(row.name), "\(row.name)'s function records \(names.sorted())")
      recorded.formUnion(names)
    }
    // The names the sources record under, read from every `recorded("…"` and `linear("…"`.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    let pattern = try NSRegularExpression(pattern: #"\b(?:recorded|linear)\(\s*"([^"\\]+)""#)
    var inSources = Set<String>()
    for stage in ["Tensors", "Broadcasting", "HigherOrder", "NN", "CNN"] {
      let folder = root.appendingPathComponent("Sources/\(stage)")
      for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
          inSources.insert(String(text[Range(match.range(at: 1), in: text)!]))
        }
      }
    }
    // VJP-only operations appear on tapes of gradients, not of forward functions.
    let vjpOnly: Set = ["indexAdd", "unslice", "tanh′", "relu′", "scatterAdd"]
    let missing = inSources.subtracting(recorded).subtracting(vjpOnly)
    #expect(missing.isEmpty, "ops without a row in the op table: \(missing.sorted())")
  }
}

/// One row per operation of the op table, with inputs that have a zero-size axis, and the
/// shape of the result NumPy and PyTorch give. Batch norm has none: training needs two
/// values per channel, and PyTorch refuses a batch of none as well.
var zeroSizeTable: [(row: OpRow, shape: [Int])] {
  let empty = { (shape: [Int]) in Tensor.zeros(shape, dtype: .float64) }
  return [
    (OpRow("add", [empty([0, 3]), empty([0, 3])]) { try $0[0].adding($0[1]) }, [0, 3]),
    (OpRow("subtract", [empty([0, 3]), sample([3], seed: 2)]) { try $0[0] - $0[1] }, [0, 3]),
    (OpRow("multiply", [empty([2, 0]), sample([2, 1], seed: 2)]) { try $0[0] * $0[1] }, [2, 0]),
    (OpRow("divide", [empty([0, 3]), awayFromZero([3], seed: 2)]) { try $0[0] / $0[1] }, [0, 3]),
    (OpRow("negate", [empty([0])]) { -$0[0] }, [0]),
    (OpRow("scale", [empty([2, 0])]) { 2.5 * $0[0] }, [2, 0]),
    (OpRow("add", [empty([0, 3])]) { $0[0] + 1.5 }, [0, 3]),
    (OpRow("maximum", [empty([0, 3]), empty([0, 3])]) { try $0[0].maximum($0[1]) }, [0, 3]),
    (OpRow("minimum", [empty([0, 3]), empty([0, 3])]) { try $0[0].minimum($0[1]) }, [0, 3]),
    (OpRow("exp", [empty([0, 3])]) { $0[0].exp() }, [0, 3]),
    (OpRow("log", [empty([0, 3])]) { $0[0].log() }, [0, 3]),
    (OpRow("sqrt", [empty([0, 3])]) { $0[0].sqrt() }, [0, 3]),
    (OpRow("abs", [empty([0, 3])]) { $0[0].abs() }, [0, 3]),
    (OpRow("tanh", [empty([0, 3])]) { $0[0].tanh() }, [0, 3]),
    (OpRow("sigmoid", [empty([0, 3])]) { $0[0].sigmoid() }, [0, 3]),
    (OpRow("softplus", [empty([0, 3])]) { $0[0].softplus() }, [0, 3]),
    (OpRow("relu", [empty([0, 3])]) { $0[0].relu() }, [0, 3]),
    (OpRow("pow", [empty([0, 3])]) { $0[0].pow(2.5) }, [0, 3]),
    (OpRow("erf", [empty([0, 3])]) { $0[0].erf() }, [0, 3]),
    (OpRow("reshape", [empty([0, 3])]) { try $0[0].reshaped([3, 0]) }, [3, 0]),
    (OpRow("permute", [empty([2, 0, 3])]) { try $0[0].permuted([2, 0, 1]) }, [3, 2, 0]),
    (OpRow("slice", [sample([4, 3], seed: 5)]) { try $0[0].sliced(axis: 0, 2..<2) }, [0, 3]),
    (OpRow("contiguous", [empty([3, 0])]) { try $0[0].transposed().contiguous() }, [0, 3]),
    (OpRow("expand", [empty([0, 1])]) { try $0[0].expand(to: [0, 3]) }, [0, 3]),
    (
      OpRow("concat", [empty([0, 3]), sample([2, 3], seed: 2)]) {
        try Tensor.concatenated([$0[0], $0[1]], axis: 0)
      }, [2, 3]
    ),
    (
      OpRow("indexSelect", [sample([3, 2], seed: 6)]) { try $0[0].indexSelect(axis: 0, []) },
      [0, 2]
    ),
    (
      OpRow("where", [empty([0, 3]), empty([0, 3])]) {
        try Tensor.select($0[0].isGreater(than: Tensor(scalar: 0, dtype: .float64)), $0[0], $0[1])
      }, [0, 3]
    ),
    (OpRow("sum", [empty([0, 3])]) { try $0[0].sum(axes: [0]) }, [3]),  // zeros
    (OpRow("variance", [empty([2, 0])]) { try $0[0].variance(axes: [0]) }, [0]),
    (
      OpRow("multiplyAdd", [empty([0, 3]), empty([0, 3]), sample([], seed: 1)]) {
        try $0[0].multiplied(by: $0[1], adding: $0[2])
      }, [0, 3]
    ),
    (OpRow("max", [empty([0, 3])]) { try $0[0].max(axes: [1]) }, [0]),
    (OpRow("min", [empty([0, 3])]) { try $0[0].min(axes: [1], keepingAxes: true) }, [0, 1]),
    (OpRow("matmul", [empty([2, 0]), empty([0, 3])]) { try $0[0].matmul($0[1]) }, [2, 3]),
    (
      OpRow("matmul", [empty([0, 3]), sample([3, 2], seed: 2)]) { try $0[0].matmul($0[1]) }, [0, 2]
    ),
    (
      OpRow("linear", [empty([0, 3]), sample([4, 3], seed: 2), sample([4], seed: 3)]) {
        try $0[0].linear(weight: $0[1], bias: $0[2])
      }, [0, 4]
    ),
    (
      OpRow("crossEntropy", [empty([0, 4])]) {
        try crossEntropy(
          logits: $0[0], targets: Tensor(integers: [], shape: [0]), reduction: .unreduced)
      }, [0]
    ),
    (
      OpRow("gather", [sample([2, 3, 2], seed: 9)]) {
        try $0[0].gathered(axis: 1, Tensor(integers: [], shape: [2, 0, 2]))
      }, [2, 0, 2]
    ),
    (
      OpRow("unfold", [empty([0, 2, 4, 3])]) {
        try $0[0].unfolded(Windows2D(kernel: Size2D(2, 3), stride: Size2D(2, 1), padding: 1))
      }, [0, 12, 9]
    ),
    (
      OpRow("fold", [empty([0, 8, 30])]) {
        try $0[0].folded(
          Windows2D(kernel: 2, padding: 1, dilation: Size2D(1, 2)), into: Size2D(4, 6))
      }, [0, 2, 4, 6]
    ),
    (
      OpRow("windowMean", [empty([2, 0, 4, 6])]) {
        try $0[0].windowMeans(Windows2D(kernel: 2, stride: 2))
      },
      [2, 0, 2, 3]
    ),
    (
      OpRow("windowMeanTranspose", [empty([0, 2, 3, 2])]) {
        try $0[0].spreadOverWindows(Windows2D(kernel: 3, stride: 2, padding: 1), into: Size2D(5, 4))
      }, [0, 2, 5, 4]
    ),
    (
      OpRow("conv2d", [empty([0, 4, 5, 4]), sample([6, 2, 3, 2], seed: 2), sample([6], seed: 3)]) {
        try $0[0].conv2d(
          weight: $0[1], bias: $0[2], stride: Size2D(2, 1), padding: Size2D(1, 0),
          dilation: Size2D(1, 2), groups: 2)
      }, [0, 6, 3, 2]
    ),
    (
      OpRow(
        "convTranspose2d",
        [empty([0, 4, 3, 2]), sample([4, 3, 2, 3], seed: 2), sample([6], seed: 3)]
      ) {
        try $0[0].convTranspose2d(
          weight: $0[1], bias: $0[2], stride: 2, padding: Size2D(1, 0),
          outputPadding: Size2D(1, 0), groups: 2)
      }, [0, 6, 5, 5]
    ),
  ]
}

@Suite("The op table at zero size")
struct ZeroSizeOpTableTests {
  @Test(
    "every op takes a zero-size axis: the result NumPy gives, and gradients of its inputs' shapes")
  func zeroSize() throws {
    for (row, shape) in zeroSizeTable {
      let inputs = row.inputs.map { input -> Tensor in
        let leaf = input.detach()
        leaf.requiresGrad = true
        return leaf
      }
      let y = try row.f(inputs)
      #expect(y.shape == shape, "\(row.name): \(y.shape)")
      #expect(y.scalars.allSatisfy { $0 == 0 } || y.count == 0 || row.name == "concat")
      try (y * sample(y.shape, seed: 0.4)).sum().backward()
      for (x, input) in zip(inputs, row.inputs) {
        #expect(x.grad?.shape == input.shape, "\(row.name): gradient \(x.grad?.shape ?? [])")
        // An empty output sends nothing back: every gradient is zero (or empty).
        if y.count == 0 { #expect(x.grad?.scalars.allSatisfy { $0 == 0 } == true, "\(row.name)") }
      }
    }
  }

  @Test("every op of the op table but batch norm has a zero-size row")
  func everyOpHasAZeroSizeRow() {
    let names = Set(zeroSizeTable.map(\.row.name))
    let missing = Set(opTable.map(\.name)).subtracting(names).subtracting(["batchNorm"])
    #expect(missing.isEmpty, "no zero-size row: \(missing.sorted())")
  }
}
