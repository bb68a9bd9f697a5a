import Scalar

/// What `gradcheck` found: per input, the worst disagreement between backward and
/// central differences.
public struct GradCheckReport: CustomStringConvertible, Sendable {
  /// For each input, max |analytic − numeric| / max(1, |numeric|) over its elements.
  public var worstErrors: [Double]
  /// The tolerance the errors were held to.
  public var tolerance: Double

  /// Whether every input's worst error is within the tolerance.
  public var passed: Bool { worstErrors.allSatisfy { $0 <= tolerance } }

  /// One line per input.
  public var description: String {
    worstErrors.enumerated().map { i, e in
      "input \(i): worst relative error \(e) \(e <= tolerance ? "≤" : ">") \(tolerance)"
    }.joined(separator: "\n")
  }
}

// listing: gradcheck
/// Checks `f`'s gradients against central differences, in Float64.
///
/// The inputs are copied to Float64 leaves. The output is seeded with a random,
/// non-uniform cotangent u (so a transposed or mis-summed gradient shows), and each
/// input element xⱼ is checked: ∂⟨u, f⟩/∂xⱼ from `backward()` against
/// (⟨u, f(x + h·eⱼ)⟩ − ⟨u, f(x − h·eⱼ)⟩) / 2h.
public func gradcheck(
  _ f: ([Tensor]) throws -> Tensor, inputs: [Tensor], step: Double = 1e-6,
  tolerance: Double = 1e-6, seed: UInt64 = 42
) throws -> GradCheckReport {
  let leaves = inputs.map { input -> Tensor in
    let leaf = try! Tensor(input.scalars, shape: input.shape, dtype: .float64)
    leaf.requiresGrad = true
    return leaf
  }
  let output = try f(leaves)
  var generator = SeededGenerator(seed: seed)
  let u = try Tensor(
    (0..<output.count).map { _ in
      Double.random(in: 0.5...1.5, using: &generator) * (Bool.random(using: &generator) ? 1 : -1)
    }, shape: output.shape, dtype: .float64)
  guard output.requiresGrad else {
    return GradCheckReport(
      worstErrors: leaves.map { _ in output.count == 0 ? 0 : .infinity }, tolerance: tolerance)
  }
  try output.backward(seed: u.to(output.dtype))

  func objective(_ xs: [Tensor]) throws -> Double {
    try withoutGrad { try f(xs).to(.float64).multiplied(by: u).sum().item() }
  }
  var worst: [Double] = []
  for (i, leaf) in leaves.enumerated() {
    let analytic = leaf.grad?.scalars ?? [Double](repeating: 0, count: leaf.count)
    var error = 0.0
    for j in 0..<leaf.count {
      let numeric = try centralDifference(objective, at: leaves, input: i, element: j, step: step)
      let difference = Swift.abs(analytic[j] - numeric) / Swift.max(1, Swift.abs(numeric))
      error = Swift.max(error, difference.isNaN ? .infinity : difference)
    }
    worst.append(error)
  }
  return GradCheckReport(worstErrors: worst, tolerance: tolerance)
}
// end listing: gradcheck

// listing: central-difference
/// (g(x + h·eⱼ) − g(x − h·eⱼ)) / 2h, where eⱼ is element `element` of input `input`.
///
/// Its error shrinks like h², against h for the one-sided difference; below h ≈ 1e-6
/// rounding in Float64 takes over.
public func centralDifference(
  _ objective: ([Tensor]) throws -> Double, at inputs: [Tensor], input: Int, element: Int,
  step: Double
) throws -> Double {
  // exercise 2.8: A central difference
  var values = inputs[input].scalars
  let x = values[element]
  var shifted = inputs
  values[element] = x + step
  shifted[input] = try Tensor(values, shape: inputs[input].shape, dtype: inputs[input].dtype)
  let plus = try objective(shifted)
  values[element] = x - step
  shifted[input] = try Tensor(values, shape: inputs[input].shape, dtype: inputs[input].dtype)
  let minus = try objective(shifted)
  return (plus - minus) / (2 * step)
  // end exercise 2.8
}
// end listing: central-difference
