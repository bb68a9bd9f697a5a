import Foundation

// listing: tensor
/// An n-dimensional array of numbers that remembers how it was computed.
///
/// A tensor is a *view*: a shape, a stride per axis (how many elements to step in
/// `storage` to move one along that axis) and an offset into storage that other views
/// may share. Transposing, slicing and (most) reshaping make new views, not copies.
public final class Tensor {
  /// The size of each axis; `[]` for a scalar (0-d) tensor.
  public let shape: [Int]
  /// Elements to step in `storage` per step along each axis.
  public let strides: [Int]
  /// Where element `[0, 0, …]` lives in `storage`.
  public let offset: Int
  /// The elements, shared with other views.
  public let storage: TensorStorage
  /// How this tensor was computed, if gradients flow through it (nil for leaves).
  var node: TapeNode?
  /// Whether gradients are wanted for this tensor (set it on parameters; floats only).
  public var requiresGrad: Bool {
    didSet { precondition(!requiresGrad || dtype.isFloatingPoint, noGradientsMessage) }
  }
  /// The accumulated gradient, for leaves that require it (and tensors that retain it).
  public var grad: Tensor?
  // end listing: tensor
  /// Whether `backward()` keeps this non-leaf tensor's gradient in `grad`.
  public var retainsGrad = false
  /// A name shown in tape drawings.
  public var label = ""
  /// Scratch flag of the topological sort; false between sorts.
  var visited = false
  /// The gradient gathered so far during `backward()`; nil outside it.
  var pendingGrad: Tensor?
  /// Forward mode: the directional derivative carried alongside this value, if any.
  public internal(set) var tangent: Tensor?

  /// This tensor as the input of a forward-mode evaluation with tangent `v`: a fresh
  /// view of the same elements carrying `v`.
  public func withTangent(_ v: Tensor) throws -> Tensor {
    guard v.shape == shape, v.dtype == dtype else {
      throw TensorError(
        "jvp",
        "tangent of shape \(describe(v.shape)) \(v.dtype) for a tensor of shape "
          + "\(describe(shape)) \(dtype)")
    }
    let input = detach()
    input.tangent = v
    return input
  }

  /// Creates a view; every other initializer ends here.
  init(
    storage: TensorStorage, shape: [Int], strides: [Int], offset: Int, node: TapeNode? = nil,
    requiresGrad: Bool = false
  ) {
    self.storage = storage
    self.shape = shape
    self.strides = strides
    self.offset = offset
    self.node = node
    self.requiresGrad = (requiresGrad || node != nil) && storage.dtype.isFloatingPoint
  }

  /// The element type.
  public var dtype: DType { storage.dtype }

  /// Why this int64 tensor cannot require gradients.
  var noGradientsMessage: String {
    "requiresGrad: an int64 tensor of shape \(describe(shape)) cannot have gradients"
  }
  /// The number of axes.
  public var rank: Int { shape.count }
  /// The number of elements.
  public var count: Int { shape.reduce(1, *) }
  /// True for tensors no recorded operation produced.
  public var isLeaf: Bool { node == nil }

  // listing: contiguous-strides
  /// Row-major strides for `shape`: the last axis steps by 1, each earlier axis by the
  /// product of the sizes after it.
  public static func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var step = 1
    for axis in shape.indices.reversed() {
      strides[axis] = step
      step *= Swift.max(shape[axis], 1)
    }
    return strides
  }
  // end listing: contiguous-strides

  /// Whether the elements are laid out row-major without gaps (axes of size 1 ignored).
  public var isContiguous: Bool {
    var step = 1
    for axis in shape.indices.reversed() where shape[axis] != 1 {
      if strides[axis] != step { return false }
      step *= shape[axis]
    }
    return true
  }
}

// MARK: - Creation

extension Tensor {
  /// A tensor of `shape` holding `values` in row-major order (a leaf that requires a
  /// gradient with `requiresGrad: true`).
  ///
  /// Throws when `values.count` is not the product of `shape`, or when `dtype` is `int64`
  /// and a value is not an integer.
  public convenience init(
    _ values: [Double], shape: [Int], dtype: DType = .default, requiresGrad: Bool = false
  ) throws {
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw TensorError("Tensor.init", "negative size in shape \(describe(shape))")
    }
    let count = shape.reduce(1, *)
    guard values.count == count else {
      throw TensorError(
        "Tensor.init", "\(values.count) values do not fill shape \(describe(shape)) (\(count))")
    }
    let storage = TensorStorage(count: count, dtype: dtype, zeroed: false)
    switch dtype {
    case .float32:
      let p = storage.typed(Float.self)
      for i in 0..<count { p[i] = Float(values[i]) }
    case .float64:
      let p = storage.typed(Double.self)
      for i in 0..<count { p[i] = values[i] }
    case .int64:
      let p = storage.typed(Int64.self)
      for i in 0..<count {
        guard let value = Int64(exactly: values[i]) else {
          throw TensorError(
            "Tensor.init", "value \(values[i]) at \(i) is not an int64 (shape \(describe(shape)))")
        }
        p[i] = value
      }
    }
    self.init(storage: storage, shape: shape, strides: Self.contiguousStrides(shape), offset: 0)
    if requiresGrad { self.requiresGrad = true }
  }

  /// An int64 tensor of `shape` holding `values` in row-major order: indices, class
  /// targets, counts.
  ///
  /// Throws when `values.count` is not the product of `shape`.
  public convenience init(integers values: [Int], shape: [Int]) throws {
    guard shape.allSatisfy({ $0 >= 0 }), values.count == shape.reduce(1, *) else {
      throw TensorError(
        "Tensor.init(integers:)",
        "\(values.count) values do not fill shape \(describe(shape)) (\(shape.reduce(1, *)))")
    }
    let storage = TensorStorage(count: values.count, dtype: .int64, zeroed: false)
    let p = storage.typed(Int64.self)
    for (i, value) in values.enumerated() { p[i] = Int64(value) }
    self.init(storage: storage, shape: shape, strides: Self.contiguousStrides(shape), offset: 0)
  }

  /// A 1-d int64 tensor of `values`.
  public convenience init(integers values: [Int]) {
    try! self.init(integers: values, shape: [values.count])
  }

  /// A 1-d tensor of `values`.
  public convenience init(_ values: [Double], dtype: DType = .default, requiresGrad: Bool = false) {
    try! self.init(values, shape: [values.count], dtype: dtype, requiresGrad: requiresGrad)
  }

  /// A 0-d tensor holding `value`.
  public convenience init(scalar value: Double, dtype: DType = .default, requiresGrad: Bool = false)
  {
    try! self.init([value], shape: [], dtype: dtype, requiresGrad: requiresGrad)
  }

  /// A tensor of `shape` filled with `value` (an integer, for `int64`).
  public static func full(
    _ shape: [Int], _ value: Double, dtype: DType = .default, requiresGrad: Bool = false
  ) -> Tensor {
    let count = shape.reduce(1, *)
    let storage = TensorStorage(count: count, dtype: dtype)
    if value != 0 {
      switch dtype {
      case .float32: storage.typed(Float.self).update(repeating: Float(value), count: count)
      case .float64: storage.typed(Double.self).update(repeating: value, count: count)
      case .int64:
        guard let integer = Int64(exactly: value) else {
          preconditionFailure("full: \(value) is not an int64")
        }
        storage.typed(Int64.self).update(repeating: integer, count: count)
      }
    }
    let result = Tensor(
      storage: storage, shape: shape, strides: contiguousStrides(shape), offset: 0)
    if requiresGrad { result.requiresGrad = true }
    return result
  }

  /// A tensor of zeros.
  public static func zeros(_ shape: [Int], dtype: DType = .default, requiresGrad: Bool = false)
    -> Tensor
  {
    full(shape, 0, dtype: dtype, requiresGrad: requiresGrad)
  }

  /// A tensor of ones.
  public static func ones(_ shape: [Int], dtype: DType = .default, requiresGrad: Bool = false)
    -> Tensor
  {
    full(shape, 1, dtype: dtype, requiresGrad: requiresGrad)
  }

  /// Zeros of `other`'s shape and dtype (PyTorch's `zeros_like`).
  public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape, dtype: other.dtype) }

  /// Ones of `other`'s shape and dtype (PyTorch's `ones_like`).
  public static func ones(like other: Tensor) -> Tensor { ones(other.shape, dtype: other.dtype) }

  /// `start, start + step, …` up to but not including `end` (integers, for `int64`).
  public static func arange(
    _ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType = .default
  ) -> Tensor {
    let n = step == 0 ? 0 : Swift.max(0, Int(((end - start) / step).rounded(.up)))
    return try! Tensor((0..<n).map { start + Double($0) * step }, shape: [n], dtype: dtype)
  }

  /// Uniform samples from `range`, from a seeded generator.
  public static func rand(
    _ shape: [Int], in range: ClosedRange<Double> = 0...1, dtype: DType = .default,
    using generator: inout some RandomNumberGenerator
  ) -> Tensor {
    precondition(dtype.isFloatingPoint, "rand: samples are float32 or float64, not \(dtype)")
    let values = (0..<shape.reduce(1, *)).map { _ in Double.random(in: range, using: &generator) }
    return try! Tensor(values, shape: shape, dtype: dtype)
  }

  /// Standard normal samples, from a seeded generator.
  public static func randn(
    _ shape: [Int], dtype: DType = .default, using generator: inout some RandomNumberGenerator
  ) -> Tensor {
    precondition(dtype.isFloatingPoint, "randn: samples are float32 or float64, not \(dtype)")
    let values = (0..<shape.reduce(1, *)).map { _ in
      let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator)
      let u2 = Double.random(in: 0..<1, using: &generator)
      return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2)
    }
    return try! Tensor(values, shape: shape, dtype: dtype)
  }
}

// MARK: - Reading elements

extension Tensor {
  /// Every element in row-major order, as `Double` (exact for int64 elements up to 2⁵³).
  public var scalars: [Double] {
    let c = contiguousStorage()
    switch dtype {
    case .float32:
      let p = c.storage.typed(Float.self) + c.offset
      return (0..<count).map { Double(p[$0]) }
    case .float64:
      let p = c.storage.typed(Double.self) + c.offset
      return Array(UnsafeBufferPointer(start: p, count: count))
    case .int64:
      let p = c.storage.typed(Int64.self) + c.offset
      return (0..<count).map { Double(p[$0]) }
    }
  }

  /// Every element of this int64 tensor in row-major order; throws for float tensors
  /// (convert them with `to(.int64)`, which truncates toward zero).
  public func integers() throws -> [Int] {
    guard dtype == .int64 else {
      throw TensorError(
        "integers", "a \(dtype) tensor of shape \(describe(shape)) holds no integers")
    }
    let c = contiguousStorage()
    let p = c.storage.typed(Int64.self) + c.offset
    return (0..<count).map { Int(p[$0]) }
  }

  /// The only element of a one-element tensor.
  public func item() throws -> Double {
    guard count == 1 else {
      throw TensorError("item", "the tensor has shape \(describe(shape)), not one element")
    }
    return scalars[0]
  }

  /// The element at `indices` (one per axis; negative counts from the end).
  public func element(at indices: [Int]) throws -> Double {
    guard indices.count == rank else {
      throw TensorError(
        "element", "\(indices.count) indices for a tensor of shape \(describe(shape))")
    }
    var resolved: [Int] = []
    for (axis, i) in indices.enumerated() {
      let j = i < 0 ? i + shape[axis] : i
      guard j >= 0 && j < shape[axis] else {
        throw TensorError(
          "element", "index \(i) out of range for axis \(axis) of shape \(describe(shape))")
      }
      resolved.append(j)
    }
    let position = storagePosition(of: resolved)
    switch dtype {
    case .float32: return Double(storage.typed(Float.self)[position])
    case .float64: return storage.typed(Double.self)[position]
    case .int64: return Double(storage.typed(Int64.self)[position])
    }
  }
}

extension Tensor {
  // listing: storage-position
  /// Where the element at `indices` (one in-range index per axis) lives in `storage`:
  /// the offset plus, for each axis, its index times its stride.
  public func storagePosition(of indices: [Int]) -> Int {
    // exercise 2.2: The storage position of an element
    var position = offset
    for (index, stride) in zip(indices, strides) {
      position += index * stride
    }
    return position
    // end exercise 2.2
  }
  // end listing: storage-position
}

extension Tensor: CustomStringConvertible {
  /// `Tensor([2, 3], float32, [1, 2, 3, 4, 5, 6])`, abbreviated for large tensors; a view
  /// that covers part of its storage, or steps through it out of row-major order, says so:
  /// `Tensor([3, 2], float32, view of a storage of 6 (offset 0, strides [1, 3]), [...])` —
  /// writes through it change the tensor it was made from.
  public var description: String {
    let values = scalars
    let format = dtype == .int64 ? "%.0f" : "%g"
    let shown = values.prefix(8).map { String(format: format, $0) }.joined(separator: ", ")
    let more = values.count > 8 ? ", … (\(values.count) elements)" : ""
    let view =
      isContiguous && offset == 0 && count == storage.count
      ? ""
      : "view of a storage of \(storage.count) (offset \(offset), strides \(describe(strides))), "
    return "Tensor(\(describe(shape)), \(dtype), \(view)[\(shown)\(more)])"
  }
}
