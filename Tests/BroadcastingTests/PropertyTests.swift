import Foundation
import PropertyBased
import Testing

@testable import Broadcasting
@testable import Tensors

/// The smooth operations a random chain is built from: each takes the running value `x`
/// (shape [2, 3]) and the second input `y` (shape [3], broadcast) and returns shape [2, 3].
let chainSteps: [(String, @Sendable (Tensor, Tensor) throws -> Tensor)] = [
  ("tanh", { x, _ in x.tanh() }),
  ("sigmoid", { x, _ in x.sigmoid() }),
  ("softplus", { x, _ in x.softplus() }),
  ("+ y", { x, y in try x + y }),
  ("* y", { x, y in try x * y }),
  ("/ (1 + y²)", { x, y in try x / (y * y + 1) }),
  ("x²", { x, _ in try x * x }),
  ("exp ∘ tanh", { x, _ in x.tanh().exp() }),
  ("softmax", { x, _ in try x.softmax(axis: 1) }),
  ("− mean over rows", { x, _ in try x - x.mean(axes: [0], keepingAxes: true) }),
  ("transpose twice", { x, _ in try x.transposed().contiguous().transposed() }),
  ("matmul with yᵀy", { x, y in try x.matmul(y.unsqueezed(1).matmul(y.unsqueezed(0))) }),
  (
    "concat halves",
    { x, _ in
      let parts = try x.split(sizes: [1, 2], axis: 1)
      return try Tensor.concatenated([parts[1].tanh(), parts[0]], axis: 1)
    }
  ),
]

@Suite("Property: random chains of operations against finite differences")
struct PropertyTests {
  @Test("gradcheck passes for random chains of smooth operations with broadcasting")
  func randomChains() async {
    await propertyCheck(
      count: 60, input: Gen.int(in: 0..<chainSteps.count).array(of: 1...6),
      Gen.double(in: -1.5...1.5).array(of: 9)
    ) { steps, values in
      let x = try Tensor(Array(values.prefix(6)), shape: [2, 3], dtype: .float64)
      let y = Tensor(Array(values.suffix(3)), dtype: .float64)
      let report = try gradcheck(
        { inputs in
          var value = inputs[0]
          for step in steps { value = try chainSteps[step].1(value, inputs[1]) }
          return value
        }, inputs: [x, y], tolerance: 1e-5)
      #expect(
        report.passed,
        "chain \(steps.map { chainSteps[$0].0 }.joined(separator: " → ")):\n\(report)")
    }
  }
}
