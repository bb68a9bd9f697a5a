import Foundation
import Testing

@testable import Scalar

// The graded exercises of Chapter 1. Each suite's name starts with `Ch01ExN`, which is how
// the grader finds the tests of exercise 1.N and runs them in a process of their own.
// Each exercise is tested on its own as far as possible (local derivatives rather than
// whole backward passes), so an unfinished exercise fails only itself.

@Suite("Exercise 1.1: the local derivatives of multiplication")
struct Ch01Ex1Multiply {
  @Test("a · b and its local derivatives (b, a) at many points")
  func localDerivatives() {
    for (x, y) in [(2.0, -3.0), (-0.5, 0.25), (0, 7), (1e3, -1e-3), (-4, -4)] {
      let a = Value(x)
      let b = Value(y)
      let c = a * b
      #expect(c.data == x * y)
      #expect(c.op == .multiply)
      #expect(c.inputs.count == 2 && c.inputs[0] === a && c.inputs[1] === b)
      #expect(c.lhsDerivative == y, "∂(a·b)/∂a = b")
      #expect(c.rhsDerivative == x, "∂(a·b)/∂b = a")
    }
  }

  @Test("squaring a value: both inputs are the same node")
  func square() {
    let a = Value(-1.5)
    let c = a * a
    #expect(c.data == 2.25)
    #expect(c.lhsDerivative == -1.5 && c.rhsDerivative == -1.5)
  }
}

@Suite("Exercise 1.2: tanh and its derivative")
struct Ch01Ex2Tanh {
  @Test("tanh and 1 − tanh² at many points, against central differences")
  func values() {
    for k in -20...20 {
      let x = Double(k) * 0.17
      let t = Value(x).tanh()
      #expect(abs(t.data - Foundation.tanh(x)) < 1e-15)
      #expect(t.op == .tanh)
      let numeric = (Foundation.tanh(x + 1e-6) - Foundation.tanh(x - 1e-6)) / 2e-6
      #expect(abs(t.lhsDerivative - numeric) < 1e-8, "tanh′(\(x))")
    }
  }

  @Test("at ±1000 tanh saturates to ±1 with derivative 0, no NaN")
  func saturation() {
    for x in [-1000.0, 1000.0, -710, 710] {
      let t = Value(x).tanh()
      #expect(t.data == (x > 0 ? 1 : -1))
      #expect(t.lhsDerivative == 0)
    }
  }
}

@Suite("Exercise 1.3: the power rule")
struct Ch01Ex3Power {
  @Test("xⁿ and n·xⁿ⁻¹ for integer, negative and fractional n")
  func powerRule() {
    for (x, n) in [(2.0, 3.0), (-1.5, 2.0), (0.5, -1.0), (4.0, 0.5), (3.0, 0.0), (1.7, -2.5)] {
      let p = Value(x).pow(n)
      #expect(abs(p.data - Foundation.pow(x, n)) < 1e-12)
      #expect(p.op == .power(n))
      let numeric = (Foundation.pow(x + 1e-6, n) - Foundation.pow(x - 1e-6, n)) / 2e-6
      #expect(abs(p.lhsDerivative - numeric) < 1e-6 * max(1, abs(numeric)), "d(x^\(n))/dx at \(x)")
    }
  }

  @Test("at x = 0: x⁰ has derivative 0 (not 0·∞ = NaN); x³ and x² have derivative 0 there")
  func atZero() {
    #expect(Value(0).pow(0).lhsDerivative == 0)
    #expect(Value(0).pow(0).data == 1)
    #expect(Value(0).pow(3).lhsDerivative == 0)
    #expect(Value(0).pow(2).lhsDerivative == 0)
    #expect(Value(0).pow(1).lhsDerivative == 1)
  }

  @Test("the exponent is a constant: one input only")
  func oneInput() {
    let x = Value(3)
    let p = x.pow(2)
    #expect(p.inputs.count == 1 && p.inputs[0] === x)
    #expect(p.lhsDerivative == 6)
  }
}

@Suite("Exercise 1.4: topological order without recursion")
struct Ch01Ex4TopologicalOrder {
  /// Checks that `order` holds each node of the graph once, inputs before users, root last.
  func checkOrder(_ order: [Value], root: Value) {
    var position: [ObjectIdentifier: Int] = [:]
    for (i, node) in order.enumerated() {
      #expect(position[ObjectIdentifier(node)] == nil, "each node appears once")
      position[ObjectIdentifier(node)] = i
    }
    #expect(order.last === root)
    for (i, node) in order.enumerated() {
      for input in node.inputs {
        let j = position[ObjectIdentifier(input)]
        #expect(j != nil && j! < i, "every input comes before its user")
      }
    }
  }

  @Test("a graph with shared nodes: each once, inputs first")
  func sharedNodes() {
    // Only operations that are not exercises, so this exercise stands on its own.
    let a = Value(1)
    let b = Value(2)
    let c = a - b
    let d = c + a
    let e = (d / c) + b.exp()
    let order = e.topologicalOrder()
    #expect(order.count == 7)
    checkOrder(order, root: e)
  }

  @Test("a leaf's order is itself; sorting twice gives the same order")
  func repeatable() {
    let x = Value(1)
    #expect(x.topologicalOrder().count == 1)
    let y = (x + x) * x
    let first = y.topologicalOrder()
    let second = y.topologicalOrder()
    #expect(first.count == 3)
    #expect(zip(first, second).allSatisfy { $0 === $1 })
  }

  @Test("a 100,000-op chain does not overflow the stack")
  func deepChain() {
    let x = Value(0.5)
    var y = x
    for _ in 0..<100_000 { y = -y }
    let order = y.topologicalOrder()
    #expect(order.count == 100_001)
    #expect(order.first === x && order.last === y)
  }
}

@Suite("Exercise 1.5: accumulate gradients into the inputs")
struct Ch01Ex5Accumulate {
  @Test("propagate adds local derivative × grad into each input")
  func chainRuleStep() {
    let a = Value(2)
    let b = Value(-3)
    let c = a - b  // local derivatives 1 and −1 (not an exercise)
    c.grad = 0.5
    c.propagate()
    #expect(a.grad == 0.5)
    #expect(b.grad == -0.5)
  }

  @Test("gradients accumulate: += not =")
  func accumulates() {
    let x = Value(1.25)
    x.grad = 1.5
    let y = x + x  // x feeds both inputs
    y.grad = 2
    y.propagate()
    #expect(x.grad == 1.5 + 2 + 2)
  }

  @Test("a unary op passes its gradient to its one input")
  func unary() {
    let x = Value(4)
    let y = -x
    y.grad = 3
    y.propagate()
    #expect(x.grad == -3)
  }
}

@Suite("Exercise 1.6: a neuron's forward pass")
struct Ch01Ex6Neuron {
  func neuron(weights: [Double], bias: Double, isNonlinear: Bool) -> Neuron {
    var generator = SeededGenerator(seed: 7)
    let n = Neuron(inputCount: weights.count, isNonlinear: isNonlinear, using: &generator)
    for (w, value) in zip(n.weights, weights) { w.data = value }
    n.bias.data = bias
    return n
  }

  @Test("tanh(w·x + b)")
  func tanhNeuron() {
    let n = neuron(weights: [-3, 1, 0.5], bias: 6.881_373_587_019_543, isNonlinear: true)
    let out = n([Value(2), Value(0), Value(-1)])
    #expect(abs(out.data - Foundation.tanh(-6 + 0 - 0.5 + 6.881_373_587_019_543)) < 1e-12)
  }

  @Test("a linear neuron returns the bare sum")
  func linearNeuron() {
    let n = neuron(weights: [0.25, -2], bias: 1, isNonlinear: false)
    let expected: Double = 0.25 * 4.0 - 2.0 * 3.0 + 1.0
    #expect(n([Value(4), Value(3)]).data == expected)
  }

  @Test("the output depends on every weight, every input and the bias")
  func dependsOnEverything() {
    let n = neuron(weights: [0.3, -0.2], bias: 0.1, isNonlinear: true)
    let inputs = [Value(1), Value(2)]
    let order = n(inputs).topologicalOrder()
    for v in n.parameters + inputs {
      #expect(order.contains { $0 === v })
    }
  }
}

@Suite("Exercise 1.7: one step of gradient descent")
struct Ch01Ex7SGDStep {
  @Test("each parameter moves by −learningRate × grad")
  func step() {
    let ps = [Value(1), Value(-2), Value(0.5)]
    for (p, g) in zip(ps, [0.5, -1, 0]) { p.grad = g }
    sgdStep(ps, learningRate: 0.1)
    let expected: [Double] = [1.0 - 0.05, -2.0 + 0.1, 0.5]
    #expect(ps.map(\.data) == expected)
    #expect(ps.map(\.grad) == [0.5, -1, 0], "the step leaves gradients alone")
  }

  @Test("a step does not build a graph: parameters stay leaves")
  func noGraph() {
    let p = Value(3)
    p.grad = 2
    sgdStep([p], learningRate: 0.25)
    #expect(p.isLeaf && p.data == 2.5)
  }
}
