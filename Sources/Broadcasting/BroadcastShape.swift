@_exported import Tensors

// listing: broadcast-shape
/// The shape two operands broadcast to, NumPy's rule: align the shapes at their last axis;
/// each pair of sizes must be equal, or one of them 1 (which stretches); missing leading
/// axes count as 1.
///
/// `[4, 1]` and `[2, 4, 3]` broadcast to `[2, 4, 3]`; `[2, 3]` and `[4]` do not.
public func broadcastShape(_ a: [Int], _ b: [Int], op: String = "broadcast") throws -> [Int] {
  // exercise 3.1: The broadcast shape rule
  let rank = max(a.count, b.count)
  let paddedA = [Int](repeating: 1, count: rank - a.count) + a
  let paddedB = [Int](repeating: 1, count: rank - b.count) + b
  return try (0..<rank).map { axis in
    let (x, y) = (paddedA[axis], paddedB[axis])
    if x == y || y == 1 { return x }
    if x == 1 { return y }
    throw TensorError(
      op,
      "shapes \(describeShape(a)) and \(describeShape(b)) do not broadcast: "
        + "axis \(axis - rank) has sizes \(x) and \(y)")
  }
  // end exercise 3.1
}
// end listing: broadcast-shape

/// `[2, 3]`.
func describeShape(_ shape: [Int]) -> String {
  "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

extension Tensor {
  // listing: expand
  /// A view of this tensor stretched to `shape` by the broadcast rule, without copying:
  /// new leading axes and stretched size-1 axes get stride 0.
  ///
  /// Its VJP is `sum(toShape:)`: every position that read the same element adds its
  /// gradient back into it.
  public func expand(to shape: [Int]) throws -> Tensor {
    guard try broadcastShape(self.shape, shape, op: "expand") == shape else {
      throw TensorError(
        "expand", "cannot expand shape \(describeShape(self.shape)) to \(describeShape(shape))")
    }
    if self.shape == shape { return self }
    // exercise 3.2: Expand as a reshape and a zero-stride view
    let padded = [Int](repeating: 1, count: shape.count - rank) + self.shape
    return try reshaped(padded).expandedKeptAxes(to: shape)
    // end exercise 3.2
  }
  // end listing: expand

  // listing: sum-to-shape
  /// The sum of this tensor down to `shape`, which must broadcast to this tensor's shape:
  /// sums away the extra leading axes and the axes where `shape` has size 1.
  ///
  /// It is the adjoint of `expand(to:)`, and differentiable in turn (its VJP expands).
  public func sum(toShape shape: [Int]) throws -> Tensor {
    guard try broadcastShape(shape, self.shape, op: "sum(toShape:)") == self.shape else {
      throw TensorError(
        "sum(toShape:)",
        "shape \(describeShape(shape)) does not broadcast to "
          + describeShape(self.shape))
    }
    if self.shape == shape { return self }
    // exercise 3.3: Summing back to a broadcast operand's shape
    let lead = rank - shape.count
    let stretched = shape.indices.filter { shape[$0] == 1 && self.shape[lead + $0] != 1 }
    let axes = Array(0..<lead) + stretched.map { lead + $0 }
    return try sum(axes: axes, keepingAxes: true).reshaped(shape)
    // end exercise 3.3
  }
  // end listing: sum-to-shape
}
