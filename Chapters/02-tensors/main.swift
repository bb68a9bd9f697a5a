import ArgumentParser
import ChapterSupport
import Figures
import Foundation
import Scalar
import Tensors

/// Chapter 2's program: views over storage, a tape of tensors, gradient checks, and a
/// linear regression trained with them.
@main struct Chapter2: ChapterProgram {
  static let summary = "Chapter 2: tensors, views, the tape, gradcheck, linear regression."

  @OptionGroup var options: ChapterOptions

  @Option(help: "Gradient-descent steps (default: 150 quick, 600 with --no-quick).")
  var steps: Int?

  mutating func validate() throws {
    if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
  }

  func run() throws {
    try showViews()
    try showTape()
    try showGradcheck()
    try fitLinearRegression(steps: steps ?? (options.quick ? 150 : 600))
  }

  func showViews() throws {
    print("== Strides and views ==")
    // listing: views
    let t = try Tensor.arange(0, 12).reshaped([3, 4])
    let transposed = try t.transposed()
    let everyOther = try t.sliced(axis: 1, 1..<4, step: 2)
    // end listing: views
    for (name, view) in [
      ("t", t), ("t.transposed()", transposed), ("t.sliced(axis: 1, 1..<4, step: 2)", everyOther),
    ] {
      print(
        "\(name): shape \(view.shape) strides \(view.strides) offset \(view.offset), "
          + "shares storage: \(view.storage === t.storage), contiguous: \(view.isContiguous)")
    }
    print("t.sliced(axis: 1, 1..<4, step: 2) reads \(everyOther.scalars.map { Int($0) })")
    let figure = LayoutFigure(
      storageCount: 12,
      views: [t, transposed, everyOther].enumerated().map { i, v in
        .init(
          name: ["t", "t.transposed()", "t.sliced(axis: 1, 1..<4, step: 2)"][i],
          shape: (v.shape[0], v.shape[1]), strides: (v.strides[0], v.strides[1]),
          offset: v.offset)
      })
    try figure.write(to: "\(options.outputFolder)/views.svg")
    print("wrote \(options.outputFolder)/views.svg")
  }

  func showTape() throws {
    print("== A tape ==")
    var generator = SeededGenerator(seed: 2)
    // listing: tape
    let w = Tensor.randn([3, 4], using: &generator)
    w.requiresGrad = true
    w.label = "W"
    let b = Tensor(scalar: 0.1)
    b.requiresGrad = true
    b.label = "b"
    let x = Tensor.randn([4, 2], using: &generator)
    x.label = "x"
    let h = try w.matrixProduct(x).adding(b).tanh()
    let loss = try h.multiplied(by: h).mean()
    try loss.backward()
    // end listing: tape
    for t in loss.topologicalOrder() {
      let inputs = t.inputs.map { "\($0.shape)" }.joined(separator: ", ")
      let name = t.label.isEmpty ? t.opName : "\(t.opName) \(t.label)"
      print(
        "  \(name.padding(toLength: 9, withPad: " ", startingAt: 0)) \(t.shape)"
          + (inputs.isEmpty ? "" : "  ← \(inputs)"))
    }
    print(
      String(
        format: "loss = %.4f, ‖∂loss/∂W‖ = %.4f, ∂loss/∂b = %.4f",
        try loss.item(), w.grad!.scalars.reduce(0) { $0 + $1 * $1 }.squareRoot(),
        try b.grad!.item()))
    switch try loss.renderTape(to: "\(options.outputFolder)/tape.svg") {
    case .svg(_, let svg): print("wrote \(svg)")
    case .dotOnly(_, let message): print(message)
    }
  }

  func showGradcheck() throws {
    print("== Gradient checks (Float64, worst relative error per input) ==")
    var generator = SeededGenerator(seed: 3)
    let a = Tensor.randn([3, 4], dtype: .float64, using: &generator)
    let c = Tensor.randn([4, 5], dtype: .float64, using: &generator)
    let checks: [(String, [Tensor], ([Tensor]) throws -> Tensor)] = [
      ("matmul", [a, c], { try $0[0].matrixProduct($0[1]) }),
      ("tanh ∘ transpose", [a], { try $0[0].transposed().tanh() }),
      ("sum over axis 1", [a], { try $0[0].sum(axes: [1]) }),
      ("max over axis 0", [a], { try $0[0].max(axes: [0]) }),
      ("x · x / (1 + |x|)", [a], { try $0[0].multiplied(by: $0[0]).divided(by: $0[0].abs() + 1) }),
    ]
    for (name, inputs, f) in checks {
      let report = try gradcheck(f, inputs: inputs)
      let errors = report.worstErrors.map { String(format: "%.1e", $0) }.joined(separator: ", ")
      print(
        "  \(name.padding(toLength: 20, withPad: " ", startingAt: 0)) "
          + "\(report.passed ? "ok" : "FAILED")  (\(errors))")
    }
  }

  func fitLinearRegression(steps: Int) throws {
    print("== Linear regression by gradient descent ==")
    var generator = SeededGenerator(seed: 4)
    let trueWeights = Tensor([2.0, -3.0, 0.5])
    let inputs = Tensor.randn([200, 3], using: &generator)
    let noise = Tensor.randn([200], using: &generator) * 0.1
    let targets = try (inputs.matrixProduct(trueWeights) + 1.5).adding(noise)
    // listing: regression
    let weights = Tensor.zeros([3])
    weights.requiresGrad = true
    let bias = Tensor(scalar: 0)  // a 0-d tensor: added to every prediction
    bias.requiresGrad = true
    var losses: [(x: Double, y: Double)] = []
    for step in 0..<steps {
      let predictions = try inputs.matrixProduct(weights).adding(bias)
      let loss = try predictions.subtracting(targets).pow(2).mean()
      weights.zeroGrad()
      bias.zeroGrad()
      try loss.backward()
      try withoutGrad {
        try weights.update(to: weights.subtracting(0.05 * weights.grad!))
        try bias.update(to: bias.subtracting(0.05 * bias.grad!))
      }
      losses.append((Double(step), try loss.item()))
      if step % 50 == 0 || step == steps - 1 {
        print(String(format: "step %4d  mse %.4f", step, try loss.item()))
      }
    }
    // end listing: regression
    print(
      "learned w = [\(weights.scalars.map { String(format: "%.3f", $0) }.joined(separator: ", "))], "
        + String(format: "b = %.3f", try bias.item()) + "; true w = [2, -3, 0.5], b = 1.5")
    var plot = SVGPlot(title: "Mean squared error", xLabel: "step", yLabel: "mse")
    plot.lines = [.init(points: losses, color: "#d62728", label: "mse")]
    try plot.write(to: "\(options.outputFolder)/regression.svg")
    print("wrote \(options.outputFolder)/regression.svg")
  }
}
