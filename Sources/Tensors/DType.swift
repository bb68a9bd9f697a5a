import CKernels
import Foundation

/// The element type of a tensor: `Float` (the default), `Double` (for gradient checks), or
/// 64-bit integers for indices, class targets, `argmax` results and counters.
public enum DType: String, Sendable, Equatable, CustomStringConvertible {
  case float32
  case float64
  /// Integers: no gradients and no arithmetic — they are created, compared, viewed, used as
  /// indices, converted with `to(_:)`, and saved (safetensors' `I64`).
  case int64

  /// Bytes per element.
  public var size: Int { self == .float32 ? 4 : 8 }

  /// True for `float32` and `float64`, the dtypes that compute and carry gradients.
  public var isFloatingPoint: Bool { self != .int64 }

  /// `float32`, `float64` or `int64`.
  public var description: String { rawValue }
}

/// The message for arithmetic on an `int64` tensor, naming `op`.
func integerArithmeticMessage(_ op: String) -> String {
  "\(op) computes on float32 and float64 tensors; int64 tensors hold indices and counts "
    + "(convert with .to(.float32) first)"
}

/// Stops with a message naming `op`: arithmetic on an `int64` tensor is a programming error
/// (operations that can throw throw instead).
@usableFromInline
func integerArithmetic(_ op: String) -> Never {
  preconditionFailure(integerArithmeticMessage(op))
}

extension Tensor {
  /// Throws unless this tensor is `float32` or `float64`, naming `op`.
  func requireFloatingPoint(_ op: String) throws {
    guard dtype.isFloatingPoint else {
      throw TensorError(op, integerArithmeticMessage(op) + "; got shape \(describe(shape)) int64")
    }
  }
}

/// The element types a tensor can hold, with the math the kernels need.
public protocol TensorScalar: BinaryFloatingPoint, SIMDScalar, Codable, Sendable {
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
  /// The hyperbolic tangent, by a rational approximation (Eigen's, for `Float`, in
  /// `CKernels`): within 4e-7 of the exact value everywhere, saturating to ±1, NaN for NaN —
  /// and about 20× faster than the C library's `tanhf`, because it vectorizes.
  @inlinable @inline(__always) public static func tanh(_ x: Float) -> Float { gradbook_tanhf(x) }
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

extension DType {
  /// The dtype of new tensors when none is given: float32, unless `withDefaultDType` chose
  /// another for the work it runs.
  public static var `default`: DType { DefaultDType.current }
}

/// The default dtype of the current task.
enum DefaultDType {
  @TaskLocal static var current = DType.float32
}

/// Runs `body` with `dtype` (float32 or float64) as the dtype of new tensors that name
/// none — `withDefaultDType(.float64) { … }` for a numerical check or a test, without
/// `dtype: .float64` on every tensor. Tensors created with an explicit dtype keep it.
public func withDefaultDType<R>(_ dtype: DType, _ body: () throws -> R) throws -> R {
  guard dtype.isFloatingPoint else {
    throw TensorError("withDefaultDType", "the default dtype is float32 or float64, not \(dtype)")
  }
  return try DefaultDType.$current.withValue(dtype) { try body() }
}
