import Foundation
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

// listing: fit
/// A training run's curve: each step's loss, and the test accuracy before training and
/// after each epoch, at the number of steps taken by then.
public struct TrainingHistory {
  /// Each training step's loss.
  public var losses: [Double] = []
  /// (steps taken, test accuracy): before the first epoch, then after each.
  public var accuracies: [(x: Double, y: Double)] = []
  /// Seconds spent training (in `trainEpoch`; the evaluations are not counted).
  public var trainingSeconds = 0.0
}

/// Trains the classifier `model` for `epochs` passes over `loader`, with a progress bar
/// while each runs, and evaluates it on the test set before the first and after each,
/// printing one line per epoch: `epoch 1: test loss 0.123, accuracy 96.5%`.
public func fit(
  _ model: Module, on loader: DataLoader, optimizer: any Optimizer, epochs: Int,
  schedule: (any LearningRateSchedule)? = nil, testInputs: Tensor, testLabels: [Int]
) throws -> TrainingHistory {
  var history = TrainingHistory()
  let untrained = try evaluate(model, inputs: testInputs, labels: testLabels)
  history.accuracies.append((0, untrained.accuracy))
  for epoch in stride(from: 1, through: epochs, by: 1) {
    let progress = ProgressBar("epoch \(epoch)", total: loader.batchCount)
    let start = Date()
    history.losses += try trainEpoch(
      model, on: loader, optimizer: optimizer, schedule: schedule,
      firstStep: history.losses.count, progress: progress)
    history.trainingSeconds += Date().timeIntervalSince(start)
    progress.finish()
    let test = try evaluate(model, inputs: testInputs, labels: testLabels)
    history.accuracies.append((Double(history.losses.count), test.accuracy))
    print(
      String(
        format: "epoch %d: test loss %.3f, accuracy %.1f%%", epoch, test.loss,
        100 * test.accuracy))
  }
  return history
}
// end listing: fit
