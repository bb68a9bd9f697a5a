import Scalar

@testable import Tensors

// The operand layouts the kernel and matmul tests feed the engine: the views real programs
// make, each holding known values.

/// A tensor of `shape` whose elements are `values` (row-major) but whose layout is `layout`:
/// the same numbers stored transposed, with gaps (a step slice), at an offset, or as a
/// zero-stride expansion — the views a matrix product meets in real programs.
func laidOut(
  _ values: [Double], shape: [Int], layout: Int, dtype: DType
) throws -> Tensor {
  let rank = shape.count
  // A layout that needs more axes than the shape has falls back to a plain tensor.
  let needed = [1: 2, 2: 1, 3: 2, 4: 2][layout] ?? 0
  switch rank >= needed ? layout : 0 {
  case 1:  // stored transposed: a contiguous copy of the transpose, transposed back
    return try Tensor(values, shape: shape, dtype: dtype).transposed().contiguous().transposed()
  case 2, 3:  // every other element along the last (2) or next-to-last (3) axis
    let axis = layout == 2 ? rank - 1 : rank - 2
    var wide = shape
    wide[axis] = 2 * shape[axis] + 1
    let big = Tensor.full(wide, .nan, dtype: dtype)
    let view = try big.sliced(axis: axis, 1..<wide[axis], step: 2)
    view.assign(from: try Tensor(values, shape: shape, dtype: dtype))
    return view
  case 4:  // behind an offset: the last rows of a taller tensor
    var tall = shape
    tall[rank - 2] += 3
    let big = Tensor.full(tall, .nan, dtype: dtype)
    let view = try big.sliced(axis: rank - 2, 3..<tall[rank - 2])
    view.assign(from: try Tensor(values, shape: shape, dtype: dtype))
    return view
  default:
    return try Tensor(values, shape: shape, dtype: dtype)
  }
}

/// A random tensor of `shape` in one of `laidOut`'s layouts, or expanded (stride 0) along one
/// axis of size > 1.
func randomOperand(
  _ shape: [Int], dtype: DType, using g: inout SeededGenerator
) throws -> Tensor {
  let layout = Int.random(in: 0...5, using: &g)
  if layout == 5 {
    // Expanded: pick an axis of size > 1 and store it once, stride 0.
    let candidates = shape.indices.filter { shape[$0] > 1 }
    if let axis = candidates.randomElement(using: &g) {
      var small = shape
      small[axis] = 1
      let n = small.reduce(1, *)
      let values = (0..<n).map { _ in Double.random(in: -2...2, using: &g) }
      return try Tensor(values, shape: small, dtype: dtype).expandedKeptAxes(to: shape)
    }
  }
  let n = shape.reduce(1, *)
  let values = (0..<n).map { _ in Double.random(in: -2...2, using: &g) }
  return try laidOut(values, shape: shape, layout: layout, dtype: dtype)
}
