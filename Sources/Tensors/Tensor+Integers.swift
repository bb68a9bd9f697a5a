// Operations whose results or operands are int64 tensors: arg-reductions and indexing by an
// index tensor (comparisons of int64 tensors are with the others, in Tensor+Indexing.swift). None of them is recorded — integers carry no gradient.

extension Tensor {
  /// The index of the largest element along `axis` (the first on ties; a NaN counts as
  /// largest), as an int64 tensor with `axis` kept as size 1 or dropped: a classifier's
  /// predictions are `logits.argmax(axis: -1)`.
  ///
  /// Throws for an empty axis, which has no largest element.
  public func argmax(axis: Int, keepingAxes: Bool = false) throws -> Tensor {
    try argReduced(axis: axis, keepingAxes: keepingAxes, op: "argmax") { $0 > $1 }
  }

  /// The index of the smallest element along `axis` (the first on ties; a NaN counts as
  /// smallest), as an int64 tensor with `axis` kept as size 1 or dropped.
  ///
  /// Throws for an empty axis, which has no smallest element.
  public func argmin(axis: Int, keepingAxes: Bool = false) throws -> Tensor {
    try argReduced(axis: axis, keepingAxes: keepingAxes, op: "argmin") { $0 < $1 }
  }

  /// The position along `axis` of the element that beats every other under `better`.
  func argReduced(
    axis: Int, keepingAxes: Bool, op: String, _ better: (Double, Double) -> Bool
  ) throws -> Tensor {
    let a = try normalizedAxis(axis, op: op)
    guard shape[a] > 0 else {
      throw TensorError(op, "axis \(axis) of shape \(describe(shape)) is empty")
    }
    var winners: [Int] = []
    winners.reserveCapacity(count / shape[a])
    try plainly { try movingAxisLast(a) }.forEachRow { _, row in
      var best = 0
      for i in 0..<row.count {
        let x = row[i]
        if x.isNaN {
          best = i
          break
        }
        if better(x, row[best]) { best = i }
      }
      winners.append(best)
    }
    return try Tensor(integers: winners, shape: reducedShape([a], keepingAxes: keepingAxes))
  }

  /// A view with `axis` moved to the end (the others keep their order).
  func movingAxisLast(_ axis: Int) throws -> Tensor {
    axis == rank - 1 ? self : try permuted(shape.indices.filter { $0 != axis } + [axis])
  }

  /// The int64 indices of a 1-d index tensor; throws naming `op` for any other.
  package func indexList(_ op: String) throws -> [Int] {
    guard dtype == .int64, rank == 1 else {
      throw TensorError(
        op, "indices must be a 1-d int64 tensor, got shape \(describe(shape)) \(dtype)")
    }
    return try integers()
  }

  /// The slices at `indices` (a 1-d int64 tensor) along `axis`, recorded:
  /// `indexSelect(axis:_:)` with the indices in a tensor.
  public func indexSelect(axis: Int, _ indices: Tensor) throws -> Tensor {
    try indexSelect(axis: axis, indices.indexList("indexSelect"))
  }

  /// The rows at `indices` (a 1-d int64 tensor), copied and unrecorded:
  /// `gatheringRows(_:)` with the indices in a tensor.
  public func gatheringRows(_ indices: Tensor) throws -> Tensor {
    try gatheringRows(indices.indexList("gatheringRows"))
  }
}
