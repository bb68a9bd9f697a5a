// Reductions over one or several axes.

enum ReduceKernel { case sum, max, min }

extension Tensor {
  /// Normalized, sorted, distinct axes; all of them when `axes` is nil.
  func reductionAxes(_ axes: [Int]?, op: String) throws -> [Int] {
    try requireFloatingPoint(op)
    guard let axes else { return Array(0..<rank) }
    let normalized = try axes.map { try normalizedAxis($0, op: op) }
    guard Set(normalized).count == normalized.count else {
      throw TensorError(op, "axes \(describe(axes)) repeat an axis of shape \(describe(shape))")
    }
    return normalized.sorted()
  }

  /// The shape after reducing `axes`, with them kept as size 1 or dropped.
  func reducedShape(_ axes: [Int], keepingAxes: Bool) -> [Int] {
    keepingAxes
      ? shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
      : shape.indices.filter { !axes.contains($0) }.map { shape[$0] }
  }

  /// The unrecorded reduction of `axes` (kept as size 1).
  func reduced(_ kernel: ReduceKernel, axes: [Int]) -> Tensor {
    let kept = shape.indices.filter { !axes.contains($0) }
    // Move the reduced axes last so each output element reduces one contiguous block.
    let moved =
      axes == Array((rank - axes.count)..<rank)
      ? self : try! withoutGrad { try self.permuted(kept + axes) }
    let (source, start) = moved.contiguousStorage()
    let block = axes.map { shape[$0] }.reduce(1, *)
    let outer = kept.map { shape[$0] }.reduce(1, *)
    let outShape = reducedShape(axes, keepingAxes: true)
    return Tensor.make(outShape, dtype) { out in
      switch dtype {
      case .float32:
        reduce(kernel, source.typed(Float.self) + start, out.typed(Float.self), outer, block)
      case .float64:
        reduce(kernel, source.typed(Double.self) + start, out.typed(Double.self), outer, block)
      case .int64: integerArithmetic("\(kernel)")
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
    guard reducedAxes.allSatisfy({ shape[$0] > 0 }) else {
      throw TensorError(op, "cannot take the \(op) of an empty axis of shape \(describe(shape))")
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

func reduce<T: TensorScalar>(
  _ kernel: ReduceKernel, _ a: UnsafeMutablePointer<T>, _ out: UnsafeMutablePointer<T>,
  _ outer: Int, _ block: Int
) {
  for o in 0..<outer {
    let p = a + o * block
    switch kernel {
    case .sum:
      // Eight partial sums, so the loop vectorizes (and rounds a little less).
      var lanes = (T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0))
      var i = 0
      while i + 8 <= block {
        lanes.0 += p[i]
        lanes.1 += p[i + 1]
        lanes.2 += p[i + 2]
        lanes.3 += p[i + 3]
        lanes.4 += p[i + 4]
        lanes.5 += p[i + 5]
        lanes.6 += p[i + 6]
        lanes.7 += p[i + 7]
        i += 8
      }
      var s =
        ((lanes.0 + lanes.1) + (lanes.2 + lanes.3)) + ((lanes.4 + lanes.5) + (lanes.6 + lanes.7))
      while i < block {
        s += p[i]
        i += 1
      }
      out[o] = s
    case .max:
      var m = -T.infinity
      for i in 0..<block where p[i] > m || p[i].isNaN {
        m = p[i]
        if m.isNaN { break }
      }
      out[o] = m
    case .min:
      var m = T.infinity
      for i in 0..<block where p[i] < m || p[i].isNaN {
        m = p[i]
        if m.isNaN { break }
      }
      out[o] = m
    }
  }
}
