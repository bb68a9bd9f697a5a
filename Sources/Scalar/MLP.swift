// A micrograd-style multilayer perceptron, one `Value` per weight.

/// One neuron: a weighted sum of its inputs plus a bias, then (optionally) tanh.
public final class Neuron {
  /// One weight per input.
  public let weights: [Value]
  /// The bias.
  public let bias: Value
  /// Whether the neuron applies tanh (hidden layers) or stays linear (the output).
  public let isNonlinear: Bool

  /// Creates a neuron with `inputCount` weights drawn uniformly from [−1, 1] and a zero bias.
  public init(inputCount: Int, isNonlinear: Bool = true, using generator: inout SeededGenerator) {
    weights = (0..<inputCount).map { _ in Value(Double.random(in: -1...1, using: &generator)) }
    bias = Value(0)
    self.isNonlinear = isNonlinear
  }

  // listing: neuron
  /// The neuron's output for one input vector: tanh(Σᵢ wᵢxᵢ + b), or the bare sum.
  public func callAsFunction(_ inputs: [Value]) -> Value {
    precondition(
      inputs.count == weights.count,
      "Neuron: expected \(weights.count) inputs, got \(inputs.count)")
    // exercise 1.6: A neuron's forward pass
    var sum = bias
    for (weight, input) in zip(weights, inputs) {
      sum = sum + weight * input
    }
    return isNonlinear ? sum.tanh() : sum
    // end exercise 1.6
  }
  // end listing: neuron

  /// The weights, then the bias.
  public var parameters: [Value] { weights + [bias] }
}

/// A layer of independent neurons that all see the same inputs.
public final class Layer {
  /// The neurons, one per output.
  public let neurons: [Neuron]

  /// Creates `outputCount` neurons of `inputCount` inputs each.
  public init(
    inputCount: Int, outputCount: Int, isNonlinear: Bool = true,
    using generator: inout SeededGenerator
  ) {
    var neurons: [Neuron] = []
    for _ in 0..<outputCount {
      neurons.append(Neuron(inputCount: inputCount, isNonlinear: isNonlinear, using: &generator))
    }
    self.neurons = neurons
  }

  /// Every neuron's output for one input vector.
  public func callAsFunction(_ inputs: [Value]) -> [Value] { neurons.map { $0(inputs) } }

  /// The parameters of every neuron, in order.
  public var parameters: [Value] { neurons.flatMap(\.parameters) }
}

// listing: mlp
/// A stack of layers: tanh hidden layers and a linear output layer.
public final class MLP {
  /// The layers, input side first.
  public let layers: [Layer]

  /// Creates an MLP; `MLP(inputCount: 2, layerSizes: [16, 16, 1])` has two hidden
  /// layers of 16 and one output.
  public init(inputCount: Int, layerSizes: [Int], seed: UInt64 = 1337) {
    var generator = SeededGenerator(seed: seed)
    let sizes = [inputCount] + layerSizes
    layers = layerSizes.indices.map { i in
      Layer(
        inputCount: sizes[i], outputCount: sizes[i + 1],
        isNonlinear: i < layerSizes.count - 1, using: &generator)
    }
  }

  /// The outputs for one input vector.
  public func callAsFunction(_ inputs: [Value]) -> [Value] {
    layers.reduce(inputs) { activations, layer in layer(activations) }
  }

  /// Every weight and bias, layer by layer.
  public var parameters: [Value] { layers.flatMap(\.parameters) }
}
// end listing: mlp
