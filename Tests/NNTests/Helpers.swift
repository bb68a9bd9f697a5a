import Foundation

@testable import NN

func allClose(_ a: [Double], _ b: [Double], tolerance: Double = 1e-9) -> Bool {
  a.count == b.count
    && zip(a, b).allSatisfy { x, y in
      x == y || Swift.abs(x - y) <= tolerance * Swift.max(1, Swift.abs(y))
    }
}

func sample(_ shape: [Int], seed: Double = 0.37, dtype: DType = .float64) -> Tensor {
  let n = shape.reduce(1, *)
  return try! Tensor(
    (0..<n).map { Foundation.sin(Double($0) * 1.3 + seed) * 0.9 }, shape: shape, dtype: dtype)
}

/// A Float64 parameter holding `values`, with gradient `gradient`.
func parameter(_ values: [Double], gradient: [Double]) -> Tensor {
  let p = Tensor(values, dtype: .float64)
  p.requiresGrad = true
  p.grad = Tensor(gradient, dtype: .float64)
  return p
}

/// A scratch directory removed by the caller.
func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "gradbook-tests-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}
