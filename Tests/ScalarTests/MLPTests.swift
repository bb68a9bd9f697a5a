import Foundation
import Testing

@testable import Scalar

@Suite("MLP: structure and training")
struct MLPTests {
  @Test("MLP(2, [16, 16, 1]) has 337 parameters, all leaves, seeded")
  func structure() {
    let model = MLP(inputCount: 2, layerSizes: [16, 16, 1])
    #expect(model.parameters.count == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1)
    let again = MLP(inputCount: 2, layerSizes: [16, 16, 1])
    #expect(model.parameters.map(\.data) == again.parameters.map(\.data))
    #expect(model.layers.last!.neurons[0].isNonlinear == false)
  }

  @Test("a few SGD steps lower the hinge loss and every parameter gets a gradient")
  func trainingLowersLoss() {
    let (xs, ys) = makeMoons(count: 30, seed: 3)
    let model = MLP(inputCount: 2, layerSizes: [8, 1], seed: 5)
    let inputs = xs.map { $0.map { Value($0) } }
    var first = 0.0
    var last = 0.0
    for step in 0..<15 {
      let loss = hingeLoss(scores: inputs.map { model($0)[0] }, labels: ys)
      model.parameters.zeroGrad()
      loss.backward()
      if step == 0 {
        first = loss.data
        #expect(model.parameters.allSatisfy { $0.grad != 0 })
      }
      last = loss.data
      sgdStep(model.parameters, learningRate: 0.1)
    }
    #expect(last < 0.7 * first)
  }

  @Test("two moons: labelled ±1, half each, deterministic under a seed")
  func moons() {
    let (xs, ys) = makeMoons(count: 101, seed: 9)
    #expect(xs.count == 101 && ys.count == 101)
    #expect(ys.filter { $0 == 1 }.count == 50)
    #expect(makeMoons(count: 101, seed: 9).points == xs)
    #expect(makeMoons(count: 101, seed: 10).points != xs)
  }
}
