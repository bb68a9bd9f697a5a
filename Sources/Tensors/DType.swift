import Foundation

/// The element type of a tensor: `Float` (the default) or `Double` (for gradient checks).
public enum DType: String, Sendable, Equatable, CustomStringConvertible {
  case float32
  case float64

  /// Bytes per element.
  public var size: Int { self == .float32 ? 4 : 8 }

  /// `float32` or `float64`.
  public var description: String { rawValue }
}

/// The element types a tensor can hold, with the math the kernels need.
public protocol TensorScalar: BinaryFloatingPoint, Sendable {
  /// The `DType` of this element type.
  static var dtype: DType { get }
  /// eˣ.
  static func exp(_ x: Self) -> Self
  /// The natural logarithm.
  static func log(_ x: Self) -> Self
  /// The hyperbolic tangent.
  static func tanh(_ x: Self) -> Self
  /// xʸ.
  static func pow(_ x: Self, _ y: Self) -> Self
  /// log(1 + x), accurate for small x.
  static func log1p(_ x: Self) -> Self
}

extension Float: TensorScalar {
  /// `.float32`.
  public static var dtype: DType { .float32 }
  /// eˣ.
  @inlinable public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
  /// The natural logarithm.
  @inlinable public static func log(_ x: Float) -> Float { Foundation.log(x) }
  /// The hyperbolic tangent.
  @inlinable public static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }
  /// xʸ.
  @inlinable public static func pow(_ x: Float, _ y: Float) -> Float { Foundation.pow(x, y) }
  /// log(1 + x).
  @inlinable public static func log1p(_ x: Float) -> Float { Foundation.log1p(x) }
}

extension Double: TensorScalar {
  /// `.float64`.
  public static var dtype: DType { .float64 }
  /// eˣ.
  @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
  /// The natural logarithm.
  @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
  /// The hyperbolic tangent.
  @inlinable public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
  /// xʸ.
  @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
  /// log(1 + x).
  @inlinable public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
}

/// A shape or operand problem, naming the operation and the shapes involved.
public struct TensorError: Error, CustomStringConvertible, Equatable {
  /// The operation that refused its input, such as `add` or `matmul`.
  public let op: String
  /// What was wrong, with the shapes.
  public let message: String

  /// Creates an error for `op`.
  public init(_ op: String, _ message: String) {
    self.op = op
    self.message = message
  }

  /// `add: shapes [2, 3] and [3] differ …`.
  public var description: String { "\(op): \(message)" }
}

/// `[2, 3]`.
func describe(_ shape: [Int]) -> String {
  "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
