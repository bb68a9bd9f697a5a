import Foundation

// Each operation computes its result and the local derivative of the result with respect
// to each input. The chain rule in `backward()` does the rest.

extension Value {
  // listing: add
  /// Sum: ∂(a + b)/∂a = 1 and ∂(a + b)/∂b = 1 (gradients pass through unchanged).
  public static func + (lhs: Value, rhs: Value) -> Value {
    Value(lhs.data + rhs.data, op: .add, lhs, 1, rhs, 1)
  }
  // end listing: add

  // listing: multiply
  /// Product: ∂(a · b)/∂a = b and ∂(a · b)/∂b = a.
  public static func * (lhs: Value, rhs: Value) -> Value {
    // exercise 1.1: The local derivatives of multiplication
    Value(lhs.data * rhs.data, op: .multiply, lhs, rhs.data, rhs, lhs.data)
    // end exercise 1.1
  }
  // end listing: multiply

  /// Difference: ∂(a − b)/∂a = 1 and ∂(a − b)/∂b = −1.
  public static func - (lhs: Value, rhs: Value) -> Value {
    Value(lhs.data - rhs.data, op: .subtract, lhs, 1, rhs, -1)
  }

  /// Quotient: ∂(a / b)/∂a = 1/b and ∂(a / b)/∂b = −a/b².
  ///
  /// Division by zero follows IEEE 754 (±inf or NaN), as `Double` does; nothing traps.
  public static func / (lhs: Value, rhs: Value) -> Value {
    let inverse = 1 / rhs.data
    return Value(
      lhs.data * inverse, op: .divide, lhs, inverse, rhs, -lhs.data * inverse * inverse)
  }

  /// Negation: ∂(−a)/∂a = −1.
  public static prefix func - (operand: Value) -> Value {
    Value(-operand.data, op: .negate, operand, -1)
  }

  /// Adds a `Value` in place: `a += b` is `a = a + b`, a new node.
  public static func += (lhs: inout Value, rhs: Value) { lhs = lhs + rhs }
  /// Subtracts a `Value` in place: `a -= b` is `a = a - b`, a new node.
  public static func -= (lhs: inout Value, rhs: Value) { lhs = lhs - rhs }
  /// Multiplies by a `Value` in place: `a *= b` is `a = a * b`, a new node.
  public static func *= (lhs: inout Value, rhs: Value) { lhs = lhs * rhs }
  /// Divides by a `Value` in place: `a /= b` is `a = a / b`, a new node.
  public static func /= (lhs: inout Value, rhs: Value) { lhs = lhs / rhs }
}

// Mixed arithmetic with plain numbers: the number becomes a constant leaf, exactly as
// micrograd does, so it shows up in graph drawings and gradients stay correct.
extension Value {
  /// `a + 2`.
  public static func + (lhs: Value, rhs: Double) -> Value { lhs + Value(rhs) }
  /// `2 + a`.
  public static func + (lhs: Double, rhs: Value) -> Value { Value(lhs) + rhs }
  /// `a - 2`.
  public static func - (lhs: Value, rhs: Double) -> Value { lhs - Value(rhs) }
  /// `2 - a`.
  public static func - (lhs: Double, rhs: Value) -> Value { Value(lhs) - rhs }
  /// `a * 2`.
  public static func * (lhs: Value, rhs: Double) -> Value { lhs * Value(rhs) }
  /// `2 * a`.
  public static func * (lhs: Double, rhs: Value) -> Value { Value(lhs) * rhs }
  /// `a / 2`.
  public static func / (lhs: Value, rhs: Double) -> Value { lhs / Value(rhs) }
  /// `2 / a`.
  public static func / (lhs: Double, rhs: Value) -> Value { Value(lhs) / rhs }
}

extension Value {
  /// The sum of `values`, or a constant 0 when there are none.
  ///
  /// Builds a left-to-right chain of additions: `((v0 + v1) + v2) + …`.
  public static func sum<S: Sequence>(_ values: S) -> Value where S.Element == Value {
    var iterator = values.makeIterator()
    guard var total = iterator.next() else { return Value(0) }
    while let next = iterator.next() { total = total + next }
    return total
  }
}
