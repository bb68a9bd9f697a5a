import Foundation

// Elementwise arithmetic. In this stage both operands have the same shape, or one of them
// is a 0-d (scalar) tensor; Chapter 3 adds broadcasting on top of these.

extension Tensor {
  /// The shape of an elementwise result, or an error naming `op` and both shapes.
  static func elementwiseShape(_ op: String, _ a: Tensor, _ b: Tensor) throws -> [Int] {
    try a.requireFloatingPoint(op)
    try b.requireFloatingPoint(op)
    guard a.dtype == b.dtype else {
      throw TensorError(
        op,
        "dtypes \(a.dtype) and \(b.dtype) differ (shapes \(describe(a.shape)) and "
          + "\(describe(b.shape))); convert one with .to(_:)")
    }
    if a.shape == b.shape { return a.shape }
    if a.rank == 0 { return b.shape }
    if b.rank == 0 { return a.shape }
    throw TensorError(
      op,
      "shapes \(describe(a.shape)) and \(describe(b.shape)) differ; elementwise operations "
        + "need equal shapes or a 0-d operand (broadcasting comes in chapter 3)")
  }

  /// `g` summed to a 0-d tensor when `input` is 0-d and `g` is not: the VJP of using a
  /// scalar operand at every position.
  func unscattered(to input: Tensor) -> Tensor {
    input.rank == 0 && rank != 0 ? sum() : self
  }

  // listing: add
  /// Elementwise sum: both inputs receive the output's gradient unchanged.
  public func adding(_ other: Tensor) throws -> Tensor {
    let (lhs, rhs) = (self, other)
    let shape = try Tensor.elementwiseShape("add", lhs, rhs)
    return Tensor.linear(
      "add", [lhs, rhs], apply: { xs in Tensor.zipped(.add, xs[0], xs[1], shape: shape) }
    ) { g in
      [g.unscattered(to: lhs), g.unscattered(to: rhs)]
    }
  }
  // end listing: add

  /// Elementwise difference.
  public func subtracting(_ other: Tensor) throws -> Tensor {
    let (lhs, rhs) = (self, other)
    let shape = try Tensor.elementwiseShape("subtract", lhs, rhs)
    return Tensor.linear(
      "subtract", [lhs, rhs], apply: { xs in Tensor.zipped(.subtract, xs[0], xs[1], shape: shape) }
    ) { g in
      [g.unscattered(to: lhs), (-g).unscattered(to: rhs)]
    }
  }

  // listing: multiply
  /// Elementwise product: each input's gradient is the output's, times the other input.
  public func multiplied(by other: Tensor) throws -> Tensor {
    let (lhs, rhs) = (self, other)
    let shape = try Tensor.elementwiseShape("multiply", lhs, rhs)
    return Tensor.zipped(.multiply, lhs, rhs, shape: shape).recorded(
      "multiply", [lhs, rhs],
      // since chapter 4: forward mode
      jvp: { t, _ in
        try sumOfTerms([
          t[0].map { try $0.multiplied(by: rhs) }, t[1].map { try lhs.multiplied(by: $0) },
        ])
      }
      // end since chapter 4
    ) { g in
      // exercise 2.3: The VJP of the elementwise product
      [
        try g.multiplied(by: rhs).unscattered(to: lhs),
        try g.multiplied(by: lhs).unscattered(to: rhs),
      ]
      // end exercise 2.3
    }
  }
  // end listing: multiply

  /// `self · scale + shift` elementwise in one pass (equal shapes, or 0-d operands): the
  /// affine map of a normalization, a per-channel scale and shift expanded over an image
  /// read where they are, with no intermediate product written out.
  ///
  /// Its VJP is the product's and the sum's together: x̄ = ȳ · scale, scalē = ȳ · x,
  /// shift̄ = ȳ.
  public func multiplied(by scale: Tensor, adding shift: Tensor) throws -> Tensor {
    let (x, a, b) = (self, scale, shift)
    // Pairwise: the same dtype, and equal shapes or 0-d.
    _ = try Tensor.elementwiseShape("multiplyAdd", x, a)
    _ = try Tensor.elementwiseShape("multiplyAdd", x, b)
    _ = try Tensor.elementwiseShape("multiplyAdd", a, b)
    let shape = [x, a, b].first { $0.rank > 0 }?.shape ?? []
    return Tensor.fusedMultiplyAdd(x, a, b, shape: shape).recorded(
      "multiplyAdd", [x, a, b],
      // since chapter 4: forward mode
      jvp: { t, _ in
        let tangent = try sumOfTerms([
          t[0].map { try $0.multiplied(by: a) }, t[1].map { try x.multiplied(by: $0) }, t[2],
        ])
        // Only 0-d terms (a 0-d shift's tangent alone): spread over the output.
        return try tangent.map {
          $0.shape == shape ? $0 : try Tensor.zeros(shape, dtype: $0.dtype).adding($0)
        }
      }
      // end since chapter 4
    ) { g in
      [
        try g.multiplied(by: a).unscattered(to: x), try g.multiplied(by: x).unscattered(to: a),
        g.unscattered(to: b),
      ]
    }
  }

  /// Elementwise quotient; division by zero follows IEEE 754.
  public func divided(by other: Tensor) throws -> Tensor {
    let (lhs, rhs) = (self, other)
    let shape = try Tensor.elementwiseShape("divide", lhs, rhs)
    return Tensor.zipped(.divide, lhs, rhs, shape: shape).recorded(
      "divide", [lhs, rhs],
      // since chapter 4: forward mode
      jvp: { t, y in
        try sumOfTerms([t[0], t[1].map { try -y.multiplied(by: $0) }])?.divided(by: rhs)
      }
      // end since chapter 4
    ) { g in
      let gl = try g.divided(by: rhs)
      return [
        gl.unscattered(to: lhs),
        try (-gl.multiplied(by: lhs)).divided(by: rhs).unscattered(to: rhs),
      ]
    }
  }

  /// Elementwise negation.
  public static prefix func - (operand: Tensor) -> Tensor {
    Tensor.linear("negate", [operand], apply: { xs in xs[0].mapped(.negate) }) { g in [-g] }
  }

  /// The larger of the two at each position; NaN if either is NaN.
  ///
  /// At a tie each operand receives half the gradient, as in PyTorch's `torch.maximum`
  /// (and as the reduction `max(axes:)` shares it among tied elements).
  public func maximum(_ other: Tensor) throws -> Tensor {
    try choosing(other, .maximum, selfWins: .greater, op: "maximum")
  }

  /// The smaller of the two at each position; NaN if either is NaN.
  ///
  /// At a tie each operand receives half the gradient, as in PyTorch's `torch.minimum`.
  public func minimum(_ other: Tensor) throws -> Tensor {
    try choosing(other, .minimum, selfWins: .less, op: "minimum")
  }

  /// `maximum` or `minimum`: the kernel `pick`, with derivatives flowing to whichever operand
  /// was picked — `self` where `selfWins` holds strictly, `other` where it fails the other
  /// way, and half to each at a tie.
  func choosing(_ other: Tensor, _ pick: BinaryKernel, selfWins: BinaryKernel, op: String)
    throws -> Tensor
  {
    let shape = try Tensor.elementwiseShape(op, self, other)
    let this = self
    // 1 where self wins, ½ at a tie, 0 where other wins.
    let first = {
      try Tensor.zipped(selfWins, this, other, shape: shape)
        .adding(Tensor.zipped(.equal, this, other, shape: shape) * 0.5)
    }
    return Tensor.zipped(pick, self, other, shape: shape).recorded(
      op, [self, other],
      // since chapter 4: forward mode
      jvp: { t, _ in
        let mask = try first()
        return try sumOfTerms([
          t[0].map { try $0.multiplied(by: mask) }, t[1].map { try $0.multiplied(by: 1 - mask) },
        ])
      }
      // end since chapter 4
    ) { g in
      let mask = try first()
      return [
        try g.multiplied(by: mask).unscattered(to: this),
        try g.multiplied(by: 1 - mask).unscattered(to: other),
      ]
    }
  }
}

// Arithmetic with plain numbers: the number acts as a 0-d tensor of the same dtype.
extension Tensor {
  /// `t + 2`.
  public static func + (lhs: Tensor, rhs: Double) -> Tensor {
    lhs.mapped(.shift(rhs)).recorded(
      "add", [lhs],
      // since chapter 4: forward mode
      jvp: { t, _ in t[0] }
      // end since chapter 4
    ) { g in [g] }.readingNoInputs()  // the VJP reads no value of t
  }
  /// `2 + t`.
  public static func + (lhs: Double, rhs: Tensor) -> Tensor { rhs + lhs }
  /// `t - 2`.
  public static func - (lhs: Tensor, rhs: Double) -> Tensor { lhs + (-rhs) }
  /// `2 - t`.
  public static func - (lhs: Double, rhs: Tensor) -> Tensor { -rhs + lhs }
  /// `t * 2`.
  public static func * (lhs: Tensor, rhs: Double) -> Tensor {
    Tensor.linear("scale", [lhs], apply: { xs in xs[0].mapped(.scale(rhs)) }) { g in [g * rhs] }
  }
  /// `2 * t`.
  public static func * (lhs: Double, rhs: Tensor) -> Tensor { rhs * lhs }
  /// `t / 2`.
  public static func / (lhs: Tensor, rhs: Double) -> Tensor { lhs * (1 / rhs) }
  /// `2 / t`.
  public static func / (lhs: Double, rhs: Tensor) throws -> Tensor {
    try Tensor(scalar: lhs, dtype: rhs.dtype).divided(by: rhs)
  }
}
