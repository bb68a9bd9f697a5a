import Foundation

// listing: value
/// A scalar in a computation graph: its value, its gradient, and how it was made.
///
/// Every arithmetic operation on `Value`s returns a new `Value` that remembers its
/// inputs (at most two) and the *local derivatives* of the operation with respect to
/// each input, computed once in the forward pass. `backward()` then walks the graph
/// in reverse topological order and applies the chain rule.
public final class Value {
  /// The number this node holds.
  public var data: Double
  /// ∂(output of the last `backward()`)/∂(this value), accumulated for leaves.
  public var grad: Double = 0
  /// The operation that produced this value (`.leaf` for inputs and parameters).
  public let op: Op
  /// A name shown in graph drawings.
  public var label: String

  // The inputs, and ∂self/∂input for each: the whole tape of one operation.
  private(set) var lhs: Value?
  private(set) var rhs: Value?
  let lhsDerivative: Double
  let rhsDerivative: Double
  // end listing: value

  /// Scratch flag of the topological sort; false between sorts.
  var visited = false
  /// The length of the longest path from a leaf to this value (0 for a leaf).
  let depth: UInt32

  /// Creates a leaf: an input or a parameter.
  public init(_ data: Double, label: String = "") {
    self.data = data
    self.op = .leaf
    self.label = label
    self.lhs = nil
    self.rhs = nil
    self.lhsDerivative = 0
    self.rhsDerivative = 0
    self.depth = 0
  }

  /// Creates the result of an operation from its inputs and their local derivatives.
  init(
    _ data: Double, op: Op, _ lhs: Value, _ lhsDerivative: Double,
    _ rhs: Value? = nil, _ rhsDerivative: Double = 0
  ) {
    self.data = data
    self.op = op
    self.label = ""
    self.lhs = lhs
    self.rhs = rhs
    self.lhsDerivative = lhsDerivative
    self.rhsDerivative = rhsDerivative
    self.depth = max(lhs.depth, rhs?.depth ?? 0) &+ 1
  }

  /// Releases a long chain without recursing once per node.
  ///
  /// Swift frees an object's stored references as part of freeing the object, so a
  /// 100,000-node chain would be freed by 100,000 nested calls and overflow the stack.
  /// Instead a deep node takes its inputs into a worklist and frees them one by one,
  /// detaching the inputs of each node it is the last owner of. Shallow graphs (the
  /// usual case) are freed the ordinary way, which is faster.
  deinit {
    guard depth > 1_000 else { return }
    var pending: [Value] = []
    if let lhs { pending.append(lhs) }
    if let rhs { pending.append(rhs) }
    lhs = nil
    rhs = nil
    while var node = pending.popLast() {
      if isKnownUniquelyReferenced(&node) {
        if let next = node.lhs { pending.append(next) }
        if let next = node.rhs { pending.append(next) }
        node.lhs = nil
        node.rhs = nil
      }
    }
  }

  /// True for inputs and parameters: values no operation produced.
  public var isLeaf: Bool { lhs == nil && rhs == nil }

  /// The inputs of the operation that produced this value (empty for a leaf).
  public var inputs: [Value] { [lhs, rhs].compactMap { $0 } }
}

extension Value {
  /// The operations a `Value` can come from, with the constants they carry.
  public enum Op: Equatable, Sendable {
    case leaf
    case add, subtract, multiply, divide, negate
    case power(Double)
    case exp, log, tanh, relu, sigmoid

    /// The symbol shown for this operation in graph drawings.
    public var symbol: String {
      switch self {
      case .leaf: ""
      case .add: "+"
      case .subtract: "−"
      case .multiply: "×"
      case .divide: "÷"
      case .negate: "neg"
      case .power(let n): "^\(Value.format(n))"
      case .exp: "exp"
      case .log: "log"
      case .tanh: "tanh"
      case .relu: "relu"
      case .sigmoid: "σ"
      }
    }
  }

  /// Formats a number compactly for labels: integers without a fraction.
  static func format(_ x: Double) -> String {
    if x.isFinite, x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    return String(format: "%.4g", x)
  }
}

extension Value: CustomStringConvertible {
  /// `Value(data: 2.0, grad: -3.0)`.
  public var description: String { "Value(data: \(data), grad: \(grad))" }
}
