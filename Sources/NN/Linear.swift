import HigherOrder

// listing: linear
/// A fully connected layer: `y = x Wᵀ + b`, with `W` of shape `[out, in]` like PyTorch.
///
/// Initialized like PyTorch's `nn.Linear`: weight and bias uniform in ±1/√in (Kaiming
/// uniform with a = √5 works out to exactly that bound). That divides the variance of the
/// activations by about 3 per layer (Var(w) = 1/(3·in)); √(3/in) would preserve it.
public final class Linear: Module {
  /// The weights, `[outFeatures, inFeatures]`.
  public let weight: Tensor
  /// The bias, `[outFeatures]` (nil without one).
  public let bias: Tensor?

  /// A layer from `inFeatures` to `outFeatures`, initialized from `generator`.
  public init(
    _ inFeatures: Int, _ outFeatures: Int, bias hasBias: Bool = true, dtype: DType = .default,
    using generator: inout some RandomNumberGenerator
  ) {
    precondition(
      inFeatures >= 0 && outFeatures >= 0, "Linear(\(inFeatures), \(outFeatures)): negative size")
    let bound = inFeatures > 0 ? 1 / Double(inFeatures).squareRoot() : 0
    weight = Tensor.rand(
      [outFeatures, inFeatures], in: -bound...bound, dtype: dtype, using: &generator)
    weight.requiresGrad = true
    bias =
      hasBias
      ? Tensor.rand([outFeatures], in: -bound...bound, dtype: dtype, using: &generator) : nil
    bias?.requiresGrad = true
  }

  /// `x Wᵀ + b` for `x` of shape `[…, inFeatures]`.
  public override func forward(_ x: Tensor) throws -> Tensor {
    try x.linear(weight: weight, bias: bias)
  }
}
// end listing: linear

extension Tensor {
  // listing: linear-op
  /// `x Wᵀ + b` as one recorded operation, for this tensor x of shape `[…, in]`, `W` of
  /// shape `[out, in]` and `b` of shape `[out]`.
  ///
  /// Composed of `matmul`, `transposed` and a broadcast `+`, the same layer records three
  /// operations, copies the bias to every row and the weight's gradient out of a transposed
  /// view, and computes a gradient for the input even when nothing wants it (the images of
  /// the first layer). Fused, the forward pass is one BLAS product plus the bias in place,
  /// and the VJP computes only the gradients that are needed:
  ///
  ///     x̄ = ȳ W,    W̄ = ȳᵀ x  (rows of all batch axes together),    b̄ = Σ_rows ȳ
  public func linear(weight: Tensor, bias: Tensor?) throws -> Tensor {
    let x = self
    let (outFeatures, inFeatures) = (weight.shape.first ?? 0, weight.shape.last ?? 0)
    guard rank >= 1, weight.rank == 2, shape.last == inFeatures, dtype == weight.dtype,
      bias.map({ $0.shape == [outFeatures] && $0.dtype == dtype }) ?? true
    else {
      throw TensorError(
        "linear",
        "input \(shape) \(dtype), weight \(weight.shape) \(weight.dtype), bias "
          + (bias.map { "\($0.shape) \($0.dtype)" } ?? "none")
          + " (expected [..., in], [out, in] and [out])")
    }
    let rows = shape.dropLast().reduce(1, *)
    let outputShape = Array(shape.dropLast()) + [outFeatures]
    let y = try x.detach().reshaped([rows, inFeatures]).matmul(weight.detach().transposed())
    if let bias { y.addToEveryRow(bias) }
    let inputs = [x, weight] + (bias.map { [$0] } ?? [])
    return try y.reshaped(outputShape).recorded(
      "linear", inputs,
      jvp: { t, _ in
        try sumOfTerms([
          t[0].map { try $0.linear(weight: weight, bias: nil) },
          t[1].map { try x.linear(weight: $0, bias: nil) },
          t.count > 2 ? t[2].map { try $0.expand(to: outputShape) } : nil,
        ])
      }
    ) { g in
      // exercise 5.1: Linear's backward
      let gRows = try g.reshaped([rows, outFeatures])
      let gx = x.requiresGrad ? try gRows.matmul(weight).reshaped(x.shape) : nil
      let gw =
        weight.requiresGrad
        ? try gRows.transposed().matmul(x.reshaped([rows, inFeatures])) : nil
      guard bias != nil else { return [gx, gw] }
      return [gx, gw, try gRows.sum(axes: [0])]
      // end exercise 5.1
    }
  }
  // end listing: linear-op
}
