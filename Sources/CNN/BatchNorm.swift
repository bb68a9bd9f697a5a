extension Tensor {
  // listing: batch-norm
  /// Batch normalization of this `[N, C, …]` tensor, channel by channel (axis 1): each
  /// channel's values, over the batch and every spatial position, shifted to mean 0 and
  /// scaled to variance 1, then scaled by `weight` and shifted by `bias` (`[C]` each; nil:
  /// 1 and 0).
  ///
  /// In training the batch's own statistics normalize — the *biased* variance, dividing by
  /// the n values of a channel — and the running statistics, when given, move toward them
  /// by `momentum`, with the *unbiased* variance (dividing by n − 1), as PyTorch does. In
  /// evaluation the running statistics normalize, so one example's output does not depend
  /// on the others in its batch. Without running statistics the batch's are used in both.
  ///
  /// Training mode is one fused recorded operation; its VJP, written with tensor ops, is
  /// differentiable again (a recorded backward recomputes the statistics from the input):
  ///
  ///     x̄ = (1/σ)(ĝ − mean(ĝ) − x̂ · mean(ĝ x̂)),   ĝ = ȳ γ,   x̂ = (x − μ)/σ
  public func batchNorm(
    runningMean: Tensor? = nil, runningVariance: Tensor? = nil, weight: Tensor? = nil,
    bias: Tensor? = nil, training: Bool, momentum: Double = 0.1, epsilon: Double = 1e-5
  ) throws -> Tensor {
    let x = self
    let channels = rank >= 2 ? shape[1] : 0
    let axes = [0] + Array(2..<Swift.max(rank, 2))
    let perChannel = [1, channels] + Array(repeating: 1, count: Swift.max(rank - 2, 0))
    for (name, t) in [
      ("running mean", runningMean), ("running variance", runningVariance),
      ("weight", weight), ("bias", bias),
    ] {
      guard let t else { continue }
      guard rank >= 2, t.shape == [channels], t.dtype == dtype else {
        throw TensorError(
          "batchNorm",
          "input \(shape) \(dtype) and \(name) \(t.shape) \(t.dtype) (expected [N, C, …] "
            + "and [C] of the same dtype)")
      }
    }
    guard rank >= 2, dtype != .int64 else {
      throw TensorError("batchNorm", "expected a [N, C, …] float tensor, got \(shape) \(dtype)")
    }
    guard (runningMean == nil) == (runningVariance == nil) else {
      throw TensorError(
        "batchNorm", "pass both running statistics (mean and variance) or neither, got one")
    }
    func channelwise(_ t: Tensor) throws -> Tensor { try t.reshaped(perChannel) }
    let useBatch = training || runningMean == nil || runningVariance == nil
    guard useBatch else {
      // Evaluation: a composition of recorded operations with the running statistics.
      let scale = try channelwise(1 / (runningVariance! + epsilon).sqrt())
      var y = try (x - channelwise(runningMean!)) * scale
      if let weight { y = try y * channelwise(weight) }
      if let bias { y = try y + channelwise(bias) }
      return y
    }
    let n = count / Swift.max(channels, 1)
    guard n > 1 || !training else {
      throw TensorError(
        "batchNorm", "training needs more than one value per channel, got input \(shape)")
    }

    /// The batch statistics: mean, centered input, biased variance, 1/σ and x̂.
    func statistics(_ x: Tensor) throws -> (
      mean: Tensor, centered: Tensor, variance: Tensor, inverse: Tensor, normalized: Tensor
    ) {
      // exercise 6.6: Batch statistics and the normalized input
      let mean = try x.mean(axes: axes, keepingAxes: true)
      let centered = try x - mean
      let variance = try (centered * centered).mean(axes: axes, keepingAxes: true)
      let inverse = try 1 / (variance + epsilon).sqrt()
      return (mean, centered, variance, inverse, try centered * inverse)
      // end exercise 6.6
    }
    let (y, saved) = try plainly {
      let s = try statistics(x)
      var y = s.normalized
      if let weight { y = try y * channelwise(weight) }
      if let bias { y = try y + channelwise(bias) }
      return (y, s)
    }
    let (mean, variance) = (saved.mean, saved.variance)
    if training, let runningMean, let runningVariance {
      try withoutGrad {
        // exercise 6.7: The running statistics
        let unbiased = try variance.reshaped([channels]) * (Double(n) / Double(n - 1))
        try runningMean.update(
          to: (1 - momentum) * runningMean + momentum * mean.reshaped([channels]))
        try runningVariance.update(to: (1 - momentum) * runningVariance + momentum * unbiased)
        // end exercise 6.7
      }
    }
    let inputs = [x] + [weight, bias].compactMap { $0 }
    return y.recorded(
      "batchNorm", inputs,
      jvp: { t, _ in
        // Tangents of μ, σ² and 1/σ from x's: ṁ = mean(ẋ), v̇ = 2 mean((x − μ) ẋ),
        // (1/σ)˙ = −½ σ⁻³ v̇; then ẏ = x̂˙ γ + x̂ γ̇ + β̇.
        let s = try statistics(x)
        var terms: [Tensor?] = []
        if let tx = t[0] {
          let tCentered = try tx - tx.mean(axes: axes, keepingAxes: true)
          let tVariance = try 2 * (s.centered * tx).mean(axes: axes, keepingAxes: true)
          let tInverse = try -0.5 * s.inverse * s.inverse * s.inverse * tVariance
          let tNormalized = try tCentered * s.inverse + s.centered * tInverse
          terms.append(try weight.map { try tNormalized * channelwise($0) } ?? tNormalized)
        }
        var i = 1
        if weight != nil {
          terms.append(try t[i].map { try s.normalized * channelwise($0) })
          i += 1
        }
        if bias != nil { terms.append(try t[i].map { try channelwise($0).expand(to: x.shape) }) }
        return try sumOfTerms(terms)
      }
    ) { g in
      // A first-order backward reuses the forward's statistics; a recorded one (for a second
      // derivative) recomputes them from x, so that they are differentiated too.
      let s = GradMode.isRecording ? try statistics(x) : saved
      // Grouped so that each pass over the activations counts: with the per-channel
      // ŝ = γ/σ, x̄ = ŝ ȳ − x̂ ŝ mean(ȳ x̂) − ŝ mean(ȳ), and the two sums are γ̄ and β̄.
      let sumG = try g.sum(axes: axes, keepingAxes: true)
      let sumGX = try (g * s.normalized).sum(axes: axes, keepingAxes: true)
      var grads: [Tensor?] = []
      if x.requiresGrad {
        let scale = try weight.map { try s.inverse * channelwise($0) } ?? s.inverse
        let count = Double(n)
        grads.append(try scale * g - s.normalized * (scale * sumGX / count) - scale * sumG / count)
      } else {
        grads.append(nil)
      }
      if let weight { grads.append(weight.requiresGrad ? try sumGX.reshaped([channels]) : nil) }
      if let bias { grads.append(bias.requiresGrad ? try sumG.reshaped([channels]) : nil) }
      return grads
    }
  }
  // end listing: batch-norm
}
