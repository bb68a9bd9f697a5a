import Synchronization

/// A tensor's elements: one contiguous, uniquely owned allocation that views share.
public final class TensorStorage: @unchecked Sendable {
  /// Bytes held by all live storages, and the most ever held since the last reset.
  public enum Statistics {
    static let live = Atomic<Int>(0)
    static let peak = Atomic<Int>(0)

    /// Bytes held by all live storages now.
    public static var liveBytes: Int { live.load(ordering: .relaxed) }
    /// The most bytes held at once since the last `resetPeak()`.
    public static var peakBytes: Int { peak.load(ordering: .relaxed) }
    /// Starts a new peak measurement from the current live bytes.
    public static func resetPeak() { peak.store(liveBytes, ordering: .relaxed) }

    static func allocated(_ bytes: Int) {
      let now = live.add(bytes, ordering: .relaxed).newValue
      var seen = peak.load(ordering: .relaxed)
      while now > seen {
        let (exchanged, original) = peak.compareExchange(
          expected: seen, desired: now, ordering: .relaxed)
        if exchanged { break }
        seen = original
      }
    }

    static func freed(_ bytes: Int) { live.subtract(bytes, ordering: .relaxed) }
  }

  /// The first element.
  public let pointer: UnsafeMutableRawPointer
  /// The number of elements.
  public let count: Int
  /// The element type.
  public let dtype: DType

  /// Allocates `count` elements of `dtype`, set to zero unless `zeroed` is false (for
  /// kernels that write every element).
  public init(count: Int, dtype: DType, zeroed: Bool = true) {
    self.count = count
    self.dtype = dtype
    let bytes = max(count * dtype.size, 1)
    pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    if zeroed { pointer.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
    Statistics.allocated(bytes)
  }

  deinit {
    Statistics.freed(max(count * dtype.size, 1))
    pointer.deallocate()
  }

  /// The elements as `T` (which must match `dtype`).
  @inline(__always)
  func typed<T: TensorScalar>(_: T.Type) -> UnsafeMutablePointer<T> {
    pointer.assumingMemoryBound(to: T.self)
  }
}
