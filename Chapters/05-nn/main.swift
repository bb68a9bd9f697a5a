import ArgumentParser
import ChapterSupport
import Figures
import Foundation
import NN
import Scalar

/// Chapter 5's program: the classics with modules and optimizers, then an MLP on MNIST.
@main struct Chapter5: ChapterProgram {
  static let summary = "Chapter 5: modules, losses, optimizers, an MLP on MNIST."

  @OptionGroup var options: ChapterOptions

  @Option(help: "Epochs of MNIST training (default: 3 quick, 5 full).")
  var epochs: Int?

  func run() throws {
    try linearRegression()
    try logisticRegression()
    try lasso()
    try mnist()
  }

  /// y = 3x − 2 plus noise, fitted by one `Linear(1, 1)` with SGD on the mean squared error.
  func linearRegression() throws {
    print("== Linear regression with Linear(1, 1) and SGD ==")
    var generator = SeededGenerator(seed: 5)
    let xs = (0..<64).map { _ in Double.random(in: -1...1, using: &generator) }
    let ys = xs.map { 3 * $0 - 2 + 0.1 * generator.nextGaussian() }
    let x = try Tensor(xs, shape: [64, 1])
    let y = try Tensor(ys, shape: [64, 1])
    // listing: linear-regression
    let model = Linear(1, 1, using: &generator)
    let optimizer = SGD(model.parameters(), learningRate: 0.1, momentum: 0.9)
    for _ in 0..<100 {
      let loss = try mseLoss(model(x), y)
      optimizer.zeroGrad()
      try loss.backward()
      try optimizer.step()
    }
    // end listing: linear-regression
    print(
      String(
        format: "learned y = %.2f x %+.2f (truth: y = 3.00 x -2.00)", try model.weight.item(),
        try model.bias!.item()))
  }

  /// Two Gaussian blobs separated by a line, classified by a `Linear(2, 1)` and the binary
  /// cross-entropy of its logits.
  func logisticRegression() throws {
    print("== Logistic regression with binary cross-entropy ==")
    var generator = SeededGenerator(seed: 6)
    var rows: [Double] = []
    var labels: [Double] = []
    for i in 0..<200 {
      let label = Double(i % 2)
      let center = label == 1 ? 1.0 : -1.0
      rows += [center + generator.nextGaussian(), center + generator.nextGaussian()]
      labels.append(label)
    }
    let x = try Tensor(rows, shape: [200, 2])
    let y = try Tensor(labels, shape: [200, 1])
    let model = Linear(2, 1, using: &generator)
    let optimizer = SGD(model.parameters(), learningRate: 0.5)
    for _ in 0..<100 {
      let loss = try binaryCrossEntropy(logits: model(x), targets: y)
      optimizer.zeroGrad()
      try loss.backward()
      try optimizer.step()
    }
    let logits = try model(x).scalars
    let correct = zip(logits, labels).filter { ($0 > 0 ? 1.0 : 0.0) == $1 }.count
    print("training accuracy \(correct)/200 (the blobs overlap: no line separates them all)")
  }

  /// Ten features of which three matter: the L1 penalty (lasso) shrinks the other seven.
  func lasso() throws {
    print("== Lasso: an L1 penalty picks the features that matter ==")
    var generator = SeededGenerator(seed: 7)
    let truth = [2.0, 0, 0, -3, 0, 0, 0, 1.5, 0, 0]
    let n = 40
    let features = (0..<(n * 10)).map { _ in generator.nextGaussian() }
    let targets = (0..<n).map { row in
      (0..<10).reduce(0.0) { $0 + features[row * 10 + $1] * truth[$1] }
        + generator.nextGaussian()
    }
    let x = try Tensor(features, shape: [n, 10])
    let y = try Tensor(targets, shape: [n, 1])
    for lambda in [0.0, 0.3] {
      var modelGenerator = SeededGenerator(seed: 8)
      let model = Linear(10, 1, bias: false, using: &modelGenerator)
      let optimizer = SGD(model.parameters(), learningRate: 0.02)
      for _ in 0..<500 {
        // listing: lasso
        let loss = try mseLoss(model(x), y) + lambda * l1Penalty([model.weight])
        // end listing: lasso
        optimizer.zeroGrad()
        try loss.backward()
        try optimizer.step()
      }
      let weights = model.weight.scalars
      let irrelevant = truth.indices.filter { truth[$0] == 0 }.map { Swift.abs(weights[$0]) }
      print(
        String(format: "λ = %.1f: weights ", lambda)
          + weights.map { String(format: "%5.2f", $0) }.joined(separator: " ")
          + String(format: "; Σ|w| of the 7 irrelevant: %.2f", irrelevant.reduce(0, +)))
    }
  }

  /// The MLP 784-128-10 with Adam on MNIST: train, evaluate, plot, save, reload.
  func mnist() throws {
    print("== MNIST: an MLP 784-128-10 with Adam ==")
    let (trainImages, trainLabels) = try MNIST.load(.train, limit: options.quick ? 6_000 : nil)
    let (testImages, testLabels) = try MNIST.load(.test, limit: options.quick ? 2_000 : nil)
    let epochCount = epochs ?? (options.quick ? 3 : 5)
    print("\(trainLabels.count) training and \(testLabels.count) test images, \(epochCount) epochs")
    // listing: mnist-mlp
    var generator = SeededGenerator(seed: 0)
    let model = Sequential(
      Linear(784, 128, using: &generator), ReLU(), Linear(128, 10, using: &generator))
    let optimizer = Adam(model.parameters(), learningRate: 1e-3)
    let loader = try DataLoader(
      inputs: trainImages, labels: trainLabels, batchSize: 128, seed: 1)
    let history = try fit(
      model, on: loader, optimizer: optimizer, epochs: epochCount, testInputs: testImages,
      testLabels: testLabels)
    // end listing: mnist-mlp
    print(
      "\(model.parameterCount) parameters: \(model.namedParameters().map(\.name).joined(separator: ", "))"
    )

    let curve = SVGPlot.trainingCurve(
      title: "MLP on MNIST: training loss and test accuracy", losses: history.losses,
      accuracies: history.accuracies
    )
    try curve.write(to: "\(options.outputFolder)/training.svg")
    print("wrote \(options.outputFolder)/training.svg")

    // listing: checkpoint-roundtrip
    let path = "\(options.outputFolder)/mlp.safetensors"
    try model.save(to: path, optimizer: optimizer)
    var otherGenerator = SeededGenerator(seed: 99)
    let reloaded = Sequential(
      Linear(784, 128, using: &otherGenerator), ReLU(), Linear(128, 10, using: &otherGenerator))
    try reloaded.load(from: path)
    let before = try evaluate(model, inputs: testImages, labels: testLabels)
    let after = try evaluate(reloaded, inputs: testImages, labels: testLabels)
    // end listing: checkpoint-roundtrip
    print(
      "saved \(path) and reloaded it into a fresh model: test accuracy "
        + (before.accuracy == after.accuracy && before.loss == after.loss
          ? "identical" : "DIFFERENT (\(before) vs \(after))"))
  }
}
