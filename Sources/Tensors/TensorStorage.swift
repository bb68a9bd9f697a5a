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

    /// Bytes allocated by storages while a log is set for the current task.
    public final class AllocationLog: @unchecked Sendable {
      private let total = Atomic<Int>(0)
      /// Creates an empty log.
      public init() {}
      /// The bytes allocated so far.
      public var bytes: Int { total.load(ordering: .relaxed) }
      func add(_ bytes: Int) { total.add(bytes, ordering: .relaxed) }
    }

    /// The log that allocations of the current task are added to, if any: what one
    /// operation allocates, measured without other threads' allocations mixed in.
    @TaskLocal public static var allocationLog: AllocationLog?
  }

  /// The first element.
  public let pointer: UnsafeMutableRawPointer
  /// The number of elements.
  public let count: Int
  /// The element type.
  public let dtype: DType
  /// How many times the elements were changed in place (`update(to:)`, an optimizer's step):
  /// a recorded operation remembers it for the inputs its backward reads, and backward
  /// refuses to compute from values changed since (PyTorch's version counter).
  public internal(set) var version = 0

  /// Allocates `count` elements of `dtype`, set to zero unless `zeroed` is false (for
  /// kernels that write every element).
  public init(count: Int, dtype: DType, zeroed: Bool = true) {
    self.count = count
    self.dtype = dtype
    let bytes = max(count * dtype.size, 1)
    pointer = BufferCache.take(bytes)
    if zeroed { pointer.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
    Statistics.allocated(bytes)
    Statistics.allocationLog?.add(bytes)
  }

  deinit {
    let bytes = max(count * dtype.size, 1)
    Statistics.freed(bytes)
    BufferCache.give(pointer, bytes)
  }

  /// Keeps freed large buffers for reuse by the next tensor of the same byte size.
  ///
  /// A training step allocates the same large sizes every time. Handing such a buffer back
  /// to malloc lets it return the memory to the system, and the next step then pays a page
  /// fault per 4 KiB page to get it back (about 1,600 for one (128, 64, 14, 14) float
  /// tensor). Buffers of at least 64 KiB are kept, up to 1 GiB in all.
  enum BufferCache {
    struct State {
      var free: [Int: [UnsafeMutableRawPointer]] = [:]
      var bytes = 0
    }
    static let state = Mutex(UncheckedState(State()))
    static let minimumBytes = 65_536
    static let capacity = 1 << 30

    /// A buffer of `bytes` bytes: a kept one if there is one of that size.
    static func take(_ bytes: Int) -> UnsafeMutableRawPointer {
      if bytes >= minimumBytes {
        let reused = state.withLock { box -> UnsafeMutableRawPointer? in
          guard let buffer = box.value.free[bytes]?.popLast() else { return nil }
          box.value.bytes -= bytes
          return buffer
        }
        if let reused { return reused }
      }
      return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    }

    /// Keeps `buffer` for reuse, or frees it when small or when the cache is full.
    static func give(_ buffer: UnsafeMutableRawPointer, _ bytes: Int) {
      if bytes >= minimumBytes {
        let kept = state.withLock { box -> Bool in
          guard box.value.bytes + bytes <= capacity else { return false }
          box.value.free[bytes, default: []].append(buffer)
          box.value.bytes += bytes
          return true
        }
        if kept { return }
      }
      buffer.deallocate()
    }
  }

  /// Raw pointers are not Sendable; these are only touched under the cache's lock.
  struct UncheckedState<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
  }

  /// The elements as `T` (which must match `dtype`).
  @inline(__always)
  @inlinable package func typed<T>(_: T.Type) -> UnsafeMutablePointer<T> {
    pointer.assumingMemoryBound(to: T.self)
  }
}
