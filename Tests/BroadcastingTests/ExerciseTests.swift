import Foundation
import TestSupport
import Testing

@testable import Broadcasting
@testable import Tensors

// The graded exercises of Chapter 3 (suites `Ch03ExN…`).

@Suite("Exercise 3.1: the broadcast shape rule")
struct Ch03Ex1BroadcastShape {
  @Test("compatible shapes")
  func compatible() throws {
    #expect(try broadcastShape([4, 1], [2, 4, 3]) == [2, 4, 3])
    #expect(try broadcastShape([3], [2, 1]) == [2, 3])
    #expect(try broadcastShape([], []) == [])
    #expect(try broadcastShape([1, 1], [1]) == [1, 1])
    #expect(try broadcastShape([5, 0], [1]) == [5, 0])
  }

  @Test("incompatible shapes throw, naming both")
  func incompatible() {
    #expect { try broadcastShape([2, 3], [3, 2]) } throws: {
      "\($0)".contains("[2, 3]") && "\($0)".contains("[3, 2]")
    }
    #expect(throws: TensorError.self) { try broadcastShape([0], [2]) }
  }

  @Test("the error names the failing axis counted from the right, and its two sizes")
  func failingAxis() {
    #expect { try broadcastShape([2, 3], [4]) } throws: {
      "\($0)".contains("axis -1 has sizes 3 and 4")
    }
    #expect { try broadcastShape([4, 3, 2], [5, 2]) } throws: {
      "\($0)".contains("axis -2 has sizes 3 and 5")
    }
  }
}

@Suite("Exercise 3.2: expand as a reshape and a zero-stride view")
struct Ch03Ex2Expand {
  @Test("new leading axes and stretched axes get stride 0; storage is shared")
  func strides() throws {
    let a = try Tensor([1, 2, 3], shape: [3, 1], dtype: .float64)
    let e = try a.expand(to: [2, 3, 4])
    #expect(e.shape == [2, 3, 4] && e.strides == [0, 1, 0])
    #expect(e.storage === a.storage)
    #expect(try e.element(at: [1, 2, 3]) == 3)
  }
}

@Suite("Exercise 3.3: summing back to a broadcast operand's shape")
struct Ch03Ex3SumToShape {
  @Test("leading axes and stretched axes are summed away")
  func sums() throws {
    let t = try Tensor.arange(0, 24, dtype: .float64).reshaped([2, 3, 4])
    #expect(try t.sum(toShape: [3, 1]).scalars == [60, 92, 124])
    #expect(try t.sum(toShape: [4]).scalars == [60, 66, 72, 78])
    #expect(try t.sum(toShape: [1, 3, 1]).shape == [1, 3, 1])
    #expect(try t.sum(toShape: []).scalars == [276])
  }

  @Test("the result has exactly the requested shape")
  func shapes() throws {
    let t = try Tensor.arange(0, 24, dtype: .float64).reshaped([2, 3, 4])
    #expect(try t.sum(toShape: [3, 1]).shape == [3, 1])
    #expect(try t.sum(toShape: [4]).shape == [4])
    #expect(try t.sum(toShape: []).shape == [])
    #expect(try t.sum(toShape: [2, 1, 4]).shape == [2, 1, 4])
  }
}

@Suite("Exercise 3.4: broadcast both operands")
struct Ch03Ex4BroadcastOperands {
  @Test("(4,1) with (2,4,3) and the gradients summed back to each operand's shape")
  func operands() throws {
    let a = try Tensor([1, 2, 3, 4], shape: [4, 1], dtype: .float64)
    let b = Tensor.ones([2, 4, 3], dtype: .float64)
    a.requiresGrad = true
    b.requiresGrad = true
    let (x, y) = try a.broadcast(with: b, op: "test")
    #expect(x.shape == [2, 4, 3] && y.shape == [2, 4, 3])
    try (a * b).sum().backward()
    #expect(a.grad?.shape == [4, 1] && a.grad?.scalars == [6, 6, 6, 6])
    #expect(b.grad?.shape == [2, 4, 3])
  }

  @Test("the larger operand on the left: both are expanded, whichever side is smaller")
  func largerOnTheLeft() throws {
    let b = Tensor.ones([2, 4, 3], dtype: .float64)
    let a = try Tensor([1, 2, 3, 4], shape: [4, 1], dtype: .float64)
    a.requiresGrad = true
    let (x, y) = try b.broadcast(with: a, op: "test")
    #expect(x.shape == [2, 4, 3] && y.shape == [2, 4, 3])
    try (b * a).sum().backward()
    #expect(a.grad?.shape == [4, 1] && a.grad?.scalars == [6, 6, 6, 6])
  }

  @Test("equal ranks, different shapes: (4,1) with (1,3); the pair keeps its order")
  func equalRanks() throws {
    let a = try Tensor([1, 2, 3, 4], shape: [4, 1], dtype: .float64)
    let b = try Tensor([10, 20, 30], shape: [1, 3], dtype: .float64)
    let (x, y) = try a.broadcast(with: b, op: "test")
    #expect(x.shape == [4, 3] && y.shape == [4, 3])
    #expect(x.contiguous().scalars == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4])
    #expect(y.contiguous().scalars == [10, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30])
  }
}

@Suite("Exercise 3.5: broadcast the batch axes of a matrix product")
struct Ch03Ex5BatchedMatmul {
  @Test(
    "[5, 1, 3, 4] · [2, 4, 6] → [5, 2, 3, 6], and a shared weight's gradient sums over the batch")
  func batch() throws {
    let a = Tensor.ones([5, 1, 3, 4], dtype: .float64)
    let w = Tensor.ones([4, 6], dtype: .float64)
    w.requiresGrad = true
    let c = try a.matmul(w.expand(to: [2, 4, 6]))
    #expect(c.shape == [5, 2, 3, 6])
    let x = Tensor.ones([7, 3, 4], dtype: .float64)
    try x.matmul(w).sum().backward()
    #expect(w.grad?.shape == [4, 6] && w.grad?.scalars.allSatisfy { $0 == 21 } == true)
  }
}

@Suite("Exercise 3.6: a stable softmax")
struct Ch03Ex6Softmax {
  @Test("values, rows summing to 1, and no NaN at logits of ±1000")
  func values() throws {
    let x = try Tensor([1, 2, 3, 1000, 1000, -1000], shape: [2, 3], dtype: .float64)
    let p = try x.softmax()
    let e = [1.0, 2, 3].map { Foundation.exp($0) }
    let z = e.reduce(0, +)
    #expect(allClose(Array(p.scalars.prefix(3)), e.map { $0 / z }, tolerance: 1e-12))
    #expect(allClose(Array(p.scalars.suffix(3)), [0.5, 0.5, 0], tolerance: 1e-12))
  }

  @Test("gradients too: the normalizer depends on every input (only the max is a constant)")
  func gradients() throws {
    let x = sample([3, 4])
    for axis in [0, 1, -1] {
      let report = try gradcheck({ try $0[0].softmax(axis: axis) }, inputs: [x])
      #expect(report.passed, "softmax(axis: \(axis)): \(report)")
    }
  }
}

@Suite("Exercise 3.7: log-softmax with log-sum-exp")
struct Ch03Ex7LogSoftmax {
  @Test("x − log Σ eˣ, finite at ±1000")
  func values() throws {
    let x = try Tensor([1, 2, 3, 1000, 0, -1000], shape: [2, 3], dtype: .float64)
    let l = try x.logSoftmax()
    let lse = Foundation.log([1.0, 2, 3].map { Foundation.exp($0) }.reduce(0, +))
    #expect(allClose(Array(l.scalars.prefix(3)), [1 - lse, 2 - lse, 3 - lse], tolerance: 1e-12))
    #expect(l.scalars[3] == 0 && l.scalars[4] == -1000 && l.scalars[5] == -2000)
  }

  @Test("gradients too: the log-sum-exp depends on every input (only the max is a constant)")
  func gradients() throws {
    let x = sample([3, 4])
    for axis in [0, 1] {
      let report = try gradcheck({ try $0[0].logSoftmax(axis: axis) }, inputs: [x])
      #expect(report.passed, "logSoftmax(axis: \(axis)): \(report)")
    }
  }
}

@Suite("Exercise 3.8: pairwise distances by broadcasting")
struct Ch03Ex8PairwiseDistances {
  @Test("every row against every row")
  func distances() throws {
    let a = try Tensor([0, 0, 1, 1, 2, 0], shape: [3, 2], dtype: .float64)
    let b = try Tensor([0, 1, 3, 4], shape: [2, 2], dtype: .float64)
    let d = try pairwiseSquaredDistances(a, b)
    #expect(d.shape == [3, 2])
    #expect(d.scalars == [1, 25, 1, 13, 5, 17])
  }
}
