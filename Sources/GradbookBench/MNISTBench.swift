import Foundation
import NN
import Scalar

/// One MNIST training recipe for the benchmark.
struct MNISTRecipe {
  /// The name in the table and the JSON (the peer script's name where there is one).
  let name: String
  /// The hidden layer widths.
  let hidden: [Int]
  /// The epochs over the 60,000 training images.
  let epochs: Int
  /// The images per step.
  let batchSize: Int
  /// The optimizer for the model's parameters and the steps per epoch.
  let optimizer: ([Tensor]) -> any Optimizer
  /// The learning-rate schedule, given the total step count.
  let schedule: ((Int) -> any LearningRateSchedule)?
}

/// What one run of a recipe measured.
struct MNISTRun {
  let seconds: Double
  let accuracy: Double
  let finalLoss: Double
}

extension MNISTRecipe {
  /// The MNIST recipes of `make bench`: PyTorch's two MLP scripts, and a tuned one.
  static var all: [MNISTRecipe] {
    [
      MNISTRecipe(
        name: "mlp_adam", hidden: [128], epochs: 1, batchSize: 128,
        optimizer: { Adam($0, learningRate: 1e-3) }, schedule: nil),
      MNISTRecipe(
        name: "mlp_sgd", hidden: [128], epochs: 1, batchSize: 128,
        optimizer: { SGD($0, learningRate: 0.1) }, schedule: nil),
      MNISTRecipe(
        name: "tuned", hidden: [256], epochs: 4, batchSize: 128,
        optimizer: { AdamW($0, learningRate: 3e-3, weightDecay: 1e-4) },
        schedule: { CosineSchedule(base: 3e-3, warmupSteps: 50, totalSteps: $0, minimum: 3e-5) }),
    ]
  }
}

/// Trains `recipe` from seed `seed` on the full training set; times the training only
/// (evaluation on the 10,000 test images follows, untimed).
func runMNIST(
  _ recipe: MNISTRecipe, seed: UInt64,
  data: (images: Tensor, labels: [Int], testImages: Tensor, testLabels: [Int])
) throws -> MNISTRun {
  var generator = SeededGenerator(seed: seed)
  var layers: [Module] = []
  var width = 784
  for hidden in recipe.hidden {
    layers += [Linear(width, hidden, using: &generator), ReLU()]
    width = hidden
  }
  let model = Sequential(layers + [Linear(width, 10, using: &generator)])
  let optimizer = recipe.optimizer(model.parameters())
  let loader = try DataLoader(
    inputs: data.images, labels: data.labels, batchSize: recipe.batchSize, seed: seed)
  let schedule = recipe.schedule?(recipe.epochs * loader.batchCount)
  let start = DispatchTime.now().uptimeNanoseconds
  var losses: [Double] = []
  for epoch in 0..<recipe.epochs {
    losses = try trainEpoch(
      model, on: loader, optimizer: optimizer, schedule: schedule,
      firstStep: epoch * loader.batchCount)
  }
  let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  let test = try evaluate(model, inputs: data.testImages, labels: data.testLabels)
  return MNISTRun(seconds: seconds, accuracy: test.accuracy, finalLoss: losses.last ?? .nan)
}
