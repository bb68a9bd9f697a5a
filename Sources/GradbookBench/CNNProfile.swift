import CNN
import Scalar

/// One layer's share of a CNN training step: forward and backward medians.
struct LayerTime {
  let name: String
  let forwardMicroseconds: Double
  let backwardMicroseconds: Double

  var json: [String: Any] {
    ["name": name, "fwd_us": forwardMicroseconds, "bwd_us": backwardMicroseconds]
  }
}

/// Chapter 6's CNN, one training step at batch 128 taken apart: each layer's forward and
/// backward on the activations it really sees (its input requiring a gradient, except the
/// images'), then the loss and the Adam step. Their sum is the step the epoch repeats 469
/// times.
func cnnStepProfile(repetitions: Int) throws -> [LayerTime] {
  var generator = SeededGenerator(seed: 6)
  let model = try MNISTRecipe.cnn(&generator) as! Sequential
  let names = [
    "conv 1→8, 3×3", "batch norm 8", "relu", "max pool 2×2", "conv 8→16, 3×3",
    "batch norm 16", "relu", "max pool 2×2", "flatten", "linear 784→10",
  ]
  var input = Tensor.rand([128, 1, 28, 28], in: 0...1, using: &generator)
  var times: [LayerTime] = []
  for (index, layer) in model.layers.enumerated() {
    let x = input.detach()
    x.requiresGrad = index > 0
    let forward = try medianSeconds(repetitions: repetitions) { _ = try layer(x) }
    let y = try layer(x)
    let seed = Tensor.randn(y.shape, using: &generator)
    let backward = try medianSeconds(repetitions: repetitions) {
      for p in layer.parameters() { p.grad = nil }
      x.grad = nil
      try y.backward(seed: seed)
    }
    times.append(
      LayerTime(
        name: names[index], forwardMicroseconds: forward * 1e6,
        backwardMicroseconds: backward * 1e6))
    input = y.detach()
  }
  let logits = input.detach()
  logits.requiresGrad = true
  let targets = (0..<128).map { $0 % 10 }
  let lossForward = try medianSeconds(repetitions: repetitions) {
    _ = try crossEntropy(logits: logits, targets: targets)
  }
  let loss = try crossEntropy(logits: logits, targets: targets)
  let lossBackward = try medianSeconds(repetitions: repetitions) {
    logits.grad = nil
    try loss.backward()
  }
  times.append(
    LayerTime(
      name: "cross-entropy", forwardMicroseconds: lossForward * 1e6,
      backwardMicroseconds: lossBackward * 1e6))
  for p in model.parameters() { p.grad = Tensor.randn(p.shape, using: &generator) }
  let optimizer = Adam(model.parameters())
  let step = try medianSeconds(repetitions: repetitions) { try optimizer.step() }
  times.append(
    LayerTime(
      name: "Adam step (9,146 parameters)", forwardMicroseconds: step * 1e6,
      backwardMicroseconds: 0))
  return times
}
