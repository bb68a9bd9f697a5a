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

/// Two elementwise updates, `first` then `second`, applied to each element in turn: one
/// pass over memory instead of two.
struct Sequenced<First: ElementwiseUpdate, Second: ElementwiseUpdate>: ElementwiseUpdate {
  let first: First
  let second: Second

  init(_ first: First, _ second: Second) { (self.first, self.second) = (first, second) }

  func update<T: TensorScalar>(_ p: inout T, gradient: T, state a: inout T, _ b: inout T) {
    first.update(&p, gradient: gradient, state: &a, &b)
    second.update(&p, gradient: gradient, state: &a, &b)
  }
}

/// The update that changes nothing.
struct NoUpdate: ElementwiseUpdate {
  func update<T: TensorScalar>(_: inout T, gradient _: T, state _: inout T, _: inout T) {}
}

/// A zero tensor shaped like each of `parameters`.
func zerosLike(_ parameters: [Tensor]) -> [Tensor] {
  parameters.map { Tensor.zeros($0.shape, dtype: $0.dtype) }
}

// listing: sgd
/// One SGD step of one element, with momentum buffer `b`.
struct SGDStep: ElementwiseUpdate {
  let learningRate, momentum: Double
  let nesterov: Bool
  let weightDecay: Double
  let isFirstStep: Bool

  func update<T: TensorScalar>(_ p: inout T, gradient: T, state b: inout T, _: inout T) {
    let (lr, mu, decay) = (T(learningRate), T(momentum), T(weightDecay))
    // exercise 5.3: An SGD-momentum step
    var g = gradient + decay * p
    b = isFirstStep ? g : mu * b + g
    g = nesterov ? g + mu * b : b
    p -= lr * g
    // end exercise 5.3
  }
}
// end listing: sgd

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
    // With μ = 0 the formula's b is g itself: a scratch value, not the buffer, which
    // stays zero (PyTorch keeps none).
    let states = buffers.map { momentum == 0 ? [] : [$0] }
    try checkGradients(of: parameters, states: states, op: "SGD.step")
    stepCount += 1
    let rule = SGDStep(
      learningRate: learningRate, momentum: momentum, nesterov: nesterov,
      weightDecay: weightDecay, isFirstStep: stepCount == 1)
    for (p, state) in zip(parameters, states) {
      guard let gradient = p.grad else { continue }
      try p.update(by: rule, gradient: gradient, state: state, op: "SGD.step")
    }
  }

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
  public func step() throws { try step(after: NoUpdate(), op: "Adam.step") }

  /// One step, each element first updated by `first` (AdamW's decay) in the same pass over
  /// memory; errors name `op`.
  func step(after first: some ElementwiseUpdate, op: String) throws {
    try checkGradients(of: parameters, states: moments.map { [$0.m, $0.v] }, op: op)
    stepCount += 1
    let rule = AdamStep(
      learningRate: learningRate, betas: betas, epsilon: epsilon, weightDecay: weightDecay,
      step: stepCount)
    for (p, (m, v)) in zip(parameters, moments) {
      guard let gradient = p.grad else { continue }
      try p.update(by: Sequenced(first, rule), gradient: gradient, state: [m, v], op: op)
    }
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
/// One Adam step of one element, with moments `m` and `v`.
struct AdamStep: ElementwiseUpdate {
  let learningRate, beta1, beta2, epsilon, weightDecay: Double
  /// c₁ = 1 / (1 − β₁ᵗ) and c₂ = 1 / √(1 − β₂ᵗ) at step t ≥ 1: the bias corrections,
  /// computed once per step.
  let inverseCorrection1, inverseRootCorrection2: Double

  init(
    learningRate: Double, betas: (Double, Double), epsilon: Double, weightDecay: Double,
    step t: Int
  ) {
    (self.learningRate, (beta1, beta2)) = (learningRate, betas)
    (self.epsilon, self.weightDecay) = (epsilon, weightDecay)
    inverseCorrection1 = 1 / (1 - Foundation.pow(betas.0, Double(t)))
    inverseRootCorrection2 = 1 / (1 - Foundation.pow(betas.1, Double(t))).squareRoot()
  }

  func update<T: TensorScalar>(_ p: inout T, gradient: T, state m: inout T, _ v: inout T) {
    let (b1, b2, decay) = (T(beta1), T(beta2), T(weightDecay))
    // exercise 5.4: An Adam step with bias correction
    let g = gradient + decay * p
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    // η·m̂ / (√v̂ + ε), with m̂ = m·c₁ and √v̂ = √v·c₂, is (η·c₁/c₂)·m / (√v + ε/c₂): the
    // corrections folded into two constants, one square root and one division per element.
    let stepSize = T(learningRate * inverseCorrection1 / inverseRootCorrection2)
    let correctedEpsilon = T(epsilon / inverseRootCorrection2)
    p -= stepSize * m / (v.squareRoot() + correctedEpsilon)
    // end exercise 5.4
  }
}
// end listing: adam

// listing: adamw
/// p ← p · (1 − η·λ): AdamW's decoupled decay of one element, before the Adam update.
struct DecoupledDecay: ElementwiseUpdate {
  let learningRate, weightDecay: Double

  func update<T: TensorScalar>(_ p: inout T, gradient: T, state _: inout T, _: inout T) {
    // exercise 5.5: AdamW's decoupled weight decay
    p *= 1 - T(learningRate * weightDecay)
    // end exercise 5.5
  }
}
// end listing: adamw

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

  /// Decays every parameter that has a gradient, then takes Adam's step: both in one pass,
  /// element by element.
  public func step() throws {
    try adam.step(
      after: DecoupledDecay(learningRate: learningRate, weightDecay: weightDecay),
      op: "AdamW.step")
  }

  /// Adam's moment buffers, for checkpoints.
  public func namedState() -> [(name: String, tensor: Tensor)] { adam.namedState() }

  /// Restores the step count from a checkpoint.
  public func restore(stepCount: Int) { adam.restore(stepCount: stepCount) }
}

/// Throws, naming `op`, if any parameter's gradient or state does not fit it: checked for
/// every parameter before a step changes any, so a bad gradient leaves all of them, their
/// state and the step count as they were.
func checkGradients(of parameters: [Tensor], states: [[Tensor]], op: String) throws {
  for (p, state) in zip(parameters, states) {
    guard let gradient = p.grad else { continue }
    try p.checkUpdate(gradient: gradient, state: state, op: op)
  }
}
