import ArgumentParser
import ChapterSupport
import Figures
import Foundation
import HigherOrder
import Scalar

/// Chapter 4's program: derivatives of derivatives, the tape of a gradient, and Newton's
/// method with conjugate gradients against gradient descent.
@main struct Chapter4: ChapterProgram {
  static let summary = "Chapter 4: higher-order gradients, hvp, Newton-CG."

  @OptionGroup var options: ChapterOptions

  func run() throws {
    try showNestedDerivatives()
    try showGradientTape()
    try showDoubleVJPTapes()
    try compareNewtonWithGradientDescent(iterations: options.quick ? 8 : 20)
  }

  func showNestedDerivatives() throws {
    print("== Derivatives of tanh, by differentiating derivatives ==")
    for x0 in [-1.0, 0.0, 0.5, 2.0] {
      let x = Tensor([x0], dtype: .float64)
      // listing: nested-grad
      let first = try grad({ $0.tanh().sum() }, at: x)
      let second = try grad({ try grad({ $0.tanh().sum() }, at: $0).sum() }, at: x)
      let third = try grad(
        { try grad({ try grad({ $0.tanh().sum() }, at: $0).sum() }, at: $0).sum() }, at: x)
      // end listing: nested-grad
      print(
        String(
          format: "x = %5.2f   tanh′ = %8.5f   tanh″ = %8.5f   tanh‴ = %8.5f", x0,
          try first.item() + 0, try second.item() + 0, try third.item() + 0))
    }
  }

  func showGradientTape() throws {
    print("== The tape of a gradient ==")
    // listing: gradient-tape
    let x = Tensor([0.5, -1.0], dtype: .float64)
    x.requiresGrad = true
    x.label = "x"
    let w = Tensor([2.0, 3.0], dtype: .float64)
    w.label = "w"
    try (x * w).tanh().sum().backward(createGraph: true)
    let gradient = x.grad!  // w · (1 − tanh²(w x)), with a tape of its own
    // end listing: gradient-tape
    gradient.label = "∂y/∂x"
    print(
      "∂y/∂x = \(gradient.scalars.map { String(format: "%.4f", $0) }), recorded in "
        + "\(gradient.topologicalOrder().filter { !$0.isLeaf }.count) operations")
    switch try gradient.renderTape(to: "\(options.outputFolder)/gradient-tape.svg") {
    case .svg(_, let svg): print("wrote \(svg)")
    case .dotOnly(_, let message): print(message)
    }
  }

  /// The three tapes of the double-VJP trick, drawn from the real ones.
  func showDoubleVJPTapes() throws {
    print("== The three tapes of the double-VJP trick ==")
    // listing: double-vjp-tapes
    let x = Tensor([0.5, -1.0], dtype: .float64)
    x.requiresGrad = true
    x.label = "x"
    let y = x.tanh()  // tape 1: the function
    y.label = "y"
    let u = Tensor.zeros([2], dtype: .float64)  // any value: Jᵀu is linear in u
    u.requiresGrad = true
    u.label = "u"
    let jtu = try gradients(of: y, withRespectTo: [x], seed: u, createGraph: true)[0]
    jtu.label = "Jᵀu"  // tape 2: the recorded backward, a function of u
    let v = Tensor([1.0, 2.0], dtype: .float64)
    v.label = "v"
    let inner = try (jtu * v).sum()  // tape 3: ⟨Jᵀu, v⟩, whose gradient in u is Jv
    inner.label = "⟨Jᵀu, v⟩"
    let jv = try gradients(of: inner, withRespectTo: [u])[0]
    // end listing: double-vjp-tapes
    print("Jv = \(jv.scalars.map { String(format: "%.4f", $0) }) (tanh′(x) · v)")
    for (tensor, name) in [(y, "double-vjp-1"), (jtu, "double-vjp-2"), (inner, "double-vjp-3")] {
      switch try tensor.renderTape(to: "\(options.outputFolder)/\(name).svg") {
      case .svg(_, let svg): print("wrote \(svg)")
      case .dotOnly(_, let message): print(message)
      }
    }
  }

  func compareNewtonWithGradientDescent(iterations: Int) throws {
    print("== Logistic regression: Newton-CG against gradient descent ==")
    var generator = SeededGenerator(seed: 11)
    let n = 200
    var rows: [Double] = []
    var labels: [Double] = []
    for i in 0..<n {
      let label: Double = i < n / 2 ? 1 : -1
      rows += [
        label * 0.8 + generator.nextGaussian(), label * -0.5 + generator.nextGaussian(), 1,
      ]
      labels.append(label)
    }
    let features = try Tensor(rows, shape: [n, 3], dtype: .float64)
    let y = Tensor(labels, dtype: .float64)
    // listing: logistic-loss
    let loss: (Tensor) throws -> Tensor = { w in
      let margins = try y * features.matmul(w)
      return try (-margins).softplus().mean() + 0.01 * (w * w).sum()
    }
    // end listing: logistic-loss
    // listing: newton-loop
    var newton = Tensor.zeros([3], dtype: .float64)
    var descent = Tensor.zeros([3], dtype: .float64)
    var curves: [[(x: Double, y: Double)]] = [[], []]
    for step in 0...iterations {
      let (ln, ld) = (try loss(newton).item(), try loss(descent).item())
      curves[0].append((Double(step), ln))
      curves[1].append((Double(step), ld))
      print(String(format: "step %2d   Newton-CG %.6f   gradient descent %.6f", step, ln, ld))
      newton = try newtonStep(loss, at: newton)
      descent = try descent - 1.0 * grad(loss, at: descent)
    }
    // end listing: newton-loop
    var plot = SVGPlot(title: "Logistic loss per step", xLabel: "step", yLabel: "loss")
    plot.lines = [
      .init(points: curves[0], color: "#1f77b4", label: "Newton-CG (hvp)"),
      .init(points: curves[1], color: "#d62728", label: "gradient descent"),
    ]
    try plot.write(to: "\(options.outputFolder)/newton.svg")
    print("wrote \(options.outputFolder)/newton.svg")
  }
}
