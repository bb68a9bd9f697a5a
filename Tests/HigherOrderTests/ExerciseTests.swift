import Foundation
import Testing

import func TestSupport.allClose

@testable import HigherOrder

// The graded exercises of Chapter 4 (suites `Ch04ExN…`).

@Suite("Exercise 4.1: reverse over reverse")
struct Ch04Ex1HVP {
  @Test("Hv of xᵀAx is (A + Aᵀ)v, and of Σ tanh is diag(−2 t (1 − t²)) v")
  func products() throws {
    let a = sample([3, 3])
    let x = sample([3], seed: 1)
    let v = sample([3], seed: 2)
    let hv = try hvp({ x in try x.matmul(a.matmul(x)) }, at: x, vector: v)
    let expected = try (a + a.transposed()).matmul(v)
    #expect(allClose(hv.scalars, expected.scalars, tolerance: 1e-12))
    let ht = try hvp({ $0.tanh().sum() }, at: x, vector: v)
    let t = x.scalars.map { Foundation.tanh($0) }
    let diagonal = zip(t, v.scalars).map { -2 * $0 * (1 - $0 * $0) * $1 }
    #expect(allClose(ht.scalars, diagonal, tolerance: 1e-12))
  }

  @Test("the hvp is differentiable again: ∂⟨Hv, w⟩/∂x of Σ x⁴/4 is 6x·v·w")
  func thirdDerivative() throws {
    let x = sample([3], seed: 1)
    let v = sample([3], seed: 2)
    let w = sample([3], seed: 3)
    let f: (Tensor) throws -> Tensor = { x in try (x * x * x * x).sum() * 0.25 }
    let third = try grad({ x in try (hvp(f, at: x, vector: v) * w).sum() }, at: x)
    let expected = (0..<3).map { 6 * x.scalars[$0] * v.scalars[$0] * w.scalars[$0] }
    #expect(allClose(third.scalars, expected, tolerance: 1e-10))
  }
}

@Suite("Exercise 4.2: the double-VJP trick")
struct Ch04Ex2JVP {
  @Test("Jv of x ↦ Ax is Av; of tanh, (1 − t²) ⊙ v")
  func products() throws {
    let a = sample([2, 3])
    let x = sample([3], seed: 1)
    let v = sample([3], seed: 2)
    #expect(
      allClose(
        try jvp({ try a.matmul($0) }, at: x, tangent: v).scalars, try a.matmul(v).scalars,
        tolerance: 1e-12))
    let t = x.scalars.map { Foundation.tanh($0) }
    let expected = zip(t, v.scalars).map { (1 - $0 * $0) * $1 }
    #expect(
      allClose(
        try jvpByDoubleVJP({ $0.tanh() }, at: x, tangent: v).scalars, expected, tolerance: 1e-12))
  }

  @Test("the trick itself on a non-square Jacobian: x ↦ Ax with A of shape [2, 3] gives Av")
  func nonSquare() throws {
    let a = sample([2, 3])
    let x = sample([3], seed: 1)
    let v = sample([3], seed: 2)
    let got = try jvpByDoubleVJP({ try a.matmul($0) }, at: x, tangent: v)
    #expect(got.shape == [2])
    #expect(allClose(got.scalars, try a.matmul(v).scalars, tolerance: 1e-12))
  }

  @Test("differentiable again: ∂/∂x Σ w ⊙ J(x)v for tanh is w ⊙ v ⊙ (−2t(1 − t²))")
  func differentiableAgain() throws {
    let x = sample([3], seed: 1)
    let v = sample([3], seed: 2)
    let w = sample([3], seed: 3)
    let g = try grad(
      { x in try (jvpByDoubleVJP({ $0.tanh() }, at: x, tangent: v) * w).sum() }, at: x)
    let t = x.scalars.map { Foundation.tanh($0) }
    let (ws, vs) = (w.scalars, v.scalars)
    let expected = (0..<3).map { i -> Double in
      let slope = -2 * t[i] * (1 - t[i] * t[i])
      return ws[i] * vs[i] * slope
    }
    #expect(allClose(g.scalars, expected, tolerance: 1e-12))
  }
}

@Suite("Exercise 4.3: a Hessian row from the recorded gradient")
struct Ch04Ex3Hessian {
  @Test("the Hessian of Σ tanh(Ax) is Aᵀ diag(−2 t (1 − t²)) A")
  func tanhHessian() throws {
    let a = sample([3, 3], seed: 4)
    let x = sample([3], seed: 5)
    let h = try hessian({ x in try a.matmul(x).tanh().sum() }, at: x)
    let z = try a.matmul(x).scalars.map { Foundation.tanh($0) }
    let d = z.map { -2 * $0 * (1 - $0 * $0) }
    let av = a.scalars
    var expected = [Double](repeating: 0, count: 9)
    for i in 0..<3 {
      for j in 0..<3 {
        for k in 0..<3 { expected[i * 3 + j] += av[k * 3 + i] * d[k] * av[k * 3 + j] }
      }
    }
    #expect(allClose(h.scalars, expected, tolerance: 1e-12))
  }

  @Test("differentiable again: the gradient of Σ Hessian(Σ x⁴/4) = Σ 3x² is 6x")
  func differentiableAgain() throws {
    let x = sample([3], seed: 5)
    let g = try grad(
      { x in try hessian({ try ($0 * $0 * $0 * $0).sum() * 0.25 }, at: x).sum() }, at: x)
    #expect(allClose(g.scalars, x.scalars.map { 6 * $0 }, tolerance: 1e-12))
  }
}

@Suite("Exercise 4.4: conjugate gradients")
struct Ch04Ex4ConjugateGradient {
  @Test("solves a symmetric positive-definite system through products only")
  func solve() throws {
    let m = sample([4, 4])
    let a = try m.matmul(m.transposed()) + identity(4)  // symmetric positive-definite
    let b = sample([4], seed: 3)
    let s = try conjugateGradient({ try a.matmul($0) }, b, iterations: 20)
    #expect(allClose(try a.matmul(s).scalars, b.scalars, tolerance: 1e-8))
  }

  @Test("iterations: 1 is exactly one step: s = (bᵀb / bᵀAb) b")
  func oneIteration() throws {
    let m = sample([4, 4])
    let a = try m.matmul(m.transposed()) + identity(4)
    let b = sample([4], seed: 3)
    let s = try conjugateGradient({ try a.matmul($0) }, b, iterations: 1)
    let bb = try (b * b).sum().item()
    let bab = try (b * a.matmul(b)).sum().item()
    #expect(allClose(s.scalars, b.scalars.map { bb / bab * $0 }, tolerance: 1e-12))
  }

  @Test("stops as soon as ‖r‖ ≤ tolerance · ‖b‖, and not before")
  func stopsEarly() throws {
    // A diagonal system with eigenvalues 1…1000: the residual falls slowly.
    let n = 40
    let diagonal = (0..<n).map { 1 + 999 * Double($0) / Double(n - 1) }
    let d = Tensor(diagonal, dtype: .float64)
    let b = Tensor.ones([n], dtype: .float64)
    var products = 0
    let s = try conjugateGradient(
      { v in
        products += 1
        return try d * v
      }, b, iterations: 200, tolerance: 1e-3)
    let residual = try (b - d * s).scalars
    let norm = residual.map { $0 * $0 }.reduce(0, +).squareRoot()
    #expect(norm <= 1e-3 * Double(n).squareRoot(), "‖r‖ = \(norm)")
    #expect(products < n, "\(products) products: it should stop early")
    // One product fewer would not have been enough.
    try #require(products > 0, "no product was made")
    let before = try conjugateGradient({ try d * $0 }, b, iterations: products - 1, tolerance: 1e-3)
    let earlier = try (b - d * before).scalars.map { $0 * $0 }.reduce(0, +).squareRoot()
    #expect(earlier > 1e-3 * Double(n).squareRoot(), "it ran one product more than needed")
  }

  func identity(_ n: Int) -> Tensor {
    try! Tensor((0..<(n * n)).map { $0 % (n + 1) == 0 ? 1 : 0 }, shape: [n, n], dtype: .float64)
  }
}

@Suite("Exercise 4.5: a Newton step from hvps")
struct Ch04Ex5Newton {
  @Test("one step minimizes a quadratic exactly")
  func quadratic() throws {
    let a = try Tensor([3, 1, 1, 2], shape: [2, 2], dtype: .float64)
    let b = Tensor([1, -1], dtype: .float64)
    let f: (Tensor) throws -> Tensor = { x in try 0.5 * x.matmul(a.matmul(x)) - (b * x).sum() }
    let x = try newtonStep(f, at: Tensor([5, -7], dtype: .float64))
    // The minimizer solves A x = b: x = (0.6, −0.8).
    #expect(allClose(x.scalars, [0.6, -0.8], tolerance: 1e-9))
  }

  @Test("cgIterations: 1 takes one conjugate-gradient step: x − (gᵀg / gᵀAg) g")
  func truncated() throws {
    let a = try Tensor([3, 1, 1, 2], shape: [2, 2], dtype: .float64)
    let b = Tensor([1, -1], dtype: .float64)
    let f: (Tensor) throws -> Tensor = { x in try 0.5 * x.matmul(a.matmul(x)) - (b * x).sum() }
    let x0 = Tensor([5, -7], dtype: .float64)
    let g = try a.matmul(x0) - b
    let alpha = try (g * g).sum().item() / (g * a.matmul(g)).sum().item()
    let x = try newtonStep(f, at: x0, cgIterations: 1)
    #expect(allClose(x.scalars, try (x0 - alpha * g).scalars, tolerance: 1e-12))
  }
}

@Suite("Exercise 4.6: a Jacobian row is a VJP with a basis cotangent")
struct Ch04Ex6Jacobian {
  @Test("the Jacobian of x ↦ Ax is A, and of x ↦ x² it is diag(2x)")
  func jacobians() throws {
    let a = sample([2, 3], seed: 6)
    let x = sample([3], seed: 7)
    #expect(
      allClose(try jacobian({ try a.matmul($0) }, at: x).scalars, a.scalars, tolerance: 1e-12))
    let j = try jacobian({ try $0 * $0 }, at: x)
    let expected: [Double] = (0..<9).map { (i: Int) -> Double in
      i % 4 == 0 ? 2 * x.scalars[i / 4] : 0
    }
    #expect(allClose(j.scalars, expected, tolerance: 1e-12))
  }

  @Test("a matrix-shaped output: the Jacobian is shaped output + input")
  func matrixOutput() throws {
    let a = sample([4, 3], seed: 8)
    let x = sample([3], seed: 9)
    let j = try jacobian({ try a.matmul($0).reshaped([2, 2]) }, at: x)
    #expect(j.shape == [2, 2, 3])
    #expect(allClose(j.scalars, a.scalars, tolerance: 1e-12))
  }
}
