import Foundation
import Testing

@testable import Tensors

@Suite("Elements: rows read in place")
struct ElementsTests {
  @Test(
    "forEachRow hands each row in order; a row's max is its largest element, NaN wherever it is",
    arguments: [DType.float32, .float64, .int64])
  func rowsAndMaxima(dtype: DType) throws {
    let values: [Double] = [3, -1, 7, 2, 9, 9, -4, -8, -2, 5, 0, 5]
    let t = try Tensor(values, shape: [2, 2, 3], dtype: dtype).transposed()  // [2, 3, 2]
    var rows: [[Double]] = []
    var maxima: [Double] = []
    t.forEachRow { index, row in
      #expect(index == rows.count)
      rows.append(Array(row))
      maxima.append(row.max()!)
    }
    let expected = t.contiguous().scalars
    #expect(rows.flatMap { $0 } == expected)
    #expect(maxima == rows.map { $0.max()! })
    guard dtype != .int64 else { return }
    for position in 0..<5 {  // first, middle, last
      var withNaN = [1.0, 4, -2, 8, 0]
      withNaN[position] = .nan
      var maximum: Double?
      try Tensor(withNaN, shape: [5], dtype: dtype).forEachRow { _, row in maximum = row.max() }
      #expect(maximum?.isNaN == true, "NaN at \(position)")
    }
    var rowsOfEmpty = 0
    try Tensor([Double](), shape: [0], dtype: dtype).forEachRow { _, _ in rowsOfEmpty += 1 }
    #expect(rowsOfEmpty == 0)
    // An empty row (no public path makes one) has no maximum; its memory is never read.
    let empty = TensorRow(base: UnsafeRawPointer(bitPattern: 64)!, dtype: dtype, count: 0)
    #expect(empty.max() == nil)
  }
}
