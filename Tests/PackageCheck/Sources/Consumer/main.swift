import CNN
import Scalar

// Gradbook from another package: the last stage's modules and optimizers, and an operation
// of this package's own, defined through the public op API.

extension Tensor {
  /// x ↦ x³, with its VJP written with tensor operations (so it is differentiable again).
  func cubed() throws -> Tensor {
    let x = self
    return try plainly { try x * x * x }.recorded("cubed", [x]) { g in [try 3 * g * x * x] }
  }
}

var generator = SeededGenerator(seed: 7)
let model = Sequential(Linear(3, 4, using: &generator), ReLU(), Linear(4, 2, using: &generator))
let optimizer = Adam(model.parameters(), learningRate: 1e-2)
let x = try Tensor([0.5, -1, 2, 1.5, 0, -0.5], shape: [2, 3])
let first = try crossEntropy(logits: model(x), targets: Tensor(integers: [1, 0]))
try first.backward()
try optimizer.step()
let second = try crossEntropy(logits: model(x), targets: Tensor(integers: [1, 0]))
guard try second.item() < first.item() else {
  fatalError("package-check: one Adam step did not lower the loss")
}

let t = try Tensor([1.5, -2], shape: [2], dtype: .float64)
t.requiresGrad = true
try t.cubed().sum().backward()
guard t.grad?.scalars == [6.75, 12] else {
  fatalError("package-check: the custom op's gradient is \(String(describing: t.grad))")
}
// The last stage: a convolution and its transposed convolution are adjoint.
let image = try Tensor((0..<32).map { Double($0 % 7) }, shape: [1, 2, 4, 4], dtype: .float64)
let kernel = try Tensor((0..<36).map { Double($0 % 5) - 2 }, shape: [2, 2, 3, 3], dtype: .float64)
let y = try image.conv2d(weight: kernel, padding: 1)
let back = try y.convTranspose2d(weight: kernel, padding: 1)
guard try (y * y).sum().item() == (image * back).sum().item() else {
  fatalError("package-check: conv2d and convTranspose2d are not adjoint")
}
print("package-check: Gradbook used by version from another package: ok")
