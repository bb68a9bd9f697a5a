extension Value {
  // listing: topological-order
  /// Every value this one depends on, itself last, each after all of its inputs.
  ///
  /// A depth-first search with an explicit stack: a recursive search would overflow
  /// the call stack on a graph 100,000 operations deep.
  public func topologicalOrder() -> [Value] {
    // exercise 1.4: Topological order without recursion
    var order: [Value] = []
    var stack: [(node: Value, inputsDone: Bool)] = [(self, false)]
    while let (node, inputsDone) = stack.popLast() {
      if inputsDone {
        order.append(node)  // all of its inputs are already in `order`
      } else if !node.visited {
        node.visited = true
        stack.append((node, true))
        if let rhs = node.rhs, !rhs.visited { stack.append((rhs, false)) }
        if let lhs = node.lhs, !lhs.visited { stack.append((lhs, false)) }
      }
    }
    for node in order { node.visited = false }
    return order
    // end exercise 1.4
  }
  // end listing: topological-order

  // listing: propagate
  /// Applies the chain rule at this node: passes `grad` to each input, scaled by
  /// the local derivative.
  ///
  /// Inputs *accumulate* (`+=`): a value used on several paths receives the sum of
  /// the gradients along all of them.
  public func propagate() {
    // exercise 1.5: Accumulate gradients into the inputs
    lhs?.grad += lhsDerivative * grad
    rhs?.grad += rhsDerivative * grad
    // end exercise 1.5
  }
  // end listing: propagate

  // listing: backward
  /// Computes the gradient of this value with respect to every value it depends on.
  ///
  /// Semantics (PyTorch's, except that a second call through the same graph is allowed,
  /// which PyTorch refuses without `retain_graph=True`):
  /// - **Leaves accumulate.** Each call *adds* ∂self/∂leaf to every leaf's `grad`;
  ///   call `zeroGrad()` on the parameters between training steps.
  /// - **Intermediate gradients are per call.** They are reset to zero first, so a
  ///   second call adds exactly the same amounts again: leaves end at exactly 2×,
  ///   never 3× from stale intermediate gradients.
  public func backward() {
    let order = topologicalOrder()
    for node in order where !node.isLeaf { node.grad = 0 }
    grad += 1  // ∂self/∂self
    for node in order.reversed() { node.propagate() }
  }
  // end listing: backward

  /// Sets the gradient of every value in this graph, leaves included, to zero.
  public func zeroGrad() {
    for node in topologicalOrder() { node.grad = 0 }
  }
}

extension Sequence where Element == Value {
  /// Sets every gradient in the sequence to zero (typically a model's parameters).
  public func zeroGrad() {
    for value in self { value.grad = 0 }
  }
}
