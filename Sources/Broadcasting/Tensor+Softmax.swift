extension Tensor {
  // listing: softmax
  /// softmax along `axis`: eˣ / Σ eˣ, computed as e^(x − max) / Σ e^(x − max).
  ///
  /// Subtracting the maximum changes nothing mathematically and keeps every exponent ≤ 0,
  /// so logits of 1000 do not overflow to inf/inf = NaN. The maximum is a constant here
  /// (detached): the result does not depend on it, and its gradient through `max` would be
  /// exactly zero anyway.
  public func softmax(axis: Int = -1) throws -> Tensor {
    if try isEmpty(along: axis, op: "softmax") { return self * 1 }  // empty in, empty out
    // exercise 3.6: A stable softmax
    let shifted = try self - max(axes: [axis], keepingAxes: true).detach()
    let e = shifted.exp()
    return try e / e.sum(axes: [axis], keepingAxes: true)
    // end exercise 3.6
  }
  // end listing: softmax

  // listing: log-softmax
  /// log softmax along `axis`: x − log Σ eˣ, with the log-sum-exp taken around the maximum.
  public func logSoftmax(axis: Int = -1) throws -> Tensor {
    if try isEmpty(along: axis, op: "logSoftmax") { return self * 1 }  // empty in, empty out
    // exercise 3.7: log-softmax with log-sum-exp
    let m = try max(axes: [axis], keepingAxes: true).detach()
    let shifted = try self - m
    return try shifted - shifted.exp().sum(axes: [axis], keepingAxes: true).log()
    // end exercise 3.7
  }
  // end listing: log-softmax

  /// Whether `axis` has no elements (an axis out of range is an error naming `op`).
  func isEmpty(along axis: Int, op: String) throws -> Bool {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0 && a < rank else {
      throw TensorError(op, "axis \(axis) is out of range for shape \(describeShape(shape))")
    }
    return shape[a] == 0
  }

  /// The variance along `axes` (all when nil): the mean squared deviation from the mean,
  /// divided by n − 1 when `unbiased` (PyTorch's default, Bessel's correction) or by n.
  ///
  /// Deviations from the mean, never E[x²] − E[x]², which would cancel: when the last axis
  /// is reduced, each row's own in one pass over memory, the rows merged by Chan's formula;
  /// otherwise the mean, then the squared deviations from it — no centered copy either way.
  /// Its VJP is 2(x − μ) ȳ / (n − 1 or n), recorded (μ too) when a second derivative is
  /// asked for.
  public func variance(axes: [Int]? = nil, keepingAxes: Bool = false, unbiased: Bool = true)
    throws -> Tensor
  {
    let x = self
    let reduced = try reductionAxes(axes, op: "variance")
    let n = reduced.map { shape[$0] }.reduce(1, *)
    let divisor = Double(unbiased ? n - 1 : n)
    let outShape = reducedShape(reduced, keepingAxes: keepingAxes)
    let (mean, y) = try plainly {
      // One pass when the last axis is reduced; otherwise the mean, then the deviations.
      let (mean, squares) =
        try x.meanAndSquaredDeviations(axes: reduced)
        ?? {
          let mean = try x.mean(axes: reduced, keepingAxes: true)
          return (mean, try x.deviationSums(from: mean, axes: reduced))
        }()
      return (mean, try (squares * (1 / divisor)).reshaped(outShape))
    }
    return y.recorded(
      "variance", [x],
      jvp: { t, _ in
        let centered = try x - x.mean(axes: reduced, keepingAxes: true)
        return try ((centered * t[0]!).sum(axes: reduced) * (2 / divisor)).reshaped(outShape)
      }
    ) { g in
      // A recorded backward recomputes μ from x, so that it is differentiated too.
      let m = GradMode.isRecording ? try x.mean(axes: reduced, keepingAxes: true) : mean
      // (x − μ) first, then the scale: x·k − μk would cancel in Float32 when |μ| ≫ σ.
      return [try (x - m) * (g.reshaped(mean.shape) * (2 / divisor))]
    }
  }

  /// The standard deviation along `axes`: the square root of `variance`.
  public func standardDeviation(
    axes: [Int]? = nil, keepingAxes: Bool = false, unbiased: Bool = true
  ) throws -> Tensor {
    try variance(axes: axes, keepingAxes: keepingAxes, unbiased: unbiased).sqrt()
  }
}

// listing: pairwise-distances
/// The squared Euclidean distance between every row of `a` (`[n, d]`) and every row of
/// `b` (`[m, d]`), as `[n, m]`: one broadcast subtraction of `[n, 1, d]` and `[1, m, d]`.
public func pairwiseSquaredDistances(_ a: Tensor, _ b: Tensor) throws -> Tensor {
  // exercise 3.8: Pairwise distances by broadcasting
  let difference = try a.unsqueezed(1) - b.unsqueezed(0)
  return try (difference * difference).sum(axes: [-1])
  // end exercise 3.8
}
// end listing: pairwise-distances
