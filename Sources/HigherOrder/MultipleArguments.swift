// The functional API for functions of several tensors, with the arguments to differentiate
// chosen by index (negative indices count from the end, as in JAX's `argnums`).

/// `indices` normalized against `count` arguments (all of them when nil), or an error
/// naming `op` and the offending index.
func argumentPositions(_ indices: [Int]?, count: Int, op: String) throws -> [Int] {
  guard let indices else { return Array(0..<count) }
  return try indices.map { i in
    let j = i < 0 ? i + count : i
    guard j >= 0 && j < count else {
      throw TensorError(op, "argument index \(i) is out of range for \(count) arguments")
    }
    return j
  }
}

/// The value of a scalar function of several tensors and its gradients with respect to the
/// arguments at `argumentIndices` (all by default), in that order.
public func valueAndGrad(
  _ f: ([Tensor]) throws -> Tensor, at arguments: [Tensor], argumentIndices: [Int]? = nil
) throws -> (value: Tensor, gradients: [Tensor]) {
  let positions = try argumentPositions(argumentIndices, count: arguments.count, op: "grad")
  let inputs = arguments.map(differentiable)
  let value = try f(inputs)
  guard value.count == 1 else {
    throw TensorError(
      "grad", "the function returned shape \(value.shape), not a scalar; use vjp for that")
  }
  let wanted = positions.map { inputs[$0] }
  guard value.requiresGrad else {
    return (value, wanted.map { Tensor.zeros($0.shape, dtype: $0.dtype) })
  }
  let createGraph = arguments.contains { $0.requiresGrad }
  return (value, try gradients(of: value, withRespectTo: wanted, createGraph: createGraph))
}

/// The gradients of a scalar function of several tensors (see `valueAndGrad`).
public func grad(
  _ f: ([Tensor]) throws -> Tensor, at arguments: [Tensor], argumentIndices: [Int]? = nil
) throws -> [Tensor] {
  try valueAndGrad(f, at: arguments, argumentIndices: argumentIndices).gradients
}

/// uᵀJ for each chosen argument of a function of several tensors.
public func vjp(
  _ f: ([Tensor]) throws -> Tensor, at arguments: [Tensor], cotangent u: Tensor,
  argumentIndices: [Int]? = nil
) throws -> [Tensor] {
  let positions = try argumentPositions(argumentIndices, count: arguments.count, op: "vjp")
  let inputs = arguments.map(differentiable)
  let y = try f(inputs)
  guard u.shape == y.shape else {
    throw TensorError("vjp", "cotangent of shape \(u.shape) for an output of shape \(y.shape)")
  }
  let wanted = positions.map { inputs[$0] }
  guard y.requiresGrad else { return wanted.map { Tensor.zeros($0.shape, dtype: $0.dtype) } }
  return try gradients(
    of: y, withRespectTo: wanted, seed: u, createGraph: arguments.contains { $0.requiresGrad })
}

/// The Hessian of a scalar function of several tensors, in blocks: `blocks[i][j]` holds
/// ∂²f/∂aᵢ∂aⱼ for the chosen arguments aᵢ, aⱼ, shaped `aᵢ.shape + aⱼ.shape` — the cross
/// blocks (i ≠ j) included.
public func hessian(
  _ f: ([Tensor]) throws -> Tensor, at arguments: [Tensor], argumentIndices: [Int]? = nil
) throws -> [[Tensor]] {
  let positions = try argumentPositions(argumentIndices, count: arguments.count, op: "hessian")
  let inputs = arguments.map(differentiable)
  let value = try f(inputs)
  guard value.count == 1 else {
    throw TensorError("hessian", "the function returned shape \(value.shape), not a scalar")
  }
  let wanted = positions.map { inputs[$0] }
  func zeroBlock(_ a: Tensor, _ b: Tensor) -> Tensor {
    Tensor.zeros(a.shape + b.shape, dtype: a.dtype)
  }
  guard value.requiresGrad else { return wanted.map { a in wanted.map { zeroBlock(a, $0) } } }
  let firsts = try gradients(of: value, withRespectTo: wanted, createGraph: true)
  var blocks: [[Tensor]] = []
  for (i, g) in firsts.enumerated() {
    // Row k of every block in this block row: the gradient of g's k-th element.
    var rows: [[Tensor]] = Array(repeating: [], count: wanted.count)
    for k in 0..<g.count {
      var basis = [Double](repeating: 0, count: g.count)
      basis[k] = 1
      let seconds =
        g.requiresGrad
        ? try gradients(
          of: g, withRespectTo: wanted, seed: Tensor(basis, shape: g.shape, dtype: g.dtype))
        : wanted.map { Tensor.zeros($0.shape, dtype: $0.dtype) }
      for j in wanted.indices { rows[j].append(seconds[j]) }
    }
    blocks.append(
      try wanted.indices.map { j in
        rows[j].isEmpty
          ? zeroBlock(wanted[i], wanted[j])
          : try Tensor.stacked(rows[j], axis: 0).reshaped(wanted[i].shape + wanted[j].shape)
      })
  }
  return blocks
}
