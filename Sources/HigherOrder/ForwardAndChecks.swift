import Scalar

/// Jv: the Jacobian-vector product of `f` at `x` with tangent `v`.
///
/// True forward mode when every operation on the way has a JVP rule (about the cost of one
/// more forward pass); otherwise — or when `x` is itself on a tape, for a higher derivative —
/// the double-VJP trick.
public func jvp(_ f: (Tensor) throws -> Tensor, at x: Tensor, tangent v: Tensor) throws -> Tensor {
  if !x.requiresGrad, let forward = try forwardJVP(f, at: x, tangent: v) { return forward }
  return try jvpByDoubleVJP(f, at: x, tangent: v)
}

// listing: forward-jvp
/// Jv in forward mode: `f` runs once on values that carry tangents, each operation pushing
/// its tangent forward by its JVP rule. Nil when some operation has no rule — or when the
/// result is on a tape (`f` uses a tensor that an outer derivative is taken with respect
/// to), since the tangents are not recorded for that outer derivative.
public func forwardJVP(_ f: (Tensor) throws -> Tensor, at x: Tensor, tangent v: Tensor) throws
  -> Tensor?
{
  let trace = ForwardMode.Trace()
  let input = try x.withTangent(v)
  let y = try ForwardMode.$trace.withValue(trace) { try f(input) }
  guard trace.missingRules.isEmpty, !y.requiresGrad else { return nil }
  return y.tangent ?? Tensor.zeros(y.shape, dtype: y.dtype)  // y does not depend on x
}
// end listing: forward-jvp

// listing: jvp
/// Jv by the double-VJP trick: u ↦ Jᵀu is linear in u, so its own VJP with cotangent v
/// is (Jᵀ)ᵀv = Jv. A forward and two backward passes; works for any differentiable `f`.
public func jvpByDoubleVJP(_ f: (Tensor) throws -> Tensor, at x: Tensor, tangent v: Tensor)
  throws -> Tensor
{
  guard v.shape == x.shape else {
    throw TensorError("jvp", "tangent of shape \(v.shape) for a point of shape \(x.shape)")
  }
  return try differentiating { callerRecords in
    let input = differentiable(x)
    let y = try f(input)
    guard y.requiresGrad else { return Tensor.zeros(y.shape, dtype: y.dtype) }
    // Is Jv differentiated again (by an outer derivative)?
    let outer = isDifferentiatedAgain(y, besides: [input], callerRecords)
    // exercise 4.2: The double-VJP trick
    let u = Tensor.zeros(y.shape, dtype: y.dtype)  // any value: the result is linear in u
    u.requiresGrad = true
    let jtu = try gradients(of: y, withRespectTo: [input], seed: u, createGraph: true)[0]
    let inner = try (jtu * v).sum()
    guard inner.requiresGrad else { return Tensor.zeros(y.shape, dtype: y.dtype) }
    return try gradients(of: inner, withRespectTo: [u], createGraph: outer)[0]
    // end exercise 4.2
  }
}
// end listing: jvp

// listing: jacobian
/// The Jacobian of `f` at `x`, shaped `f(x).shape + x.shape`: one VJP per output element.
public func jacobian(_ f: (Tensor) throws -> Tensor, at x: Tensor) throws -> Tensor {
  let y = try withoutGrad { try f(x) }
  var rows: [Tensor] = []
  for i in 0..<y.count {
    // exercise 4.6: A Jacobian row is a VJP with a basis cotangent
    var basis = [Double](repeating: 0, count: y.count)
    basis[i] = 1
    rows.append(try vjp(f, at: x, cotangent: Tensor(basis, shape: y.shape, dtype: y.dtype)))
    // end exercise 4.6
  }
  guard !rows.isEmpty else { return Tensor.zeros(y.shape + x.shape, dtype: x.dtype) }
  return try Tensor.stacked(rows, axis: 0).reshaped(y.shape + x.shape)
}
// end listing: jacobian

/// Checks second derivatives: the gradient of ⟨∇f(x), v⟩ (an hvp, through recorded VJPs)
/// against central differences of the gradient along v, in Float64, for a random v.
///
/// Returns the worst relative error; a VJP that cached plain numbers instead of tensor
/// operations shows up here as a wrong (often zero) second derivative.
public func gradgradcheck(
  _ f: (Tensor) throws -> Tensor, at x: Tensor, step: Double = 1e-5, seed: UInt64 = 7
) throws -> Double {
  let point = try Tensor(x.scalars, shape: x.shape, dtype: .float64)
  var generator = SeededGenerator(seed: seed)
  let v = Tensor.randn(x.shape, dtype: .float64, using: &generator)
  let analytic = try hvp(f, at: point, vector: v).scalars
  let plus = try grad(f, at: point + step * v).scalars
  let minus = try grad(f, at: point - step * v).scalars
  var worst = 0.0
  for (a, (p, m)) in zip(analytic, zip(plus, minus)) {
    let numeric = (p - m) / (2 * step)
    let error = Swift.abs(a - numeric) / Swift.max(1, Swift.abs(numeric))
    worst = Swift.max(worst, error.isNaN ? .infinity : error)
  }
  return worst
}

// listing: conjugate-gradient
/// Solves A s = b for a symmetric positive-definite A known only through `apply` (s ↦ As),
/// by conjugate gradients: at most `iterations` products, stopping when the residual's
/// norm falls below `tolerance` times b's.
public func conjugateGradient(
  _ apply: (Tensor) throws -> Tensor, _ b: Tensor, iterations: Int = 50,
  tolerance: Double = 1e-10
) throws -> Tensor {
  // exercise 4.4: Conjugate gradients
  var s = Tensor.zeros(b.shape, dtype: b.dtype)
  var r = b
  var p = b
  var rr = try (r * r).sum().item()
  let stop = tolerance * tolerance * rr
  for _ in 0..<iterations where rr > stop {
    let ap = try apply(p)
    let alpha = rr / (try (p * ap).sum().item())
    s = try s + alpha * p
    r = try r - alpha * ap
    let next = try (r * r).sum().item()
    p = try r + (next / rr) * p
    rr = next
  }
  return s
  // end exercise 4.4
}
// end listing: conjugate-gradient

// listing: newton-step
/// One Newton step for a scalar function: x − H⁻¹∇f(x), with H⁻¹∇f found by conjugate
/// gradients through Hessian-vector products — the Hessian itself is never formed.
public func newtonStep(
  _ f: (Tensor) throws -> Tensor, at x: Tensor, cgIterations: Int = 20
) throws -> Tensor {
  // exercise 4.5: A Newton step from hvps
  let g = try grad(f, at: x)
  let step = try conjugateGradient({ try hvp(f, at: x, vector: $0) }, g, iterations: cgIterations)
  return try x - step
  // end exercise 4.5
}
// end listing: newton-step
