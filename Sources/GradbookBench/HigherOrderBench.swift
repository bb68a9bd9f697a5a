import Foundation
import HigherOrder
import Scalar

/// Steady-state µs of (a) the Hessian of Σ tanh(Ax), n = 100, and (b) a Hessian-vector
/// product of an MLP loss (64-128-10, batch 128, softmax cross-entropy, 9,610 parameters),
/// the workloads of `../shared/peers/higher_order.py`, in Float32.
func higherOrderFigures(repetitions: Int) throws -> (
  hessianMicroseconds: Double, hvpMicroseconds: Double
) {
  var generator = SeededGenerator(seed: 3)
  let a = Tensor.randn([100, 100], using: &generator) / 10
  let x = Tensor.randn([100], using: &generator)
  let hessianTime = try medianSeconds(repetitions: repetitions) {
    _ = try hessian({ x in try a.matmul(x).tanh().sum() }, at: x)
  }

  let inputs = Tensor.randn([128, 64], using: &generator)
  var labels = [Double](repeating: 0, count: 128 * 10)
  for row in 0..<128 { labels[row * 10 + Int.random(in: 0..<10, using: &generator)] = 1 }
  let oneHot = try Tensor(labels, shape: [128, 10])
  let sizes = [(64, 128), (128, 10)]
  let count = sizes.map { $0.0 * $0.1 + $0.1 }.reduce(0, +)
  let parameters = Tensor.randn([count], using: &generator) * 0.1
  let loss: (Tensor) throws -> Tensor = { flat in
    var offset = 0
    var h = inputs
    for (i, (fanIn, fanOut)) in sizes.enumerated() {
      let w = try flat.sliced(axis: 0, offset..<(offset + fanIn * fanOut)).reshaped([fanIn, fanOut])
      offset += fanIn * fanOut
      let b = try flat.sliced(axis: 0, offset..<(offset + fanOut))
      offset += fanOut
      h = try h.matmul(w) + b
      if i < sizes.count - 1 { h = h.tanh() }
    }
    return try -(h.logSoftmax() * oneHot).sum() / 128
  }
  let v = Tensor.randn([count], using: &generator)
  let hvpTime = try medianSeconds(repetitions: repetitions) {
    _ = try hvp(loss, at: parameters, vector: v)
  }
  return (hessianTime * 1e6, hvpTime * 1e6)
}
