@_exported import Broadcasting
import Scalar

extension Tensor {
  /// Accumulates the gradient of this tensor into every leaf that requires one; with
  /// `createGraph`, the VJPs are recorded, so the gradients can be differentiated again.
  public func backward(seed: Tensor? = nil, createGraph: Bool) throws {
    try propagate(seed: seed, recordingVJPs: createGraph) { tensor, grad in
      if tensor.isLeaf || tensor.retainsGrad {
        tensor.grad = try tensor.grad.map { try $0 + grad } ?? grad
      }
    }
  }
}

/// The gradient of `output` with respect to each of `inputs` (leaves or not), without
/// touching any `grad`: zeros for an input the output does not depend on.
///
/// With `createGraph`, the results are on a tape of their own and can be differentiated
/// again — the building block of every higher-order derivative here.
public func gradients(
  of output: Tensor, withRespectTo inputs: [Tensor], seed: Tensor? = nil,
  createGraph: Bool = false
) throws -> [Tensor] {
  var found: [ObjectIdentifier: Tensor] = [:]
  let wanted = Set(inputs.map(ObjectIdentifier.init))
  try output.propagate(seed: seed, recordingVJPs: createGraph) { tensor, grad in
    if wanted.contains(ObjectIdentifier(tensor)) { found[ObjectIdentifier(tensor)] = grad }
  }
  return inputs.map { found[ObjectIdentifier($0)] ?? Tensor.zeros($0.shape, dtype: $0.dtype) }
}

/// A fresh tensor to differentiate with respect to: a new leaf holding `x`'s values, or —
/// when `x` is itself on a tape (an outer derivative is being taken) — a new node on that
/// tape, so the outer derivative flows through.
func differentiable(_ x: Tensor) -> Tensor {
  // A derivative taken inside forward mode (forward-over-reverse) would detach x and drop its
  // tangent, and the outer jvp would answer zeros. Say so instead: jvp then falls back to
  // the double-VJP trick, which differentiates through the recorded backward pass.
  if x.tangent != nil, let trace = ForwardMode.trace {
    trace.noteUnsupported("a derivative (grad, vjp) taken inside forward mode")
  }
  if x.requiresGrad { return x + 0.0 }
  let input = x.detach()
  input.requiresGrad = true
  return input
}

/// Runs a derivative's own work — the function's forward pass, the backward passes and the
/// operations between them — with recording on, whatever the caller's mode: `grad` inside
/// `withoutGrad { }` still differentiates (a numerical check of a gradient runs it there).
/// `body` learns whether the caller records; if not, nothing outside sees a tape.
func differentiating<R>(_ body: (_ callerRecords: Bool) throws -> R) rethrows -> R {
  guard !GradMode.isRecording else { return try body(true) }
  return try GradMode.$isRecording.withValue(true) { try body(false) }
}

/// Whether a derivative taken of `output` must itself be recorded, because an outer
/// derivative will flow through it: `output`'s tape reaches a tensor that requires a
/// gradient other than `fresh` (the inputs made for this derivative). That is `x` itself
/// when an outer `grad` is differentiating with respect to it, or a tensor the function
/// closes over — `grad { w in … grad { x in f(x, w) } … }` differentiates the inner gradient
/// with respect to `w`. Never when the caller does not record. Recording costs time and
/// memory only when it is needed.
func isDifferentiatedAgain(_ output: Tensor, besides fresh: [Tensor], _ callerRecords: Bool)
  -> Bool
{
  guard callerRecords, output.requiresGrad else { return false }
  let own = Set(fresh.map(ObjectIdentifier.init))
  return output.topologicalOrder().contains {
    $0.isLeaf && $0.requiresGrad && !own.contains(ObjectIdentifier($0))
  }
}

/// The value of a scalar function and its gradient at `x`.
public func valueAndGrad(_ f: (Tensor) throws -> Tensor, at x: Tensor) throws -> (
  value: Tensor, gradient: Tensor
) {
  return try differentiating { callerRecords in
    let input = differentiable(x)
    let value = try f(input)
    guard value.count == 1 else {
      throw TensorError(
        "grad", "the function returned shape \(value.shape), not a scalar; use vjp for that")
    }
    guard value.requiresGrad else {
      return (value, Tensor.zeros(x.shape, dtype: x.dtype))
    }
    let outer = isDifferentiatedAgain(value, besides: [input], callerRecords)
    let g = try gradients(of: value, withRespectTo: [input], createGraph: outer)[0]
    return (callerRecords ? value : value.detach(), g)
  }
}

/// The gradient of a scalar function at `x`; nest it for higher derivatives.
public func grad(_ f: (Tensor) throws -> Tensor, at x: Tensor) throws -> Tensor {
  try valueAndGrad(f, at: x).gradient
}

/// uᵀJ: the vector-Jacobian product of `f` at `x` with cotangent `u`.
public func vjp(_ f: (Tensor) throws -> Tensor, at x: Tensor, cotangent u: Tensor) throws
  -> Tensor
{
  return try differentiating { callerRecords in
    let input = differentiable(x)
    let y = try f(input)
    guard u.shape == y.shape else {
      throw TensorError(
        "vjp", "cotangent of shape \(u.shape) for an output of shape \(y.shape)")
    }
    guard y.requiresGrad else { return Tensor.zeros(x.shape, dtype: x.dtype) }
    let outer = isDifferentiatedAgain(y, besides: [input], callerRecords)
    return try gradients(of: y, withRespectTo: [input], seed: u, createGraph: outer)[0]
  }
}

// listing: hvp
/// Hv: the Hessian of a scalar function at `x` times `v`, by reverse-over-reverse —
/// the gradient of ⟨∇f(x), v⟩.
public func hvp(_ f: (Tensor) throws -> Tensor, at x: Tensor, vector v: Tensor) throws -> Tensor {
  guard v.shape == x.shape else {
    throw TensorError("hvp", "vector of shape \(v.shape) for a point of shape \(x.shape)")
  }
  return try differentiating { callerRecords in
    let input = differentiable(x)
    let value = try f(input)
    guard value.count == 1 else {
      throw TensorError("hvp", "the function returned shape \(value.shape), not a scalar")
    }
    // Is Hv differentiated again (by an outer derivative)?
    let outer = isDifferentiatedAgain(value, besides: [input], callerRecords)
    // exercise 4.1: Reverse over reverse
    let g = try gradients(of: value, withRespectTo: [input], createGraph: true)[0]
    let directional = try (g * v).sum()
    guard directional.requiresGrad else { return Tensor.zeros(x.shape, dtype: x.dtype) }
    return try gradients(of: directional, withRespectTo: [input], createGraph: outer)[0]
    // end exercise 4.1
  }
}
// end listing: hvp

// listing: hessian
/// The Hessian of a scalar function of a 1-d `x`.
///
/// The gradient is computed once, on a tape of its own; row i is then the gradient of its
/// i-th element — one backward pass through that tape per row, with no forward repeated.
public func hessian(_ f: (Tensor) throws -> Tensor, at x: Tensor) throws -> Tensor {
  guard x.rank == 1 else {
    throw TensorError("hessian", "x must be 1-d here; it has shape \(x.shape)")
  }
  return try differentiating { callerRecords in
    let input = differentiable(x)
    let value = try f(input)
    guard value.count == 1 else {
      throw TensorError("hessian", "the function returned shape \(value.shape), not a scalar")
    }
    let n = x.count
    guard value.requiresGrad else { return Tensor.zeros([n, n], dtype: x.dtype) }
    // Is the Hessian differentiated again?
    let outer = isDifferentiatedAgain(value, besides: [input], callerRecords)
    let g = try gradients(of: value, withRespectTo: [input], createGraph: true)[0]
    guard g.requiresGrad else { return Tensor.zeros([n, n], dtype: x.dtype) }
    var rows: [Tensor] = []
    for i in 0..<n {
      // exercise 4.3: A Hessian row from the recorded gradient
      var basis = [Double](repeating: 0, count: n)
      basis[i] = 1
      rows.append(
        try gradients(
          of: g, withRespectTo: [input], seed: Tensor(basis, dtype: x.dtype),
          createGraph: outer)[0])
      // end exercise 4.3
    }
    return try Tensor.stacked(rows, axis: 0)
  }
}
// end listing: hessian
