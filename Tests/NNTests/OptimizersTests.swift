import Foundation
import TestSupport
import Testing

@testable import NN

@Suite("Optimizers and schedules")
struct OptimizersTests {
  @Test("a step builds no tape, keeps each parameter's identity and skips those without gradients")
  func noTape() throws {
    let p = parameter([1, 2], gradient: [1, 1])
    let idle = Tensor([5.0], dtype: .float64)
    idle.requiresGrad = true
    let optimizer = Adam([p, idle])
    let storage = p.storage
    try optimizer.step()
    #expect(p.isLeaf && p.requiresGrad && p.storage === storage)
    #expect(idle.scalars == [5])
    #expect(optimizer.stepCount == 1)
  }

  @Test("a gradient of the wrong shape is an error naming the optimizer and the shapes")
  func wrongGradient() {
    let p = parameter([1, 2], gradient: [1, 1])
    p.grad = Tensor([1.0, 2, 3], dtype: .float64)
    let error = #expect(throws: TensorError.self) { try SGD([p], learningRate: 0.1).step() }
    #expect(error?.op == "SGD.step" && error?.message.contains("[3]") == true)
  }

  @Test("plain SGD (momentum 0) takes p − η·g and leaves its momentum buffer at zero")
  func plainSGD() throws {
    let p = parameter([1, 2], gradient: [0.5, -1])
    let optimizer = SGD([p], learningRate: 0.1)
    for step in 1...2 {
      try optimizer.step()
      #expect(
        allClose(p.scalars, [1 - 0.05 * Double(step), 2 + 0.1 * Double(step)], tolerance: 1e-12))
    }
    #expect(optimizer.buffers[0].scalars == [0, 0])
  }

  @Test("AdamW's one-pass step names itself on a bad gradient and leaves the parameter as it was")
  func adamWError() throws {
    let p = parameter([1, 2], gradient: [1, 1])
    p.grad = Tensor([1.0, 2, 3], dtype: .float64)
    let optimizer = AdamW([p], learningRate: 0.1, weightDecay: 0.5)
    let error = #expect(throws: TensorError.self) { try optimizer.step() }
    #expect(error?.op == "AdamW.step" && error?.message.contains("[3]") == true)
    #expect(p.scalars == [1, 2])
    #expect(optimizer.namedState().allSatisfy { $0.tensor.scalars == [0, 0] })
  }

  @Test(
    "a bad gradient on a later parameter changes nothing: earlier parameters, state, step count",
    arguments: ["SGD.step", "Adam.step", "AdamW.step"])
  func badGradientChangesNothing(op: String) throws {
    let first = parameter([1, 2], gradient: [0.5, -1])
    let second = parameter([3, 4], gradient: [1, 1])
    let optimizer: any Optimizer =
      switch op {
      case "SGD.step": SGD([first, second], learningRate: 0.1, momentum: 0.9)
      case "Adam.step": Adam([first, second], learningRate: 0.1)
      default: AdamW([first, second], learningRate: 0.1, weightDecay: 0.5)
      }
    try optimizer.step()  // one good step, so that the state is not all zeros
    let before = (first.scalars, second.scalars, optimizer.namedState().map(\.tensor.scalars))
    second.grad = Tensor([1.0, 2, 3], dtype: .float64)
    let error = #expect(throws: TensorError.self) { try optimizer.step() }
    #expect(error?.op == op)
    #expect(first.scalars == before.0 && second.scalars == before.1)
    #expect(optimizer.namedState().map(\.tensor.scalars) == before.2)
    #expect(optimizer.stepCount == 1)
    // Mended, the next step is step 2, as if the failed one had not been tried.
    second.grad = Tensor([1.0, 1], dtype: .float64)
    try optimizer.step()
    #expect(optimizer.stepCount == 2)
  }

  @Test("Float32 parameters step like Float64 ones")
  func float32() throws {
    let p = Tensor([1, 2], dtype: .float32)
    p.requiresGrad = true
    p.grad = Tensor([0.5, -1], dtype: .float32)
    let optimizer = AdamW([p], learningRate: 0.1, weightDecay: 0)
    try optimizer.step()
    #expect(allClose(p.scalars, [0.9, 2.1], tolerance: 1e-6))
  }

  @Test("the step schedule multiplies by gamma every stepSize steps")
  func stepSchedule() {
    let schedule = StepSchedule(base: 1, stepSize: 10, gamma: 0.5)
    #expect([0, 9, 10, 25].map(schedule.learningRate(at:)) == [1, 1, 0.5, 0.25])
  }
}

@Suite("An optimizer's step under a live tape")
struct StepUnderTapeTests {
  @Test("a step between forward and backward makes backward throw instead of using new values")
  func stepBeforeBackward() throws {
    let x = Tensor([1, -2, 3], dtype: .float64)
    x.requiresGrad = true
    let loss = try (x * x).sum()
    x.grad = Tensor([1, 1, 1], dtype: .float64)
    try SGD([x], learningRate: 0.1).step()
    let error = #expect(throws: TensorError.self) { try loss.backward() }
    #expect(error?.description.contains("modified in place") == true)
  }
}
