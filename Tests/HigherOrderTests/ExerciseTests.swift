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
}
