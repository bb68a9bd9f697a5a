// Views: new shapes and strides over the same storage. Copies happen only where a layout
// cannot be expressed with strides (reshaping a non-contiguous tensor).

extension Tensor {
  /// A view with another shape and the same elements in row-major order.
  ///
  /// One axis may be −1 (inferred). A contiguous tensor is reshaped without copying;
  /// another is copied first.
  public func reshaped(_ newShape: [Int]) throws -> Tensor {
    let target = try resolvedShape(newShape)
    if target == shape { return self }
    let input = self
    return try Tensor.linear(
      "reshape", [self],
      apply: { xs in
        let (source, start) = xs[0].contiguousStorage()
        return Tensor(
          storage: source, shape: target, strides: Tensor.contiguousStrides(target), offset: start)
      }
    ) { g in
      [try g.reshaped(input.shape)]
    }
  }

  func resolvedShape(_ newShape: [Int]) throws -> [Int] {
    let inferred = newShape.indices.filter { newShape[$0] == -1 }
    guard inferred.count <= 1, newShape.allSatisfy({ $0 >= -1 }) else {
      throw TensorError(
        "reshape", "invalid shape \(describe(newShape)) (at most one −1, no other negatives)")
    }
    var target = newShape
    let known = newShape.filter { $0 != -1 }.reduce(1, *)
    if let axis = inferred.first {
      guard known > 0, count % known == 0 else {
        throw TensorError(
          "reshape",
          "cannot infer the −1 in \(describe(newShape)) for \(count) elements "
            + "(shape \(describe(shape)))")
      }
      target[axis] = count / known
    }
    guard target.reduce(1, *) == count else {
      throw TensorError(
        "reshape",
        "shape \(describe(newShape)) holds \(target.reduce(1, *)) elements, "
          + "the tensor of shape \(describe(shape)) has \(count)")
    }
    return target
  }

  // listing: permute
  /// A view with the axes reordered: axis `i` of the result is axis `axes[i]` of this one.
  ///
  /// No element moves: the shape and the strides are permuted together.
  public func permuted(_ axes: [Int]) throws -> Tensor {
    let order = try axes.map { try normalizedAxis($0, op: "permute") }
    guard Set(order).count == rank, order.count == rank else {
      throw TensorError(
        "permute",
        "\(describe(axes)) is not a permutation of the \(rank) axes of "
          + "shape \(describe(shape))")
    }
    var inverse = [Int](repeating: 0, count: rank)
    for (i, axis) in order.enumerated() { inverse[axis] = i }
    return try Tensor.linear(
      "permute", [self],
      apply: { xs in
        let x = xs[0]
        let (newShape, newStrides) = Tensor.permutedLayout(
          shape: x.shape, strides: x.strides, order)
        return Tensor(storage: x.storage, shape: newShape, strides: newStrides, offset: x.offset)
      }
    ) { g in
      [try g.permuted(inverse)]
    }
  }

  /// The shape and strides of the view whose axis `i` is axis `order[i]` of this layout.
  static func permutedLayout(shape: [Int], strides: [Int], _ order: [Int]) -> (
    shape: [Int], strides: [Int]
  ) {
    // exercise 2.1: Strides of a permutation
    (order.map { shape[$0] }, order.map { strides[$0] })
    // end exercise 2.1
  }
  // end listing: permute

  /// A view with two axes swapped (by default the last two).
  public func transposed(_ first: Int = -2, _ second: Int = -1) throws -> Tensor {
    let a = try normalizedAxis(first, op: "transpose")
    let b = try normalizedAxis(second, op: "transpose")
    var order = Array(0..<rank)
    order.swapAt(a, b)
    return try permuted(order)
  }

  /// The axis `axis` counted from the end when negative, or an error naming `op`.
  func normalizedAxis(_ axis: Int, op: String) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0 && a < rank else {
      throw TensorError(
        op, "axis \(axis) is out of range for shape \(describe(shape)) (rank \(rank))")
    }
    return a
  }

  // listing: slice
  /// A view of every `step`-th index in `range` along `axis`.
  ///
  /// The offset moves to the first element; the axis' stride is multiplied by `step`.
  public func sliced(axis: Int, _ range: Range<Int>, step: Int = 1) throws -> Tensor {
    let a = try normalizedAxis(axis, op: "slice")
    guard step > 0, range.lowerBound >= 0, range.upperBound <= shape[a] else {
      throw TensorError(
        "slice",
        "range \(range) step \(step) does not fit axis \(axis) of shape "
          + "\(describe(shape))")
    }
    let input = self
    return try Tensor.linear(
      "slice", [self],
      apply: { xs in
        let x = xs[0]
        var newShape = x.shape
        var newStrides = x.strides
        newShape[a] = (range.count + step - 1) / step
        newStrides[a] = x.strides[a] * step
        let start = range.isEmpty ? x.offset : x.offset + range.lowerBound * x.strides[a]
        return Tensor(storage: x.storage, shape: newShape, strides: newStrides, offset: start)
      }
    ) { g in
      [try g.unsliced(into: input.shape, axis: a, range, step: step)]
    }
  }
  // end listing: slice

  /// The inverse of `sliced`: this tensor placed at `range`/`step` along `axis` of a zero
  /// tensor of `shape`. It is the VJP of slicing, and its own VJP is slicing.
  func unsliced(into shape: [Int], axis: Int, _ range: Range<Int>, step: Int) throws -> Tensor {
    try Tensor.linear(
      "unslice", [self],
      apply: { xs in
        let result = Tensor.zeros(shape, dtype: xs[0].dtype)
        var strides = result.strides
        strides[axis] *= step
        let window = Tensor(
          storage: result.storage, shape: xs[0].shape, strides: strides,
          offset: range.isEmpty ? 0 : range.lowerBound * result.strides[axis])
        window.assign(from: xs[0])
        return result
      }
    ) { g in
      [try g.sliced(axis: axis, range, step: step)]
    }
  }

  /// The view without axis `axis`, at position `index` along it.
  public func selected(axis: Int, _ index: Int) throws -> Tensor {
    let a = try normalizedAxis(axis, op: "select")
    let i = index < 0 ? index + shape[a] : index
    guard i >= 0 && i < shape[a] else {
      throw TensorError(
        "select", "index \(index) is out of range for axis \(axis) of shape \(describe(shape))")
    }
    var newShape = shape
    newShape.remove(at: a)
    return try sliced(axis: a, i..<(i + 1)).reshaped(newShape)
  }

  /// A contiguous tensor with the same elements (this one, if it already is).
  public func contiguous() -> Tensor {
    if isContiguous { return self }
    return Tensor.linear(
      "contiguous", [self],
      apply: { xs in
        let (copy, start) = xs[0].contiguousStorage()
        return Tensor(
          storage: copy, shape: xs[0].shape, strides: Tensor.contiguousStrides(xs[0].shape),
          offset: start)
      }
    ) { g in [g] }
  }

  /// A view without the size-1 `axes` (negative counts from the end), or without every
  /// size-1 axis when `axes` is nil; an axis that is not of size 1 is an error naming it.
  public func squeezed(_ axes: [Int]? = nil) throws -> Tensor {
    let removed =
      try axes.map { try Set($0.map { try normalizedAxis($0, op: "squeeze") }) }
      ?? Set(shape.indices.filter { shape[$0] == 1 })
    if let bad = removed.sorted().first(where: { shape[$0] != 1 }) {
      throw TensorError(
        "squeeze", "axis \(bad) of shape \(describe(shape)) has size \(shape[bad]), not 1")
    }
    return try reshaped(shape.indices.filter { !removed.contains($0) }.map { shape[$0] })
  }

  /// A view with the axes `start...end` (negative counts from the end) merged into one:
  /// `[N, C, H, W].flattened(from: 1)` is `[N, C·H·W]`.
  public func flattened(from start: Int = 0, to end: Int = -1) throws -> Tensor {
    guard rank > 0 else { return try reshaped([1]) }
    let (a, b) = (try normalizedAxis(start, op: "flatten"), try normalizedAxis(end, op: "flatten"))
    guard a <= b else {
      throw TensorError(
        "flatten", "start axis \(start) comes after end axis \(end) in shape \(describe(shape))")
    }
    let merged = shape[a...b].reduce(1, *)
    return try reshaped(Array(shape[..<a]) + [merged] + Array(shape[(b + 1)...]))
  }

  /// A view with a new axis of size 1 at `axis`.
  public func unsqueezed(_ axis: Int) throws -> Tensor {
    let a = axis < 0 ? axis + rank + 1 : axis
    guard a >= 0 && a <= rank else {
      throw TensorError("unsqueeze", "axis \(axis) is out of range for shape \(describe(shape))")
    }
    var newShape = shape
    newShape.insert(1, at: a)
    return try reshaped(newShape)
  }

  /// A zero-stride view repeating size-1 axes to `target` (same rank): the VJP of a
  /// reduction that kept its axes. Its own VJP sums the repeated axes back.
  package func expandedKeptAxes(to target: [Int]) throws -> Tensor {
    guard target.count == rank,
      zip(shape, target).allSatisfy({ $0 == $1 || $0 == 1 })
    else {
      throw TensorError(
        "expand",
        "cannot expand shape \(describe(shape)) to \(describe(target)): only "
          + "axes of size 1 can grow")
    }
    if target == shape { return self }
    let axes = shape.indices.filter { shape[$0] == 1 && target[$0] != 1 }
    return try Tensor.linear(
      "expand", [self],
      apply: { xs in
        var newStrides = xs[0].strides
        for axis in axes { newStrides[axis] = 0 }
        return Tensor(
          storage: xs[0].storage, shape: target, strides: newStrides, offset: xs[0].offset)
      }
    ) { g in
      [try g.sum(axes: axes, keepingAxes: true)]
    }
  }

  /// Copies `source`'s elements into this view (same shape and dtype); not recorded.
  func assign(from source: Tensor) {
    precondition(source.shape == shape && source.dtype == dtype)
    storage.version &+= 1
    let (src, start) = source.contiguousStorage()
    switch dtype {
    case .float32:
      stridedScatter(
        UnsafePointer(src.typed(Float.self) + start), into: storage.typed(Float.self) + offset,
        shape: shape, strides: strides)
    case .float64:
      stridedScatter(
        UnsafePointer(src.typed(Double.self) + start), into: storage.typed(Double.self) + offset,
        shape: shape, strides: strides)
    case .int64:
      stridedScatter(
        UnsafePointer(src.typed(Int64.self) + start), into: storage.typed(Int64.self) + offset,
        shape: shape, strides: strides)
    }
  }
}

extension Tensor {
  /// Overwrites this tensor's elements with `newValue`'s, in place and unrecorded.
  ///
  /// For parameter updates: the tensor keeps its identity, its `grad` and its place in a
  /// model. Every view of the same storage sees the change. Update after `backward()`: a tape
  /// that recorded this tensor (or a view of its storage) for a backward that reads it now
  /// refuses to run, since it would compute from the new values.
  public func update(to newValue: Tensor) throws {
    guard newValue.shape == shape, newValue.dtype == dtype else {
      throw TensorError(
        "update",
        "new value of shape \(describe(newValue.shape)) \(newValue.dtype) for a "
          + "tensor of shape \(describe(shape)) \(dtype)")
    }
    assign(from: newValue)
  }
}
