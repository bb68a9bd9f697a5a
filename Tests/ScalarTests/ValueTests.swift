import Foundation
import Testing

@testable import Scalar

/// Central difference of `f` at `x`, in Float64.
func centralDifference(_ f: (Double) -> Double, at x: Double, step h: Double = 1e-6) -> Double {
  (f(x + h) - f(x - h)) / (2 * h)
}

/// `|a − b| ≤ tolerance · max(1, |a|, |b|)`.
func close(_ a: Double, _ b: Double, tolerance: Double = 1e-6) -> Bool {
  abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}

@Suite("Value: gradients against finite differences and closed forms")
struct ValueGradientTests {
  static var unaryOps: [(String, (Value) -> Value, (Double) -> Double, ClosedRange<Double>)] {
    [
      ("exp", { $0.exp() }, { Foundation.exp($0) }, -3...3),
      ("log", { $0.log() }, { Foundation.log($0) }, 0.1...5),
      ("tanh", { $0.tanh() }, { Foundation.tanh($0) }, -3...3),
      ("sigmoid", { $0.sigmoid() }, { 1 / (1 + Foundation.exp(-$0)) }, -6...6),
      ("relu", { $0.relu() }, { max(0, $0) }, -3...3),
      ("negate", { -$0 }, { -$0 }, -3...3),
      ("pow 3", { $0.pow(3) }, { $0 * $0 * $0 }, -2...2),
      ("pow -1.5", { $0.pow(-1.5) }, { Foundation.pow($0, -1.5) }, 0.2...3),
      ("pow 0.5", { $0.pow(0.5) }, { $0.squareRoot() }, 0.1...4),
    ]
  }

  @Test("unary ops match central differences at 41 points", arguments: 0..<9)
  func unary(index: Int) {
    let (name, op, f, range) = Self.unaryOps[index]
    for k in 0...40 {
      let x = range.lowerBound + Double(k) / 40 * (range.upperBound - range.lowerBound) + 0.0123
      if name == "relu", abs(x) < 1e-3 { continue }  // the kink
      let input = Value(x)
      let output = op(input)
      output.backward()
      #expect(close(output.data, f(x), tolerance: 1e-12), "\(name) value at \(x)")
      #expect(
        close(input.grad, centralDifference(f, at: x)), "\(name)′ at \(x): \(input.grad)")
    }
  }

  @Test("binary ops: both partials match central differences")
  func binary() {
    let ops: [(String, (Value, Value) -> Value, (Double, Double) -> Double)] = [
      ("+", { $0 + $1 }, { $0 + $1 }),
      ("−", { $0 - $1 }, { $0 - $1 }),
      ("×", { $0 * $1 }, { $0 * $1 }),
      ("÷", { $0 / $1 }, { $0 / $1 }),
    ]
    for (name, op, f) in ops {
      for (x, y) in [(1.5, -2.25), (-0.7, 3.1), (4.0, 0.5), (0.3, 0.3)] {
        let a = Value(x)
        let b = Value(y)
        op(a, b).backward()
        #expect(close(a.grad, centralDifference({ f($0, y) }, at: x)), "∂(a \(name) b)/∂a")
        #expect(close(b.grad, centralDifference({ f(x, $0) }, at: y)), "∂(a \(name) b)/∂b")
      }
    }
  }

  @Test("micrograd's sanity check: y = −20, dy/dx = 46")
  func microgradSanity() {
    let x = Value(-4)
    let z = 2 * x + 2 + x
    let q = z.relu() + z * x
    let h = (z * z).relu()
    let y = h + q + q * x
    y.backward()
    #expect(y.data == -20)
    #expect(x.grad == 46)
  }

  @Test("micrograd's published expression: g = 24.7041, dg/da = 138.8338, dg/db = 645.5773")
  func microgradMoreOps() {
    let a = Value(-4)
    let b = Value(2)
    var c = a + b
    var d = a * b + b.pow(3)
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    let e = c - d
    let f = e.pow(2)
    var g = f / 2.0
    g += 10.0 / f
    g.backward()
    #expect(abs(g.data - 24.704_081_632_653_06) < 1e-6)
    #expect(abs(a.grad - 138.833_819_241_982_5) < 1e-6)
    #expect(abs(b.grad - 645.577_259_475_218_7) < 1e-6)
  }

  @Test("a value reused on several paths receives the sum of all of them")
  func reusedNode() {
    // f(x) = x·x·x + tanh(x)·x + x: f′ = 3x² + (1 − tanh²x)·x + tanh x + 1
    for x0 in [-1.3, 0.2, 0.9, 2.5] {
      let x = Value(x0)
      let t = x.tanh()
      let f = x * x * x + t * x + x
      f.backward()
      let t0 = Foundation.tanh(x0)
      #expect(close(x.grad, 3 * x0 * x0 + (1 - t0 * t0) * x0 + t0 + 1, tolerance: 1e-12))
    }
  }

  @Test("a diamond: d = (a·b) + (a·b) computed through one shared product")
  func diamond() {
    let a = Value(3)
    let b = Value(-2)
    let p = a * b
    let d = p + p
    d.backward()
    #expect(p.grad == 2)
    #expect(a.grad == -4)
    #expect(b.grad == 6)
  }

  @Test("backward twice: leaves get exactly 2×, never 3×; zeroGrad resets")
  func backwardTwice() {
    let x = Value(0.5)
    let y = Value(-1.5)
    let h = (x * y).tanh()  // an intermediate whose stale grad would leak into a second call
    let out = h * h + x
    out.backward()
    let gx = x.grad
    let gy = y.grad
    let gh = h.grad
    out.backward()
    #expect(x.grad == 2 * gx)
    #expect(y.grad == 2 * gy)
    #expect(h.grad == gh, "intermediate gradients are per call, not accumulated")
    [x, y].zeroGrad()
    #expect(x.grad == 0 && y.grad == 0)
    out.backward()
    #expect(x.grad == gx && y.grad == gy)
  }

  @Test("a 100,000-op chain: backward and release without overflowing the stack")
  func deepChain() {
    weak var weakHead: Value?
    do {
      let x = Value(1)
      var y = x
      for _ in 0..<100_000 { y = y * 1.000_001 + 0 }
      weakHead = y
      y.backward()
      #expect(close(x.grad, Foundation.pow(1.000_001, 100_000), tolerance: 1e-9))
      #expect(y.topologicalOrder().count == 400_001)
    }
    #expect(weakHead == nil, "the chain is freed")
  }

  @Test("the tape is freed: no retain cycles after a training step")
  func tapeFreed() {
    let model = MLP(inputCount: 2, layerSizes: [4, 1])
    weak var weakLoss: Value?
    weak var weakHidden: Value?
    do {
      let hidden = model.layers[0]([Value(0.5), Value(-1)])
      let loss = model.layers[1](hidden)[0].pow(2)
      weakLoss = loss
      weakHidden = hidden[0]
      loss.backward()
      sgdStep(model.parameters, learningRate: 0.1)
    }
    #expect(weakLoss == nil)
    #expect(weakHidden == nil)
    let allLeaves = model.parameters.allSatisfy { $0.isLeaf }
    #expect(allLeaves, "parameters stay leaves")
  }

  @Test("tanh and sigmoid at ±1000: saturate, no NaN")
  func saturation() {
    for x0 in [-1000.0, 1000.0] {
      let x = Value(x0)
      let t = x.tanh()
      t.backward()
      #expect(t.data == (x0 > 0 ? 1 : -1))
      #expect(x.grad == 0)
      let z = Value(x0)
      let s = z.sigmoid()
      s.backward()
      #expect(s.data == (x0 > 0 ? 1 : 0))
      #expect(z.grad == 0)
      #expect(!s.data.isNaN && !z.grad.isNaN)
    }
  }

  @Test("log of 0 is −inf with gradient +inf; log of a negative number is NaN, as documented")
  func logNonPositive() {
    let zero = Value(0)
    let l0 = zero.log()
    l0.backward()
    #expect(l0.data == -.infinity)
    #expect(zero.grad == .infinity)
    let negative = Value(-2)
    let ln = negative.log()
    ln.backward()
    #expect(ln.data.isNaN)
    #expect(negative.grad == -0.5)
  }

  @Test("division by zero follows IEEE 754 and does not trap")
  func divisionByZero() {
    let q = Value(1) / Value(0)
    #expect(q.data == .infinity)
  }

  @Test("relu′(0) is 0, like PyTorch")
  func reluAtZero() {
    let x = Value(0)
    x.relu().backward()
    #expect(x.grad == 0)
  }

  @Test("sum of no values is a constant 0; of one value, that value")
  func sums() {
    #expect(Value.sum([Value]()).data == 0)
    let v = Value(4)
    #expect(Value.sum([v]) === v)
  }
}
