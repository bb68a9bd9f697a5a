import Foundation

extension Value {
  // listing: power
  /// Raises to a constant power: ∂(xⁿ)/∂x = n·xⁿ⁻¹.
  ///
  /// The exponent is a plain number, not a `Value`: no gradient flows into it.
  public func pow(_ exponent: Double) -> Value {
    // exercise 1.3: The power rule
    Value(
      Foundation.pow(data, exponent), op: .power(exponent), self,
      exponent == 0 ? 0 : exponent * Foundation.pow(data, exponent - 1))
    // end exercise 1.3
  }
  // end listing: power

  /// Exponential: ∂eˣ/∂x = eˣ.
  public func exp() -> Value {
    let result = Foundation.exp(data)
    return Value(result, op: .exp, self, result)
  }

  /// Natural logarithm: ∂ log x/∂x = 1/x.
  ///
  /// Follows IEEE 754 like `Foundation.log`: `log(0)` is −inf with gradient +inf, and
  /// the log of a negative number is NaN with gradient 1/x. Nothing traps; the NaN
  /// shows up in the result where you can see it, rather than being hidden by an epsilon.
  public func log() -> Value {
    Value(Foundation.log(data), op: .log, self, 1 / data)
  }

  // listing: tanh
  /// Hyperbolic tangent: ∂ tanh x/∂x = 1 − tanh²x.
  ///
  /// Uses the platform's `tanh`, accurate to a few units in the last place (glibc's bound),
  /// which saturates to ±1 for large |x|. Writing it as (e²ˣ − 1)/(e²ˣ + 1) overflows to inf/inf = NaN at x = 1000.
  public func tanh() -> Value {
    // exercise 1.2: tanh and its derivative
    let t = Foundation.tanh(data)
    return Value(t, op: .tanh, self, 1 - t * t)
    // end exercise 1.2
  }
  // end listing: tanh

  /// Rectified linear unit: max(0, x), with derivative 1 for x > 0 and 0 otherwise
  /// (0 at x = 0, like PyTorch).
  public func relu() -> Value {
    data > 0 ? Value(data, op: .relu, self, 1) : Value(0, op: .relu, self, 0)
  }

  /// Logistic sigmoid σ(x) = 1/(1 + e⁻ˣ): ∂σ/∂x = σ(1 − σ).
  ///
  /// Evaluated without overflow for any x: e⁻ˣ is only formed for x ≥ 0.
  public func sigmoid() -> Value {
    let s: Double
    if data >= 0 {
      s = 1 / (1 + Foundation.exp(-data))
    } else {
      let e = Foundation.exp(data)
      s = e / (1 + e)
    }
    return Value(s, op: .sigmoid, self, s * (1 - s))
  }
}
