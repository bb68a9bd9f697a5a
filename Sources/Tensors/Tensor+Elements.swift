import Foundation

// The kernel home's public face. Later stages (and your own package) build on these instead
// of touching storage pointers: raw pointers and dtype switches stay in this stage.

// listing: elementwise-update
/// An in-place, elementwise update of a tensor from a gradient and up to two state buffers:
/// an optimizer's step, written as the formula for one element.
///
/// `update` is generic over the element type, so one formula serves Float and Double
/// tensors, and it is specialized and inlined into the loop that calls it.
public protocol ElementwiseUpdate {
  /// Updates one element of the parameter and of its state buffers, from its gradient.
  func update<T: TensorScalar>(
    _ parameter: inout T, gradient: T, state first: inout T, _ second: inout T)
}
// end listing: elementwise-update

extension Tensor {
  /// Applies `rule` to every element of this tensor, its `gradient` and its `state`
  /// buffers (none, one or two, each of this tensor's shape and dtype), in place and
  /// unrecorded; a large tensor is updated in two halves on two cores.
  ///
  /// This tensor and its state buffers must be contiguous (parameters and the buffers an
  /// optimizer makes are); the gradient may have any layout. Errors name `op`.
  @inlinable
  public func update(
    by rule: some ElementwiseUpdate, gradient: Tensor, state: [Tensor] = [],
    op: String = "update"
  ) throws {
    try beginUpdate(gradient: gradient, state: state, op: op)
    switch dtype {
    case .float32: updateElements(Float.self, rule, gradient, state)
    case .float64: updateElements(Double.self, rule, gradient, state)
    case .int64: integerArithmetic(op)
    }
  }

  /// Checks the operands of an update, then marks the storage changed: a tape that saved
  /// this tensor then sees that its elements moved.
  @usableFromInline
  func beginUpdate(gradient: Tensor, state: [Tensor], op: String) throws {
    try checkUpdate(gradient: gradient, state: state, op: op)
    storage.version &+= 1  // the update changes the elements in place
  }

  /// Throws what `update(by:gradient:state:op:)` would throw for these operands, changing
  /// nothing: an optimizer checks every parameter before it updates any.
  package func checkUpdate(gradient: Tensor, state: [Tensor], op: String) throws {
    let operands = [gradient] + state
    guard isContiguous, state.count <= 2, state.allSatisfy(\.isContiguous),
      operands.allSatisfy({ $0.shape == shape && $0.dtype == dtype })
    else {
      throw TensorError(
        op,
        "parameter \(describe(shape)) \(dtype) (contiguous: \(isContiguous)) with gradient "
          + "\(describe(gradient.shape)) \(gradient.dtype) and \(state.count) state buffers "
          + state.map { "\(describe($0.shape)) \($0.dtype)" }.joined(separator: ", "))
    }
  }

  @inlinable
  func updateElements<T: TensorScalar>(
    _: T.Type, _ rule: some ElementwiseUpdate, _ gradient: Tensor, _ state: [Tensor]
  ) {
    let (g, start) = gradient.contiguousStorage()
    let p = storage.typed(T.self) + offset
    let grad = g.typed(T.self) + start
    let first = state.first.map { $0.storage.typed(T.self) + $0.offset }
    let second = state.count > 1 ? state[1].storage.typed(T.self) + state[1].offset : nil
    inChunks(count) { from, n in
      // Local copies: the rule's constants and the pointers then live in registers, and the
      // compiler can hoist the rule's conversions out of the loop (through the closure's
      // captured context it must assume that every store to `p` might change them).
      let (rule, p, grad, first, second) = (rule, p, grad, first, second)
      // One loop per arity, so that no branch sits inside the loop.
      if let first, let second {
        for i in from..<(from + n) {
          rule.update(&p[i], gradient: grad[i], state: &first[i], &second[i])
        }
      } else if let first {
        for i in from..<(from + n) {
          var unused = T.zero  // a fresh zero per element: no value carried from the last one
          rule.update(&p[i], gradient: grad[i], state: &first[i], &unused)
        }
      } else {
        for i in from..<(from + n) {
          // Fresh per element: a scratch written by one element and read by the next would
          // chain the loop into a serial recurrence (SGD without momentum ran 8x slower).
          var (unused1, unused2) = (T.zero, T.zero)
          rule.update(&p[i], gradient: grad[i], state: &unused1, &unused2)
        }
      }
    }
  }

  /// The unrecorded result of `float` or `double` (by this tensor's dtype) applied to every
  /// element: for the rare function that has no kernel of its own, such as `erf`.
  public func mapElements(float: (Float) -> Float, double: (Double) -> Double) -> Tensor {
    let (source, start) = contiguousStorage()
    return Tensor.make(shape, dtype) { out in
      switch dtype {
      case .float32:
        let (x, y) = (source.typed(Float.self) + start, out.typed(Float.self))
        for i in 0..<count { y[i] = float(x[i]) }
      case .float64:
        let (x, y) = (source.typed(Double.self) + start, out.typed(Double.self))
        for i in 0..<count { y[i] = double(x[i]) }
      case .int64: integerArithmetic("mapElements")
      }
    }
  }

  /// Adds `vector` (`[n]`) to every row of this fresh, contiguous `[…, n]` result, in place
  /// and unrecorded: a bias, without a broadcast copy.
  package func addToEveryRow(_ vector: Tensor) {
    precondition(isContiguous && shape.last == vector.count && dtype == vector.dtype)
    storage.version &+= 1
    let n = vector.count
    let rows = count / Swift.max(n, 1)
    let (b, start) = vector.contiguousStorage()
    func run<T: TensorScalar>(_: T.Type) {
      let (y, v) = (storage.typed(T.self) + offset, b.typed(T.self) + start)
      for r in 0..<rows {
        let row = y + r * n
        for j in 0..<n { row[j] += v[j] }
      }
    }
    switch dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    case .int64: integerArithmetic("addToEveryRow")
    }
  }

  /// Calls `body(index, row)` for each row (run along the last axis) of this tensor, in
  /// order, each read as `Double`s in place (a non-contiguous tensor is made contiguous once).
  ///
  /// A row is valid only inside `body`: it reads the tensor's memory without holding it, so
  /// iterating costs no reference counting.
  @inlinable
  public func forEachRow(_ body: (_ index: Int, _ row: TensorRow) throws -> Void) rethrows {
    let source = plainly { contiguous() }
    let n = shape.last ?? 1
    let count = rank == 0 ? 1 : (n == 0 ? 0 : source.count / n)
    try withExtendedLifetime(source) {
      let base = UnsafeRawPointer(source.storage.pointer + source.offset * dtype.size)
      // One loop per dtype, each with its dtype a constant: where `body` is inlined, a
      // row's element reads compile to plain loads, not a switch per element.
      @inline(__always) func rows(_ dtype: DType) throws {
        for i in 0..<count {
          try body(i, TensorRow(base: base + i * n * dtype.size, dtype: dtype, count: n))
        }
      }
      switch dtype {
      case .float32: try rows(.float32)
      case .float64: try rows(.float64)
      case .int64: try rows(.int64)
      }
    }
  }

  /// The elements' bytes in row-major order, little-endian (safetensors' layout).
  public var littleEndianBytes: [UInt8] {
    let (source, start) = contiguousStorage()
    return Array(
      UnsafeRawBufferPointer(
        start: source.pointer + start * dtype.size, count: count * dtype.size))
  }

  /// A tensor of `shape` and `dtype` whose elements are `bytes` in row-major order,
  /// little-endian; throws when the byte count does not fit.
  public convenience init(
    littleEndianBytes bytes: some Collection<UInt8>, shape: [Int], dtype: DType
  ) throws {
    let count = shape.reduce(1, *)
    guard shape.allSatisfy({ $0 >= 0 }), bytes.count == count * dtype.size else {
      throw TensorError(
        "Tensor.init(littleEndianBytes:)",
        "\(bytes.count) bytes for shape \(describe(shape)) \(dtype) (\(count * dtype.size))")
    }
    let storage = TensorStorage(count: count, dtype: dtype, zeroed: false)
    let copied: Void? = bytes.withContiguousStorageIfAvailable { source in
      storage.pointer.copyMemory(from: source.baseAddress!, byteCount: source.count)
    }
    if copied == nil {
      for (i, byte) in bytes.enumerated() {
        storage.pointer.storeBytes(of: byte, toByteOffset: i, as: UInt8.self)
      }
    }
    self.init(storage: storage, shape: shape, strides: Tensor.contiguousStrides(shape), offset: 0)
  }

  /// A Float32 tensor of `shape` from unsigned bytes, each times `scale` (pixels to [0, 1]
  /// with `scale: 1 / 255`); throws when the byte count does not fit.
  public convenience init(
    unsignedBytes bytes: some Collection<UInt8>, shape: [Int], scale: Double = 1
  ) throws {
    let count = shape.reduce(1, *)
    guard shape.allSatisfy({ $0 >= 0 }), bytes.count == count else {
      throw TensorError(
        "Tensor.init(unsignedBytes:)", "\(bytes.count) bytes for shape \(describe(shape))")
    }
    let storage = TensorStorage(count: count, dtype: .float32, zeroed: false)
    let p = storage.typed(Float.self)
    let factor = Float(scale)
    // Through a contiguous buffer when the collection has one (an Array, Data, a slice):
    // the generic iterator costs a runtime type lookup per byte.
    let copied: Void? = bytes.withContiguousStorageIfAvailable { buffer in
      for i in 0..<count { p[i] = Float(buffer[i]) * factor }
    }
    if copied == nil {
      for (i, byte) in bytes.enumerated() { p[i] = Float(byte) * factor }
    }
    self.init(storage: storage, shape: shape, strides: Tensor.contiguousStrides(shape), offset: 0)
  }

  /// The rows of this tensor (a matrix or a batch of rows, `[n, …]`) at `indices`, in that
  /// order, copied into a new tensor; unrecorded (a data loader's batch).
  public func gatheringRows(_ indices: [Int]) throws -> Tensor {
    guard rank >= 1 else { throw TensorError("gatheringRows", "a 0-d tensor has no rows") }
    if let bad = indices.first(where: { !(0..<shape[0]).contains($0) }) {
      throw TensorError(
        "gatheringRows", "row \(bad) is out of range for shape \(describe(shape))")
    }
    let (source, start) = contiguousStorage()
    let rowBytes = (count / Swift.max(shape[0], 1)) * dtype.size
    let base = source.pointer + start * dtype.size
    return Tensor.make([indices.count] + shape.dropFirst(), dtype) { out in
      for (row, index) in indices.enumerated() {
        (out.pointer + row * rowBytes).copyMemory(
          from: base + index * rowBytes, byteCount: rowBytes)
      }
    }
  }
}

/// One row of a tensor, read as `Double`s in place; valid only inside the `forEachRow`
/// call that made it.
public struct TensorRow: RandomAccessCollection {
  @usableFromInline let base: UnsafeRawPointer
  @usableFromInline let dtype: DType
  /// The number of elements.
  public let count: Int

  @usableFromInline
  init(base: UnsafeRawPointer, dtype: DType, count: Int) {
    (self.base, self.dtype, self.count) = (base, dtype, count)
  }

  /// 0.
  @inlinable public var startIndex: Int { 0 }
  /// `count`.
  @inlinable public var endIndex: Int { count }

  /// Element `i` of the row.
  @inlinable public subscript(i: Int) -> Double {
    precondition(i >= 0 && i < count, "row index out of range")
    return element(i)
  }

  @inlinable func element(_ i: Int) -> Double {
    switch dtype {
    case .float32: Double(base.load(fromByteOffset: i &* 4, as: Float.self))
    case .float64: base.load(fromByteOffset: i &* 8, as: Double.self)
    case .int64: Double(base.load(fromByteOffset: i &* 8, as: Int64.self))
    }
  }

  /// The elements in order (no bounds check per element: the iterator stays in range).
  @inlinable public func makeIterator() -> Iterator { Iterator(row: self) }

  /// Iterates a row's elements.
  public struct Iterator: IteratorProtocol {
    @usableFromInline let row: TensorRow
    @usableFromInline var position = 0
    @inlinable init(row: TensorRow) { self.row = row }
    /// The next element, or nil at the end.
    @inlinable public mutating func next() -> Double? {
      guard position < row.count else { return nil }
      defer { position &+= 1 }
      return row.element(position)
    }
  }

  /// The largest element (nil for an empty row); NaN if any element is NaN.
  @inlinable public func max() -> Double? {
    guard count > 0 else { return nil }
    // The dtype chosen once, outside the loop; a NaN ends it.
    @inline(__always) func largest<T: BinaryFloatingPoint>(_: T.Type) -> Double {
      let p = base.assumingMemoryBound(to: T.self)
      var best = p[0]
      if best.isNaN { return Double(best) }
      for i in 1..<count where !(p[i] <= best) {
        best = p[i]
        if best.isNaN { break }
      }
      return Double(best)
    }
    switch dtype {
    case .float32: return largest(Float.self)
    case .float64: return largest(Double.self)
    case .int64:
      var best = element(0)
      for i in 1..<count { best = Swift.max(best, element(i)) }
      return best
    }
  }
}
