import Foundation
import HigherOrder

/// How a loss combines the per-sample losses.
public enum Reduction: Sendable {
  /// The average over samples (PyTorch's default).
  case mean
  /// The total.
  case sum
  /// No reduction: one loss per sample, in the samples' shape (PyTorch's `'none'`).
  case unreduced
}

// listing: mse
/// The mean squared error (or its sum) between `prediction` and `target` of equal shapes.
public func mseLoss(_ prediction: Tensor, _ target: Tensor, reduction: Reduction = .mean)
  throws -> Tensor
{
  guard prediction.shape == target.shape else {
    throw TensorError(
      "mseLoss",
      "prediction \(prediction.shape) and target \(target.shape) differ in shape (a "
        + "broadcast here is usually a bug)")
  }
  let difference = try prediction - target
  let squares = try difference * difference
  switch reduction {
  case .mean: return squares.mean()
  case .sum: return squares.sum()
  case .unreduced: return squares
  }
}
// end listing: mse

// listing: cross-entropy
/// Cross-entropy of `logits` (`[n, classes]`, unnormalized) against integer class
/// `targets`, fused: −log softmax(z)[y] = logsumexp(z) − z[y], averaged (or summed, or one
/// per row with `.unreduced`).
///
/// The forward pass is one loop per row around the row's maximum, so logits of ±1000 give
/// exact finite losses; the gradient is (softmax(z) − onehot(y)) · g / n, written with
/// differentiable operations so that second derivatives flow through it too.
public func crossEntropy(logits: Tensor, targets: [Int], reduction: Reduction = .mean)
  throws -> Tensor
{
  guard logits.rank == 2, logits.shape[0] == targets.count else {
    throw TensorError(
      "crossEntropy",
      "logits of shape \(logits.shape) against \(targets.count) targets (expected "
        + "[\(targets.count), classes])")
  }
  let (n, classes) = (logits.shape[0], logits.shape[1])
  if let bad = targets.first(where: { !(0..<classes).contains($0) }) {
    throw TensorError(
      "crossEntropy", "target \(bad) is not a class of logits \(logits.shape) (0..<\(classes))")
  }
  let losses = rowLosses(logits, targets)
  let residual = {  // softmax(z) − onehot(y), built only when a derivative is asked for
    try logits.softmax(axis: 1) - .oneHot(targets, classes: classes, dtype: logits.dtype)
  }
  guard reduction != .unreduced else {
    // One loss per row; row i's gradient is its residual times g[i].
    return try Tensor(losses, shape: [n], dtype: logits.dtype).recorded(
      "crossEntropy", [logits],
      jvp: { t, _ in try (residual() * t[0]!).sum(axes: [1]) }
    ) { g in [try residual() * g.reshaped([n, 1])] }
  }
  let scale = reduction == .mean ? 1 / Double(Swift.max(n, 1)) : 1
  let loss = Tensor(scalar: losses.reduce(0, +) * scale, dtype: logits.dtype)
  return loss.recorded(
    "crossEntropy", [logits], jvp: { t, _ in try (residual() * t[0]!).sum() * scale }
  ) { g in [try residual() * (g * scale)] }
}

/// logsumexp(row) − row[target] for each row, taken around the row's maximum.
func rowLosses(_ logits: Tensor, _ targets: [Int]) -> [Double] {
  var losses: [Double] = []
  losses.reserveCapacity(targets.count)
  logits.forEachRow { i, row in
    let target = targets[i]
    var total = 0.0
    // exercise 5.2: Cross-entropy with log-sum-exp
    let m = row.max() ?? 0
    var sum = 0.0
    for value in row { sum += Foundation.exp(value - m) }
    total += m + Foundation.log(sum) - row[target]
    // end exercise 5.2
    losses.append(total)
  }
  return losses
}
// end listing: cross-entropy

/// Cross-entropy of `logits` of shape `[…, classes]` (the class axis last, as a language
/// model's `[batch, time, vocabulary]`) against an int64 tensor of class `targets` of the
/// leading shape `[…]`; `.unreduced` gives one loss per target, in that shape.
public func crossEntropy(logits: Tensor, targets: Tensor, reduction: Reduction = .mean)
  throws -> Tensor
{
  guard targets.dtype == .int64, logits.rank >= 1,
    Array(logits.shape.dropLast()) == targets.shape
  else {
    throw TensorError(
      "crossEntropy",
      "logits of shape \(logits.shape) against targets of shape \(targets.shape) "
        + "\(targets.dtype) (expected int64 targets of the logits' shape without its last, "
        + "class axis)")
  }
  let classes = logits.shape.last!
  let flat = try crossEntropy(
    logits: logits.reshaped([targets.count, classes]), targets: targets.integers(),
    reduction: reduction)
  return reduction == .unreduced ? try flat.reshaped(targets.shape) : flat
}

extension Tensor {
  /// A `[labels.count, classes]` tensor with a 1 at each row's label and 0 elsewhere.
  ///
  /// Throws when a label is not in `0..<classes`.
  public static func oneHot(_ labels: [Int], classes: Int, dtype: DType = .default) throws
    -> Tensor
  {
    if let bad = labels.first(where: { !(0..<classes).contains($0) }) {
      throw TensorError("oneHot", "label \(bad) is not in 0..<\(classes)")
    }
    var values = [Double](repeating: 0, count: labels.count * classes)
    for (row, label) in labels.enumerated() { values[row * classes + label] = 1 }
    return try Tensor(values, shape: [labels.count, classes], dtype: dtype)
  }

  /// The index of the largest element of each row of a `[n, classes]` tensor (the first
  /// on ties): a classifier's predictions, `argmax(axis: 1)` as a list.
  public func predictedClasses() throws -> [Int] {
    guard rank == 2, shape[1] > 0 else {
      throw TensorError("predictedClasses", "expects [n, classes ≥ 1], got \(shape)")
    }
    return try argmax(axis: 1).integers()
  }
}

/// The fraction of rows of `logits` whose largest entry is at the target class.
public func accuracy(logits: Tensor, targets: [Int]) throws -> Double {
  let predictions = try logits.predictedClasses()
  guard predictions.count == targets.count else {
    throw TensorError("accuracy", "logits \(logits.shape) against \(targets.count) targets")
  }
  let correct = zip(predictions, targets).filter { $0 == $1 }.count
  return Double(correct) / Double(Swift.max(targets.count, 1))
}

/// The fraction of rows of `logits` whose largest entry is at the target class, with the
/// targets in a 1-d int64 tensor.
public func accuracy(logits: Tensor, targets: Tensor) throws -> Double {
  try accuracy(logits: logits, targets: targets.indexList("accuracy"))
}

/// Binary cross-entropy of `logits` against targets in [0, 1], computed stably as
/// softplus(z) − y·z (no log of a sigmoid that rounded to 0).
public func binaryCrossEntropy(
  logits: Tensor, targets: Tensor, reduction: Reduction = .mean
) throws -> Tensor {
  guard logits.shape == targets.shape else {
    throw TensorError(
      "binaryCrossEntropy", "logits \(logits.shape) and targets \(targets.shape) differ")
  }
  let losses = try logits.softplus() - targets * logits
  switch reduction {
  case .mean: return losses.mean()
  case .sum: return losses.sum()
  case .unreduced: return losses
  }
}

/// Σ |p| over every element of `parameters`: the lasso penalty, which drives weights to
/// exactly zero.
public func l1Penalty(_ parameters: [Tensor]) throws -> Tensor {
  try total(parameters.map { $0.abs().sum() })
}

/// Σ p² over every element of `parameters`: the ridge (weight-decay) penalty.
public func l2Penalty(_ parameters: [Tensor]) throws -> Tensor {
  try total(parameters.map { try ($0 * $0).sum() })
}

/// The sum of 0-d `terms` (0 when there are none).
func total(_ terms: [Tensor]) throws -> Tensor {
  guard var sum = terms.first else { return Tensor(scalar: 0) }
  for term in terms.dropFirst() { sum = try sum + term }
  return sum
}
