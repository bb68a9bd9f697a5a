import Foundation
import TestSupport

@testable import NN

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
