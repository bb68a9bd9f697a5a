import Foundation
import Scalar
import Testing

@testable import Tensors

@Suite("Kernels: strided and broadcast operands read in place")
struct KernelsTests {
  let kernels: [BinaryKernel] = [
    .add, .subtract, .multiply, .divide, .maximum, .minimum, .equal, .less, .greaterEqual,
    .tanhGradient, .reluGradient,
  ]

  @Test("every binary kernel on strided, expanded and 0-d operands equals it on copies")
  func stridedEqualsContiguous() throws {
    var g = SeededGenerator(seed: 21)
    for dtype in [DType.float64, .float32] {
      for trial in 0..<120 {
        let rank = trial % 4
        let shape = (0..<rank).map { _ in Int.random(in: 1...4, using: &g) }
        func operand() throws -> Tensor {
          if Int.random(in: 0...5, using: &g) == 0 {
            return Tensor(scalar: Double.random(in: -2...2, using: &g), dtype: dtype)
          }
          return try randomOperand(shape, dtype: dtype, using: &g)
        }
        let (a, b) = (try operand(), try operand())
        for kernel in kernels {
          let got = Tensor.zipped(kernel, a, b, shape: shape)
          let copies = Tensor.zipped(kernel, a.contiguous(), b.contiguous(), shape: shape)
          #expect(got.shape == shape)
          let same = zip(got.scalars, copies.scalars).allSatisfy {
            $0 == $1 || ($0.isNaN && $1.isNaN)
          }
          #expect(same, "\(kernel) \(dtype) a \(a.shape)/\(a.strides) b \(b.shape)/\(b.strides)")
        }
      }
    }
  }

  @Test("every unary kernel on strided and expanded views equals it on copies")
  func unaryStridedEqualsContiguous() throws {
    let kernels: [UnaryKernel] = [
      .negate, .exp, .log, .sqrt, .abs, .tanh, .sigmoid, .softplus, .relu, .sign, .positive,
      .power(3), .power(0.5), .scale(-1.5), .shift(2),
    ]
    var g = SeededGenerator(seed: 22)
    for dtype in [DType.float64, .float32] {
      for trial in 0..<60 {
        let shape = (0..<(trial % 4)).map { _ in Int.random(in: 1...4, using: &g) }
        let n = shape.reduce(1, *)
        let values = (0..<n).map { _ in Double(Int.random(in: -4...4, using: &g)) / 2 }
        var operands = [try laidOut(values, shape: shape, layout: 1, dtype: dtype)]
        operands.append(try laidOut(values, shape: shape, layout: 2, dtype: dtype))
        if let axis = shape.indices.last {
          operands.append(
            try laidOut(values, shape: shape, layout: 0, dtype: dtype).sliced(axis: axis, 0..<1)
              .expandedKeptAxes(to: shape))
        }
        for x in operands {
          for kernel in kernels {
            let got = x.mapped(kernel).scalars
            let copy = x.contiguous().mapped(kernel).scalars
            #expect(
              zip(got, copy).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) },
              "\(kernel) \(dtype) \(x.shape)/\(x.strides)")
          }
        }
      }
    }
  }

  @Test("exp of a transposed [300, 400] view allocates the result and nothing else")
  func unaryAllocatesOnlyTheResult() throws {
    let x = try Tensor.ones([400, 300]).transposed()
    let log = TensorStorage.Statistics.AllocationLog()
    let y = TensorStorage.Statistics.$allocationLog.withValue(log) { x.exp() }
    #expect(y.shape == [300, 400] && y.scalars.allSatisfy { abs($0 - M_E) < 1e-6 })
    #expect(log.bytes == 300 * 400 * 4, "allocated \(log.bytes) bytes")
  }

  @Test("[1000, 1] + [1, 1000] allocates the result and nothing else")
  func broadcastAllocatesOnlyTheResult() throws {
    let column = Tensor.ones([1000, 1])
    let row = Tensor.ones([1, 1000])
    let (a, b) = (
      try column.expandedKeptAxes(to: [1000, 1000]), try row.expandedKeptAxes(to: [1000, 1000])
    )
    let log = TensorStorage.Statistics.AllocationLog()
    let sum = try TensorStorage.Statistics.$allocationLog.withValue(log) { try a.adding(b) }
    #expect(sum.scalars.allSatisfy { $0 == 2 })
    #expect(log.bytes == 1000 * 1000 * 4, "allocated \(log.bytes) bytes")
  }
}
