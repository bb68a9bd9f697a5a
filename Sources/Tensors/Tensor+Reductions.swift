// Reductions over one or several axes.

enum ReduceKernel { case sum, max, min }

extension Tensor {
  /// Normalized, sorted, distinct axes; all of them when `axes` is nil.
  package func reductionAxes(_ axes: [Int]?, op: String) throws -> [Int] {
    try requireFloatingPoint(op)
    guard let axes else { return Array(0..<rank) }
    let normalized = try axes.map { try normalizedAxis($0, op: op) }
    guard Set(normalized).count == normalized.count else {
      throw TensorError(op, "axes \(describe(axes)) repeat an axis of shape \(describe(shape))")
    }
    return normalized.sorted()
  }

  /// The shape after reducing `axes`, with them kept as size 1 or dropped.
  package func reducedShape(_ axes: [Int], keepingAxes: Bool) -> [Int] {
    keepingAxes
      ? shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
      : shape.indices.filter { !axes.contains($0) }.map { shape[$0] }
  }

  /// The unrecorded reduction of `axes` (kept as size 1).
  ///
  /// One pass over the input in its own memory order, whatever its strides: each row is
  /// reduced into its output element (a reduced last axis) or added elementwise into an
  /// output row (a kept one) — nothing is permuted or copied first.
  func reduced(_ kernel: ReduceKernel, axes: [Int]) -> Tensor {
    let outShape = reducedShape(axes, keepingAxes: true)
    let outStrides = Tensor.contiguousStrides(outShape).enumerated().map {
      axes.contains($0.offset) ? 0 : $0.element
    }
    let walk = RowWalk(shape: shape, strides: [strides, outStrides])
    let (step, outStep) = (walk.step(0), walk.step(1))
    let outCount = outShape.reduce(1, *)
    return Tensor.make(outShape, dtype) { out in
      switch dtype {
      case .float32:
        reduceRows(
          kernel, UnsafePointer(storage.typed(Float.self) + offset), walk, step: step,
          outStep: outStep, into: out.typed(Float.self), count: outCount)
      case .float64:
        reduceRows(
          kernel, UnsafePointer(storage.typed(Double.self) + offset), walk, step: step,
          outStep: outStep, into: out.typed(Double.self), count: outCount)
      case .int64: integerArithmetic("\(kernel)")
      }
    }
  }

  /// The mean and Σ (x − mean)² over `axes` (sorted, distinct; kept as size 1), unrecorded,
  /// in one pass over memory — nil unless the last axis is among them. Each row (the last
  /// axis, with any it merges with) gets its own mean and squared deviations in two passes
  /// while it is in cache; rows then combine by Chan's formula for merging two groups,
  /// M₂ = M₂ᵃ + M₂ᵇ + δ² nᵃnᵇ/(nᵃ + nᵇ) with δ the difference of their means — as exact as
  /// two passes over the whole tensor, and half the traffic.
  package func meanAndSquaredDeviations(axes: [Int]) -> (mean: Tensor, squares: Tensor)? {
    let outShape = reducedShape(axes, keepingAxes: true)
    let outStrides = Tensor.contiguousStrides(outShape).enumerated().map {
      axes.contains($0.offset) ? 0 : $0.element
    }
    let walk = RowWalk(shape: shape, strides: [strides, outStrides])
    let (step, inner) = (walk.step(0), walk.length)
    guard walk.step(1) == 0, inner > 0, dtype != .int64 else { return nil }
    let outCount = outShape.reduce(1, *)
    let rows = walk.shape.reduce(1, *) / inner
    // Per output: how many rows were merged in, their mean and M₂ (Double, for the merges).
    func accumulate(_ rowRange: Range<Int>, into stats: UnsafeMutablePointer<Double>) {
      stats.initialize(repeating: 0, count: 3 * outCount)
      func run<T: TensorScalar>(_: T.Type) {
        let source = UnsafePointer(storage.typed(T.self) + offset)
        walk.forEach(rows: rowRange) { positions, _ in
          let row = source + positions[0]
          let mean = reduceRow(.sum, row, step, inner) / T(inner)
          let m2 = Double(squaredDeviationsOfRow(row, step, inner, from: mean))
          let target = stats + 3 * positions[1]
          let (n, b) = (target[0], Double(inner))
          let delta = Double(mean) - target[1]
          target[0] = n + b
          target[1] += delta * b / (n + b)
          target[2] += m2 + delta * delta * n * b / (n + b)
        }
      }
      switch dtype {
      case .float32: run(Float.self)
      case .float64: run(Double.self)
      case .int64: integerArithmetic("variance")
      }
    }
    let stats = UnsafeMutablePointer<Double>.allocate(capacity: 6 * outCount)
    defer { stats.deallocate() }
    let second = stats + 3 * outCount
    if rows >= 2, rows * inner >= parallelThreshold, outCount <= rows * inner / 8 {
      inParallel(
        { accumulate(0..<(rows / 2), into: stats) }, { accumulate((rows / 2)..<rows, into: second) }
      )
      for i in 0..<outCount {  // merge the second half's groups into the first's
        let (a, b) = (stats + 3 * i, second + 3 * i)
        let n = a[0] + b[0]
        guard n > 0 else { continue }
        let delta = b[1] - a[1]
        a[2] += b[2] + delta * delta * a[0] * b[0] / n
        a[1] += delta * b[0] / n
        a[0] = n
      }
    } else {
      accumulate(0..<rows, into: stats)
    }
    /// Field `field` of every output's statistics, as a tensor of this dtype.
    func tensor(_ field: Int) -> Tensor {
      Tensor.make(outShape, dtype) { out in
        func fill<T: TensorScalar>(_: T.Type) {
          let values = out.typed(T.self)
          for i in 0..<outCount { values[i] = T(stats[3 * i + field]) }
        }
        if dtype == .float32 { fill(Float.self) } else { fill(Double.self) }
      }
    }
    return (tensor(1), tensor(2))
  }

  /// Σ w and Σ (x − center) · w over `axes` (sorted, distinct; kept as size 1) for weights
  /// `w` of x's shape, unrecorded: a normalization's two gradient sums, in one pass over x
  /// and w when the last axis is reduced (each row's pair of sums at once), in two otherwise.
  package func weightAndDeviationSums(weights w: Tensor, from center: Tensor, axes: [Int])
    throws -> (weights: Tensor, deviations: Tensor)
  {
    let outShape = reducedShape(axes, keepingAxes: true)
    let outStrides = Tensor.contiguousStrides(outShape).enumerated().map {
      axes.contains($0.offset) ? 0 : $0.element
    }
    let fits =
      w.shape == shape && w.dtype == dtype && center.shape == outShape && center.dtype == dtype
      && dtype != .int64
    let walk = RowWalk(shape: shape, strides: [strides, outStrides, fits ? w.strides : strides])
    let (step, inner, wStep) = (walk.step(0), walk.length, walk.step(2))
    guard fits, walk.step(1) == 0, inner > 0 else {  // two passes (which name what misfits)
      return (
        try w.sum(axes: axes, keepingAxes: true),
        try deviationSums(from: center, weightedBy: w, axes: axes)
      )
    }
    let outCount = outShape.reduce(1, *)
    let rows = walk.shape.reduce(1, *) / inner
    let (centers, start) = center.contiguousStorage()
    /// Both sums of each output into `sums` (pairs), over the rows `range`.
    func accumulate<T: TensorScalar>(
      _: T.Type, _ range: Range<Int>, into sums: UnsafeMutablePointer<T>
    ) {
      sums.initialize(repeating: 0, count: 2 * outCount)
      let source = UnsafePointer(storage.typed(T.self) + offset)
      let weights = UnsafePointer(w.storage.typed(T.self) + w.offset)
      let c = UnsafePointer(centers.typed(T.self) + start)
      walk.forEach(rows: range) { positions, _ in
        let (row, wr) = (source + positions[0], weights + positions[2])
        let target = sums + 2 * positions[1]
        let pair = weightAndDeviationSumsOfRow(row, step, wr, wStep, inner, from: c[positions[1]])
        target[0] += pair.weights
        target[1] += pair.deviations
      }
    }
    func run<T: TensorScalar>(_: T.Type) -> (Tensor, Tensor) {
      let sums = UnsafeMutablePointer<T>.allocate(capacity: 4 * outCount)
      defer { sums.deallocate() }
      let second = sums + 2 * outCount
      if rows >= 2, rows * inner >= parallelThreshold, outCount <= rows * inner / 8 {
        inParallel(
          { accumulate(T.self, 0..<(rows / 2), into: sums) },
          { accumulate(T.self, (rows / 2)..<rows, into: second) })
        for i in 0..<(2 * outCount) { sums[i] += second[i] }
      } else {
        accumulate(T.self, 0..<rows, into: sums)
      }
      func field(_ k: Int) -> Tensor {
        Tensor.make(outShape, dtype) { out in
          let values = out.typed(T.self)
          for i in 0..<outCount { values[i] = sums[2 * i + k] }
        }
      }
      return (field(0), field(1))
    }
    return dtype == .float32 ? run(Float.self) : run(Double.self)
  }

  /// A normalization's input gradient with its two sums, channel by channel, for this
  /// contiguous `[N, C, …]` tensor x and a contiguous `w` of its shape: each channel's Σ w
  /// and Σ (x − center) · w, then `w · a + (x − center) · k + b` with the channel's
  /// `(a, k, b) = coefficients(channel, Σ w, Σ (x − center) · w)`. A channel's values are read
  /// again while they are still in cache, so the input crosses memory once, not twice.
  ///
  /// The sums are those of `weightAndDeviationSums` (`[1, C, 1, …]`), added in the same
  /// order as it adds them on one core. One core: two, measured on a 2-core machine, were
  /// no faster at batch norm's sizes, as for other loops that stream memory. Nil when the layouts do not fit or a channel's rows are shorter than a vector;
  /// the caller then takes the two passes.
  package func channelwiseGradient(
    weights w: Tensor, from center: Tensor,
    coefficients: (_ channel: Int, _ sumW: Double, _ sumDeviations: Double) -> (
      a: Double, k: Double, b: Double
    )
  ) -> (gradient: Tensor, weights: Tensor, deviations: Tensor)? {
    guard rank >= 2, dtype != .int64, isContiguous, w.isContiguous, w.shape == shape,
      w.dtype == dtype, center.dtype == dtype, center.count == shape[1],
      center.shape == reducedShape([0] + Array(2..<rank), keepingAxes: true)
    else { return nil }
    let (batch, channels) = (shape[0], shape[1])
    let inner = shape.dropFirst(2).reduce(1, *)
    guard inner >= 8, batch > 0 else { return nil }
    let (centers, start) = center.contiguousStorage()
    let kept = center.shape
    func run<T: TensorScalar>(_: T.Type) -> (Tensor, Tensor, Tensor) {
      let x = UnsafePointer(storage.typed(T.self) + offset)
      let g = UnsafePointer(w.storage.typed(T.self) + w.offset)
      let mu = UnsafePointer(centers.typed(T.self) + start)
      let sums = UnsafeMutablePointer<T>.allocate(capacity: 2 * channels)
      defer { sums.deallocate() }
      let gradient = Tensor.make(shape, dtype) { out in
        let o = out.typed(T.self)
        for c in 0..<channels {
          let m = mu[c]
          var (sw, sd) = (T(0), T(0))
          for n in 0..<batch {
            let row = (n &* channels &+ c) &* inner
            let r = weightAndDeviationSumsOfRow(x + row, 1, g + row, 1, inner, from: m)
            sw += r.weights
            sd += r.deviations
          }
          (sums[2 * c], sums[2 * c + 1]) = (sw, sd)
          let f = coefficients(c, Double(sw), Double(sd))
          let (a, k, b) = (T(f.a), T(f.k), T(f.b))
          for n in 0..<batch {
            let row = (n &* channels &+ c) &* inner
            let (px, pg, po) = (x + row, g + row, o + row)
            for i in 0..<inner { po[i] = pg[i] * a + (px[i] - m) * k + b }
          }
        }
      }
      func field(_ j: Int) -> Tensor {
        Tensor.make(kept, dtype) { out in
          let values = out.typed(T.self)
          for c in 0..<channels { values[c] = sums[2 * c + j] }
        }
      }
      return (gradient, field(0), field(1))
    }
    return dtype == .float32 ? run(Float.self) : run(Double.self)
  }

  /// Σ (x − center)² over `axes` (sorted, distinct; kept as size 1) — or Σ (x − center) · w
  /// when `weights` (of x's shape) are given — unrecorded and in one pass with no centered
  /// copy: the numerator of a variance, or of a normalization's gradient. `center` has the
  /// kept shape.
  package func deviationSums(
    from center: Tensor, weightedBy weights: Tensor? = nil, axes: [Int]
  ) throws -> Tensor {
    let outShape = reducedShape(axes, keepingAxes: true)
    guard center.shape == outShape, center.dtype == dtype,
      weights.map({ $0.shape == shape && $0.dtype == dtype }) ?? true
    else {
      throw TensorError(
        "deviationSums",
        "center \(describe(center.shape)) \(center.dtype) and weights "
          + (weights.map { "\(describe($0.shape)) \($0.dtype)" } ?? "none")
          + " do not fit shape \(describe(shape)) \(dtype) reduced over axes \(describe(axes))")
    }
    let outStrides = Tensor.contiguousStrides(outShape).enumerated().map {
      axes.contains($0.offset) ? 0 : $0.element
    }
    let walk = RowWalk(shape: shape, strides: [strides, outStrides, weights?.strides ?? strides])
    let (step, outStep) = (walk.step(0), walk.step(1))
    let outCount = outShape.reduce(1, *)
    let (centers, start) = center.contiguousStorage()
    return Tensor.make(outShape, dtype) { out in
      func run<T: TensorScalar>(_: T.Type) {
        let w = weights.map { UnsafePointer($0.storage.typed(T.self) + $0.offset) }
        reduceRows(
          .sum, UnsafePointer(storage.typed(T.self) + offset), walk, step: step,
          outStep: outStep, into: out.typed(T.self), count: outCount,
          deviations: Deviations(
            center: UnsafePointer(centers.typed(T.self) + start), weights: w))
      }
      switch dtype {
      case .float32: run(Float.self)
      case .float64: run(Double.self)
      case .int64: integerArithmetic("deviationSums")
      }
    }
  }

  // listing: sum
  /// The sum over `axes` (all axes when nil), keeping them as size 1 or dropping them.
  ///
  /// Its VJP spreads the output's gradient back over every element that was summed:
  /// reshape to the kept-axes shape, then expand (a zero-stride view, no copy).
  public func sum(axes: [Int]? = nil, keepingAxes: Bool = false) throws -> Tensor {
    let reducedAxes = try reductionAxes(axes, op: "sum")
    let input = self
    let keptShape = reducedShape(reducedAxes, keepingAxes: true)
    let outShape = reducedShape(reducedAxes, keepingAxes: keepingAxes)
    return try Tensor.linear(
      "sum", [self],
      apply: { xs in try xs[0].reduced(.sum, axes: reducedAxes).reshaped(outShape) }
    ) { g in
      // exercise 2.5: The VJP of a sum over axes
      [try g.reshaped(keptShape).expandedKeptAxes(to: input.shape)]
      // end exercise 2.5
    }
  }
  // end listing: sum

  /// The sum of all elements, as a 0-d tensor.
  public func sum() -> Tensor { try! sum(axes: nil) }

  /// The mean over `axes` (all axes when nil).
  public func mean(axes: [Int]? = nil, keepingAxes: Bool = false) throws -> Tensor {
    let reducedAxes = try reductionAxes(axes, op: "mean")
    let n = reducedAxes.map { shape[$0] }.reduce(1, *)
    return try sum(axes: reducedAxes, keepingAxes: keepingAxes) / Double(n)
  }

  /// The mean of all elements, as a 0-d tensor.
  public func mean() -> Tensor { try! mean(axes: nil) }

  /// The maximum over `axes`; ties share the gradient equally (like `torch.amax`).
  public func max(axes: [Int]? = nil, keepingAxes: Bool = false) throws -> Tensor {
    try extremum(.max, "max", axes: axes, keepingAxes: keepingAxes)
  }

  /// The minimum over `axes`; ties share the gradient equally (like `torch.amin`).
  public func min(axes: [Int]? = nil, keepingAxes: Bool = false) throws -> Tensor {
    try extremum(.min, "min", axes: axes, keepingAxes: keepingAxes)
  }

  func extremum(_ kernel: ReduceKernel, _ op: String, axes: [Int]?, keepingAxes: Bool) throws
    -> Tensor
  {
    let reducedAxes = try reductionAxes(axes, op: op)
    if let empty = reducedAxes.first(where: { shape[$0] == 0 }) {
      throw TensorError(
        op, "axis \(empty) of shape \(describe(shape)) is empty: it has no \(op)imum")
    }
    let result = reduced(kernel, axes: reducedAxes)
    let input = self
    let keptShape = result.shape
    return try result.reshaped(reducedShape(reducedAxes, keepingAxes: keepingAxes))
      .recorded(
        op, [self],
        // since chapter 4: forward mode
        jvp: { t, y in
          // The tangent at the winning elements, averaged over ties.
          let winners = Tensor.zipped(
            .equal, input, try result.expandedKeptAxes(to: input.shape).contiguous(),
            shape: input.shape)
          let ties = winners.reduced(.sum, axes: reducedAxes)
          let picked = try t[0]!.multiplied(by: winners).sum(axes: reducedAxes, keepingAxes: true)
            .divided(by: ties)
          return try picked.reshaped(y.shape)
        }
        // end since chapter 4
      ) { g in
        // Which elements attained the extremum (not differentiable), and how many per slot.
        let winners = Tensor.zipped(
          .equal, input, try result.expandedKeptAxes(to: input.shape).contiguous(),
          shape: input.shape)
        let ties = winners.reduced(.sum, axes: reducedAxes)
        let share = try g.reshaped(keptShape).divided(by: ties).expandedKeptAxes(to: input.shape)
        return [try share.contiguous().multiplied(by: winners)]
      }
  }
}

extension ReduceKernel {
  /// The value a reduction starts from: 0, −∞ or +∞.
  @inline(__always)
  func identity<T: TensorScalar>() -> T {
    switch self {
    case .sum: 0
    case .max: -T.infinity
    case .min: T.infinity
    }
  }

  /// `a` combined with `b`; a NaN on either side wins for max and min.
  @inline(__always)
  func combine<T: TensorScalar>(_ a: T, _ b: T) -> T {
    switch self {
    case .sum: a + b
    case .max: a.isNaN || b.isNaN ? .nan : (b > a ? b : a)
    case .min: a.isNaN || b.isNaN ? .nan : (b < a ? b : a)
    }
  }
}

/// Reduces each row of `walk` (view 0: the input, `step` apart; view 1: the output, `outStep`
/// 0 or 1) into `result`, which holds `count` elements.
///
/// Large inputs split their rows across both cores; the second half reduces into a buffer
/// of its own, combined into `result` at the end (the halves' rows may share outputs).
func reduceRows<T: TensorScalar>(
  _ kernel: ReduceKernel, _ source: UnsafePointer<T>, _ walk: RowWalk, step: Int, outStep: Int,
  into result: UnsafeMutablePointer<T>, count: Int, deviations: Deviations<T>? = nil
) {
  let inner = walk.length
  /// Rows `rows` of a two-axis walk, each combined into its output (`outStep` 0) or into
  /// an output row (`outStep` 1), with `kernel` known at compile time inside.
  @inline(__always) func reduceTwoAxes(
    _ kernel: ReduceKernel, rows: Range<Int>, into out: UnsafeMutablePointer<T>
  ) {
    let (inRow, outRow) = (walk.strides[0][0], walk.strides[1][0])
    if outStep == 0 {
      for r in rows {
        let target = out + r &* outRow
        target[0] = kernel.combine(target[0], reduceRow(kernel, source + r &* inRow, step, inner))
      }
    } else {
      for r in rows {
        let (row, target) = (source + r &* inRow, out + r &* outRow)
        for i in 0..<inner { target[i] = kernel.combine(target[i], row[i &* step]) }
      }
    }
  }
  func reduce(rows: Range<Int>, into out: UnsafeMutablePointer<T>) {
    out.initialize(repeating: kernel.identity(), count: count)
    if deviations == nil && walk.shape.count == 2 {
      // Two axes: the kernel is chosen once, not per row (softmax's rows are ten long).
      switch kernel {
      case .sum: reduceTwoAxes(.sum, rows: rows, into: out)
      case .max: reduceTwoAxes(.max, rows: rows, into: out)
      case .min: reduceTwoAxes(.min, rows: rows, into: out)
      }
      return
    }
    walk.forEach(rows: rows) { positions, _ in
      let (row, target) = (source + positions[0], out + positions[1])
      if let deviations {  // Σ (x − c)², or Σ (x − c) w; c laid out as the output
        let c = deviations.center + positions[1]
        if let weights = deviations.weights {
          let (w, wStep) = (weights + positions[2], walk.step(2))
          if outStep == 0 {
            target[0] += weightedDeviationsOfRow(row, step, w, wStep, inner, from: c[0])
          } else {
            for i in 0..<inner { target[i] += (row[i &* step] - c[i]) * w[i &* wStep] }
          }
        } else if outStep == 0 {
          target[0] += squaredDeviationsOfRow(row, step, inner, from: c[0])
        } else {
          for i in 0..<inner {
            let d = row[i &* step] - c[i]
            target[i] += d * d
          }
        }
      } else if outStep == 0 {
        target[0] = kernel.combine(target[0], reduceRow(kernel, row, step, inner))
      } else {
        for i in 0..<inner { target[i] = kernel.combine(target[i], row[i &* step]) }
      }
    }
  }
  let rows = walk.shape.reduce(1, *) / Swift.max(inner, 1)
  guard rows >= 2, rows * inner >= parallelThreshold, count <= rows * inner / 8 else {
    reduce(rows: 0..<rows, into: result)
    return
  }
  let half = rows / 2
  let second = UnsafeMutablePointer<T>.allocate(capacity: count)
  defer { second.deallocate() }
  inParallel({ reduce(rows: 0..<half, into: result) }, { reduce(rows: half..<rows, into: second) })
  for i in 0..<count { result[i] = kernel.combine(result[i], second[i]) }
}

/// The deviations a sum reduces instead of the elements themselves: from `center` (laid out
/// as the output), squared, or times `weights` (view 2 of the walk) when given.
struct Deviations<T> {
  let center: UnsafePointer<T>
  let weights: UnsafePointer<T>?
}

/// Eight consecutive elements from `p`, as one vector (any alignment).
@inline(__always)
func eight<T: TensorScalar>(_ p: UnsafePointer<T>) -> SIMD8<T> {
  UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
}

/// The sum of eight partial sums, paired in a fixed order.
@inline(__always)
func total<T: TensorScalar>(_ v: SIMD8<T>) -> T {
  ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
}

/// Σ (p[i·step] − c) · w[i·wStep] over the `n` elements of a row, in eight partial sums
/// (lane j adds elements j, j + 8, …) when both are contiguous.
@inline(__always)
func weightedDeviationsOfRow<T: TensorScalar>(
  _ p: UnsafePointer<T>, _ step: Int, _ w: UnsafePointer<T>, _ wStep: Int, _ n: Int, from c: T
) -> T {
  guard step == 1 && wStep == 1 else {
    var s = T(0)
    for i in 0..<n { s += (p[i &* step] - c) * w[i &* wStep] }
    return s
  }
  var lanes = SIMD8<T>()
  let center = SIMD8<T>(repeating: c)
  var i = 0
  while i &+ 8 <= n {
    lanes += (eight(p + i) - center) * eight(w + i)
    i &+= 8
  }
  var s = total(lanes)
  while i < n {
    s += (p[i] - c) * w[i]
    i += 1
  }
  return s
}

/// Σ w[i·wStep] and Σ (p[i·step] − c) · w[i·wStep] over the `n` elements of a row, in one
/// loop: the same partial sums as `reduceRow(.sum, …)` and `weightedDeviationsOfRow`, taken
/// side by side so that neither waits on the other's additions.
@inline(__always)
func weightAndDeviationSumsOfRow<T: TensorScalar>(
  _ p: UnsafePointer<T>, _ step: Int, _ w: UnsafePointer<T>, _ wStep: Int, _ n: Int, from c: T
) -> (weights: T, deviations: T) {
  guard step == 1 && wStep == 1 else {
    return (
      reduceRow(.sum, w, wStep, n), weightedDeviationsOfRow(p, step, w, wStep, n, from: c)
    )
  }
  var (weights, deviations) = (SIMD8<T>(), SIMD8<T>())
  let center = SIMD8<T>(repeating: c)
  var i = 0
  while i &+ 8 <= n {
    let weight = eight(w + i)
    weights += weight
    deviations += (eight(p + i) - center) * weight
    i &+= 8
  }
  var (sw, sd) = (total(weights), total(deviations))
  while i < n {
    sw += w[i]
    sd += (p[i] - c) * w[i]
    i &+= 1
  }
  return (sw, sd)
}

/// Σ (p[i·step] − c)² over the `n` elements of a row, in eight partial sums when contiguous.
@inline(__always)
func squaredDeviationsOfRow<T: TensorScalar>(
  _ p: UnsafePointer<T>, _ step: Int, _ n: Int, from c: T
) -> T {
  guard step == 1 else {
    var s = T(0)
    for i in 0..<n {
      let d = p[i &* step] - c
      s += d * d
    }
    return s
  }
  var lanes = SIMD8<T>()
  let center = SIMD8<T>(repeating: c)
  var i = 0
  while i &+ 8 <= n {
    let d = eight(p + i) - center
    lanes += d * d
    i &+= 8
  }
  var s = total(lanes)
  while i < n {
    s += (p[i] - c) * (p[i] - c)
    i += 1
  }
  return s
}

/// The reduction of the `n` elements `p[0], p[step], …`.
@inline(__always)
func reduceRow<T: TensorScalar>(
  _ kernel: ReduceKernel, _ p: UnsafePointer<T>, _ step: Int, _ n: Int
)
  -> T
{
  switch kernel {
  case .sum where step == 1:
    // Eight partial sums (lane j adds elements j, j + 8, …): one vector register's worth,
    // so the loop is vectorized (and rounds a little less).
    var lanes = SIMD8<T>()
    var i = 0
    while i &+ 8 <= n {
      lanes += eight(p + i)
      i &+= 8
    }
    var s = total(lanes)
    while i < n {
      s += p[i]
      i += 1
    }
    return s
  case .sum:
    var s = T(0)
    for i in 0..<n { s += p[i &* step] }
    return s
  case .max:
    // One comparison per element: `!(x <= m)` holds when x is larger or NaN (m never is).
    var m = -T.infinity
    for i in 0..<n {
      let x = p[i &* step]
      if !(x <= m) {
        m = x
        if x.isNaN { break }
      }
    }
    return m
  case .min:
    var m = T.infinity
    for i in 0..<n {
      let x = p[i &* step]
      if !(x >= m) {
        m = x
        if x.isNaN { break }
      }
    }
    return m
  }
}
