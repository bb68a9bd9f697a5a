import CNN
import Foundation
import Scalar

/// One MNIST training recipe for the benchmark.
struct MNISTRecipe {
  /// The name in the table and the JSON (the peer script's name where there is one).
  let name: String
  /// The model, from a generator; it reads images of `imageShape`.
  let model: (inout SeededGenerator) throws -> Module
  /// The model in a few words, for the table: `784-128-10` or `CNN 8-16`.
  let summary: String
  /// The shape of a batch of images (`[-1, 784]` for an MLP, `[-1, 1, 28, 28]` for a CNN).
  var imageShape = [-1, 784]
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
  /// An MLP 784-hidden-10 with ReLU between the layers.
  static func mlp(_ hidden: Int) -> (inout SeededGenerator) -> Module {
    { generator in
      Sequential(
        Linear(784, hidden, using: &generator), ReLU(), Linear(hidden, 10, using: &generator))
    }
  }

  /// The seed's CNN, PyTorch's `mnist_cnn()` (Chapter 6).
  static func cnn(_ generator: inout SeededGenerator) throws -> Module {
    Sequential(
      try Conv2d(1, 8, kernel: 3, padding: 1, using: &generator), try BatchNorm2d(8), ReLU(),
      MaxPool2d(kernel: 2),
      try Conv2d(8, 16, kernel: 3, padding: 1, using: &generator), try BatchNorm2d(16), ReLU(),
      MaxPool2d(kernel: 2), Flatten(), Linear(16 * 7 * 7, 10, using: &generator))
  }

  /// Chapter 6's tuned CNN: the seed's, with a hidden layer of 128 before the logits.
  static func tunedCNN(_ generator: inout SeededGenerator) throws -> Module {
    Sequential(
      try Conv2d(1, 8, kernel: 3, padding: 1, using: &generator), try BatchNorm2d(8), ReLU(),
      MaxPool2d(kernel: 2),
      try Conv2d(8, 16, kernel: 3, padding: 1, using: &generator), try BatchNorm2d(16), ReLU(),
      MaxPool2d(kernel: 2), Flatten(), Linear(16 * 7 * 7, 128, using: &generator), ReLU(),
      Linear(128, 10, using: &generator))
  }

  /// The MNIST recipes of `make bench`: PyTorch's CNN and two MLP scripts, a tuned MLP and a
  /// tuned CNN (Chapter 6's `--tuned`: target ≥ 99.0 % in under a minute).
  static var all: [MNISTRecipe] {
    [
      MNISTRecipe(
        name: "cnn", model: cnn, summary: "CNN 8-16 (Chapter 6)", imageShape: [-1, 1, 28, 28],
        epochs: 1, batchSize: 128,
        optimizer: { Adam($0, learningRate: 1e-3) }, schedule: nil),
      MNISTRecipe(
        name: "mlp_adam", model: mlp(128), summary: "784-128-10", epochs: 1, batchSize: 128,
        optimizer: { Adam($0, learningRate: 1e-3) }, schedule: nil),
      MNISTRecipe(
        name: "mlp_sgd", model: mlp(128), summary: "784-128-10", epochs: 1, batchSize: 128,
        optimizer: { SGD($0, learningRate: 0.1) }, schedule: nil),
      MNISTRecipe(
        name: "tuned", model: mlp(256), summary: "784-256-10", epochs: 4, batchSize: 128,
        optimizer: { AdamW($0, learningRate: 3e-3, weightDecay: 1e-4) },
        schedule: { CosineSchedule(base: 3e-3, warmupSteps: 50, totalSteps: $0, minimum: 3e-5) }),
      MNISTRecipe(
        name: "cnn_tuned", model: tunedCNN, summary: "CNN 8-16-h128 (Ch. 6 --tuned)",
        imageShape: [-1, 1, 28, 28], epochs: 4, batchSize: 128,
        optimizer: { AdamW($0, learningRate: 3e-3, weightDecay: 0.01) },
        schedule: { CosineSchedule(base: 3e-3, warmupSteps: 234, totalSteps: $0, minimum: 1e-5) }),
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
  let model = try recipe.model(&generator)
  let optimizer = recipe.optimizer(model.parameters())
  let loader = try DataLoader(
    inputs: data.images.reshaped(recipe.imageShape), labels: data.labels,
    batchSize: recipe.batchSize, seed: seed)
  let schedule = recipe.schedule?(recipe.epochs * loader.batchCount)
  let start = DispatchTime.now().uptimeNanoseconds
  var losses: [Double] = []
  for epoch in 0..<recipe.epochs {
    losses = try trainEpoch(
      model, on: loader, optimizer: optimizer, schedule: schedule,
      firstStep: epoch * loader.batchCount)
  }
  let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  let test = try evaluate(
    model, inputs: data.testImages.reshaped(recipe.imageShape), labels: data.testLabels)
  return MNISTRun(seconds: seconds, accuracy: test.accuracy, finalLoss: losses.last ?? .nan)
}
