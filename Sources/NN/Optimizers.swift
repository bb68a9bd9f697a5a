import Foundation
import HigherOrder

/// Updates parameters from their gradients; PyTorch's conventions.
///
/// An update writes the parameters' elements in place (their identity, and so the
/// model, is kept) and records nothing on the tape.
public protocol Optimizer: AnyObject {
  /// The tensors this optimizer updates.
  var parameters: [Tensor] { get }
  /// The step size; a schedule may change it between steps.
  var learningRate: Double { get set }
  /// The number of steps taken.
  var stepCount: Int { get }
  /// One update of every parameter that has a gradient.
  func step() throws
  /// The optimizer's state (moment buffers …) as named tensors, for checkpoints.
  func namedState() -> [(name: String, tensor: Tensor)]
  /// Restores `stepCount` (the state tensors are restored in place by a checkpoint).
  func restore(stepCount: Int)
}

extension Optimizer {
  /// Forgets every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`).
  public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }
}

/// A parameter's elements, its gradient's and its state buffers', as typed pointers.
struct Elements<T: TensorScalar> {
  let count: Int
  let value: UnsafeMutablePointer<T>
  let gradient: UnsafeMutablePointer<T>
  let state: [UnsafeMutablePointer<T>]
}

/// Calls `float` or `double` with `parameter`'s elements, gradient and `state` buffers.
func withElements(
  _ parameter: Tensor, _ state: [Tensor], op: String,
  float: (Elements<Float>) -> Void, double: (Elements<Double>) -> Void
) throws {
  guard let gradient = parameter.grad else { return }
  guard parameter.isContiguous, gradient.shape == parameter.shape,
    gradient.dtype == parameter.dtype
  else {
    throw TensorError(
      op,
      "parameter \(parameter.shape) \(parameter.dtype) (contiguous: "
        + "\(parameter.isContiguous)) has a gradient of shape \(gradient.shape) \(gradient.dtype)")
  }
  let (g, start) = gradient.contiguousStorage()
  let p = parameter
  func elements<T: TensorScalar>(_: T.Type, from: Int, count: Int) -> Elements<T> {
    Elements(
      count: count, value: p.storage.typed(T.self) + p.offset + from,
      gradient: g.typed(T.self) + start + from,
      state: state.map { $0.storage.typed(T.self) + $0.offset + from })
  }
  // Large parameters are updated in two halves on two cores (disjoint ranges).
  inChunks(p.count) { from, n in
    switch p.dtype {
    case .float32: float(elements(Float.self, from: from, count: n))
    case .float64: double(elements(Double.self, from: from, count: n))
    }
  }
}

/// A zero tensor shaped like each of `parameters`.
func zerosLike(_ parameters: [Tensor]) -> [Tensor] {
  parameters.map { Tensor.zeros($0.shape, dtype: $0.dtype) }
}

/// Stochastic gradient descent with momentum, Nesterov momentum and weight decay,
/// following `torch.optim.SGD`:
///
///     g ← ∇ + λ·p                       (weight decay, as an L2 penalty's gradient)
///     b ← μ·b + g   (b ← g on the first step)
///     g ← g + μ·b  if Nesterov,  else  g ← b
///     p ← p − η·g
public final class SGD: Optimizer {
  /// The tensors this optimizer updates.
  public let parameters: [Tensor]
  /// The step size η.
  public var learningRate: Double
  /// μ, the momentum (0: plain SGD).
  public let momentum: Double
  /// Nesterov's look-ahead form of momentum.
  public let nesterov: Bool
  /// λ, the L2 weight decay.
  public let weightDecay: Double
  /// The number of steps taken.
  public private(set) var stepCount = 0
  /// One momentum buffer per parameter.
  let buffers: [Tensor]

  /// An optimizer for `parameters`.
  public init(
    _ parameters: [Tensor], learningRate: Double, momentum: Double = 0, nesterov: Bool = false,
    weightDecay: Double = 0
  ) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.momentum = momentum
    self.nesterov = nesterov
    self.weightDecay = weightDecay
    buffers = zerosLike(parameters)
  }

  /// One update of every parameter that has a gradient.
  public func step() throws {
    stepCount += 1
    for (p, buffer) in zip(parameters, buffers) {
      try withElements(p, [buffer], op: "SGD.step", float: update, double: update)
    }
  }

  // listing: sgd
  func update<T: TensorScalar>(_ e: Elements<T>) {
    let (lr, mu, decay) = (T(learningRate), T(momentum), T(weightDecay))
    let (p, b) = (e.value, e.state[0])
    let first = stepCount == 1
    for i in 0..<e.count {
      // exercise 5.3: An SGD-momentum step
      var g = e.gradient[i] + decay * p[i]
      if mu != 0 {
        b[i] = first ? g : mu * b[i] + g
        g = nesterov ? g + mu * b[i] : b[i]
      }
      p[i] -= lr * g
      // end exercise 5.3
    }
  }
  // end listing: sgd

  /// The per-parameter buffers, for checkpoints.
  public func namedState() -> [(name: String, tensor: Tensor)] {
    buffers.enumerated().map { ("momentum.\($0.offset)", $0.element) }
  }

  /// Restores the step count from a checkpoint.
  public func restore(stepCount: Int) { self.stepCount = stepCount }
}

/// Adam (Kingma & Ba), following `torch.optim.Adam`: running averages of the gradient and
/// of its square, corrected for starting at zero.
///
///     g ← ∇ + λ·p                        (L2 weight decay, as in PyTorch's Adam)
///     m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²
///     p ← p − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
public final class Adam: Optimizer {
  /// The tensors this optimizer updates.
  public let parameters: [Tensor]
  /// The step size η.
  public var learningRate: Double
  /// β₁ and β₂, the averages' decay rates.
  public let betas: (Double, Double)
  /// ε, added to the denominator.
  public let epsilon: Double
  /// λ, the L2 weight decay (added to the gradient; see `AdamW` for decoupled decay).
  public let weightDecay: Double
  /// The number of steps taken.
  public private(set) var stepCount = 0
  /// The first and second moment estimates, per parameter.
  let moments: [(m: Tensor, v: Tensor)]

  /// An optimizer for `parameters`.
  public init(
    _ parameters: [Tensor], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    epsilon: Double = 1e-8, weightDecay: Double = 0
  ) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.betas = betas
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    moments = parameters.map {
      (Tensor.zeros($0.shape, dtype: $0.dtype), Tensor.zeros($0.shape, dtype: $0.dtype))
    }
  }

  /// One update of every parameter that has a gradient.
  public func step() throws {
    stepCount += 1
    for (p, (m, v)) in zip(parameters, moments) {
      try withElements(p, [m, v], op: "Adam.step", float: update, double: update)
    }
  }

  func update<T: TensorScalar>(_ e: Elements<T>) {
    adamUpdate(
      e, learningRate: learningRate, betas: betas, epsilon: epsilon, weightDecay: weightDecay,
      step: stepCount)
  }

  /// The per-parameter buffers, for checkpoints.
  public func namedState() -> [(name: String, tensor: Tensor)] {
    moments.enumerated().flatMap {
      [("m.\($0.offset)", $0.element.m), ("v.\($0.offset)", $0.element.v)]
    }
  }

  /// Restores the step count from a checkpoint.
  public func restore(stepCount: Int) { self.stepCount = stepCount }
}

// listing: adam
/// One Adam update of a parameter's elements (`state` holds m and v), at step `t` ≥ 1.
func adamUpdate<T: TensorScalar>(
  _ e: Elements<T>, learningRate: Double, betas: (Double, Double), epsilon: Double,
  weightDecay: Double, step t: Int
) {
  let (p, m, v) = (e.value, e.state[0], e.state[1])
  let (beta1, beta2) = (T(betas.0), T(betas.1))
  let (lr, eps, decay) = (T(learningRate), T(epsilon), T(weightDecay))
  // exercise 5.4: An Adam step with bias correction
  // (m / c₁) / (√(v / c₂) + ε) computed as m · (1/c₁) / (√v · (1/√c₂) + ε): no divisions
  // by the corrections inside the loop.
  let correction1 = 1 - Foundation.pow(betas.0, Double(t))
  let correction2 = 1 - Foundation.pow(betas.1, Double(t))
  let stepSize = lr / T(correction1)
  let inverseRoot2 = 1 / T(correction2.squareRoot())
  for i in 0..<e.count {
    let g = e.gradient[i] + decay * p[i]
    let mi = beta1 * m[i] + (1 - beta1) * g
    let vi = beta2 * v[i] + (1 - beta2) * g * g
    m[i] = mi
    v[i] = vi
    p[i] -= stepSize * mi / (vi.squareRoot() * inverseRoot2 + eps)
  }
  // end exercise 5.4
}
// end listing: adam

/// AdamW (Loshchilov & Hutter): Adam with *decoupled* weight decay, following
/// `torch.optim.AdamW`. The decay shrinks the weights directly, scaled by the learning
/// rate, instead of passing through the adaptive denominator:
///
///     p ← p − η·λ·p,   then the Adam update with λ = 0
public final class AdamW: Optimizer {
  /// The Adam that takes the steps after the decay (its own weight decay is 0).
  let adam: Adam
  /// λ, the decoupled weight decay (PyTorch's default 0.01).
  public let weightDecay: Double

  /// An optimizer for `parameters`.
  public init(
    _ parameters: [Tensor], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    epsilon: Double = 1e-8, weightDecay: Double = 0.01
  ) {
    adam = Adam(parameters, learningRate: learningRate, betas: betas, epsilon: epsilon)
    self.weightDecay = weightDecay
  }

  /// The tensors this optimizer updates.
  public var parameters: [Tensor] { adam.parameters }
  /// The step size η (the decay is scaled by it too).
  public var learningRate: Double {
    get { adam.learningRate }
    set { adam.learningRate = newValue }
  }
  /// The number of steps taken.
  public var stepCount: Int { adam.stepCount }

  /// Decays every parameter that has a gradient, then takes Adam's step.
  public func step() throws {
    for p in parameters {
      try withElements(p, [], op: "AdamW.step", float: decay, double: decay)
    }
    try adam.step()
  }

  // listing: adamw
  /// p ← p · (1 − η·λ): the decoupled decay, before the Adam update.
  func decay<T: TensorScalar>(_ e: Elements<T>) {
    let p = e.value
    // exercise 5.5: AdamW's decoupled weight decay
    let shrink = 1 - T(learningRate * weightDecay)
    for i in 0..<e.count { p[i] *= shrink }
    // end exercise 5.5
  }
  // end listing: adamw

  /// Adam's moment buffers, for checkpoints.
  public func namedState() -> [(name: String, tensor: Tensor)] { adam.namedState() }

  /// Restores the step count from a checkpoint.
  public func restore(stepCount: Int) { adam.restore(stepCount: stepCount) }
}
