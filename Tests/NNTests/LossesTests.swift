import Foundation
import TestSupport
import Testing

@testable import NN

@Suite("Losses")
struct LossesTests {
  @Test("cross-entropy's gradient and its second derivative match finite differences")
  func crossEntropyGradients() throws {
    let z = sample([4, 5])
    let targets = [0, 4, 2, 2]
    #expect(
      try gradcheck({ try crossEntropy(logits: $0[0], targets: targets) }, inputs: [z]).passed)
    #expect(
      try gradcheck(
        { try crossEntropy(logits: $0[0], targets: targets, reduction: .sum) }, inputs: [z]
      )
      .passed)
    #expect(try gradgradcheck({ try crossEntropy(logits: $0, targets: targets) }, at: z) < 1e-6)
    // forward mode has a rule of its own: it agrees with the double-VJP fallback
    let v = sample([4, 5], seed: 2.1)
    let forward = try forwardJVP(
      { try crossEntropy(logits: $0, targets: targets) }, at: z, tangent: v)
    let fallback = try jvpByDoubleVJP(
      { try crossEntropy(logits: $0, targets: targets) }, at: z, tangent: v)
    #expect(forward != nil, "crossEntropy has no JVP rule")
    #expect(allClose(forward?.scalars ?? [], fallback.scalars, tolerance: 1e-12))
  }

  @Test("unreduced: one loss per row, each row's gradient scaled by its own cotangent")
  func unreduced() throws {
    let z = sample([3, 4])
    let targets = [3, 0, 1]
    let rows = try crossEntropy(logits: z, targets: targets, reduction: .unreduced)
    #expect(rows.shape == [3])
    for i in 0..<3 {
      let single = try crossEntropy(
        logits: z.sliced(axis: 0, i..<(i + 1)), targets: [targets[i]], reduction: .sum)
      #expect(Swift.abs(rows.scalars[i] - single.scalars[0]) < 1e-14)
    }
    #expect(
      Swift.abs(
        rows.scalars.reduce(0, +) / 3 - (try crossEntropy(logits: z, targets: targets).item()))
        < 1e-14)
    let f = { (t: [Tensor]) in
      try crossEntropy(logits: t[0], targets: targets, reduction: .unreduced)
    }
    #expect(try gradcheck(f, inputs: [z]).passed)
    let w = sample([3], seed: 0.8)
    #expect(try gradgradcheck({ try (f([$0]) * w).sum() }, at: z) < 1e-6)
    let v = sample([3, 4], seed: 2.1)
    let forward = try #require(try forwardJVP({ try f([$0]) }, at: z, tangent: v))
    #expect(
      allClose(
        forward.scalars, try jvpByDoubleVJP({ try f([$0]) }, at: z, tangent: v).scalars,
        tolerance: 1e-12))
  }

  @Test("logits [batch, time, classes] against int64 targets [batch, time], as a language model")
  func sequenceTargets() throws {
    let z = sample([2, 3, 5])
    let targets = try Tensor(integers: [4, 0, 2, 1, 1, 3], shape: [2, 3])
    let flat = try crossEntropy(logits: z.reshaped([6, 5]), targets: [4, 0, 2, 1, 1, 3])
    #expect(try crossEntropy(logits: z, targets: targets).scalars == flat.scalars)
    let each = try crossEntropy(logits: z, targets: targets, reduction: .unreduced)
    #expect(each.shape == [2, 3])
    #expect(
      try gradcheck({ try crossEntropy(logits: $0[0], targets: targets) }, inputs: [z]).passed)
    #expect(throws: TensorError.self) {  // targets of the wrong leading shape
      try crossEntropy(logits: z, targets: Tensor(integers: [1, 2, 3], shape: [3]))
    }
    #expect(throws: TensorError.self) {  // a class out of range
      try crossEntropy(logits: z, targets: Tensor(integers: [5, 0, 0, 0, 0, 0], shape: [2, 3]))
    }
    #expect(try mseLoss(z, z * 2, reduction: .unreduced).shape == [2, 3, 5])
  }

  @Test("targets in an int64 tensor give the loss, gradient and accuracy of a target list")
  func integerTargets() throws {
    let z = try Tensor([0.2, -1, 3, 0.5, 0.1, -0.4], shape: [2, 3], dtype: .float64)
    z.requiresGrad = true
    let listed = try crossEntropy(logits: z, targets: [2, 0], reduction: .sum)
    try listed.backward()
    let listedGrad = z.grad!.scalars
    z.grad = nil
    let tensor = try crossEntropy(logits: z, targets: Tensor(integers: [2, 0]), reduction: .sum)
    try tensor.backward()
    #expect(tensor.scalars == listed.scalars && z.grad!.scalars == listedGrad)
    #expect(try accuracy(logits: z, targets: Tensor(integers: [2, 1])) == 0.5)
    #expect {
      try crossEntropy(logits: z, targets: Tensor([2, 0]))
    } throws: { "\($0)".hasPrefix("crossEntropy: logits of shape [2, 3] against targets") }
    #expect {
      try crossEntropy(logits: z, targets: Tensor(integers: [2, 3]))
    } throws: { "\($0)".contains("target 3 is not a class") }
  }

  @Test("cross-entropy's gradient is (softmax − onehot)/n, finite at logits of ±1000")
  func crossEntropyLargeLogits() throws {
    let z = try Tensor([1000, -1000, 0, 0], shape: [2, 2], dtype: .float32)
    z.requiresGrad = true
    try crossEntropy(logits: z, targets: [1, 0]).backward()
    #expect(allClose(z.grad!.scalars, [0.5, -0.5, -0.25, 0.25], tolerance: 1e-6))
  }

  @Test("bad targets and shapes are errors that name the op and the shapes")
  func crossEntropyErrors() {
    let z = sample([2, 3])
    let count = #expect(throws: TensorError.self) { try crossEntropy(logits: z, targets: [0]) }
    #expect(count?.op == "crossEntropy" && count?.message.contains("[2, 3]") == true)
    let range = #expect(throws: TensorError.self) { try crossEntropy(logits: z, targets: [0, 3]) }
    #expect(range?.message.contains("target 3") == true)
    #expect(throws: TensorError.self) { try mseLoss(sample([2, 1]), sample([2])) }
  }

  @Test("binary cross-entropy with logits is stable at ±100 and matches its formula")
  func binary() throws {
    let z = try Tensor([-100, -1, 0, 2, 100], dtype: .float64)
    let y = try Tensor([0, 1, 0.5, 1, 1], dtype: .float64)
    // y·(−log σ(z)) + (1 − y)·(−log(1 − σ(z))), with −log σ(t) = softplus(−t) written stably
    let softplus = { (t: Double) in
      Swift.max(t, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(t)))
    }
    let expected = zip(z.scalars, y.scalars).map { z, y in y * softplus(-z) + (1 - y) * softplus(z)
    }
    let loss = try binaryCrossEntropy(logits: z, targets: y, reduction: .sum).item()
    #expect(Swift.abs(loss - expected.reduce(0, +)) < 1e-9)
    #expect(
      try gradcheck({ try binaryCrossEntropy(logits: $0[0], targets: y) }, inputs: [z]).passed)
  }

  @Test("MSE and the L1/L2 penalties, with their gradients")
  func mseAndPenalties() throws {
    let p = sample([2, 3])
    let t = sample([2, 3], seed: 1)
    let d = zip(p.scalars, t.scalars).map { $0 - $1 }
    #expect(Swift.abs(try mseLoss(p, t).item() - d.map { $0 * $0 }.reduce(0, +) / 6) < 1e-12)
    #expect(try gradcheck({ try mseLoss($0[0], $0[1]) }, inputs: [p, t]).passed)
    let w = try Tensor([0.5, -2, 3], dtype: .float64)
    #expect(try l1Penalty([w, w]).item() == 11)
    #expect(try l2Penalty([w]).item() == 13.25)
    w.requiresGrad = true
    try l1Penalty([w]).backward()
    #expect(w.grad!.scalars == [1, -1, 1])
  }

  @Test("predictions and accuracy: the first maximum of each row")
  func accuracyOfPredictions() throws {
    let logits = try Tensor([1, 3, 3, 0, 0, -1], shape: [2, 3])
    #expect(try logits.predictedClasses() == [1, 0])
    #expect(try NN.accuracy(logits: logits, targets: [1, 2]) == 0.5)
    #expect(throws: TensorError.self) { try Tensor.zeros([2, 0]).predictedClasses() }
    #expect(try Tensor.oneHot([2, 0], classes: 3).scalars == [0, 0, 1, 1, 0, 0])
    #expect(throws: TensorError.self) { try Tensor.oneHot([3], classes: 3) }
  }
}
