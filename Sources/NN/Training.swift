import HigherOrder

// listing: train-epoch
/// One pass over `loader` training the classifier `model` with cross-entropy: for each
/// batch, set the scheduled rate, forward, backward, clip, step. Returns each step's loss.
///
/// `firstStep` is the step number of this epoch's first batch, for the schedule.
@discardableResult
public func trainEpoch(
  _ model: Module, on loader: DataLoader, optimizer: any Optimizer,
  schedule: (any LearningRateSchedule)? = nil, firstStep: Int = 0, clipNorm: Double? = nil,
  progress: ProgressBar? = nil
) throws -> [Double] {
  model.train()
  var losses: [Double] = []
  for (index, batch) in loader.nextEpoch().enumerated() {
    if let schedule { optimizer.learningRate = schedule.learningRate(at: firstStep + index) }
    let loss = try crossEntropy(logits: model(batch.inputs), targets: batch.labels)
    optimizer.zeroGrad()
    try loss.backward()
    if let clipNorm { try clipGradientNorm(optimizer.parameters, maxNorm: clipNorm) }
    try optimizer.step()
    losses.append(try loss.item())
    progress?.status = "loss \(String(format: "%.3f", losses.last!))"
    progress?.advance()
  }
  return losses
}
// end listing: train-epoch

/// The mean cross-entropy and accuracy of `model` on `inputs` and `labels`, in
/// evaluation mode, in batches, building no tape.
public func evaluate(
  _ model: Module, inputs: Tensor, labels: [Int], batchSize: Int = 1000
) throws -> (loss: Double, accuracy: Double) {
  let wasTraining = model.isTraining
  model.eval()
  defer { if wasTraining { model.train() } }
  let loader = try DataLoader(inputs: inputs, labels: labels, batchSize: batchSize, shuffle: false)
  var (loss, correct) = (0.0, 0.0)
  try withoutGrad {
    for batch in loader.nextEpoch() {
      let logits = try model(batch.inputs)
      loss += try crossEntropy(logits: logits, targets: batch.labels, reduction: .sum).item()
      correct += try accuracy(logits: logits, targets: batch.labels) * Double(batch.labels.count)
    }
  }
  let n = Double(Swift.max(labels.count, 1))
  return (loss / n, correct / n)
}
