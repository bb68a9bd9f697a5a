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
  return try differentiating { callerRecords in
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
    let outer = isDifferentiatedAgain(value, besides: inputs, callerRecords)
    let gradients = try gradients(of: value, withRespectTo: wanted, createGraph: outer)
    return (callerRecords ? value : value.detach(), gradients)
  }
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
  return try differentiating { callerRecords in
    let inputs = arguments.map(differentiable)
    let y = try f(inputs)
    guard u.shape == y.shape else {
      throw TensorError("vjp", "cotangent of shape \(u.shape) for an output of shape \(y.shape)")
    }
    let wanted = positions.map { inputs[$0] }
    guard y.requiresGrad else { return wanted.map { Tensor.zeros($0.shape, dtype: $0.dtype) } }
    return try gradients(
      of: y, withRespectTo: wanted, seed: u,
      createGraph: isDifferentiatedAgain(y, besides: inputs, callerRecords))
  }
}

/// The Hessian of a scalar function of several tensors, in blocks: `blocks[i][j]` holds
/// ∂²f/∂aᵢ∂aⱼ for the chosen arguments aᵢ, aⱼ, shaped `aᵢ.shape + aⱼ.shape` — the cross
/// blocks (i ≠ j) included.
public func hessian(
  _ f: ([Tensor]) throws -> Tensor, at arguments: [Tensor], argumentIndices: [Int]? = nil
) throws -> [[Tensor]] {
  let positions = try argumentPositions(argumentIndices, count: arguments.count, op: "hessian")
  return try differentiating { callerRecords in
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
    // Are the blocks differentiated again?
    let outer = isDifferentiatedAgain(value, besides: inputs, callerRecords)
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
            of: g, withRespectTo: wanted, seed: Tensor(basis, shape: g.shape, dtype: g.dtype),
            createGraph: outer)
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
}

/// Jv for a function of several tensors, with one tangent per argument: forward mode when
/// every operation has a rule, the double-VJP trick otherwise.
public func jvp(
  _ f: ([Tensor]) throws -> Tensor, at arguments: [Tensor], tangents: [Tensor]
) throws -> Tensor {
  guard tangents.count == arguments.count else {
    throw TensorError("jvp", "\(tangents.count) tangents for \(arguments.count) arguments")
  }
  for (x, v) in zip(arguments, tangents) where v.shape != x.shape {
    throw TensorError("jvp", "tangent of shape \(v.shape) for an argument of shape \(x.shape)")
  }
  if !arguments.contains(where: { $0.requiresGrad }) {
    let trace = ForwardMode.Trace()
    let inputs = try zip(arguments, tangents).map { try $0.withTangent($1) }
    let y = try ForwardMode.$trace.withValue(trace) { try f(inputs) }
    if trace.missingRules.isEmpty, !y.requiresGrad {
      return y.tangent ?? Tensor.zeros(y.shape, dtype: y.dtype)
    }
  }
  // Double VJP: the VJP of u ↦ Σᵢ ⟨Jᵢᵀu, vᵢ⟩ with respect to u is Σᵢ Jᵢvᵢ.
  return try differentiating { callerRecords in
    let inputs = arguments.map(differentiable)
    let y = try f(inputs)
    guard y.requiresGrad else { return Tensor.zeros(y.shape, dtype: y.dtype) }
    let outer = isDifferentiatedAgain(y, besides: inputs, callerRecords)
    let u = Tensor.zeros(y.shape, dtype: y.dtype)
    u.requiresGrad = true
    let jtu = try gradients(of: y, withRespectTo: inputs, seed: u, createGraph: true)
    var inner = Tensor(scalar: 0, dtype: y.dtype)
    for (g, v) in zip(jtu, tangents) { inner = try inner + (g * v).sum() }
    guard inner.requiresGrad else { return Tensor.zeros(y.shape, dtype: y.dtype) }
    return try gradients(of: inner, withRespectTo: [u], createGraph: outer)[0]
  }
}

/// H v for a scalar function of several tensors, with one vector per argument: for each
/// argument aᵢ, Σⱼ ∂²f/∂aᵢ∂aⱼ vⱼ (the cross blocks included).
public func hvp(
  _ f: ([Tensor]) throws -> Tensor, at arguments: [Tensor], vectors: [Tensor]
) throws -> [Tensor] {
  guard vectors.count == arguments.count else {
    throw TensorError("hvp", "\(vectors.count) vectors for \(arguments.count) arguments")
  }
  for (x, v) in zip(arguments, vectors) where v.shape != x.shape {
    throw TensorError("hvp", "vector of shape \(v.shape) for an argument of shape \(x.shape)")
  }
  return try differentiating { callerRecords in
    let inputs = arguments.map(differentiable)
    let value = try f(inputs)
    guard value.count == 1 else {
      throw TensorError("hvp", "the function returned shape \(value.shape), not a scalar")
    }
    let zeros = inputs.map { Tensor.zeros($0.shape, dtype: $0.dtype) }
    guard value.requiresGrad else { return zeros }
    let outer = isDifferentiatedAgain(value, besides: inputs, callerRecords)
    let firsts = try gradients(of: value, withRespectTo: inputs, createGraph: true)
    var directional = Tensor(scalar: 0, dtype: value.dtype)
    for (g, v) in zip(firsts, vectors) { directional = try directional + (g * v).sum() }
    guard directional.requiresGrad else { return zeros }
    return try gradients(of: directional, withRespectTo: inputs, createGraph: outer)
  }
}
