/// A forward-mode rule: the tangent of an operation's result from its inputs' tangents and
/// the result itself.
///
/// A nil tangent is a *symbolic* zero: an input without one contributes nothing (no tensor
/// of zeros is made for it), and a rule may return nil when the result's tangent is zero.
public typealias JVPRule = (_ tangents: [Tensor?], _ result: Tensor) throws -> Tensor?

/// The sum of the terms present: nil (a symbolic zero) when none is.
public func sumOfTerms(_ terms: [Tensor?]) throws -> Tensor? {
  let present = terms.compactMap { $0 }
  guard var total = present.first else { return nil }
  for term in present.dropFirst() { total = try total.adding(term) }
  return total
}

/// Forward mode: while a trace is active, operations push tangents forward as they run.
public enum ForwardMode {
  /// What one forward-mode evaluation ran into.
  public final class Trace: @unchecked Sendable {
    /// Operations that met a tangent but have no forward-mode rule.
    public internal(set) var missingRules: [String] = []
    /// Creates an empty trace.
    public init() {}
    /// Notes that something met a tangent it cannot push forward, such as a derivative
    /// taken inside the function: the evaluation's tangents are then not to be trusted.
    public func noteUnsupported(_ what: String) { missingRules.append(what) }
  }

  /// The active trace, if forward mode is on.
  @TaskLocal public static var trace: Trace?
}

/// The tangent `t`, or zeros shaped like `x` when it has none (for a rule that needs every
/// operand, such as a linear operation of several inputs).
func tangentOrZeros(_ t: Tensor?, _ x: Tensor) -> Tensor {
  t ?? Tensor.zeros(x.shape, dtype: x.dtype)
}

/// Whether operations record themselves on the tape.
public enum GradMode {
  /// True unless inside `withoutGrad { }` (and while `backward()` runs the VJPs).
  @TaskLocal public static var isRecording = true
}

/// Runs `body` as plain arithmetic: nothing in it is recorded on the tape or (in forward
/// mode) pushes tangents — how an operation computes its own value.
public func plainly<R>(_ body: () throws -> R) rethrows -> R {
  // Reading a task-local value costs less than binding one: bind only what changes.
  guard ForwardMode.trace != nil else { return try withoutGrad(body) }
  return try ForwardMode.$trace.withValue(nil) { try withoutGrad(body) }
}

/// Runs `body` without recording: results have no tape and no gradient flows through them.
public func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
  guard GradMode.isRecording else { return try body() }
  return try GradMode.$isRecording.withValue(false) { try body() }
}

// listing: tape-node
/// One recorded operation: its inputs and its vector-Jacobian product.
///
/// Given the gradient of the loss with respect to the operation's output (the
/// *cotangent*), `vjp` returns the gradient with respect to each input (nil where
/// none is needed). VJPs are written with tensor operations, so later chapters can
/// differentiate them again. They capture inputs, never the output's node: a node
/// holds its inputs, an output holds its node, and nothing points back.
final class TapeNode {
  let op: String
  private(set) var inputs: [Tensor]
  private(set) var vjp: (Tensor) throws -> [Tensor?]
  // end listing: tape-node
  /// The longest chain of recorded operations below this one.
  let depth: Int

  /// The sum of the inputs' storage versions when recorded. Versions only grow, so the sum
  /// changes exactly when some input was changed in place (kept as one number: no array per
  /// node on the hot path).
  let savedVersions: Int
  /// Whether the VJP reads the inputs' values (false for a linear operation, whose
  /// transpose reads none: changing its inputs later is harmless).
  var readsInputs = true

  init(op: String, inputs: [Tensor], vjp: @escaping (Tensor) throws -> [Tensor?]) {
    self.op = op
    self.inputs = inputs
    self.vjp = vjp
    var depth = 0
    var versions = 0
    for input in inputs {
      if let node = input.node, node.depth > depth { depth = node.depth }
      versions &+= input.storage.version
    }
    self.depth = depth + 1
    savedVersions = versions
  }

  /// Throws when an input the VJP reads was changed in place since it was recorded: the
  /// gradient would be computed from the new values, silently wrong.
  func checkSavedInputs() throws {
    guard readsInputs else { return }
    var versions = 0
    for input in inputs { versions &+= input.storage.version }
    guard versions != savedVersions else { return }
    // Name a suspect: an input whose storage has been changed in place at all.
    let suspect = inputs.indices.first { inputs[$0].storage.version > 0 } ?? 0
    throw TensorError(
      "backward",
      "an input of \(op) was modified in place after it was saved for the backward of \(op) "
        + "(input \(suspect), \(describe(inputs[suspect].shape)) \(inputs[suspect].dtype), has "
        + "been changed in place): update tensors after backward(), or run the forward pass "
        + "again")
  }

  /// Frees a deep tape without one nested call per operation (which would overflow the
  /// stack on a 100,000-op chain): the inputs go on a worklist, and each node this one was
  /// the last owner of hands over its own inputs before it goes. Shallow tapes are freed
  /// the ordinary way.
  deinit {
    guard depth > 1_000 else { return }
    var pending = inputs
    inputs = []
    vjp = { _ in [] }  // its captured inputs are still held by `pending`
    while var tensor = pending.popLast() {
      guard isKnownUniquelyReferenced(&tensor), var node = tensor.node else { continue }
      tensor.node = nil
      if isKnownUniquelyReferenced(&node) {
        pending += node.inputs
        node.inputs = []
        node.vjp = { _ in [] }
      }
    }
  }
}

extension Tensor {
  /// The name of the operation that produced this tensor (`leaf` for leaves).
  public var opName: String { node?.op ?? "leaf" }

  /// The tensors this one was computed from.
  public var inputs: [Tensor] { node?.inputs ?? [] }

  // listing: recorded
  /// This result, computed without recording, recorded on the tape as the output of `op`
  /// applied to `inputs` — when recording is on and some input requires a gradient;
  /// otherwise this result as it is.
  ///
  /// This is the one way to add a differentiable operation, public so that your own package
  /// adds operations exactly as the engine does. `vjp` receives the cotangent ȳ (the
  /// gradient of the loss with respect to the result) and returns one gradient per input,
  /// each of its input's shape, or nil where none is needed: `inputs[i].requiresGrad` is
  /// PyTorch's `needs_input_grad[i]`, and skipping that work is allowed. Write the VJP with
  /// tensor operations and capture the inputs, never the result, so that it can be
  /// differentiated again (Chapter 4) and frees with the tape.
  public func recorded(
    _ op: String, _ inputs: [Tensor],
    // since chapter 4: forward mode
    jvp: JVPRule? = nil,
    // end since chapter 4
    vjp: @escaping (Tensor) throws -> [Tensor?]
  ) -> Tensor {
    // since chapter 4: forward mode
    if inputs.contains(where: { $0.tangent != nil }), let trace = ForwardMode.trace {
      pushTangent(op, inputs, jvp, trace)
    }
    // end since chapter 4
    guard GradMode.isRecording, inputs.contains(where: { $0.requiresGrad }) else { return self }
    let node = TapeNode(op: op, inputs: inputs, vjp: vjp)
    let result = Tensor(
      storage: storage, shape: shape, strides: strides, offset: offset, node: node)
    // since chapter 4: forward mode
    result.tangent = tangent
    // end since chapter 4
    return result
  }
  // end listing: recorded

  // listing: linear-operation
  /// A *linear* operation of `inputs`: `apply` computes it, and `transpose` is its VJP (the
  /// transpose of a linear map).
  ///
  /// Views, reshapes, sums, sums of operands, scaling: a linear map is its own derivative,
  /// so `apply` is all the engine needs to know for forward mode too (Chapter 4) — nothing
  /// is written twice (JAX's `deflinear`). `apply` must therefore work on any tensors of the
  /// inputs' shapes, whatever their strides: read layouts from its arguments, not from `self`.
  public static func linear(
    _ op: String, _ inputs: [Tensor], apply: @escaping ([Tensor]) throws -> Tensor,
    transpose: @escaping (Tensor) throws -> [Tensor?]
  ) rethrows -> Tensor {
    let value = try plainly { try apply(inputs) }
    // since chapter 4: forward mode
    // The forward-mode rule is the map itself, applied to the tangents (made only when some
    // input carries one).
    if inputs.contains(where: { $0.tangent != nil }) {
      return value.recorded(
        op, inputs,
        jvp: { tangents, _ in
          try apply(zip(tangents, inputs).map { tangentOrZeros($0, $1) })
        }, vjp: transpose
      ).readingNoInputs()
    }
    // end since chapter 4
    return value.recorded(op, inputs, vjp: transpose).readingNoInputs()
  }

  /// This result, its node marked as one whose VJP reads no input values (a linear map's
  /// transpose depends only on shapes), so changing an input in place later is allowed.
  func readingNoInputs() -> Tensor {
    node?.readsInputs = false
    return self
  }
  // end listing: linear-operation

  /// Forward mode: this result's tangent from its inputs' tangents by the op's JVP rule,
  /// or a note in the trace that the op has none (the caller then falls back).
  func pushTangent(_ op: String, _ inputs: [Tensor], _ jvp: JVPRule?, _ trace: ForwardMode.Trace) {
    guard let jvp else {
      trace.missingRules.append(op)
      return
    }
    do {
      // The rule's own operations see inputs that carry tangents: forward mode is off
      // while it runs, or each of them would push tangents of its own.
      tangent = try ForwardMode.$trace.withValue(nil) {
        try withoutGrad { try jvp(inputs.map(\.tangent), self) }
      }
    } catch {
      trace.missingRules.append("\(op): \(error)")
    }
  }

  /// A view of the same elements with no tape: gradients do not flow through it.
  public func detach() -> Tensor {
    Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
  }

  /// Every tensor this one depends on through the tape, itself last, each after its inputs.
  ///
  /// Iterative, with a visited flag on each tensor (reset before returning) rather than a
  /// set of identities: no hashing on the hot path of every `backward()`.
  public func topologicalOrder() -> [Tensor] {
    var order: [Tensor] = []
    var stack: [(tensor: Tensor, inputsDone: Bool)] = [(self, false)]
    while let (tensor, inputsDone) = stack.popLast() {
      if inputsDone {
        order.append(tensor)
      } else if !tensor.visited {
        tensor.visited = true
        stack.append((tensor, true))
        for input in tensor.inputs.reversed() where !input.visited {
          stack.append((input, false))
        }
      }
    }
    for tensor in order { tensor.visited = false }
    return order
  }

  // listing: backward
  /// Accumulates the gradient of this tensor into every leaf that requires one.
  ///
  /// `seed` is the cotangent, ∂L/∂self; it defaults to 1 for a one-element tensor and
  /// is required otherwise. Leaf gradients *accumulate* across calls (call `zeroGrad()`
  /// between steps); intermediate gradients live only during the call unless a tensor
  /// `retainsGrad`. The graph is not freed by `backward()`, so a second call adds exactly
  /// the same amounts again: 2× after two calls, never 3×.
  public func backward(seed: Tensor? = nil) throws {
    try propagate(seed: seed, recordingVJPs: false) { tensor, grad in
      if tensor.isLeaf || tensor.retainsGrad {
        tensor.grad = try tensor.grad.map { try $0.adding(grad) } ?? grad
      }
    }
  }

  /// Runs the chain rule from this tensor back through its tape, handing every tensor's
  /// complete gradient to `receive`.
  ///
  /// The VJPs run unrecorded unless `recordingVJPs` is true — Chapter 4 turns it on, so
  /// that the gradients get a tape of their own. A gradient waiting for the rest of its sum
  /// is kept on the tensor itself (`pendingGrad`) for the length of the call.
  package func propagate(
    seed: Tensor?, recordingVJPs: Bool, receive: (Tensor, Tensor) throws -> Void
  ) throws {
    guard requiresGrad else {
      throw TensorError("backward", "this tensor does not require a gradient (no tape)")
    }
    let cotangent: Tensor
    if let seed {
      guard seed.shape == shape, seed.dtype == dtype else {
        throw TensorError(
          "backward",
          "seed of shape \(describe(seed.shape)) \(seed.dtype) for a tensor of "
            + "shape \(describe(shape)) \(dtype)")
      }
      cotangent = seed
    } else {
      guard count == 1 else {
        throw TensorError(
          "backward", "the tensor has shape \(describe(shape)); pass seed: for a non-scalar")
      }
      cotangent = Tensor.ones(shape, dtype: dtype)
    }
    let order = topologicalOrder()
    defer { for tensor in order { tensor.pendingGrad = nil } }  // also when a VJP throws
    pendingGrad = cotangent
    try GradMode.$isRecording.withValue(recordingVJPs) {
      for tensor in order.reversed() {
        guard let grad = tensor.pendingGrad else { continue }
        tensor.pendingGrad = nil
        try receive(tensor, grad)
        guard let node = tensor.node else { continue }
        try node.checkSavedInputs()  // no input changed in place since it was recorded
        let inputGrads = try node.vjp(grad)
        for (input, inputGrad) in zip(node.inputs, inputGrads) {
          guard input.requiresGrad, let inputGrad else { continue }
          guard inputGrad.shape == input.shape else {
            throw TensorError(
              "backward",
              "the VJP of \(node.op) gave shape \(describe(inputGrad.shape)) "
                + "for an input of shape \(describe(input.shape))")
          }
          // Accumulate: a tensor used on several paths receives the sum of them all.
          input.pendingGrad = try input.pendingGrad.map { try $0.adding(inputGrad) } ?? inputGrad
        }
      }
    }
  }
  // end listing: backward

  /// Forgets the accumulated gradient.
  public func zeroGrad() { grad = nil }
}
