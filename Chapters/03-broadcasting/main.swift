import ArgumentParser
import Broadcasting
import ChapterSupport
import Figures
import Foundation
import Scalar

/// Chapter 3's program: the broadcast rule, expand as a view, and a logistic regression
/// whose bias and feature scaling broadcast.
@main struct Chapter3: ChapterProgram {
  static let summary = "Chapter 3: broadcasting, expand and sum(toShape:), logistic regression."

  @OptionGroup var options: ChapterOptions

  @Option(help: "Gradient-descent steps (default: 300 quick, 2000 with --no-quick).")
  var steps: Int?

  mutating func validate() throws {
    if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
  }

  func run() throws {
    try showRule()
    try showExpand()
    try showFanOutAndIn()
    try fitLogisticRegression(steps: steps ?? (options.quick ? 300 : 2000))
  }

  func showRule() throws {
    print("== The broadcast rule ==")
    for (a, b) in [([4, 1], [2, 4, 3]), ([2, 1, 3], [4, 1]), ([], [2, 3]), ([2, 3], [4])] {
      do {
        print("\(a) and \(b) → \(try broadcastShape(a, b))")
      } catch {
        print("\(a) and \(b) → error: \(error)")
      }
    }
  }

  func showExpand() throws {
    print("== expand(to:) is a view ==")
    let a = try Tensor([1, 2, 3], shape: [3, 1])
    let e = try a.expand(to: [2, 3, 4])
    print(
      "a \(a.shape) expanded to \(e.shape): strides \(e.strides), "
        + "shares storage: \(e.storage === a.storage)")
    // listing: standardize
    let x = try Tensor([1, 10, 2, 20, 3, 60, 6, 30], shape: [4, 2])
    x.requiresGrad = true
    x.label = "x"
    let mean = try x.mean(axes: [0])  // [2]
    let centered = try x - mean  // [4, 2] − [2]
    let scale = try (centered * centered).mean(axes: [0]).sqrt()
    let standardized = try centered / scale
    try standardized.pow(2).sum().backward()
    // end listing: standardize
    print(
      "standardized columns: mean \(try standardized.mean(axes: [0]).scalars.map(rounded)), "
        + "variance \(try (standardized * standardized).mean(axes: [0]).scalars.map(rounded))")
    switch try standardized.pow(2).sum().renderTape(to: "\(options.outputFolder)/standardize.svg") {
    case .svg(_, let svg): print("wrote \(svg)")
    case .dotOnly(_, let message): print(message)
    }
  }

  /// A bias added to every row: its elements fan out forward and its gradients fan in.
  func showFanOutAndIn() throws {
    print("== Fan-out forward, fan-in backward ==")
    // listing: fan-out-fan-in
    let b = Tensor([1, 2, 3])  // [3], a bias
    b.requiresGrad = true
    let x = Tensor.zeros([2, 3])
    let y = try x + b  // b is expanded to [2, 3]: each element read by both rows
    let g = try Tensor([0.5, -1, 2, 1.5, 3, -0.5], shape: [2, 3])  // the gradient arriving at y
    try y.backward(seed: g)  // b.grad: each column of g summed, by sum(toShape: [3])
    // end listing: fan-out-fan-in
    print("b.grad = \(b.grad!.scalars)")
    try FanFigure(
      vector: b.scalars, rows: 2, gridGradient: g.scalars, vectorGradient: b.grad!.scalars,
      titles: ("forward: b.expand(to: [2, 3])", "backward: ḡ.sum(toShape: [3])")
    ).write(to: "\(options.outputFolder)/fan.svg")
    print("wrote \(options.outputFolder)/fan.svg")
  }

  func fitLogisticRegression(steps: Int) throws {
    print("== Logistic regression on the two moons ==")
    let (points, labels) = makeMoons(count: 200, noise: 0.1, seed: 7)
    let xy = try Tensor(points.flatMap { $0 }, shape: [200, 2])
    let features = try polynomialFeatures(xy)
    let mean = try features.mean(axes: [0])
    let std = try (features - mean).pow(2).mean(axes: [0]).sqrt()
    let inputs = try (features - mean) / std
    let y = try Tensor(labels, shape: [200, 1])  // ±1
    // listing: logistic-regression
    let weights = Tensor.zeros([inputs.shape[1], 1])
    weights.requiresGrad = true
    let bias = Tensor.zeros([1])  // broadcast over every row
    bias.requiresGrad = true
    for step in 0..<steps {
      let logits = try inputs.matmul(weights) + bias  // [200, 1] + [1]
      let loss = try (-(y * logits)).softplus().mean()  // log(1 + e^(−y·z)), stably
      weights.zeroGrad()
      bias.zeroGrad()
      try loss.backward()
      try withoutGrad {
        try weights.update(to: weights - 0.5 * weights.grad!)
        try bias.update(to: bias - 0.5 * bias.grad!)
      }
      if step % 100 == 0 || step == steps - 1 {
        let correct = try (y * logits).isGreater(than: Tensor(scalar: 0)).mean().item()
        print(
          String(
            format: "step %4d  loss %.4f  accuracy %.1f%%", step, try loss.item(), 100 * correct))
      }
    }
    // end listing: logistic-regression
    try boundaryPlot(
      weights: weights, bias: bias, mean: mean, std: std, points: points, labels: labels
    )
    .write(to: "\(options.outputFolder)/logistic.svg")
    print("wrote \(options.outputFolder)/logistic.svg")
  }

  /// [x, y, x², y², xy, x³, y³] for each row of `xy`.
  func polynomialFeatures(_ xy: Tensor) throws -> Tensor {
    let x = try xy.sliced(axis: 1, 0..<1)
    let y = try xy.sliced(axis: 1, 1..<2)
    return try Tensor.concatenated(
      [x, y, x * x, y * y, x * y, x.pow(3), y.pow(3)], axis: 1)
  }

  func boundaryPlot(
    weights: Tensor, bias: Tensor, mean: Tensor, std: Tensor, points: [[Double]], labels: [Double]
  ) throws -> SVGPlot {
    let cells = 50
    let (xRange, yRange) = (-1.5...2.5, -1.0...1.5)
    var grid: [Double] = []
    for r in 0..<cells {
      for c in 0..<cells {
        grid.append(xRange.lowerBound + (Double(c) + 0.5) / Double(cells) * 4)
        grid.append(yRange.lowerBound + (Double(r) + 0.5) / Double(cells) * 2.5)
      }
    }
    let gridInputs = try (polynomialFeatures(Tensor(grid, shape: [cells * cells, 2])) - mean) / std
    let scores = try (gridInputs.matmul(weights) + bias).scalars
    var plot = SVGPlot(
      title: "Logistic regression on polynomial features", xLabel: "x₁", yLabel: "x₂")
    plot.grid = .init(
      xRange: xRange, yRange: yRange,
      colors: (0..<cells).map { r in
        (0..<cells).map { c in scores[r * cells + c] > 0 ? "#c6dbef" : "#fcd5c0" }
      })
    let pairs = zip(points, labels)
    plot.scatters = [
      .init(
        points: pairs.filter { $1 > 0 }.map { ($0.0[0], $0.0[1]) }, color: "#1f77b4", label: "+1"),
      .init(
        points: pairs.filter { $1 < 0 }.map { ($0.0[0], $0.0[1]) }, color: "#d62728", label: "−1"),
    ]
    return plot
  }
}

func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 + 0 }
