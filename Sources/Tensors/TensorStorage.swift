/// A tensor's elements: one contiguous, uniquely owned allocation that views share.
public final class TensorStorage: @unchecked Sendable {
  /// The first element.
  public let pointer: UnsafeMutableRawPointer
  /// The number of elements.
  public let count: Int
  /// The element type.
  public let dtype: DType

  /// Allocates `count` elements of `dtype`, set to zero.
  public init(count: Int, dtype: DType) {
    self.count = count
    self.dtype = dtype
    let bytes = max(count * dtype.size, 1)
    pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    pointer.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
  }

  deinit { pointer.deallocate() }

  /// The elements as `T` (which must match `dtype`).
  @inline(__always)
  func typed<T: TensorScalar>(_: T.Type) -> UnsafeMutablePointer<T> {
    pointer.assumingMemoryBound(to: T.self)
  }
}
