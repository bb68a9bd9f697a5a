import CKernels
import Foundation

// The loops. Everything here works on raw pointers of one element type `T`; the tensor
// layer picks `T` from the dtype once per call, outside the loop.

/// Elementwise operations of one argument.
enum UnaryKernel {
  case negate, exp, log, sqrt, abs, tanh, sigmoid, softplus, relu, sign, positive
  case power(Double)
  case scale(Double)
  case shift(Double)
}

/// Elementwise operations of two arguments.
enum BinaryKernel {
  case add, subtract, multiply, divide, maximum, minimum
  case equal, notEqual, less, lessEqual, greater, greaterEqual
  /// `a · (1 − b²)`: the VJP of tanh with cotangent `a`, where `b` is tanh's output.
  case tanhGradient
  /// `a` where `b > 0`, else 0: the VJP of relu with cotangent `a` at `b`.
  case reluGradient
}

@inline(__always)
func apply<T: TensorScalar>(
  _ op: UnaryKernel, _ a: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ n: Int
) {
  switch op {
  case .negate: for i in 0..<n { out[i] = -a[i] }
  case .exp: for i in 0..<n { out[i] = T.exp(a[i]) }
  case .log: for i in 0..<n { out[i] = T.log(a[i]) }
  case .sqrt: for i in 0..<n { out[i] = a[i].squareRoot() }
  case .abs: for i in 0..<n { out[i] = Swift.abs(a[i]) }
  case .tanh:
    if T.self == Float.self {  // AVX2 or not, chosen at run time
      gradbook_tanh_f32(
        UnsafeRawPointer(a).assumingMemoryBound(to: Float.self),
        UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self), n)
    } else {
      for i in 0..<n { out[i] = T.tanh(a[i]) }
    }
  case .sigmoid:
    for i in 0..<n {
      let x = a[i]
      if x >= 0 {
        out[i] = 1 / (1 + T.exp(-x))
      } else {
        let e = T.exp(x)
        out[i] = e / (1 + e)
      }
    }
  case .softplus:
    // log(1 + eˣ) = max(x, 0) + log1p(e^−|x|): no overflow for large x, no loss for small.
    for i in 0..<n {
      let x = a[i]
      out[i] = (x > 0 ? x : 0) + T.log1p(T.exp(-Swift.abs(x)))
    }
  case .relu: for i in 0..<n { out[i] = a[i] > 0 ? a[i] : 0 }
  case .sign: for i in 0..<n { out[i] = a[i] > 0 ? 1 : (a[i] < 0 ? -1 : (a[i].isNaN ? a[i] : 0)) }
  case .positive: for i in 0..<n { out[i] = a[i] > 0 ? 1 : 0 }
  case .power(let p):
    let e = T(p)
    if p == 2 {
      for i in 0..<n { out[i] = a[i] * a[i] }
    } else {
      for i in 0..<n { out[i] = T.pow(a[i], e) }
    }
  case .scale(let s):
    let c = T(s)
    for i in 0..<n { out[i] = a[i] * c }
  case .shift(let s):
    let c = T(s)
    for i in 0..<n { out[i] = a[i] + c }
  }
}

/// `out[i] = a[i·aStep] ∘ b[i·bStep]` for `i` in `0..<n`. A step is 1 for a contiguous run,
/// 0 for an operand that repeats one value (a 0-d tensor, or an axis expanded with stride 0),
/// anything else for a strided view; the first two cases get loops the compiler vectorizes.
@inline(__always)
func apply<T: TensorScalar>(
  _ op: BinaryKernel, _ a: UnsafePointer<T>, _ aStep: Int, _ b: UnsafePointer<T>, _ bStep: Int,
  _ out: UnsafeMutablePointer<T>, _ n: Int
) {
  apply(op, a, aStep, 0, b, bStep, 0, out, n, rows: 1)
}

/// `apply` over `rows` rows of `n` elements: row r reads `a` from `a + r·aRow` and `b` from
/// `b + r·bRow` (each with its step) and writes `out + r·n`.
///
/// The operation and the operands' layout are chosen once, outside the rows, so that short
/// rows (softmax's ten classes beside their per-row maximum) cost a loop, not a dispatch each.
@inline(__always)
func apply<T: TensorScalar>(
  _ op: BinaryKernel, _ a: UnsafePointer<T>, _ aStep: Int, _ aRow: Int,
  _ b: UnsafePointer<T>, _ bStep: Int, _ bRow: Int,
  _ out: UnsafeMutablePointer<T>, _ n: Int, rows: Int
) {
  @inline(__always) func loop(_ f: (T, T) -> T) {
    if aStep == 1 && bStep == 1 {
      for r in 0..<rows {
        let (a, b, out) = (a + r &* aRow, b + r &* bRow, out + r &* n)
        for i in 0..<n { out[i] = f(a[i], b[i]) }
      }
    } else if aStep == 1 && bStep == 0 {
      for r in 0..<rows {
        let (a, y, out) = (a + r &* aRow, b[r &* bRow], out + r &* n)
        for i in 0..<n { out[i] = f(a[i], y) }
      }
    } else if aStep == 0 && bStep == 1 {
      for r in 0..<rows {
        let (x, b, out) = (a[r &* aRow], b + r &* bRow, out + r &* n)
        for i in 0..<n { out[i] = f(x, b[i]) }
      }
    } else if aStep == 0 && bStep == 0 {
      for r in 0..<rows {
        let (value, out) = (f(a[r &* aRow], b[r &* bRow]), out + r &* n)
        for i in 0..<n { out[i] = value }
      }
    } else {
      for r in 0..<rows {
        let (a, b, out) = (a + r &* aRow, b + r &* bRow, out + r &* n)
        for i in 0..<n { out[i] = f(a[i &* aStep], b[i &* bStep]) }
      }
    }
  }
  switch op {
  case .add: loop { $0 + $1 }
  case .subtract: loop { $0 - $1 }
  case .multiply: loop { $0 * $1 }
  case .divide: loop { $0 / $1 }
  // NaN propagates from either side, like PyTorch's maximum/minimum.
  case .maximum: loop { $0.isNaN || $1.isNaN ? .nan : ($0 >= $1 ? $0 : $1) }
  case .minimum: loop { $0.isNaN || $1.isNaN ? .nan : ($0 <= $1 ? $0 : $1) }
  case .equal: loop { $0 == $1 ? 1 : 0 }
  case .notEqual: loop { $0 != $1 ? 1 : 0 }
  case .less: loop { $0 < $1 ? 1 : 0 }
  case .lessEqual: loop { $0 <= $1 ? 1 : 0 }
  case .greater: loop { $0 > $1 ? 1 : 0 }
  case .greaterEqual: loop { $0 >= $1 ? 1 : 0 }
  case .tanhGradient: loop { g, y in tanhDerivative(g, output: y) }
  case .reluGradient: loop { g, x in x > 0 ? g : 0 }
  }
}

// listing: tanh-derivative
/// The cotangent `g` times the derivative of tanh, from tanh's output y: g · (1 − y²).
@inline(__always)
func tanhDerivative<T: TensorScalar>(_ g: T, output y: T) -> T {
  // exercise 2.4: The derivative of tanh, from its output
  g * (1 - y * y)
  // end exercise 2.4
}
// end listing: tanh-derivative

/// Elementwise work below this many elements runs on one core; above it, on two halves.
/// Measured on the 2-core machine: a loop that streams memory gains nothing from the second
/// core below about a million floats (one core already moves ~50 GB/s through the caches,
/// and waking the other costs microseconds); loops that compute more per element (im2col,
/// matrix products) split from much smaller sizes.
let parallelThreshold = 1_048_576

/// Calls `body(start, count)` on `[0, n)`: at once for small `n`, in two halves on two
/// cores for large `n`.
@usableFromInline
package func inChunks(_ n: Int, _ body: (Int, Int) -> Void) {
  guard n >= parallelThreshold else {
    body(0, n)
    return
  }
  let half = (n / 2 + 15) & ~15
  // The two halves write disjoint ranges of one fresh buffer.
  inParallel({ body(0, half) }, { body(half, n - half) })
}

/// Runs `first` and `second` at once on two cores and returns when both are done; the
/// caller guarantees they touch disjoint memory.
package func inParallel(_ first: () -> Void, _ second: () -> Void) {
  withoutActuallyEscaping(first) { first in
    withoutActuallyEscaping(second) { second in
      // Two boxes, not one box of a tuple: a tuple of closures costs a runtime metadata
      // lookup on every call.
      let (one, two) = (UncheckedSendable(first), UncheckedSendable(second))
      DispatchQueue.concurrentPerform(iterations: 2) { part in
        part == 0 ? one.value() : two.value()
      }
    }
  }
}

/// A value handed to another thread whose safety the caller guarantees.
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// The rows of one or several strided views of one shape, walked together in row-major
/// order: PyTorch's TensorIterator in miniature.
///
/// Adjacent axes that every view steps through evenly are merged first — a contiguous
/// `[N, C, H, W]` beside a per-channel `[1, C, 1, 1]` expanded to it walks rows of H·W, not
/// of W — and axes of size 1 are dropped, so rows are as long as the layouts allow.
struct RowWalk {
  /// The merged shape; its last axis is the row.
  let shape: [Int]
  /// Each view's strides over the merged shape.
  let strides: [[Int]]

  init(shape: [Int], strides: [[Int]]) {
    var mergedShape: [Int] = []
    var merged = [[Int]](repeating: [], count: strides.count)
    for axis in shape.indices where shape[axis] != 1 {
      // Axis `axis` continues the previous merged axis when, in every view, stepping the
      // previous one is the same as stepping this one `shape[axis]` times.
      if let last = mergedShape.indices.last,
        strides.indices.allSatisfy({ merged[$0][last] == strides[$0][axis] * shape[axis] })
      {
        mergedShape[last] *= shape[axis]
        for v in strides.indices { merged[v][last] = strides[v][axis] }
      } else {
        mergedShape.append(shape[axis])
        for v in strides.indices { merged[v].append(strides[v][axis]) }
      }
    }
    if mergedShape.isEmpty {  // one element (every axis of size 1, or none)
      mergedShape = [1]
      merged = merged.map { _ in [0] }
    }
    (self.shape, self.strides) = (mergedShape, merged)
  }

  /// The length of a row.
  var length: Int { shape[shape.count - 1] }

  /// View `v`'s step along a row.
  func step(_ v: Int) -> Int { strides[v][shape.count - 1] }

  /// Calls `body(positions, index)` for each row: each view's storage position of the
  /// row's first element (relative to the view's offset) and that element's row-major index.
  /// An odometer over the outer axes keeps the positions in step.
  @inline(__always)
  func forEach(_ body: (UnsafePointer<Int>, Int) -> Void) {
    forEach(rows: 0..<(shape.reduce(1, *) / Swift.max(length, 1)), body)
  }

  /// `forEach` over the rows numbered `rows` only.
  ///
  /// The odometer lives in one scratch buffer — its digits, the positions handed to `body`,
  /// and the strides laid out axis by axis — so that a row costs a few additions, not array
  /// bookkeeping (a tenth of a softmax over ten classes went to it, measured).
  @inline(__always)
  func forEach(rows: Range<Int>, _ body: (UnsafePointer<Int>, Int) -> Void) {
    let rank = shape.count
    let views = strides.count
    let inner = shape[rank - 1]
    guard !rows.isEmpty, inner > 0 else { return }
    withUnsafeTemporaryAllocation(of: Int.self, capacity: rank * (views + 2) + views) { buffer in
      let index = buffer.baseAddress!  // the digits, one per axis
      let extent = index + rank  // the shape
      let positions = extent + rank  // one per view
      let step = positions + views  // step[axis · views + v]: view v's stride along axis
      for axis in 0..<rank {
        (index[axis], extent[axis]) = (0, shape[axis])
        for v in 0..<views { step[axis &* views &+ v] = strides[v][axis] }
      }
      for v in 0..<views { positions[v] = 0 }
      // The digits and positions at the first row.
      var rest = rows.lowerBound
      for axis in stride(from: rank - 2, through: 0, by: -1) {
        index[axis] = rest % shape[axis]
        rest /= shape[axis]
        for v in 0..<views { positions[v] &+= index[axis] &* step[axis &* views &+ v] }
      }
      for row in rows {
        body(UnsafePointer(positions), row &* inner)
        var axis = rank - 2
        while axis >= 0 {
          let axisSteps = step + axis &* views
          index[axis] &+= 1
          for v in 0..<views { positions[v] &+= axisSteps[v] }
          if index[axis] < extent[axis] { break }
          for v in 0..<views { positions[v] &-= axisSteps[v] &* extent[axis] }
          index[axis] = 0
          axis -= 1
        }
      }
    }
  }

  /// `forEach`, with the rows split between two cores when there are many elements: for
  /// bodies that write disjoint places for different rows.
  @inline(__always)
  func forEachInParallel(_ body: (UnsafePointer<Int>, Int) -> Void) {
    let rows = shape.reduce(1, *) / Swift.max(length, 1)
    guard rows >= 2, rows * length >= parallelThreshold else {
      forEach(rows: 0..<rows, body)
      return
    }
    let half = rows / 2
    inParallel({ forEach(rows: 0..<half, body) }, { forEach(rows: half..<rows, body) })
  }
}

/// Copies the strided view (`shape`, `strides`, from `source`) into contiguous `out`.
func stridedCopy<T>(
  _ source: UnsafePointer<T>, shape: [Int], strides: [Int], to out: UnsafeMutablePointer<T>
) {
  let walk = RowWalk(shape: shape, strides: [strides])
  let (inner, step) = (walk.length, walk.step(0))
  walk.forEachInParallel { positions, written in
    let position = positions[0]
    if step == 1 {
      (out + written).update(from: source + position, count: inner)
    } else {
      for i in 0..<inner { out[written + i] = source[position + i * step] }
    }
  }
}

/// Copies contiguous `source` into the strided view (`shape`, `strides`) at `out`.
func stridedScatter<T>(
  _ source: UnsafePointer<T>, into out: UnsafeMutablePointer<T>, shape: [Int], strides: [Int]
) {
  let walk = RowWalk(shape: shape, strides: [strides])
  let (inner, step) = (walk.length, walk.step(0))
  walk.forEach { positions, read in
    let position = positions[0]
    if step == 1 {
      (out + position).update(from: source + read, count: inner)
    } else {
      for i in 0..<inner { out[position + i * step] = source[read + i] }
    }
  }
}

extension Tensor {
  /// This tensor's elements, contiguous: its own storage when already contiguous,
  /// otherwise a copy.
  @usableFromInline
  package func contiguousStorage() -> (storage: TensorStorage, offset: Int) {
    if isContiguous { return (storage, offset) }
    let copy = TensorStorage(count: count, dtype: dtype, zeroed: false)
    switch dtype {
    case .float32:
      stridedCopy(
        UnsafePointer(storage.typed(Float.self) + offset), shape: shape, strides: strides,
        to: copy.typed(Float.self))
    case .float64:
      stridedCopy(
        UnsafePointer(storage.typed(Double.self) + offset), shape: shape, strides: strides,
        to: copy.typed(Double.self))
    case .int64:
      stridedCopy(
        UnsafePointer(storage.typed(Int64.self) + offset), shape: shape, strides: strides,
        to: copy.typed(Int64.self))
    }
    return (copy, 0)
  }

  /// A new contiguous tensor of `shape` and `dtype` computed by `fill` (which must write
  /// every element), not recorded.
  package static func make(
    _ shape: [Int], _ dtype: DType, _ fill: (TensorStorage) -> Void
  ) -> Tensor {
    let storage = TensorStorage(count: shape.reduce(1, *), dtype: dtype, zeroed: false)
    fill(storage)
    return Tensor(storage: storage, shape: shape, strides: contiguousStrides(shape), offset: 0)
  }

  /// The unrecorded result of a unary kernel.
  ///
  /// A strided view (transposed, sliced, expanded) is read where it is, row by row, not
  /// copied contiguous first; a contiguous one takes the fast path, split over both cores
  /// when large.
  func mapped(_ op: UnaryKernel) -> Tensor {
    if dtype == .int64 { integerArithmetic("\(op)") }
    guard isContiguous else { return stridedMapped(op) }
    let (source, start) = (storage, offset)
    return Tensor.make(shape, dtype) { out in
      inChunks(count) { from, n in
        switch dtype {
        case .float32:
          apply(
            op, UnsafePointer(source.typed(Float.self) + start + from),
            out.typed(Float.self) + from, n)
        case .float64:
          apply(
            op, UnsafePointer(source.typed(Double.self) + start + from),
            out.typed(Double.self) + from, n)
        case .int64: integerArithmetic("\(op)")
        }
      }
    }
  }

  /// `mapped` for a strided view: each row is applied in place where it is read, or, when
  /// its elements are not adjacent, gathered into the result's row and applied there.
  func stridedMapped(_ op: UnaryKernel) -> Tensor {
    let walk = RowWalk(shape: shape, strides: [strides])
    let (inner, step) = (walk.length, walk.step(0))
    return Tensor.make(shape, dtype) { out in
      func run<T: TensorScalar>(_: T.Type) {
        let source = UnsafePointer(storage.typed(T.self) + offset)
        let result = out.typed(T.self)
        walk.forEachInParallel { positions, written in
          let (position, row) = (positions[0], result + written)
          if step == 1 {
            apply(op, source + position, row, inner)
          } else {
            for i in 0..<inner { row[i] = source[position + i * step] }
            apply(op, UnsafePointer(row), row, inner)
          }
        }
      }
      switch dtype {
      case .float32: run(Float.self)
      case .float64: run(Double.self)
      case .int64: integerArithmetic("\(op)")
      }
    }
  }

  /// The unrecorded result of a binary kernel on equal shapes or with a 0-d operand.
  ///
  /// Operands are read where they are, whatever their strides: a transposed, sliced or
  /// expanded (zero-stride) view is not copied first. Contiguous operands take the fast
  /// path, split over both cores when large.
  static func zipped(_ op: BinaryKernel, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor {
    if a.dtype == .int64 || b.dtype == .int64 { integerArithmetic("\(op)") }
    let flatA = a.rank == 0 || a.isContiguous
    let flatB = b.rank == 0 || b.isContiguous
    guard flatA && flatB else { return stridedZip(op, a, b, shape: shape) }
    let (sa, oa) = (a.storage, a.offset)
    let (sb, ob) = (b.storage, b.offset)
    let aStep = a.rank == 0 && !shape.isEmpty ? 0 : 1
    let bStep = b.rank == 0 && !shape.isEmpty ? 0 : 1
    return make(shape, a.dtype) { out in
      inChunks(shape.reduce(1, *)) { from, n in
        switch a.dtype {
        case .float32:
          apply(
            op, UnsafePointer(sa.typed(Float.self) + oa + from * aStep), aStep,
            UnsafePointer(sb.typed(Float.self) + ob + from * bStep), bStep,
            out.typed(Float.self) + from, n)
        case .float64:
          apply(
            op, UnsafePointer(sa.typed(Double.self) + oa + from * aStep), aStep,
            UnsafePointer(sb.typed(Double.self) + ob + from * bStep), bStep,
            out.typed(Double.self) + from, n)
        case .int64: integerArithmetic("\(op)")
        }
      }
    }
  }

  /// The unrecorded `x · a + b` of three tensors of `shape` (or 0-d), one pass, each read
  /// where it is: a per-channel `a` or `b` expanded over an image (stride 0 along its rows)
  /// is one value per row, not a copy.
  static func fusedMultiplyAdd(_ x: Tensor, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor {
    let rank = shape.count
    func strides(_ t: Tensor) -> [Int] {
      t.rank == 0 ? [Int](repeating: 0, count: rank) : t.strides
    }
    let walk = RowWalk(shape: shape, strides: [strides(x), strides(a), strides(b)])
    let (inner, xStep, aStep, bStep) = (walk.length, walk.step(0), walk.step(1), walk.step(2))
    return make(shape, x.dtype) { out in
      func run<T: TensorScalar>(_: T.Type) {
        let px = UnsafePointer(x.storage.typed(T.self) + x.offset)
        let pa = UnsafePointer(a.storage.typed(T.self) + a.offset)
        let pb = UnsafePointer(b.storage.typed(T.self) + b.offset)
        let po = out.typed(T.self)
        walk.forEachInParallel { positions, written in
          let (r, u, v, o) = (px + positions[0], pa + positions[1], pb + positions[2], po + written)
          if xStep == 1 && aStep == 0 && bStep == 0 {  // per-row scale and shift
            let (scale, shift) = (u[0], v[0])
            for i in 0..<inner { o[i] = r[i] * scale + shift }
          } else if xStep == 1 && aStep == 0 && bStep == 1 {
            let scale = u[0]
            for i in 0..<inner { o[i] = r[i] * scale + v[i] }
          } else if xStep == 1 && aStep == 1 && bStep == 1 {
            for i in 0..<inner { o[i] = r[i] * u[i] + v[i] }
          } else {
            for i in 0..<inner { o[i] = r[i &* xStep] * u[i &* aStep] + v[i &* bStep] }
          }
        }
      }
      switch x.dtype {
      case .float32: run(Float.self)
      case .float64: run(Double.self)
      case .int64: integerArithmetic("multiplyAdd")
      }
    }
  }

  /// The unrecorded `x · a + (y − m) · b + c` of six tensors of `shape` (or 0-d), in one
  /// pass: a normalization's input gradient, whose per-channel coefficients (and mean m)
  /// are broadcast views — y centered before it is scaled, so nothing cancels.
  package static func fusedMultiplyAdd(
    _ x: Tensor, _ a: Tensor, plus y: Tensor, minus m: Tensor, times b: Tensor, _ c: Tensor,
    shape: [Int]
  ) -> Tensor {
    let rank = shape.count
    func strides(_ t: Tensor) -> [Int] {
      t.rank == 0 ? [Int](repeating: 0, count: rank) : t.strides
    }
    let views = [x, a, y, m, b, c]
    let walk = RowWalk(shape: shape, strides: views.map(strides))
    let inner = walk.length
    let steps = (0..<6).map { walk.step($0) }
    let perRow = steps == [1, 0, 1, 0, 0, 0]  // per-row coefficients
    let (s0, s1, s2, s3, s4, s5) = (steps[0], steps[1], steps[2], steps[3], steps[4], steps[5])
    return make(shape, x.dtype) { out in
      func run<T: TensorScalar>(_: T.Type) {
        func start(_ t: Tensor) -> UnsafePointer<T> {
          UnsafePointer(t.storage.typed(T.self) + t.offset)
        }
        let (x0, a0, y0, m0, b0, c0) = (start(x), start(a), start(y), start(m), start(b), start(c))
        let po = out.typed(T.self)
        walk.forEachInParallel { positions, written in
          let (px, pa, py) = (x0 + positions[0], a0 + positions[1], y0 + positions[2])
          let (pm, pb, pc) = (m0 + positions[3], b0 + positions[4], c0 + positions[5])
          let o = po + written
          if perRow {
            let (sa, sm, sb, sc) = (pa[0], pm[0], pb[0], pc[0])
            for i in 0..<inner { o[i] = px[i] * sa + (py[i] - sm) * sb + sc }
          } else {
            for i in 0..<inner {
              let centered = py[i &* s2] - pm[i &* s3]
              o[i] = px[i &* s0] * pa[i &* s1] + centered * pb[i &* s4] + pc[i &* s5]
            }
          }
        }
      }
      switch x.dtype {
      case .float32: run(Float.self)
      case .float64: run(Double.self)
      case .int64: integerArithmetic("multiplyAdd")
      }
    }
  }

  /// `zipped` for operands that are strided views: one pass over the result's rows, each
  /// operand read through its own strides (a 0-d operand with stride 0 everywhere).
  static func stridedZip(_ op: BinaryKernel, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor {
    let rank = shape.count
    let aStrides = a.rank == 0 ? [Int](repeating: 0, count: rank) : a.strides
    let bStrides = b.rank == 0 ? [Int](repeating: 0, count: rank) : b.strides
    let walk = RowWalk(shape: shape, strides: [aStrides, bStrides])
    let (inner, aStep, bStep) = (walk.length, walk.step(0), walk.step(1))
    return make(shape, a.dtype) { out in
      func run<T: TensorScalar>(_: T.Type) {
        let pa = UnsafePointer(a.storage.typed(T.self) + a.offset)
        let pb = UnsafePointer(b.storage.typed(T.self) + b.offset)
        let po = out.typed(T.self)
        guard walk.shape.count == 2 else {
          walk.forEachInParallel { positions, written in
            apply(op, pa + positions[0], aStep, pb + positions[1], bStep, po + written, inner)
          }
          return
        }
        // Two axes: the rows in one call, which picks the loop once for all of them.
        let rows = walk.shape[0]
        let (aRow, bRow) = (walk.strides[0][0], walk.strides[1][0])
        func run(_ range: Range<Int>) {
          let r = range.lowerBound
          apply(
            op, pa + r &* aRow, aStep, aRow, pb + r &* bRow, bStep, bRow, po + r &* inner, inner,
            rows: range.count)
        }
        guard rows >= 2, rows * inner >= parallelThreshold else { return run(0..<rows) }
        inParallel({ run(0..<rows / 2) }, { run(rows / 2..<rows) })
      }
      switch a.dtype {
      case .float32: run(Float.self)
      case .float64: run(Double.self)
      case .int64: integerArithmetic("\(op)")
      }
    }
  }
}
