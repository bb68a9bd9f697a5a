import ArgumentParser
import ChapterSupport
import Figures
import Foundation
import Scalar

/// Chapter 1's program: a graph you can read, then a small network that learns.
@main struct Chapter1: ChapterProgram {
  static let summary = "Chapter 1: scalar reverse-mode autodiff, from one neuron to a trained MLP."

  @OptionGroup var options: ChapterOptions

  @Option(help: "Training steps (default: 40 quick, 100 with --no-quick).")
  var steps: Int?

  @Option(help: "Points in the two-moons set.")
  var points = 100

  @Option(help: "Seed for the data and the initial weights.")
  var seed: UInt64 = 1

  mutating func validate() throws {
    if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
    if points < 2 { throw ValidationError("--points must be at least 2") }
  }

  func run() throws {
    try showOneNeuron()
    showSharedNode()
    try train(steps: steps ?? (options.quick ? 40 : 100))
  }

  /// Part 1: the graph of one tanh neuron, its gradients, and its drawing.
  func showOneNeuron() throws {
    print("== One neuron, by hand ==")
    // listing: neuron-by-hand
    let x1 = Value(2, label: "x1")
    let x2 = Value(0, label: "x2")
    let w1 = Value(-3, label: "w1")
    let w2 = Value(1, label: "w2")
    let b = Value(6.881_373_587_019_543_2, label: "b")
    let n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    let o = n.tanh()
    o.label = "o"
    o.backward()
    // end listing: neuron-by-hand
    print("o = tanh(x1·w1 + x2·w2 + b) = \(fixed(o.data))")
    for v in [x1, w1, x2, w2, b] {
      print("  ∂o/∂\(v.label) = \(fixed(v.grad))")
    }
    print("graph: \(o.topologicalOrder().count) values")
    report(try o.renderGraph(to: "\(options.outputFolder)/neuron.svg"))
  }

  /// Part 2: a value used twice receives the sum of both paths.
  func showSharedNode() {
    print("== A value used twice ==")
    // listing: shared-node
    let a = Value(3, label: "a")
    let b = a * a + a  // a feeds three edges
    b.backward()
    // end listing: shared-node
    print("b = a·a + a at a = 3: b = \(fixed(b.data)), ∂b/∂a = \(fixed(a.grad)) (2a + 1 = 7)")
  }

  /// Part 3: an MLP learns the two moons with SGD on the hinge loss.
  func train(steps: Int) throws {
    print("== Training MLP(2, [16, 16, 1]) on \(points) two-moons points ==")
    let (xs, ys) = makeMoons(count: points, noise: 0.1, seed: seed)
    let model = MLP(inputCount: 2, layerSizes: [16, 16, 1], seed: seed)
    print("parameters: \(model.parameters.count)")
    var losses: [(x: Double, y: Double)] = []
    var accuracies: [(x: Double, y: Double)] = []
    // listing: training-loop
    let inputs = xs.map { row in row.map { Value($0) } }
    for step in 0..<steps {
      let scores = inputs.map { model($0)[0] }
      let loss = hingeLoss(scores: scores, labels: ys) + l2Penalty(model.parameters, alpha: 1e-4)
      model.parameters.zeroGrad()
      loss.backward()
      sgdStep(model.parameters, learningRate: 1.0 - 0.9 * Double(step) / 100)

      let acc = accuracy(scores: scores, labels: ys)
      losses.append((Double(step), loss.data))
      accuracies.append((Double(step), acc))
      if step % 10 == 0 || step == steps - 1 {
        print("step \(pad(step, 3))  loss \(fixed(loss.data))  accuracy \(percent(acc))")
      }
    }
    // end listing: training-loop
    let final = accuracy(scores: inputs.map { model($0)[0] }, labels: ys)
    print("final accuracy after \(steps) steps: \(percent(final))")

    var curve = SVGPlot(title: "Hinge loss and accuracy", xLabel: "step", yLabel: "")
    curve.lines = [
      .init(points: losses, color: "#d62728", label: "loss"),
      .init(points: accuracies, color: "#1f77b4", label: "accuracy"),
    ]
    try curve.write(to: "\(options.outputFolder)/training.svg")
    try boundaryPlot(model: model, xs: xs, ys: ys).write(to: "\(options.outputFolder)/boundary.svg")
    print("wrote \(options.outputFolder)/training.svg and \(options.outputFolder)/boundary.svg")
  }

  /// The decision regions of `model` over a grid, with the data on top.
  func boundaryPlot(model: MLP, xs: [[Double]], ys: [Double]) -> SVGPlot {
    let xRange = -1.5...2.5, yRange = -1.0...1.5, cells = 40
    var colors: [[String]] = []
    for r in 0..<cells {
      let y =
        yRange.lowerBound + (Double(r) + 0.5) / Double(cells)
        * (yRange.upperBound - yRange.lowerBound)
      colors.append(
        (0..<cells).map { c in
          let x =
            xRange.lowerBound + (Double(c) + 0.5) / Double(cells)
            * (xRange.upperBound - xRange.lowerBound)
          return model([Value(x), Value(y)])[0].data > 0 ? "#c6dbef" : "#fcd5c0"
        })
    }
    var plot = SVGPlot(title: "Decision regions after training", xLabel: "x₁", yLabel: "x₂")
    plot.grid = .init(xRange: xRange, yRange: yRange, colors: colors)
    let points = zip(xs, ys)
    plot.scatters = [
      .init(
        points: points.filter { $1 > 0 }.map { ($0.0[0], $0.0[1]) }, color: "#1f77b4", label: "+1"),
      .init(
        points: points.filter { $1 < 0 }.map { ($0.0[0], $0.0[1]) }, color: "#d62728", label: "−1"),
    ]
    return plot
  }

  func report(_ outcome: GraphvizOutcome) {
    switch outcome {
    case .svg(_, let svg): print("wrote \(svg)")
    case .dotOnly(_, let message): print(message)
    }
  }
}

func fixed(_ x: Double) -> String { String(format: "%.4f", x) }
func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
func pad(_ n: Int, _ width: Int) -> String {
  let s = String(n)
  return String(repeating: " ", count: max(0, width - s.count)) + s
}
