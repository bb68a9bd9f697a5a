// The arithmetic of Chapter 2, upgraded to broadcast. Each operator *composes* the
// equal-shape operation with `expand(to:)`: no kernel and no VJP is written twice, and
// the gradient of a broadcast operand is summed back by `expand`'s own VJP.

extension Tensor {
  // listing: broadcast-operator
  /// Both operands expanded to their broadcast shape (views, no copies).
  func broadcast(with other: Tensor, op: String) throws -> (Tensor, Tensor) {
    // exercise 3.4: Broadcast both operands
    if self.shape == other.shape { return (self, other) }
    let shape = try broadcastShape(self.shape, other.shape, op: op)
    return (try expand(to: shape), try other.expand(to: shape))
    // end exercise 3.4
  }

  /// Elementwise sum with broadcasting: `[4, 1] + [2, 4, 3]` is `[2, 4, 3]`.
  public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor {
    let (a, b) = try lhs.broadcast(with: rhs, op: "add")
    return try a.adding(b)
  }
  // end listing: broadcast-operator

  /// Elementwise difference with broadcasting.
  public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor {
    let (a, b) = try lhs.broadcast(with: rhs, op: "subtract")
    return try a.subtracting(b)
  }

  /// Elementwise product with broadcasting.
  public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor {
    let (a, b) = try lhs.broadcast(with: rhs, op: "multiply")
    return try a.multiplied(by: b)
  }

  /// Elementwise quotient with broadcasting.
  public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor {
    let (a, b) = try lhs.broadcast(with: rhs, op: "divide")
    return try a.divided(by: b)
  }

  // listing: broadcast-matmul
  /// The matrix product with broadcast batch axes: `[5, 1, 3, 4] · [2, 4, 6]` is
  /// `[5, 2, 3, 6]`. 1-d operands follow NumPy, as in Chapter 2: `[2] · [4, 2, 3]` is
  /// `[4, 3]`.
  public func matmul(_ other: Tensor) throws -> Tensor {
    guard rank >= 1, other.rank >= 1 else { return try matrixProduct(other) }  // 0-d: an error
    if rank == 1 || other.rank == 1 {
      return try promotingVectors(other) { try $0.matmul($1) }
    }
    // exercise 3.5: Broadcast the batch axes of a matrix product
    let batch = try broadcastShape(
      Array(shape.dropLast(2)), Array(other.shape.dropLast(2)), op: "matmul")
    let a = try expand(to: batch + shape.suffix(2))
    let b = try other.expand(to: batch + other.shape.suffix(2))
    return try a.matrixProduct(b)
    // end exercise 3.5
  }
  // end listing: broadcast-matmul
}
