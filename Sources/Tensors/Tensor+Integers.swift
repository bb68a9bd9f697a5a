import CKernels

// Operations whose results or operands are int64 tensors: arg-reductions and indexing by an
// index tensor (comparisons of int64 tensors are with the others, in Tensor+Indexing.swift). None of them is recorded — integers carry no gradient.

extension Tensor {
  /// The index of the largest element along `axis` (the first on ties; a NaN counts as
  /// largest), as an int64 tensor with `axis` kept as size 1 or dropped: a classifier's
  /// predictions are `logits.argmax(axis: -1)`.
  ///
  /// Throws for an empty axis, which has no largest element.
  public func argmax(axis: Int, keepingAxes: Bool = false) throws -> Tensor {
    try argReduced(axis: axis, keepingAxes: keepingAxes, op: "argmax", largest: true)
  }

  /// The index of the smallest element along `axis` (the first on ties; a NaN counts as
  /// smallest), as an int64 tensor with `axis` kept as size 1 or dropped.
  ///
  /// Throws for an empty axis, which has no smallest element.
  public func argmin(axis: Int, keepingAxes: Bool = false) throws -> Tensor {
    try argReduced(axis: axis, keepingAxes: keepingAxes, op: "argmin", largest: false)
  }

  /// The position along `axis` of the largest (or smallest) element: the first on ties, the
  /// first NaN if there is one.
  ///
  /// Reads the tensor where it is, one output row at a time: the candidates along `axis`
  /// are compared a whole row of outputs at once, so the loop runs along memory.
  func argReduced(axis: Int, keepingAxes: Bool, op: String, largest: Bool) throws -> Tensor {
    let a = try normalizedAxis(axis, op: op)
    guard shape[a] > 0 else {
      throw TensorError(op, "axis \(axis) of shape \(describe(shape)) is empty")
    }
    var kept = shape
    kept[a] = 1
    var keptStrides = strides
    keptStrides[a] = 0
    let walk = RowWalk(shape: kept, strides: [keptStrides])
    let (inner, step, candidates, along) = (walk.length, walk.step(0), shape[a], strides[a])
    let result = Tensor.make(kept, .int64) { out in
      let pick = largest ? Int32(1) : 0
      /// argBest for element type T, with the row's vectorized C kernel when there is one.
      func run<T: Ordered>(
        _: T.Type,
        _ vector: (
          (UnsafePointer<T>, UnsafeMutablePointer<T>, UnsafeMutablePointer<Int64>) -> Bool
        )?
      ) {
        argBest(
          UnsafePointer(storage.typed(T.self) + offset), walk, inner: inner, step: step,
          candidates: candidates, along: along, largest: largest, into: out.typed(Int64.self),
          vector: vector)
      }
      switch dtype {
      case .float32:
        run(Float.self) {
          gradbook_argbest_f32($0, inner, step, candidates, along, pick, $1, $2) != 0
        }
      case .float64:
        run(Double.self) {
          gradbook_argbest_f64($0, inner, step, candidates, along, pick, $1, $2) != 0
        }
      case .int64: run(Int64.self, nil)
      }
    }
    return try result.reshaped(reducedShape([a], keepingAxes: keepingAxes))
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

  /// The elements that `indices` picks along `axis`: `result[…, j, …] = self[…, indices[…, j, …], …]`
  /// — PyTorch's `gather`, NumPy's `take_along_axis`. `indices` is an int64 tensor of this
  /// tensor's rank with the same sizes on every other axis (any size along `axis`); an index
  /// may be negative (counting from the end) and may repeat.
  ///
  /// Linear in this tensor; its VJP adds each gradient back where it was picked from
  /// (`scatterAdd`), so an element picked twice receives both gradients.
  public func gathered(axis: Int, _ indices: Tensor) throws -> Tensor {
    let a = try normalizedAxis(axis, op: "gather")
    let picks = try AxisPicks(indices, axis: a, source: shape, op: "gather")
    let sourceShape = shape
    return try Tensor.linear(
      "gather", [self], apply: { try picks.gather($0[0]) },
      transpose: { g in [try g.scatterAdded(picks, into: sourceShape)] })
  }

  /// Each element of this tensor (of the picks' shape) added at its index along the picks'
  /// axis into a zero tensor of `shape`: the transpose of `gathered(axis:_:)`.
  func scatterAdded(_ picks: AxisPicks, into shape: [Int]) throws -> Tensor {
    try Tensor.linear(
      "scatterAdd", [self], apply: { try picks.scatterAdd($0[0], into: shape) },
      transpose: { g in [try picks.gather(g)] })
  }
}

/// Validated indices along one axis, for `gathered(axis:_:)` and its transpose: the
/// tensors seen as `[outer, size along the axis, inner]`.
struct AxisPicks {
  let indices: [Int]
  let shape: [Int]
  let axis: Int
  let outer: Int
  let inner: Int

  init(_ tensor: Tensor, axis: Int, source: [Int], op: String) throws {
    guard tensor.dtype == .int64, tensor.rank == source.count,
      tensor.shape.indices.allSatisfy({ $0 == axis || tensor.shape[$0] == source[$0] })
    else {
      throw TensorError(
        op,
        "indices \(describe(tensor.shape)) \(tensor.dtype) do not fit a tensor of shape "
          + "\(describe(source)) along axis \(axis) (expected int64 of the same rank, the "
          + "same sizes on the other axes)")
    }
    let size = source[axis]
    let (storage, start) = tensor.contiguousStorage()
    let raw = storage.typed(Int64.self) + start
    var list = [Int](repeating: 0, count: tensor.count)
    for k in list.indices {
      let i = Int(raw[k])
      let j = i < 0 ? i + size : i
      guard j >= 0 && j < size else {
        throw TensorError(
          op,
          "index \(i) is out of range for axis \(axis) of size \(size) (shape \(describe(source)))")
      }
      list[k] = j
    }
    indices = list
    (shape, self.axis) = (tensor.shape, axis)
    outer = source[..<axis].reduce(1, *)
    inner = source[(axis + 1)...].reduce(1, *)
  }

  /// `source[…, indices[…, j, …], …]`, unrecorded.
  func gather(_ source: Tensor) throws -> Tensor {
    let (storage, start) = source.contiguousStorage()
    return Tensor.make(shape, source.dtype) { out in
      switch source.dtype {
      case .float32:
        pick(
          UnsafePointer(storage.typed(Float.self) + start), from: source.shape[axis],
          into: out.typed(Float.self), adding: false)
      case .float64:
        pick(
          UnsafePointer(storage.typed(Double.self) + start), from: source.shape[axis],
          into: out.typed(Double.self), adding: false)
      case .int64: integerArithmetic("gather")
      }
    }
  }

  /// `source` (of the picks' shape) added at its indices into zeros of `target`, unrecorded.
  func scatterAdd(_ source: Tensor, into target: [Int]) throws -> Tensor {
    let (storage, start) = source.contiguousStorage()
    let result = Tensor.zeros(target, dtype: source.dtype)
    switch source.dtype {
    case .float32:
      pick(
        UnsafePointer(storage.typed(Float.self) + start), from: target[axis],
        into: result.storage.typed(Float.self), adding: true)
    case .float64:
      pick(
        UnsafePointer(storage.typed(Double.self) + start), from: target[axis],
        into: result.storage.typed(Double.self), adding: true)
    case .int64: integerArithmetic("scatterAdd")
    }
    return result
  }

  /// The loop of both: for every position of the picks, element `indices[…]` along the axis
  /// of the `n`-long side is read (gather, `adding` false: `to` has the picks' shape) or
  /// added to (scatter, `adding` true: `from` has the picks' shape). Repeated indices add
  /// up when scattering.
  @inline(__always)
  func pick<T: TensorScalar>(
    _ from: UnsafePointer<T>, from n: Int, into to: UnsafeMutablePointer<T>, adding: Bool
  ) {
    let m = shape[axis]
    indices.withUnsafeBufferPointer { indices in
      if inner == 1 {  // picks along the last axis (max pooling's): one element each
        guard m > 0 else { return }
        for o in 0..<outer {
          let (row, base) = (o &* m, o &* n)
          let picked = indices.baseAddress! + row
          if adding {
            for j in 0..<m { to[base &+ picked[j]] += from[row &+ j] }
          } else {
            for j in 0..<m { to[row &+ j] = from[base &+ picked[j]] }
          }
        }
        return
      }
      for o in 0..<outer {
        for j in 0..<m {
          let row = (o &* m &+ j) &* inner
          let picked = indices.baseAddress! + row
          let base = o &* n
          if adding {
            for i in 0..<inner { to[(base &+ picked[i]) &* inner &+ i] += from[row &+ i] }
          } else {
            for i in 0..<inner { to[row &+ i] = from[(base &+ picked[i]) &* inner &+ i] }
          }
        }
      }
    }
  }
}

/// The element types `argmax` and `argmin` compare.
protocol Ordered: Comparable {
  /// Whether this is a NaN (never, for integers).
  var isNaN: Bool { get }
}

extension Float: Ordered {}
extension Double: Ordered {}
extension Int64: Ordered {
  var isNaN: Bool { false }
}

/// For each row of `walk` (`inner` outputs, `step` apart in `source`), the index among
/// `candidates` values `along` apart of the largest (or smallest) one: the first on ties,
/// the first NaN if any. The candidates are compared a whole row of outputs at a time, by
/// the vectorized C kernel where there is one; a row holding a NaN takes the exact loop.
func argBest<T: Ordered>(
  _ source: UnsafePointer<T>, _ walk: RowWalk, inner: Int, step: Int, candidates: Int,
  along: Int, largest: Bool, into winners: UnsafeMutablePointer<Int64>,
  vector: ((UnsafePointer<T>, UnsafeMutablePointer<T>, UnsafeMutablePointer<Int64>) -> Bool)?
) {
  let best = UnsafeMutablePointer<T>.allocate(capacity: inner)
  defer { best.deallocate() }
  let better: (T, T) -> Bool = largest ? { $0 > $1 } : { $0 < $1 }
  walk.forEach { positions, index in
    let row = source + positions[0]
    let won = winners + index
    // The vectorized kernel returns true when it met a NaN and the row must be redone.
    if let vector, !vector(row, best, won) { return }
    for i in 0..<inner {
      best[i] = row[i * step]
      won[i] = 0
    }
    for t in 1..<candidates {
      let candidate = row + t * along
      for i in 0..<inner {
        let (x, b) = (candidate[i * step], best[i])
        if !b.isNaN && (x.isNaN || better(x, b)) {
          best[i] = x
          won[i] = Int64(t)
        }
      }
    }
  }
}
