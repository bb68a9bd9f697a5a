import Broadcasting
import Foundation
import Scalar

/// A small random tensor program, for the differential test against PyTorch (`make
/// difftest`): leaves laid out as views, steps over earlier values, and a cotangent for the
/// last value. It is JSON, so that PyTorch can replay it (`Tests/Difftest/replay_in_torch.py`).
public struct RandomProgram: Codable, Sendable {
  /// A leaf: `stored` values of `storedShape`, seen through `view` as a tensor of `shape`.
  public struct Leaf: Codable, Sendable {
    /// "plain", "transposed" (the last two axes), "stepped" (every other element of a wider
    /// last axis) or "expanded" (axis `axis` stored as 1).
    public var view: String
    /// The shape the program sees.
    public var shape: [Int]
    /// The shape of the stored values (the leaf that gradients are taken for).
    public var storedShape: [Int]
    /// The stored values, row-major.
    public var stored: [Double]
    /// The axis stored as 1, for "expanded".
    public var axis: Int? = nil
  }

  /// One operation: `op` applied to `args`, each a step's index (its result) or, when
  /// negative, leaf −1 − arg.
  public struct Step: Codable, Sendable {
    /// PyTorch's name of the operation, such as `add` or `log_softmax`.
    public var op: String
    /// The operands.
    public var args: [Int]
    /// The axis of a reduction or softmax.
    public var axes: [Int]? = nil
    /// Whether a reduction keeps its axis as size 1.
    public var keepdim: Bool? = nil
  }

  /// The seed the program was made from.
  public var seed: UInt64
  /// The inputs.
  public var leaves: [Leaf]
  /// The operations, in order; the last one's result is the program's.
  public var steps: [Step]
  /// The cotangent of the last value (its shape).
  public var cotangent: [Double]

  /// The unary operations, and the binary ones (both broadcast), by their PyTorch names.
  public static let unary = ["neg", "exp", "tanh", "sigmoid", "softplus", "relu", "abs", "square"]
  /// The binary operations (both operands broadcast).
  public static let binary = ["add", "sub", "mul", "div", "maximum", "minimum"]
}

extension RandomProgram {
  /// A program from `seed`: 2–5 steps over leaves of rank 1–3 with sizes 1–4.
  public static func make(seed: UInt64) -> RandomProgram {
    var g = SeededGenerator(seed: seed)
    var leaves: [Leaf] = []
    var stepShapes: [[Int]] = []
    func values(_ n: Int) -> [Double] {
      // Full precision: rounded values cancel exactly (0.003·a − 0.003·a), and a kink such as
      // abs at an exact 0 then gets PyTorch's one-sided answer or ours by rounding luck.
      (0..<n).map { _ in Double.random(in: -2...2, using: &g) }
    }
    func leaf(_ shape: [Int]) -> Int {
      var kinds = ["plain"]
      if shape.count >= 2 { kinds.append("transposed") }
      if !shape.isEmpty { kinds.append("stepped") }
      if shape.contains(where: { $0 > 1 }) { kinds.append("expanded") }
      let view = kinds.randomElement(using: &g)!
      var stored = shape
      var axis: Int? = nil
      switch view {
      case "transposed": stored.swapAt(stored.count - 1, stored.count - 2)
      case "stepped": stored[stored.count - 1] *= 2
      case "expanded":
        let a = shape.indices.filter { shape[$0] > 1 }.randomElement(using: &g)!
        stored[a] = 1
        axis = a
      default: break
      }
      leaves.append(
        Leaf(
          view: view, shape: shape, storedShape: stored, stored: values(stored.reduce(1, *)),
          axis: axis))
      return -leaves.count  // leaf i is −1 − i
    }
    func shapeOf(_ ref: Int) -> [Int] { ref < 0 ? leaves[-1 - ref].shape : stepShapes[ref] }
    func randomShape() -> [Int] {
      (0..<Int.random(in: 1...3, using: &g)).map { _ in Int.random(in: 1...4, using: &g) }
    }
    /// A shape that broadcasts against `shape`: some axes set to 1, maybe fewer of them.
    func broadcastable(_ shape: [Int]) -> [Int] {
      var s = shape.map { Bool.random(using: &g) && Bool.random(using: &g) ? 1 : $0 }
      if !s.isEmpty && Bool.random(using: &g) {
        s.removeFirst(Int.random(in: 0...s.count, using: &g) / 2)
      }
      return s
    }
    var x = leaf(randomShape())
    var steps: [Step] = []
    for _ in 0..<Int.random(in: 2...5, using: &g) {
      let shape = shapeOf(x)
      var step: Step
      var out: [Int]
      switch Int.random(in: 0..<10, using: &g) {
      case 0..<3:
        step = Step(op: unary.randomElement(using: &g)!, args: [x])
        out = shape
      case 3..<6:
        let other = leaf(broadcastable(shape))
        let swap = Bool.random(using: &g)
        step = Step(op: binary.randomElement(using: &g)!, args: swap ? [other, x] : [x, other])
        out = try! broadcastShape(shape, shapeOf(other))
      case 6..<8 where !shape.isEmpty:
        let op = ["sum", "mean", "amax", "softmax", "log_softmax"].randomElement(using: &g)!
        if op == "softmax" || op == "log_softmax" {
          let axis = Int.random(in: -shape.count..<shape.count, using: &g)
          step = Step(op: op, args: [x], axes: [axis])
          out = shape
        } else {
          let axis = Int.random(in: -shape.count..<shape.count, using: &g)
          let keep = Bool.random(using: &g)
          step = Step(op: op, args: [x], axes: [axis], keepdim: keep)
          out = shape
          let a = axis < 0 ? axis + shape.count : axis
          if keep { out[a] = 1 } else { out.remove(at: a) }
        }
      case 8 where shape.count >= 2:
        step = Step(op: "transpose", args: [x])
        out = shape
        out.swapAt(out.count - 1, out.count - 2)
      default:
        if let last = shape.last {
          let other = leaf([last, Int.random(in: 1...4, using: &g)])
          step = Step(op: "matmul", args: [x, other])
          let columns = shapeOf(other)[1]
          out = shape.count == 1 ? [columns] : shape.dropLast() + [columns]
        } else {
          step = Step(op: "tanh", args: [x])
          out = shape
        }
      }
      steps.append(step)
      stepShapes.append(out)
      x = steps.count - 1
    }
    return RandomProgram(
      seed: seed, leaves: leaves, steps: steps,
      cotangent: values(stepShapes.last!.reduce(1, *)))
  }

  /// The leaves' stored tensors (Float64, requiring gradients), the program's result, and the
  /// gradient of ⟨cotangent, result⟩ with respect to each stored leaf.
  public func run() throws -> (result: Tensor, gradients: [Tensor]) {
    let stored = try leaves.map { leaf -> Tensor in
      let t = try Tensor(leaf.stored, shape: leaf.storedShape, dtype: .float64)
      t.requiresGrad = true
      return t
    }
    let views: [Tensor] = try zip(leaves, stored).map { leaf, t in
      switch leaf.view {
      case "transposed": return try t.transposed()
      case "stepped": return try t.sliced(axis: -1, 0..<leaf.storedShape.last!, step: 2)
      case "expanded": return try t.expand(to: leaf.shape)
      default: return t
      }
    }
    var values: [Tensor] = []
    func value(_ ref: Int) -> Tensor { ref < 0 ? views[-1 - ref] : values[ref] }
    for step in steps {
      let x = value(step.args[0])
      let y = step.args.count > 1 ? value(step.args[1]) : x
      let axis = step.axes?.first ?? -1
      let keep = step.keepdim ?? false
      let value: Tensor
      switch step.op {
      case "neg": value = -x
      case "exp": value = x.exp()
      case "tanh": value = x.tanh()
      case "sigmoid": value = x.sigmoid()
      case "softplus": value = x.softplus()
      case "relu": value = x.relu()
      case "abs": value = x.abs()
      case "square": value = try x * x
      case "add": value = try x + y
      case "sub": value = try x - y
      case "mul": value = try x * y
      case "div": value = try x / (y * y + 0.5)
      // maximum and minimum do not broadcast (yet): expand both operands first.
      case "maximum", "minimum":
        let shape = try broadcastShape(x.shape, y.shape)
        let (a, b) = (try x.expand(to: shape), try y.expand(to: shape))
        value = try step.op == "maximum" ? a.maximum(b) : a.minimum(b)
      case "sum": value = try x.sum(axes: [axis], keepingAxes: keep)
      case "mean": value = try x.mean(axes: [axis], keepingAxes: keep)
      case "amax": value = try x.max(axes: [axis], keepingAxes: keep)
      case "softmax": value = try x.softmax(axis: axis)
      case "log_softmax": value = try x.logSoftmax(axis: axis)
      case "transpose": value = try x.transposed()
      case "matmul": value = try x.matmul(y)
      default: throw TensorError("RandomProgram", "unknown op \(step.op)")
      }
      values.append(value)
    }
    let result = values.last!
    let u = try Tensor(cotangent, shape: result.shape, dtype: .float64)
    try (result * u).sum().backward()
    return (result, stored.map { $0.grad ?? Tensor.zeros($0.shape, dtype: .float64) })
  }
}

/// A program with the answers of one engine (Gradbook's, or PyTorch's in a regression case).
public struct DifftestCase: Codable, Sendable {
  /// The program.
  public var program: RandomProgram
  /// The shape of its result.
  public var resultShape: [Int]
  /// Its result, row-major.
  public var result: [Double]
  /// The gradient of ⟨cotangent, result⟩ with respect to each leaf's stored values.
  public var gradients: [[Double]]

  /// A case from its parts.
  public init(program: RandomProgram, resultShape: [Int], result: [Double], gradients: [[Double]]) {
    (self.program, self.resultShape, self.result, self.gradients) =
      (program, resultShape, result, gradients)
  }

  /// JSON with non-finite numbers as the strings "Infinity", "-Infinity" and "NaN" (which
  /// the replay script reads and writes the same way).
  public static var encoder: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    return encoder
  }

  /// Reads what `encoder` (or the replay script) wrote.
  public static var decoder: JSONDecoder {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    return decoder
  }

  /// Whether `got` agrees with `expected` as the differential test asks:
  /// |got − expected| ≤ 1e-9 + 1e-7·|expected| elementwise, NaN matching NaN.
  public static func agrees(_ got: [Double], _ expected: [Double]) -> Bool {
    got.count == expected.count
      && zip(got, expected).allSatisfy { x, y in
        (x.isNaN && y.isNaN) || x == y || Swift.abs(x - y) <= 1e-9 + 1e-7 * Swift.abs(y)
      }
  }
}
