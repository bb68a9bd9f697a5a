import Foundation
import Testing

import func TestSupport.allClose

@testable import HigherOrder

func sample(_ shape: [Int], seed: Double = 0.37) -> Tensor {
  let n = shape.reduce(1, *)
  return try! Tensor(
    (0..<n).map { Foundation.sin(Double($0) * 1.3 + seed) * 0.9 }, shape: shape, dtype: .float64)
}

/// Central differences of a vector-valued `g` (the gradient) at `x` along `v`.
func directionalDifference(
  _ g: (Tensor) throws -> Tensor, at x: Tensor, along v: Tensor, step h: Double = 1e-5
) throws -> [Double] {
  let plus = try g(x + h * v).scalars
  let minus = try g(x - h * v).scalars
  return zip(plus, minus).map { ($0 - $1) / (2 * h) }
}

@Suite("Higher order: recorded backward and the functional API")
struct HigherOrderTests {
  @Test("d²/dx² tanh = −2 tanh (1 − tanh²) at several points")
  func secondDerivativeOfTanh() throws {
    for x0 in [-2.0, -0.5, 0, 0.3, 1.7] {
      let x = Tensor([x0], dtype: .float64)
      let second = try grad({ try grad({ $0.tanh().sum() }, at: $0).sum() }, at: x)
      let t = Foundation.tanh(x0)
      #expect(allClose(second.scalars, [-2 * t * (1 - t * t)], tolerance: 1e-12), "at \(x0)")
    }
  }

  @Test("d³/dx³ x³ = 6 at several points")
  func thirdDerivative() throws {
    for x0 in [-1.5, 0.0, 2.0] {
      let x = Tensor([x0], dtype: .float64)
      let third = try grad(
        { try grad({ try grad({ $0.pow(3).sum() }, at: $0).sum() }, at: $0).sum() }, at: x)
      #expect(allClose(third.scalars, [6], tolerance: 1e-12), "at \(x0)")
    }
  }

  @Test("the Hessian of xᵀAx is A + Aᵀ")
  func quadraticForm() throws {
    let a = sample([4, 4])
    let x = sample([4], seed: 2)
    let h = try hessian({ x in try x.matmul(a.matmul(x)) }, at: x)
    let expected = try (a + a.transposed()).scalars
    #expect(allClose(h.scalars, expected, tolerance: 1e-12))
  }

  @Test("hvp through a tanh MLP against central differences of the gradient")
  func mlpHVP() throws {
    let w1 = sample([5, 3])
    let w2 = sample([1, 5], seed: 1)
    let data = sample([3, 4], seed: 2)
    let loss: (Tensor) throws -> Tensor = { flat in
      // flat holds w1 (15) then w2 (5)
      let p1 = try flat.sliced(axis: 0, 0..<15).reshaped([5, 3])
      let p2 = try flat.sliced(axis: 0, 15..<20).reshaped([1, 5])
      let hidden = try p1.matmul(data).tanh()
      return try p2.matmul(hidden).pow(2).mean()
    }
    let x = try Tensor.concatenated([w1.reshaped([15]), w2.reshaped([5])], axis: 0)
    let v = sample([20], seed: 3)
    let hv = try hvp(loss, at: x, vector: v)
    let numeric = try directionalDifference({ try grad(loss, at: $0) }, at: x, along: v)
    #expect(allClose(hv.scalars, numeric, tolerance: 1e-6))
  }

  @Test("second derivatives of softmax, log-softmax and a cross-entropy are not zero, and right")
  func softmaxFamily() throws {
    let x = sample([2, 3])
    let weights = sample([2, 3], seed: 4)
    let cases: [(String, (Tensor) throws -> Tensor)] = [
      ("softmax", { try ($0.softmax() * weights).sum() }),
      ("log-softmax", { try ($0.logSoftmax() * weights).sum() }),
      ("cross-entropy", { try -($0.logSoftmax().sliced(axis: 1, 0..<1)).mean() }),
    ]
    for (name, f) in cases {
      let v = sample([2, 3], seed: 5)
      let hv = try hvp(f, at: x, vector: v)
      let numeric = try directionalDifference({ try grad(f, at: $0) }, at: x, along: v)
      #expect(allClose(hv.scalars, numeric, tolerance: 1e-6), "\(name)")
      #expect(hv.scalars.contains { Swift.abs($0) > 1e-3 }, "\(name) has curvature")
    }
  }

  @Test("relu'' is zero by mathematics, tanh'' is not")
  func reluSecond() throws {
    let x = Tensor([-1, 0.5, 2], dtype: .float64)
    let relu2 = try hvp(
      { $0.relu().pow(1).sum() }, at: x, vector: Tensor.ones([3], dtype: .float64))
    #expect(relu2.scalars == [0, 0, 0])
  }

  @Test("⟨u, J v⟩ from vjp equals ⟨Jᵀu, v⟩ on a random function")
  func vjpDuality() throws {
    let f: (Tensor) throws -> Tensor = { x in
      try (x.matmul(sample([3, 2], seed: 7)) * x.sum()).tanh()
    }
    let x = sample([4, 3])
    let u = sample([4, 2], seed: 8)
    let v = sample([4, 3], seed: 9)
    let jtu = try vjp(f, at: x, cotangent: u)
    let lhs = try (jtu * v).sum().item()
    // J v by central differences of f.
    let h = 1e-6
    let jv = try zip(f(x + h * v).scalars, f(x - h * v).scalars).map { ($0 - $1) / (2 * h) }
    let rhs = zip(jv, u.scalars).map(*).reduce(0, +)
    #expect(Swift.abs(lhs - rhs) < 1e-7)
  }

  @Test("errors: a non-scalar function for grad, a cotangent or vector of the wrong shape")
  func errors() {
    let x = sample([3])
    #expect(throws: TensorError.self) { try grad({ $0 * 2 }, at: x) }
    #expect(throws: TensorError.self) { try vjp({ $0 * 2 }, at: x, cotangent: sample([2])) }
    #expect(throws: TensorError.self) { try hvp({ $0.sum() }, at: x, vector: sample([4])) }
    #expect(throws: TensorError.self) { try hessian({ $0.sum() }, at: sample([2, 2])) }
  }

  @Test("backward(createGraph:) leaves a gradient that can be differentiated again")
  func createGraph() throws {
    let x = Tensor([0.4, -1.2], dtype: .float64)
    x.requiresGrad = true
    try (x.pow(3)).sum().backward(createGraph: true)
    let g = x.grad!  // 3x², on a tape
    #expect(g.requiresGrad)
    x.zeroGrad()
    try g.sum().backward()
    #expect(allClose(x.grad!.scalars, [6 * 0.4, 6 * -1.2], tolerance: 1e-12))
  }
}

@Suite("Higher order: repeated derivatives of powers at 0")
struct RepeatedPowerDerivativeTests {
  /// The k-th derivative of `f` (a function of a 0-d tensor), by nested `grad`.
  func derivative(_ k: Int, of f: @escaping (Tensor) throws -> Tensor) -> (Tensor) throws -> Tensor
  {
    k == 0 ? f : derivative(k - 1) { x in try grad(f, at: x) }
  }

  @Test("dᵏ/dxᵏ xⁿ at 0 is n! when k = n and 0 otherwise: zero by mathematics, never NaN")
  func powersAtZero() throws {
    let zero = Tensor(scalar: 0, dtype: .float64)
    for n in 0...4 {
      for k in 1...5 {
        let value = try derivative(k) { x in x.pow(Double(n)) }(zero).item()
        let expected = k == n ? Double((1...Swift.max(n, 1)).reduce(1, *)) : 0
        #expect(value == expected, "d^\(k)/dx^\(k) x^\(n) at 0 is \(value)")
      }
    }
  }
}

@Suite("Forward over reverse: jvp of a gradient")
struct ForwardOverReverseTests {
  @Test("jvp of a function that takes a gradient is the hvp, never zeros")
  func jvpOfGrad() throws {
    let x = sample([3], seed: 1)
    let v = sample([3], seed: 2)
    let loss = { (x: Tensor) in try (x * x * x).sum() + (x.exp() * x).sum() }
    let gradient = { (x: Tensor) in try grad(loss, at: x) }
    // Forward mode alone cannot see through the inner backward pass: it says so (nil)…
    #expect(try forwardJVP(gradient, at: x, tangent: v) == nil)
    // …and jvp falls back to the double-VJP trick: the Hessian-vector product.
    let forwardOverReverse = try jvp(gradient, at: x, tangent: v).scalars
    let reverseOverReverse = try hvp(loss, at: x, vector: v).scalars
    let closedForm = zip(x.scalars, v.scalars).map { x, v in
      (6 * x + (2 + x) * Foundation.exp(x)) * v
    }
    #expect(allClose(forwardOverReverse, reverseOverReverse, tolerance: 1e-12))
    #expect(allClose(forwardOverReverse, closedForm, tolerance: 1e-12))
  }
}

@Suite("Higher order: jvp, jacobian, gradgradcheck")
struct ForwardTests {
  let f: (Tensor) throws -> Tensor = { x in
    try (x.matmul(sample([3, 2], seed: 7)) * x.sum()).tanh()
  }

  @Test("jvp agrees with central differences, and ⟨u, jvp⟩ = ⟨vjp, v⟩")
  func jvpDuality() throws {
    let x = sample([4, 3])
    let v = sample([4, 3], seed: 9)
    let u = sample([4, 2], seed: 8)
    let jv = try jvp(f, at: x, tangent: v)
    let h = 1e-6
    let numeric = try zip(f(x + h * v).scalars, f(x - h * v).scalars).map { ($0 - $1) / (2 * h) }
    #expect(allClose(jv.scalars, numeric, tolerance: 1e-7))
    let lhs = zip(u.scalars, jv.scalars).map(*).reduce(0, +)
    let rhs = try (vjp(f, at: x, cotangent: u) * v).sum().item()
    #expect(Swift.abs(lhs - rhs) < 1e-10)
  }

  @Test("the Jacobian of an elementwise function is diagonal; of x ↦ Ax it is A")
  func jacobians() throws {
    let x = sample([3])
    let j = try jacobian({ $0.tanh() }, at: x)
    #expect(j.shape == [3, 3])
    let t = x.scalars.map { Foundation.tanh($0) }
    let expected: [Double] = (0..<9).map { (i: Int) -> Double in
      i % 4 == 0 ? 1 - t[i / 4] * t[i / 4] : 0
    }
    #expect(allClose(j.scalars, expected, tolerance: 1e-12))
    let a = sample([2, 3], seed: 3)
    #expect(
      allClose(try jacobian({ try a.matmul($0) }, at: x).scalars, a.scalars, tolerance: 1e-12))
  }

  @Test("gradgradcheck passes through every kind of op, and catches a cached derivative")
  func gradgrad() throws {
    let x = sample([2, 3])
    let w = sample([3, 2], seed: 2)
    let functions: [(String, (Tensor) throws -> Tensor)] = [
      ("tanh matmul", { try $0.matmul(w).tanh().pow(2).sum() }),
      ("sigmoid softplus", { try ($0.sigmoid() * $0.softplus()).sum() }),
      ("exp log", { try ($0.exp() + 1).log().sum() }),
      ("softmax", { try ($0.softmax() * $0).sum() }),
      ("max and mean", { try $0.max(axes: [1]).exp().mean() }),
      ("division broadcast", { try ($0 / ($0.pow(2).sum(axes: [0]) + 1)).sum() }),
      (
        "slices and concat",
        {
          let parts = try $0.split(sizes: [1, 2], axis: 1)
          return try Tensor.concatenated([parts[1], parts[0]], axis: 1).tanh().pow(3).sum()
        }
      ),
    ]
    for (name, f) in functions {
      #expect(try gradgradcheck(f, at: x) < 1e-6, "\(name)")
    }
    // A VJP that uses a plain number (detached) instead of a tensor op: wrong second order.
    let cached: (Tensor) throws -> Tensor = { x in
      let y = x.detach().pow(3)
      return try y.recorded("cube-cached", [x]) { g in [try g * (3 * x.detach().pow(2))] }.sum()
    }
    #expect(try gradgradcheck(cached, at: x) > 1e-2)
  }
}

@Suite("Forward mode: JVP rules against the double-VJP fallback")
struct ForwardModeTests {
  @Test("forward mode and the double-VJP trick agree on a chain of every kind of op")
  func agree() throws {
    let w = sample([3, 2], seed: 2)
    let functions: [(String, (Tensor) throws -> Tensor)] = [
      ("elementwise", { x in try (x.tanh() * x.sigmoid() + x.exp() / (x.abs() + 1)).softplus() }),
      ("reductions", { x in try x.sum(axes: [1], keepingAxes: true) * x.max(axes: [0]).sqrt() }),
      ("matmul and views", { x in try x.matmul(w).transposed().relu().reshaped([-1]) }),
      ("broadcasting and softmax", { x in try (x - x.mean(axes: [0])).softmax(axis: 1) }),
      ("log-softmax", { x in try x.logSoftmax(axis: 0) }),
      (
        "slices, concat, select",
        { x in
          let parts = try x.split(sizes: [1, 2], axis: 1)
          return try Tensor.concatenated([parts[1].pow(3), parts[0]], axis: 1).indexSelect(
            axis: 0, [1, 0, 1])
        }
      ),
    ]
    let x = try sample([2, 3]).abs() + 0.1
    let v = sample([2, 3], seed: 6)
    for (name, f) in functions {
      let forward = try forwardJVP(f, at: x, tangent: v)
      #expect(forward != nil, "\(name): every op has a rule")
      let reference = try jvpByDoubleVJP(f, at: x, tangent: v)
      #expect(allClose(forward?.scalars ?? [], reference.scalars, tolerance: 1e-10), "\(name)")
    }
  }

  @Test("linear ops derive their rule from the op: right whatever the tangent's layout")
  func linearRulesAnyLayout() throws {
    // Each linear op's forward-mode rule is the op itself applied to the tangent, so it must
    // read the tangent's own strides, not the primal's: here the primal is a transposed view
    // and the tangent contiguous, then the other way round (and an expanded tangent).
    let functions: [(String, (Tensor) throws -> Tensor)] = [
      (
        "permute, slice with a step",
        { x in try x.permuted([1, 0]).sliced(axis: 0, 0..<3, step: 2) }
      ),
      ("reshape, expand, sum", { x in try x.reshaped([6]).expand(to: [2, 6]).sum(axes: [0]) }),
      (
        "select, contiguous, negate, scale", { x in try -(x.selected(axis: 0, 1).contiguous() * 3) }
      ),
      (
        "concat, indexSelect, where",
        { x in
          let joined = try Tensor.concatenated([x, x.sliced(axis: 0, 1..<2)], axis: 0)
          let picked = try joined.indexSelect(axis: 0, [2, 0, 2])
          return try Tensor.select(
            picked.isGreater(than: Tensor(scalar: 0, dtype: .float64)), picked, -picked)
        }
      ),
    ]
    let stored = sample([3, 2], seed: 4)
    let transposedPrimal = try stored.transposed()  // [2, 3], strides [1, 2]
    let contiguousTangent = sample([2, 3], seed: 8)
    let expandedTangent = try sample([1, 3], seed: 9).expand(to: [2, 3])
    let cases = [
      (transposedPrimal, contiguousTangent),
      (transposedPrimal.contiguous(), try sample([3, 2], seed: 8).transposed()),
      (transposedPrimal, expandedTangent),
    ]
    for (name, f) in functions {
      for (x, v) in cases {
        let forward = try forwardJVP(f, at: x, tangent: v)
        let reference = try jvpByDoubleVJP(f, at: x, tangent: v)
        #expect(forward != nil, "\(name)")
        #expect(
          allClose(forward?.scalars ?? [], reference.scalars, tolerance: 1e-12),
          "\(name): primal strides \(x.strides), tangent strides \(v.strides)")
      }
    }
  }

  @Test("a missing tangent is a symbolic zero: no tensor is made for it")
  func symbolicZero() throws {
    #expect(try sumOfTerms([nil, nil]) == nil)
    let a = sample([2])
    #expect(try sumOfTerms([nil, a])?.scalars == a.scalars)
    // A two-argument function with a tangent for one argument only.
    let b = sample([2], seed: 1)
    let trace = ForwardMode.Trace()
    let y = try ForwardMode.$trace.withValue(trace) {
      try a.withTangent(Tensor.ones([2], dtype: .float64)).multiplied(by: b.detach())
    }
    #expect(trace.missingRules.isEmpty)
    #expect(y.tangent?.scalars == b.scalars)
  }

  @Test("an op without a JVP rule makes jvp fall back, with the same answer")
  func fallback() throws {
    let noRule: (Tensor) throws -> Tensor = { x in
      let y = withoutGrad { x.detach().exp() }
      return y.recorded("exp-without-jvp", [x]) { g in [try g * x.exp()] }
    }
    let x = sample([3])
    let v = sample([3], seed: 1)
    #expect(try forwardJVP(noRule, at: x, tangent: v) == nil)
    let expected = zip(x.scalars, v.scalars).map { Foundation.exp($0) * $1 }
    #expect(allClose(try jvp(noRule, at: x, tangent: v).scalars, expected, tolerance: 1e-12))
  }
}

@Suite("Several arguments: argument indices and the Hessian's cross blocks")
struct MultipleArgumentTests {
  let f: ([Tensor]) throws -> Tensor = { a in try (a[0] * a[1]).tanh().sum() + a[0].pow(3).sum() }

  @Test("gradients by argument index, negative allowed")
  func gradients() throws {
    let x = sample([2])
    let y = sample([2], seed: 1)
    let both = try grad(f, at: [x, y])
    let onlyY = try grad(f, at: [x, y], argumentIndices: [-1])
    #expect(onlyY.count == 1 && allClose(onlyY[0].scalars, both[1].scalars, tolerance: 1e-15))
    let t = zip(x.scalars, y.scalars).map { Foundation.tanh($0 * $1) }
    let (xs, ys) = (x.scalars, y.scalars)
    let gx: [Double] = (0..<2).map { (i: Int) -> Double in
      let d: Double = 1 - t[i] * t[i]
      return d * ys[i] + 3 * xs[i] * xs[i]
    }
    #expect(allClose(both[0].scalars, gx, tolerance: 1e-12))
  }

  @Test("Hessian blocks, cross blocks included, against differences of the gradients")
  func crossBlocks() throws {
    let x = sample([2])
    let y = sample([3], seed: 1)
    let g: ([Tensor]) throws -> Tensor = { a in
      try (a[0].unsqueezed(1) * a[1].unsqueezed(0)).tanh().sum() + a[0].pow(3).sum()
    }
    let blocks = try hessian(g, at: [x, y])
    #expect(blocks[0][1].shape == [2, 3] && blocks[1][0].shape == [3, 2])
    // ∂/∂y of ∂g/∂x, column by column, by central differences.
    let h = 1e-5
    for j in 0..<3 {
      var e = [Double](repeating: 0, count: 3)
      e[j] = h
      let plus = try grad(g, at: [x, y + Tensor(e, dtype: .float64)], argumentIndices: [0])[0]
      let minus = try grad(g, at: [x, y - Tensor(e, dtype: .float64)], argumentIndices: [0])[0]
      let numeric = zip(plus.scalars, minus.scalars).map { ($0 - $1) / (2 * h) }
      let column = try blocks[0][1].selected(axis: 1, j).scalars
      #expect(allClose(column, numeric, tolerance: 1e-6), "column \(j)")
    }
    // Symmetry: H_xy = H_yxᵀ.
    #expect(
      allClose(
        blocks[0][1].scalars, try blocks[1][0].transposed().contiguous().scalars, tolerance: 1e-12))
  }

  @Test("an argument index out of range is a clear error")
  func badIndex() {
    #expect {
      try grad(f, at: [sample([2]), sample([2])], argumentIndices: [2])
    } throws: { "\($0)".contains("argument index 2 is out of range for 2 arguments") }
    #expect(throws: TensorError.self) { try hessian(f, at: [sample([2])], argumentIndices: [-2]) }
  }
}

@Suite("Several arguments: jvp and hvp")
struct MultipleArgumentProductTests {
  let g: ([Tensor]) throws -> Tensor = { a in
    try (a[0].unsqueezed(1) * a[1].unsqueezed(0)).tanh().sum() + a[0].pow(3).sum()
  }

  @Test("hvp of several arguments equals the Hessian blocks times the vectors")
  func hvpBlocks() throws {
    let x = sample([2])
    let y = sample([3], seed: 1)
    let (vx, vy) = (sample([2], seed: 2), sample([3], seed: 3))
    let blocks = try hessian(g, at: [x, y])
    let products = try hvp(g, at: [x, y], vectors: [vx, vy])
    let expectedX = try blocks[0][0].matmul(vx) + blocks[0][1].matmul(vy)
    let expectedY = try blocks[1][0].matmul(vx) + blocks[1][1].matmul(vy)
    #expect(allClose(products[0].scalars, expectedX.scalars, tolerance: 1e-12))
    #expect(allClose(products[1].scalars, expectedY.scalars, tolerance: 1e-12))
  }

  @Test("jvp of several arguments: forward mode against central differences")
  func jvpSeveral() throws {
    let f: ([Tensor]) throws -> Tensor = { a in try (a[0].unsqueezed(1) * a[1].unsqueezed(0)).tanh()
    }
    let x = sample([2])
    let y = sample([3], seed: 1)
    let (vx, vy) = (sample([2], seed: 2), sample([3], seed: 3))
    let jv = try jvp(f, at: [x, y], tangents: [vx, vy])
    let h = 1e-6
    let plus = try f([x + h * vx, y + h * vy]).scalars
    let minus = try f([x - h * vx, y - h * vy]).scalars
    #expect(allClose(jv.scalars, zip(plus, minus).map { ($0 - $1) / (2 * h) }, tolerance: 1e-8))
    #expect(throws: TensorError.self) { try jvp(f, at: [x, y], tangents: [vx]) }
  }
}

@Suite("Outer derivatives through a tensor the inner function closes over")
struct ClosedOverTests {
  let x = try! Tensor([0.3, -0.7, 1.1], shape: [3], dtype: .float64)
  let v = try! Tensor([0.5, 2, -1], shape: [3], dtype: .float64)

  /// Every transform of `x ↦ Σ tanh(x ⊙ w)` (or of `x ↦ tanh(x ⊙ w)`), as a function of the
  /// closed-over `w`: its derivative with respect to `w` must agree with finite differences —
  /// the inner transform has to record its work for that, though `x` is on no tape.
  @Test(
    "grad, vjp, hvp, hessian, jvp and their several-argument forms record for an outer derivative",
    arguments: [
      "grad", "vjp", "hvp", "hessian", "jvp", "jvpByDoubleVJP", "grad[]", "hvp[]",
      "jvp[]", "hessian[]",
    ])
  func outerThroughClosure(_ transform: String) throws {
    let (x, v) = (self.x, self.v)
    let transformed = { (w: Tensor) throws -> Tensor in
      let scalar = { (t: Tensor) in try (t * w).tanh().sum() }
      let vector = { (t: Tensor) in try (t * w).tanh() }
      switch transform {
      case "grad": return try grad(scalar, at: x)
      case "vjp": return try vjp(vector, at: x, cotangent: v)
      case "hvp": return try hvp(scalar, at: x, vector: v)
      case "hessian": return try hessian(scalar, at: x)
      case "jvp": return try jvp(vector, at: x, tangent: v)
      case "jvpByDoubleVJP": return try jvpByDoubleVJP(vector, at: x, tangent: v)
      case "grad[]": return try grad({ try scalar($0[0]) }, at: [x])[0]
      case "hvp[]": return try hvp({ try scalar($0[0]) }, at: [x], vectors: [v])[0]
      case "jvp[]": return try jvp({ try vector($0[0]) }, at: [x], tangents: [v])
      default: return try hessian({ try scalar($0[0]) }, at: [x])[0][0]
      }
    }
    let w = try Tensor([0.8, -1.2, 0.4], shape: [3], dtype: .float64)
    let report = try gradcheck({ try transformed($0[0]) }, inputs: [w])
    #expect(report.passed, "\(transform): \(report)")
  }

  @Test("grad inside withoutGrad still differentiates, and leaves no tape outside")
  func insideWithoutGrad() throws {
    let (value, gradient) = try withoutGrad {
      try valueAndGrad({ try ($0 * $0).sum() }, at: x)
    }
    #expect(allClose(gradient.scalars, x.scalars.map { 2 * $0 }, tolerance: 1e-15))
    #expect(!value.requiresGrad && !gradient.requiresGrad)
    let h = try withoutGrad { try hvp({ try ($0 * $0 * $0).sum() }, at: x, vector: v) }
    #expect(allClose(h.scalars, zip(x.scalars, v.scalars).map { 6 * $0 * $1 }, tolerance: 1e-14))
  }
}
