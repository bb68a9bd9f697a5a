import ArgumentParser
import CNN
import ChapterSupport
import Figures
import Foundation
import Scalar

/// Chapter 6's program: a convolution by hand and as one matrix product, output sizes, a
/// receptive field measured by backward, then the seed's CNN on MNIST.
@main struct Chapter6: ChapterProgram {
  static let summary = "Chapter 6: convolutions, pooling, batch norm, a CNN on MNIST."

  @OptionGroup var options: ChapterOptions

  @Option(help: "Epochs of MNIST training (default: 1).")
  var epochs = 1

  @Flag(help: "Also train the tuned recipe (a hidden layer, AdamW, a cosine schedule, 4 epochs).")
  var tuned = false

  func run() throws {
    try byHand()
    outputSizes()
    try measureReceptiveField()
    try mnist()
  }

  /// A vertical edge found by a 3×3 kernel, computed directly and as one matrix product.
  func byHand() throws {
    print("== A convolution by hand ==")
    // listing: edge-by-hand
    // A 5×5 image, dark on the left and bright on the right: a vertical edge.
    let image = try Tensor(
      (0..<25).map { $0 % 5 < 2 ? 0.0 : 1.0 }, shape: [1, 1, 5, 5], dtype: .float64)
    // A kernel that answers "brighter on the right than on the left?"
    let kernel = try Tensor(
      [-1, 0, 1, -1, 0, 1, -1, 0, 1], shape: [1, 1, 3, 3], dtype: .float64)
    let response = try image.conv2d(weight: kernel)  // [1, 1, 3, 3]

    // The same numbers as one matrix product: each 3×3 window becomes a column.
    let columns = try image.unfolded(Windows2D(kernel: 3))  // [1, 9, 9]: 9 taps × 9 windows
    let product = try kernel.reshaped([1, 9]).matmul(columns)  // [1, 1, 9]
    // end listing: edge-by-hand
    for row in 0..<3 {
      let values = try response.sliced(axis: 2, row..<(row + 1)).scalars
      print(
        "response row \(row): " + values.map { String(format: "%2.0f", $0) }.joined(separator: " "))
    }
    print(
      "im2col columns \(columns.shape); as one matrix product: "
        + (product.scalars == response.scalars ? "the same 9 numbers" : "DIFFERENT"))
  }

  /// The output-size arithmetic on the settings the chapter discusses.
  func outputSizes() {
    print("== Output sizes: ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 ==")
    let cases: [(String, Int, Windows2D)] = [
      ("3×3, padding 1", 28, Windows2D(kernel: 3, padding: 1)),
      ("3×3, no padding", 28, Windows2D(kernel: 3)),
      ("2×2 pooling, stride 2", 28, Windows2D(kernel: 2, stride: 2)),
      ("3×3, stride 2, padding 1", 7, Windows2D(kernel: 3, stride: 2, padding: 1)),
      ("3×3, dilation 2", 28, Windows2D(kernel: 3, dilation: 2)),
    ]
    for (name, size, windows) in cases {
      let out = windows.outputSize(for: Size2D(size, size))
      print("\(size)×\(size) with \(name): \(out.height)×\(out.width)")
    }
  }

  /// The seed's model: two blocks of Conv · BN · ReLU · MaxPool, then Flatten · Linear.
  static func seedModel(using generator: inout SeededGenerator) throws -> Sequential {
    // listing: mnist-cnn
    Sequential(
      try Conv2d(1, 8, kernel: 3, padding: 1, using: &generator), try BatchNorm2d(8), ReLU(),
      MaxPool2d(kernel: 2),
      try Conv2d(8, 16, kernel: 3, padding: 1, using: &generator), try BatchNorm2d(16), ReLU(),
      MaxPool2d(kernel: 2),
      Flatten(), Linear(16 * 7 * 7, 10, using: &generator))
    // end listing: mnist-cnn
  }

  /// The receptive field of one feature of the model's last map, by arithmetic and by
  /// backward: the input pixels whose gradient is not zero.
  func measureReceptiveField() throws {
    print("== Receptive field of the last feature map ==")
    // listing: receptive-field-of-model
    let convolution = Windows2D(kernel: 3, padding: 1)
    let pooling = Windows2D(kernel: 2, stride: 2)
    let (field, jump) = receptiveField(of: [convolution, pooling, convolution, pooling])
    // end listing: receptive-field-of-model

    // The model's windows with weights of ones, and average pooling: max pooling sends a
    // gradient to one pixel of each window, but every pixel of the field *can* matter.
    var generator = SeededGenerator(seed: 0)
    let first = try Conv2d(1, 1, kernel: 3, padding: 1, bias: false, using: &generator)
    let second = try Conv2d(1, 1, kernel: 3, padding: 1, bias: false, using: &generator)
    for conv in [first, second] { try conv.weight.update(to: Tensor.ones([1, 1, 3, 3])) }
    let x = Tensor.zeros([1, 1, 28, 28])
    x.requiresGrad = true
    let features = try second(first(x).avgPool2d(kernel: 2)).avgPool2d(kernel: 2)  // 7×7
    try features.sliced(axis: 2, 3..<4).sliced(axis: 3, 3..<4).sum().backward()
    let touched = (x.grad?.scalars ?? []).enumerated().filter { $0.element != 0 }.map(\.offset)
    let rows = Set(touched.map { $0 / 28 })
    let columns = Set(touched.map { $0 % 28 })
    print(
      "by arithmetic: \(field) pixels, neighboring features \(jump.height) pixels apart")
    print(
      "by backward: the gradient of feature (3, 3) of the 7×7 map reaches rows "
        + "\(rows.min()!)–\(rows.max()!) and columns \(columns.min()!)–\(columns.max()!) "
        + "(\(rows.count)×\(columns.count) pixels)")
  }

  /// The seed's CNN on MNIST: Adam 1e-3, batch 128, one epoch; figures of its filters,
  /// one digit's feature maps and its training curve.
  func mnist() throws {
    print("== MNIST: the seed's CNN with Adam ==")
    let (trainImages, trainLabels) = try MNIST.load(.train, limit: options.quick ? 3_000 : nil)
    let (testImages, testLabels) = try MNIST.load(.test, limit: options.quick ? 1_000 : nil)
    let train = try trainImages.reshaped([-1, 1, 28, 28])
    let test = try testImages.reshaped([-1, 1, 28, 28])
    print("\(trainLabels.count) training and \(testLabels.count) test images, \(epochs) epoch(s)")
    var generator = SeededGenerator(seed: 0)
    let model = try Self.seedModel(using: &generator)
    let optimizer = Adam(model.parameters(), learningRate: 1e-3)
    let loader = try DataLoader(inputs: train, labels: trainLabels, batchSize: 128, seed: 1)
    let history = try fit(
      model, on: loader, optimizer: optimizer, epochs: Swift.max(epochs, 1), testInputs: test,
      testLabels: testLabels)
    print("\(model.parameterCount) parameters")
    print("training took \(String(format: "%.1f", history.trainingSeconds)) s")

    try writeFigures(
      model, losses: history.losses, accuracies: history.accuracies, digit: test)
    // A checkpoint PyTorch loads into `mnist_cnn()` (make interop).
    let path = "\(options.outputFolder)/cnn.safetensors"
    try model.save(to: path, optimizer: optimizer)
    print("saved \(path)")
    if tuned {
      try tunedRecipe(train: train, trainLabels: trainLabels, test: test, testLabels: testLabels)
    }
  }

  /// The first layer's filters, one test digit's feature maps after the first block, and
  /// the training curve.
  func writeFigures(
    _ model: Sequential, losses: [Double], accuracies: [(x: Double, y: Double)], digit test: Tensor
  ) throws {
    let folder = options.outputFolder
    let conv = model.layers[0] as! Conv2d
    let filters = (0..<8).map { i in
      ImageGrid.Image(
        pixels: try! conv.weight.selected(axis: 0, i).scalars, height: 3, width: 3,
        caption: "filter \(i)")
    }
    try ImageGrid(
      title: "The first layer's 8 learned 3×3 filters (red positive, blue negative)",
      images: filters, columns: 8, cellSize: 60, diverging: true
    ).write(to: "\(folder)/filters.svg")

    model.eval()
    let digit = try test.sliced(axis: 0, 0..<1)
    let maps = try withoutGrad { try model.layers[0..<3].reduce(digit) { try $1($0) } }
    let images =
      [ImageGrid.Image(pixels: digit.scalars, height: 28, width: 28, caption: "input")]
      + (0..<8).map { i in
        ImageGrid.Image(
          pixels: try! maps.selected(axis: 1, i).scalars, height: 28, width: 28,
          caption: "map \(i)")
      }
    try ImageGrid(
      title: "One test digit and its 8 feature maps after Conv · BatchNorm · ReLU",
      images: images, columns: 9, cellSize: 64
    ).write(to: "\(folder)/feature-maps.svg")

    let curve = SVGPlot.trainingCurve(
      title: "CNN on MNIST: training loss and test accuracy", losses: losses, accuracies: accuracies
    )
    try curve.write(to: "\(folder)/training.svg")
    print("wrote \(folder)/filters.svg, feature-maps.svg and training.svg")
  }

  /// A tuned recipe: the same conv blocks with a hidden layer of 128 before the logits,
  /// AdamW with warmup and a cosine schedule, 4 epochs (99 % in under a minute).
  func tunedRecipe(train: Tensor, trainLabels: [Int], test: Tensor, testLabels: [Int]) throws {
    print("== The tuned recipe: a hidden layer of 128, AdamW, warmup + cosine, 4 epochs ==")
    var generator = SeededGenerator(seed: 0)
    let model = Sequential(
      try Conv2d(1, 8, kernel: 3, padding: 1, using: &generator), try BatchNorm2d(8), ReLU(),
      MaxPool2d(kernel: 2),
      try Conv2d(8, 16, kernel: 3, padding: 1, using: &generator), try BatchNorm2d(16), ReLU(),
      MaxPool2d(kernel: 2),
      Flatten(), Linear(16 * 7 * 7, 128, using: &generator), ReLU(),
      Linear(128, 10, using: &generator))
    let optimizer = AdamW(model.parameters(), learningRate: 3e-3, weightDecay: 0.01)
    let loader = try DataLoader(inputs: train, labels: trainLabels, batchSize: 128, seed: 1)
    let epochCount = 4
    let schedule = CosineSchedule(
      base: 3e-3, warmupSteps: loader.batchCount / 2, totalSteps: epochCount * loader.batchCount,
      minimum: 1e-5)
    let history = try fit(
      model, on: loader, optimizer: optimizer, epochs: epochCount, schedule: schedule,
      testInputs: test, testLabels: testLabels)
    print(
      String(
        format: "tuned: %.2f%% test accuracy after %.0f s of training",
        100 * history.accuracies.last!.y, history.trainingSeconds))
  }
}
