import Foundation

// listing: sgd-step
/// One step of gradient descent: moves every parameter against its gradient.
///
/// `parameter.data -= learningRate * parameter.grad`. The update touches `data`
/// directly: it is not part of any graph.
public func sgdStep(_ parameters: [Value], learningRate: Double) {
  // exercise 1.7: One step of gradient descent
  for parameter in parameters {
    parameter.data -= learningRate * parameter.grad
  }
  // end exercise 1.7
}
// end listing: sgd-step

// listing: hinge-loss
/// The mean hinge loss of scores against ±1 labels: mean(max(0, 1 − yᵢ·sᵢ)).
///
/// Zero once every point is on the right side with a margin of at least 1.
public func hingeLoss(scores: [Value], labels: [Double]) -> Value {
  precondition(
    scores.count == labels.count && !scores.isEmpty,
    "hingeLoss: \(scores.count) scores for \(labels.count) labels")
  let losses = zip(scores, labels).map { score, label in (1 + -label * score).relu() }
  return Value.sum(losses) * (1 / Double(losses.count))
}
// end listing: hinge-loss

/// The L2 penalty α·Σ p² over `parameters`.
public func l2Penalty(_ parameters: [Value], alpha: Double) -> Value {
  alpha * Value.sum(parameters.map { $0 * $0 })
}

/// The fraction of scores whose sign matches the ±1 label.
public func accuracy(scores: [Value], labels: [Double]) -> Double {
  let correct = zip(scores, labels).filter { ($0.data > 0) == ($1 > 0) }.count
  return Double(correct) / Double(max(labels.count, 1))
}

/// Two interleaving half circles with ±1 labels, the classic toy set for a small classifier.
///
/// The same construction as scikit-learn's `make_moons`: the first half of the points on
/// the upper moon (label +1), the rest on the lower one (label −1), plus Gaussian noise.
public func makeMoons(
  count: Int, noise: Double = 0.1, seed: UInt64 = 1
) -> (points: [[Double]], labels: [Double]) {
  var generator = SeededGenerator(seed: seed)
  let upper = count / 2
  let lower = count - upper
  var points: [[Double]] = []
  var labels: [Double] = []
  func angle(_ i: Int, of n: Int) -> Double { n > 1 ? Double.pi * Double(i) / Double(n - 1) : 0 }
  for i in 0..<upper {
    let t = angle(i, of: upper)
    points.append([cos(t), sin(t)])
    labels.append(1)
  }
  for i in 0..<lower {
    let t = angle(i, of: lower)
    points.append([1 - cos(t), 1 - sin(t) - 0.5])
    labels.append(-1)
  }
  for i in points.indices {
    points[i][0] += noise * generator.nextGaussian()
    points[i][1] += noise * generator.nextGaussian()
  }
  return (points, labels)
}
