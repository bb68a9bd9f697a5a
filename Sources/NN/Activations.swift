import Foundation
import HigherOrder
import Scalar

/// max(0, x), elementwise.
public final class ReLU: Module {
  public override func forward(_ x: Tensor) throws -> Tensor { x.relu() }
}

/// tanh, elementwise.
public final class Tanh: Module {
  public override func forward(_ x: Tensor) throws -> Tensor { x.tanh() }
}

/// The logistic sigmoid, elementwise.
public final class Sigmoid: Module {
  public override func forward(_ x: Tensor) throws -> Tensor { x.sigmoid() }
}

/// The Gaussian error linear unit x·Φ(x), exactly (with erf) or with the tanh formula.
public final class GELU: Module {
  /// Which formula: `.exact` (PyTorch's default, its `'none'`) or `.tanh` (GPT-2's).
  public let approximate: Tensor.GELUApproximation

  /// A GELU with the given formula.
  public init(approximate: Tensor.GELUApproximation = .exact) {
    self.approximate = approximate
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    try x.gelu(approximate: approximate)
  }
}

// listing: gelu
extension Tensor {
  /// The two formulas of GELU: PyTorch's `approximate` argument, whose `'none'` is `.exact`
  /// here (`.none` would read as Optional's).
  public enum GELUApproximation: String, Sendable {
    /// The exact form, x·Φ(x) = ½x(1 + erf(x/√2)) (PyTorch's `approximate='none'`).
    case exact
    /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
    case tanh
  }

  /// GELU, composed of differentiable operations (so it has higher derivatives too).
  public func gelu(approximate: GELUApproximation = .exact) throws -> Tensor {
    switch approximate {
    case .exact:
      return try 0.5 * self * (1 + (self * (1 / 2.0.squareRoot())).erf())
    case .tanh:
      let inner = try (2 / Double.pi).squareRoot() * (self + 0.044715 * self.pow(3))
      return try 0.5 * self * (1 + inner.tanh())
    }
  }

  /// The error function, with derivative (2/√π)·e^(−x²).
  public func erf() -> Tensor {
    let x = self
    let derivative = { try (2 / Double.pi.squareRoot()) * (-(x * x)).exp() }
    return mapElements(float: Foundation.erf, double: Foundation.erf).recorded(
      "erf", [self], jvp: { t, _ in try t[0]! * derivative() }
    ) { g in [try g * derivative()] }
  }
  // end listing: gelu
}

// listing: dropout
/// Zeroes each element with probability `p` in training, scaling the rest by 1/(1 − p) so
/// that the expected value is unchanged; the identity in evaluation mode.
public final class Dropout: Module {
  /// The probability of zeroing an element.
  public let probability: Double
  /// The source of the masks; seeded, so runs repeat.
  var generator: SeededGenerator

  /// A dropout layer with drop probability `p` in `[0, 1)`.
  public init(_ p: Double, seed: UInt64 = 0) throws {
    guard (0..<1).contains(p) else {
      throw TensorError("Dropout", "probability \(p) is not in [0, 1)")
    }
    probability = p
    generator = SeededGenerator(seed: seed)
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    guard isTraining, probability > 0 else { return x }
    let keep = 1 / (1 - probability)
    let mask = (0..<x.count).map { _ in
      Double.random(in: 0..<1, using: &generator) < probability ? 0 : keep
    }
    return try x * Tensor(mask, shape: x.shape, dtype: x.dtype)
  }
}
// end listing: dropout

/// Modules applied one after another: `Sequential(a, b, c)(x)` is `c(b(a(x)))`.
public final class Sequential: Module {
  /// The modules, in order (parameters are named `layers.0.weight`, …).
  public let layers: [Module]

  /// A chain of `layers`.
  public init(_ layers: [Module]) { self.layers = layers }

  /// A chain of `layers`.
  public convenience init(_ layers: Module...) { self.init(layers) }

  public override func forward(_ x: Tensor) throws -> Tensor {
    try layers.reduce(x) { try $1($0) }
  }
}
