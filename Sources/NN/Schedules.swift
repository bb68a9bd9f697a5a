import Foundation

/// A learning rate for each step: set `optimizer.learningRate` from it before each step.
public protocol LearningRateSchedule: Sendable {
  /// The learning rate at `step` (counting from 0).
  func learningRate(at step: Int) -> Double
}

/// The rate times `gamma` every `stepSize` steps (PyTorch's `StepLR`).
public struct StepSchedule: LearningRateSchedule {
  /// The starting rate.
  public var base: Double
  /// Steps between reductions.
  public var stepSize: Int
  /// The factor applied at each reduction.
  public var gamma: Double

  /// A step schedule.
  public init(base: Double, stepSize: Int, gamma: Double = 0.1) {
    self.base = base
    self.stepSize = Swift.max(stepSize, 1)
    self.gamma = gamma
  }

  /// The rate at `step`: base · gammaᵏ after k full periods of `stepSize`.
  public func learningRate(at step: Int) -> Double {
    base * Foundation.pow(gamma, Double(step / stepSize))
  }
}

// listing: cosine-schedule
/// Linear warmup to `base` over `warmupSteps`, then a cosine decay to `minimum` at
/// `totalSteps`, and `minimum` after (the schedule of nanoGPT and most transformers).
public struct CosineSchedule: LearningRateSchedule {
  /// The peak rate, reached at the end of warmup.
  public var base: Double
  /// Steps of linear warmup.
  public var warmupSteps: Int
  /// The step at which the decay reaches `minimum`.
  public var totalSteps: Int
  /// The floor.
  public var minimum: Double

  /// A warmup-cosine schedule.
  public init(base: Double, warmupSteps: Int, totalSteps: Int, minimum: Double = 0) {
    self.base = base
    self.warmupSteps = warmupSteps
    self.totalSteps = totalSteps
    self.minimum = minimum
  }

  /// Warmup: base·(step + 1)/warmup. Decay: minimum + ½(1 + cos πr)·(base − minimum),
  /// with r going from 0 to 1 between the end of warmup and `totalSteps`.
  public func learningRate(at step: Int) -> Double {
    // exercise 5.8: A cosine schedule with warmup
    if step < warmupSteps { return base * Double(step + 1) / Double(warmupSteps) }
    if step >= totalSteps { return minimum }
    let progress = Double(step - warmupSteps) / Double(Swift.max(totalSteps - warmupSteps, 1))
    return minimum + 0.5 * (1 + Foundation.cos(Double.pi * progress)) * (base - minimum)
    // end exercise 5.8
  }
}
// end listing: cosine-schedule
