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
    /// `x · a + b` with the per-channel `a` and `b` expanded over x: one pass, no copies.
    func affine(_ a: Tensor, _ b: Tensor, of x: Tensor) throws -> Tensor {
      try x.multiplied(by: a.expand(to: x.shape), adding: b.expand(to: x.shape))
    }
    /// `x̂ γ + β` with x̂ = (x − μ) · inverse, as x · a + b with a = γ · inverse, b = β − μ a.
    func normalized(_ x: Tensor, mean: Tensor, inverse: Tensor) throws -> Tensor {
      let a = try weight.map { try inverse * channelwise($0) } ?? inverse
      let b = try bias.map { try channelwise($0) - mean * a } ?? -mean * a
      return try affine(a, b, of: x)
    }
    let useBatch = training || runningMean == nil || runningVariance == nil
    guard useBatch else {
      // Evaluation with the running statistics: one recorded multiply-add.
      return try normalized(
        x, mean: channelwise(runningMean!),
        inverse: channelwise(1 / (runningVariance! + epsilon).sqrt()))
    }
    let n = count / Swift.max(channels, 1)
    guard n > 1 || !training else {
      throw TensorError(
        "batchNorm", "training needs more than one value per channel, got input \(shape)")
    }

    /// The batch statistics of each channel (`[1, C, 1, …]`): mean, biased variance, 1/σ.
    func statistics(_ x: Tensor) throws -> (mean: Tensor, variance: Tensor, inverse: Tensor) {
      // exercise 6.6: Batch statistics
      let mean = try x.mean(axes: axes, keepingAxes: true)
      let variance = try x.variance(axes: axes, keepingAxes: true, unbiased: false)
      let inverse = try 1 / (variance + epsilon).sqrt()
      return (mean, variance, inverse)
      // end exercise 6.6
    }
    let (y, saved) = try plainly {
      let s = try statistics(x)
      return (try normalized(x, mean: s.mean, inverse: s.inverse), s)
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
    /// The first-order gradients channel by channel — both sums over a channel, then its
    /// x̄, while the channel is in cache (the formulas below, per channel in Double) — or
    /// nil when the layouts do not allow it.
    func firstOrderGradients(_ g: Tensor) throws -> [Tensor?]? {
      let inverse = saved.inverse.scalars
      let gamma = weight?.scalars
      let per = Double(n)
      guard
        let fused = x.channelwiseGradient(
          weights: g, from: saved.mean,
          coefficients: { c, sumG, sumGXC in
            let a = inverse[c] * (gamma?[c] ?? 1)
            return (a, -a * sumGXC * inverse[c] * inverse[c] / per, -a * sumG / per)
          })
      else { return nil }
      var grads: [Tensor?] = [fused.gradient]
      if let weight {
        grads.append(
          weight.requiresGrad ? try (fused.deviations * saved.inverse).reshaped([channels]) : nil)
      }
      if let bias { grads.append(bias.requiresGrad ? try fused.weights.reshaped([channels]) : nil) }
      return grads
    }
    let inputs = [x] + [weight, bias].compactMap { $0 }
    return y.recorded(
      "batchNorm", inputs,
      jvp: { t, _ in
        // Tangents of μ, σ² and 1/σ from x's: ṁ = mean(ẋ), v̇ = 2 mean((x − μ) ẋ),
        // (1/σ)˙ = −½ σ⁻³ v̇; then ẏ = x̂˙ γ + x̂ γ̇ + β̇.
        let s = try statistics(x)
        let centered = try x - s.mean
        var terms: [Tensor?] = []
        if let tx = t[0] {
          let tCentered = try tx - tx.mean(axes: axes, keepingAxes: true)
          let tVariance = try 2 * (centered * tx).mean(axes: axes, keepingAxes: true)
          let tInverse = try -0.5 * s.inverse * s.inverse * s.inverse * tVariance
          let tNormalized = try tCentered * s.inverse + centered * tInverse
          terms.append(try weight.map { try tNormalized * channelwise($0) } ?? tNormalized)
        }
        var i = 1
        if weight != nil {
          terms.append(try t[i].map { try centered * s.inverse * channelwise($0) })
          i += 1
        }
        if bias != nil { terms.append(try t[i].map { try channelwise($0).expand(to: x.shape) }) }
        return try sumOfTerms(terms)
      }
    ) { g in
      // A first-order backward reuses the forward's statistics; a recorded one (for a second
      // derivative) recomputes them from x, so that they are differentiated too.
      let recording = GradMode.isRecording
      let s = recording ? try statistics(x) : saved
      if !recording, x.requiresGrad, let fused = try firstOrderGradients(g) {
        return fused
      }
      // The two sums per channel, Σ ȳ and Σ ȳ x̂ = Σ ȳ (x − μ) / σ, are β̄ and γ̄ — taken in
      // one pass, with x̂ never written out.
      let (sumG, sumGXC) =
        try recording
        ? (
          g.sum(axes: axes, keepingAxes: true),
          (g * (x - s.mean)).sum(axes: axes, keepingAxes: true)
        )  // recorded
        : x.weightAndDeviationSums(weights: g, from: s.mean, axes: axes)  // one pass
      let sumGX = try sumGXC * s.inverse
      var grads: [Tensor?] = []
      if x.requiresGrad {
        // x̄ = ŝ ȳ − x̂ ŝ Σȳx̂/n − ŝ Σȳ/n with ŝ = γ/σ; as x̂ = (x − μ)/σ, that is
        // ŝ ȳ + (x − μ) k + c with k = −ŝ Σȳx̂/(nσ) and c = −ŝ Σȳ/n: one fused pass (a
        // recorded backward composes recorded operations instead).
        let a = try weight.map { try s.inverse * channelwise($0) } ?? s.inverse
        let k = try -a * sumGX * s.inverse / Double(n)
        let c = try -a * sumG / Double(n)
        grads.append(
          try recording
            ? affine(a, affine(k, c, of: x - s.mean), of: g)
            : Tensor.fusedMultiplyAdd(
              g, a.expand(to: x.shape), plus: x, minus: s.mean.expand(to: x.shape),
              times: k.expand(to: x.shape), c.expand(to: x.shape), shape: x.shape))
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
