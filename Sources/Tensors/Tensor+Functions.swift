/// An operation's output as its VJP may read it: held weakly, and only as long as it is
/// unchanged — nil once it is freed or changed in place (the VJP then recomputes it from
/// the inputs).
final class SavedOutput {
  private weak var tensor: Tensor?
  private var version = 0

  /// Keeps `output` (weakly) and its storage's version now.
  func save(_ output: Tensor) {
    tensor = output
    version = output.storage.version
  }

  /// The output, if it is alive and its values are still those the operation computed.
  var value: Tensor? {
    guard let tensor, tensor.storage.version == version else { return nil }
    return tensor
  }
}

// Elementwise functions of one tensor. Each VJP is written with tensor operations on the
// *inputs* (recomputing what it needs), so that Chapter 4 can differentiate it again.

extension Tensor {
  /// eˣ.
  public func exp() -> Tensor {
    let x = self
    return mapped(.exp).recorded(
      "exp", [self],
      // since chapter 4: forward mode
      jvp: { t, y in try t[0]!.multiplied(by: y) }
      // end since chapter 4
    ) { g in
      [try g.multiplied(by: x.exp())]
    }
  }

  /// The natural logarithm: −inf at 0, NaN below, as IEEE 754 says.
  public func log() -> Tensor {
    let x = self
    return mapped(.log).recorded(
      "log", [self],
      // since chapter 4: forward mode
      jvp: { t, _ in try t[0]!.divided(by: x) }
      // end since chapter 4
    ) { g in [try g.divided(by: x)] }
  }

  /// The square root.
  public func sqrt() -> Tensor {
    let x = self
    return mapped(.sqrt).recorded(
      "sqrt", [self],
      // since chapter 4: forward mode
      jvp: { t, y in try t[0]!.divided(by: 2 * y) }
      // end since chapter 4
    ) { g in
      [try g.divided(by: 2 * x.sqrt())]
    }
  }

  /// |x|, with gradient sign(x) (0 at 0).
  public func abs() -> Tensor {
    let x = self
    return mapped(.abs).recorded(
      "abs", [self],
      // since chapter 4: forward mode
      jvp: { t, _ in try t[0]!.multiplied(by: x.mapped(.sign)) }
      // end since chapter 4
    ) { g in
      [try g.multiplied(by: x.mapped(.sign))]
    }
  }

  // listing: tanh
  /// tanh, with gradient 1 − tanh²x (no overflow at large |x|).
  ///
  /// The VJP reads the *output* y = tanh x: g · (1 − y²) needs no second tanh. The output
  /// is held weakly (a node holding its own output strongly would be a cycle); during
  /// `backward()` it is always alive, because backward holds every tensor of the tape. If
  /// it was changed in place since, the VJP computes tanh x again instead.
  public func tanh() -> Tensor {
    let x = self
    let output = SavedOutput()
    let y = mapped(.tanh).recorded(
      "tanh", [self],
      // since chapter 4: forward mode
      jvp: { t, y in y.tanhGradient(t[0]!) }
      // end since chapter 4
    ) { g in
      [(output.value ?? x.tanh()).tanhGradient(g)]
    }
    output.save(y)
    return y
  }

  /// `g · (1 − y²)` in one pass, where this tensor is y = tanh x: the VJP of tanh, fused so
  /// that backward reads `g` and `y` once instead of making three temporaries. It is an
  /// operation like any other — recorded, with its own VJP — so Chapter 4 can differentiate
  /// through it: ∂/∂g is the same product, and ∂/∂y is −2 · y · g times the cotangent.
  func tanhGradient(_ g: Tensor) -> Tensor {
    let y = self
    return Tensor.zipped(.tanhGradient, g, y, shape: shape).recorded(
      "tanh′", [g, y],
      // since chapter 4: forward mode
      jvp: { t, _ in
        try sumOfTerms([
          t[0].map { y.tanhGradient($0) },
          t[1].map { try (-2 * g).multiplied(by: y).multiplied(by: $0) },
        ])
      }
      // end since chapter 4
    ) { h in
      [y.tanhGradient(h), try (-2 * h).multiplied(by: g).multiplied(by: y)]
    }
  }
  // end listing: tanh

  /// The logistic sigmoid 1/(1 + e⁻ˣ), computed without overflow.
  public func sigmoid() -> Tensor {
    let x = self
    return mapped(.sigmoid).recorded(
      "sigmoid", [self],
      // since chapter 4: forward mode
      jvp: { t, s in try t[0]!.multiplied(by: s).multiplied(by: 1 - s) }
      // end since chapter 4
    ) { g in
      let s = x.sigmoid()
      return [try g.multiplied(by: s).multiplied(by: 1 - s)]
    }
  }

  /// softplus(x) = log(1 + eˣ), computed without overflow; its gradient is σ(x).
  ///
  /// The stable form of a logistic loss: −log σ(z) = softplus(−z). Writing it as
  /// `relu(x) + log(1 + exp(−|x|))` from pieces gives the same values but a zero gradient
  /// at x = 0 (both kinks' subgradients are 0 there), where the true one is ½.
  public func softplus() -> Tensor {
    let x = self
    return mapped(.softplus).recorded(
      "softplus", [self],
      // since chapter 4: forward mode
      jvp: { t, _ in try t[0]!.multiplied(by: x.sigmoid()) }
      // end since chapter 4
    ) { g in [try g.multiplied(by: x.sigmoid())] }
  }

  /// max(0, x), with gradient 1 where x > 0 and 0 elsewhere (0 at 0).
  public func relu() -> Tensor {
    let x = self
    return mapped(.relu).recorded(
      "relu", [self],
      // since chapter 4: forward mode
      jvp: { t, _ in x.reluGradient(t[0]!) }
      // end since chapter 4
    ) { g in
      [x.reluGradient(g)]
    }
  }

  /// `g` where x > 0, else 0, in one pass: the VJP of relu. Differentiable in `g` (the same
  /// mask); its derivative in `x` is zero almost everywhere, by mathematics.
  func reluGradient(_ g: Tensor) -> Tensor {
    let x = self
    // Linear in g (x is a constant mask here).
    return Tensor.linear(
      "relu′", [g], apply: { gs in Tensor.zipped(.reluGradient, gs[0], x, shape: x.shape) }
    ) { h in
      [x.reluGradient(h)]
    }
  }

  /// xⁿ for a constant n, with gradient n·xⁿ⁻¹.
  public func pow(_ exponent: Double) -> Tensor {
    let x = self
    // x⁰ = 1 is constant: its derivative is 0 everywhere, where n·xⁿ⁻¹ would give 0·∞ = NaN
    // at x = 0 (and the repeated derivatives of x³ reach x⁰ after three steps).
    guard exponent != 0 else {
      return mapped(.power(0)).recorded(
        "pow", [self],
        // since chapter 4: forward mode
        jvp: { _, _ in nil }
        // end since chapter 4
      ) { _ in [Tensor.zeros(x.shape, dtype: x.dtype)] }
    }
    return mapped(.power(exponent)).recorded(
      "pow", [self],
      // since chapter 4: forward mode
      jvp: { t, _ in try t[0]!.multiplied(by: exponent * x.pow(exponent - 1)) }
      // end since chapter 4
    ) { g in
      [try g.multiplied(by: exponent * x.pow(exponent - 1))]
    }
  }

  /// This tensor's elements as `dtype`; gradients flow back converted between float32 and
  /// float64.
  ///
  /// Converting to `int64` truncates toward zero (as PyTorch does) and is not recorded:
  /// integers carry no gradient. An element no int64 holds (NaN, ±∞, beyond ±2⁶³) stops the
  /// program with a message naming it.
  public func to(_ dtype: DType) -> Tensor {
    guard dtype != self.dtype else { return self }
    guard dtype.isFloatingPoint && self.dtype.isFloatingPoint else {
      return converted(to: dtype)
    }
    let source = self
    return Tensor.linear(
      "to(\(dtype))", [self],
      apply: { xs in xs[0].converted(to: dtype) }
    ) { g in
      [g.to(source.dtype)]
    }
  }
}

extension Tensor {
  /// The elements converted to `dtype`, unrecorded; to `int64` by truncation toward zero.
  func converted(to dtype: DType) -> Tensor {
    let values = scalars
    guard dtype == .int64 else { return try! Tensor(values, shape: shape, dtype: dtype) }
    return Tensor.make(shape, .int64) { out in
      let p = out.typed(Int64.self)
      for (i, x) in values.enumerated() {
        guard let integer = Int64(exactly: x.rounded(.towardZero)) else {
          preconditionFailure(
            "to(int64): element \(i) of shape \(describe(shape)) is \(x), which no int64 holds")
        }
        p[i] = integer
      }
    }
  }
}
