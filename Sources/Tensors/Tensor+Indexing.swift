// Joining, splitting, gathering and choosing.

extension Tensor {
  /// The tensors joined along `axis`; all other axes must match.
  public static func concatenated(_ tensors: [Tensor], axis: Int) throws -> Tensor {
    guard let first = tensors.first else {
      throw TensorError("concat", "no tensors to join")
    }
    let a = try first.normalizedAxis(axis, op: "concat")
    for t in tensors {
      var expected = first.shape
      expected[a] = t.rank == first.rank ? t.shape[a] : -1
      guard t.rank == first.rank, t.shape == expected, t.dtype == first.dtype else {
        throw TensorError(
          "concat",
          "shapes " + tensors.map { describe($0.shape) }.joined(separator: ", ")
            + " (\(first.dtype)) do not agree except along axis \(axis)")
      }
    }
    var outShape = first.shape
    outShape[a] = tensors.map { $0.shape[a] }.reduce(0, +)
    var ranges: [Range<Int>] = []
    var start = 0
    for t in tensors {
      ranges.append(start..<(start + t.shape[a]))
      start += t.shape[a]
    }
    return try Tensor.linear(
      "concat", tensors,
      apply: { xs in
        let result = Tensor.zeros(outShape, dtype: first.dtype)
        for (x, range) in zip(xs, ranges) {
          try result.sliced(axis: a, range).assign(from: x)
        }
        return result
      }
    ) { g in
      try ranges.map { try g.sliced(axis: a, $0) }
    }
  }

  /// The tensors (of equal shapes) stacked along a new axis `axis`.
  public static func stacked(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
    try concatenated(tensors.map { try $0.unsqueezed(axis) }, axis: axis)
  }

  /// Views of consecutive pieces of `sizes` along `axis` (they must add up to its size).
  public func split(sizes: [Int], axis: Int) throws -> [Tensor] {
    let a = try normalizedAxis(axis, op: "split")
    guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[a] else {
      throw TensorError(
        "split",
        "sizes \(describe(sizes)) do not add up to axis \(axis) of shape "
          + "\(describe(shape))")
    }
    var start = 0
    return try sizes.map { size in
      defer { start += size }
      return try sliced(axis: a, start..<(start + size))
    }
  }

  // listing: index-select
  /// The entries at `indices` along `axis`, in that order; indices may repeat, and a
  /// negative one counts from the end (−1 is the last), as in NumPy. Any other index out of
  /// range is an error naming it, the axis and its size.
  ///
  /// Its VJP adds each gradient row back at its index — with `+=`, so a row picked twice
  /// receives both gradients (a scatter-*add*, not a scatter).
  public func indexSelect(axis: Int, _ indices: [Int]) throws -> Tensor {
    let a = try normalizedAxis(axis, op: "indexSelect")
    let size = shape[a]
    let resolved = try indices.map { i in
      let j = i < 0 ? i + size : i
      guard j >= 0 && j < size else {
        throw TensorError(
          "indexSelect",
          "index \(i) is out of range for axis \(axis) of size \(size) "
            + "(shape \(describe(shape)))")
      }
      return j
    }
    var outShape = shape
    outShape[a] = resolved.count
    let inputShape = shape
    return try Tensor.linear(
      "indexSelect", [self],
      apply: { xs in
        let result = Tensor.zeros(outShape, dtype: xs[0].dtype)
        for (position, index) in resolved.enumerated() {
          try result.sliced(axis: a, position..<(position + 1))
            .assign(from: xs[0].sliced(axis: a, index..<(index + 1)))
        }
        return result
      }
    ) { g in
      [try g.indexAdded(into: inputShape, axis: a, resolved)]
    }
  }
  // end listing: index-select

  // listing: index-add
  /// Entry `k` of this tensor along `axis` added into entry `indices[k]` of a zero tensor of
  /// `shape`: the VJP of `indexSelect`, whose own VJP is `indexSelect`.
  func indexAdded(into shape: [Int], axis: Int, _ indices: [Int]) throws -> Tensor {
    try Tensor.linear(
      "indexAdd", [self],
      apply: { xs in
        let (source, result) = (xs[0], Tensor.zeros(shape, dtype: xs[0].dtype))
        for (position, index) in indices.enumerated() {
          // exercise 2.7: Scatter-add for repeated indices
          let target = try result.sliced(axis: axis, index..<(index + 1))
          let row = try source.sliced(axis: axis, position..<(position + 1))
          target.assign(from: try target.adding(row))
          // end exercise 2.7
        }
        return result
      }
    ) { g in [try g.indexSelect(axis: axis, indices)] }
  }
  // end listing: index-add

  /// `a` where `condition` is non-zero, `b` elsewhere (each of the result's shape, or 0-d).
  ///
  /// The condition is not differentiated; each branch receives the gradient where chosen.
  /// Unlike `condition * a + (1 - condition) * b`, an infinite or NaN value in the branch
  /// not chosen does not leak into the result.
  public static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    let shape = try elementwiseShape("where", a, b)
    let mask = condition.to(a.dtype)
    guard mask.shape == shape || mask.rank == 0 else {
      throw TensorError(
        "where",
        "condition of shape \(describe(condition.shape)) for branches of shape "
          + "\(describe(shape))")
    }
    let n = shape.reduce(1, *)
    func step(_ t: Tensor) -> Int { t.rank == 0 && !shape.isEmpty ? 0 : 1 }
    // Linear in the two branches (the mask is a constant).
    func chosen(_ a: Tensor, _ b: Tensor) -> Tensor {
      let (cs, co) = mask.contiguousStorage()
      let (xs, xo) = a.contiguousStorage()
      let (ys, yo) = b.contiguousStorage()
      let (sc, sx, sy) = (step(mask), step(a), step(b))
      return Tensor.make(shape, a.dtype) { out in
        switch a.dtype {
        case .float32:
          let (c, x, y) = (
            cs.typed(Float.self) + co, xs.typed(Float.self) + xo, ys.typed(Float.self) + yo
          )
          let o = out.typed(Float.self)
          for i in 0..<n { o[i] = c[i * sc] != 0 ? x[i * sx] : y[i * sy] }
        case .float64:
          let (c, x, y) = (
            cs.typed(Double.self) + co, xs.typed(Double.self) + xo, ys.typed(Double.self) + yo
          )
          let o = out.typed(Double.self)
          for i in 0..<n { o[i] = c[i * sc] != 0 ? x[i * sx] : y[i * sy] }
        case .int64: integerArithmetic("where")
        }
      }
    }
    return try Tensor.linear(
      "where", [a, b], apply: { xs in chosen(xs[0], xs[1]) }
    ) { g in
      let zero = Tensor(scalar: 0, dtype: g.dtype)
      return [
        try select(mask, g, zero).unscattered(to: a),
        try select(mask, zero, g).unscattered(to: b),
      ]
    }
  }

  /// This tensor with `value` wherever `mask` is non-zero.
  public func masked(where mask: Tensor, with value: Double) throws -> Tensor {
    try Tensor.select(mask, Tensor(scalar: value, dtype: dtype), self)
  }

  // Comparisons: 1 where true, 0 where false, in the operands' dtype (int64 for int64
  // operands: `predictions.isEqual(to: targets)` counts correct answers); not differentiable.

  /// 1 where equal.
  public func isEqual(to other: Tensor) throws -> Tensor { try compare(.equal, "==", other) }
  /// 1 where not equal.
  public func isNotEqual(to other: Tensor) throws -> Tensor { try compare(.notEqual, "!=", other) }
  /// 1 where less.
  public func isLess(than other: Tensor) throws -> Tensor { try compare(.less, "<", other) }
  /// 1 where less or equal.
  public func isLessOrEqual(to other: Tensor) throws -> Tensor {
    try compare(.lessEqual, "<=", other)
  }
  /// 1 where greater.
  public func isGreater(than other: Tensor) throws -> Tensor { try compare(.greater, ">", other) }
  /// 1 where greater or equal.
  public func isGreaterOrEqual(to other: Tensor) throws -> Tensor {
    try compare(.greaterEqual, ">=", other)
  }

  func compare(_ kernel: BinaryKernel, _ op: String, _ other: Tensor) throws -> Tensor {
    guard dtype == .int64 && other.dtype == .int64 else {
      let shape = try Tensor.elementwiseShape(op, self, other)
      return Tensor.zipped(kernel, self, other, shape: shape)
    }
    // Integers compare through float64, which holds every int64 up to 2⁵³ exactly.
    return try converted(to: .float64).compare(kernel, op, other.converted(to: .float64))
      .converted(to: .int64)
  }
}
