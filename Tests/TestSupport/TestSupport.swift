import Foundation
import Tensors

/// Whether `a` and `b` agree elementwise to `tolerance`, relative to |b| above 1 and
/// absolute below it; NaN matches NaN. Every caller chooses its tolerance.
public func allClose(_ a: [Double], _ b: [Double], tolerance: Double) -> Bool {
  a.count == b.count
    && zip(a, b).allSatisfy { x, y in
      (x.isNaN && y.isNaN) || x == y || Swift.abs(x - y) <= tolerance * Swift.max(1, Swift.abs(y))
    }
}

/// A deterministic, non-uniform tensor of `shape` (values of 1.2 · sin, all different), so
/// that transposition and broadcasting mistakes change the results.
public func sample(_ shape: [Int], seed: Double = 0.37, dtype: DType = .float64) -> Tensor {
  let n = shape.reduce(1, *)
  return try! Tensor(
    (0..<n).map { Foundation.sin(Double($0) * 1.3 + seed) * 1.2 }, shape: shape, dtype: dtype)
}
