import CBLAS
import CKernels

extension Tensor {
  // listing: matmul
  /// The matrix product, with NumPy's rules for 1-d operands and equal batch shapes.
  ///
  /// - 2-d × 2-d: `[m, k] × [k, n] → [m, n]`, through BLAS `gemm`.
  /// - A 1-d left operand is a row `[1, k]`, a 1-d right operand a column `[k, 1]`; the
  ///   added axis is removed from the result.
  /// - More axes: a batch of matrices; both batch shapes must be equal (Chapter 3's
  ///   `matmul` broadcasts them).
  public func matrixProduct(_ other: Tensor) throws -> Tensor {
    try requireFloatingPoint("matmul")
    try other.requireFloatingPoint("matmul")
    guard dtype == other.dtype else {
      throw TensorError(
        "matmul",
        "dtypes \(dtype) and \(other.dtype) differ (shapes \(describe(shape)) and "
          + "\(describe(other.shape)))")
    }
    guard rank >= 1, other.rank >= 1 else {
      throw TensorError(
        "matmul",
        "0-d operand (shapes \(describe(shape)) and \(describe(other.shape))); "
          + "use * to scale")
    }
    if rank == 1 || other.rank == 1 {
      return try promotingVectors(other) { try $0.matrixProduct($1) }
    }
    let (m, k) = (shape[rank - 2], shape[rank - 1])
    let (k2, n) = (other.shape[other.rank - 2], other.shape[other.rank - 1])
    let batch = Array(shape.dropLast(2))
    guard k == k2, batch == Array(other.shape.dropLast(2)) else {
      throw TensorError(
        "matmul",
        "shapes \(describe(shape)) and \(describe(other.shape)) do not chain: "
          + (k == k2
            ? "batch shapes differ (broadcasting comes in chapter 3)"
            : "\(k) columns against \(k2) rows"))
    }
    let result = Tensor.gemm(self, other, batch: batch, m: m, n: n, k: k)
    let (a, b) = (self, other)
    return result.recorded(
      "matmul", [self, other],
      // since chapter 4: forward mode
      jvp: { t, _ in
        try sumOfTerms([t[0].map { try $0.matrixProduct(b) }, t[1].map { try a.matrixProduct($0) }])
      }
      // end since chapter 4
    ) { g in
      // exercise 2.6: The VJP of the matrix product
      [try g.matrixProduct(b.transposed()), try a.transposed().matrixProduct(g)]
      // end exercise 2.6
    }
  }
  // end listing: matmul

  /// `product` of this tensor and `other` after NumPy's rule for 1-d operands: a 1-d left
  /// operand becomes a row `[1, k]`, a 1-d right operand a column `[k, 1]`, and the axes
  /// added are removed from `product`'s result again.
  public func promotingVectors(
    _ other: Tensor, _ product: (Tensor, Tensor) throws -> Tensor
  ) throws -> Tensor {
    let row = rank == 1 ? try unsqueezed(0) : self
    let column = other.rank == 1 ? try other.unsqueezed(1) : other
    var result = try product(row, column)
    if other.rank == 1 { result = try result.squeezedAxis(-1) }
    if rank == 1 { result = try result.squeezedAxis(other.rank == 1 ? -1 : -2) }
    return result
  }

  /// The view without axis `axis`, which must have size 1.
  func squeezedAxis(_ axis: Int) throws -> Tensor {
    let a = try normalizedAxis(axis, op: "squeeze")
    var newShape = shape
    newShape.remove(at: a)
    return try reshaped(newShape)
  }

  /// How BLAS should read a matrix view: transposed or not, with its leading dimension;
  /// nil when the strides are not a BLAS layout (then the caller copies).
  ///
  /// Row-major `gemm` reads element `(i, j)` at `i·lda + j` (not transposed) or at
  /// `j·lda + i` (transposed), with `lda` at least the length of a stored row. An axis of
  /// size 1 is never stepped along, so its stride does not matter; every other stride must
  /// match exactly — a zero stride (an expanded view) or a step that does not fit is copied.
  static func blasLayout(rows: Int, columns: Int, rowStride: Int, columnStride: Int)
    -> (transposed: Bool, leading: Int)?
  {
    let oneRow = rows <= 1
    let oneColumn = columns <= 1
    // Not transposed: columns adjacent, rows `lda ≥ columns` apart.
    if oneColumn || columnStride == 1 {
      if oneRow { return (false, Swift.max(columns, 1)) }
      if rowStride >= Swift.max(columns, 1) { return (false, rowStride) }
    }
    // Transposed: rows adjacent, columns `lda ≥ rows` apart.
    if oneRow || rowStride == 1 {
      if oneColumn { return (true, Swift.max(rows, 1)) }
      if columnStride >= Swift.max(rows, 1) { return (true, columnStride) }
    }
    return nil
  }

  /// The unrecorded product of equal-batch matrices.
  ///
  /// Float32 runs on the package's own AVX-512 or AVX2 kernels (`gradbook_sgemm`) when the
  /// CPU has them, the batch (or, for one matrix, its columns) split across both cores for
  /// large products; Float64 and older CPUs call OpenBLAS. Each matrix of a batch is read
  /// in place when its last two axes are a BLAS layout — transposed and expanded (zero-stride)
  /// batches included — and copied otherwise.
  static func gemm(_ a: Tensor, _ b: Tensor, batch: [Int], m: Int, n: Int, k: Int) -> Tensor {
    let outShape = batch + [m, n]
    let batches = batch.reduce(1, *)
    guard m > 0, n > 0, k > 0, batches > 0 else { return Tensor.zeros(outShape, dtype: a.dtype) }
    let result = Tensor(
      storage: TensorStorage(count: batches * m * n, dtype: a.dtype, zeroed: false),
      shape: outShape, strides: contiguousStrides(outShape), offset: 0)
    let lhs = MatrixOperand(a, rows: m, columns: k)
    let rhs = MatrixOperand(b, rows: k, columns: n)
    switch a.dtype {
    case .float32 where gradbook_sgemm_available() != 0:
      let (pa, pb) = (lhs.base(Float.self), rhs.base(Float.self))
      let pc = result.storage.typed(Float.self)
      func product(_ i: Int, columns: Range<Int>) {
        let (ca, ra) = (lhs.offsets[i], rhs.offsets[i])
        gradbook_sgemm(
          lhs.transposed ? 1 : 0, rhs.transposed ? 1 : 0, m, columns.count, k, pa + ca,
          lhs.leading, pb + ra + columns.lowerBound * (rhs.transposed ? rhs.leading : 1),
          rhs.leading, 0, pc + i * m * n + columns.lowerBound, n)
      }
      let parallel = batches * m * n * k >= 262_144
      if parallel && batches >= 2 {
        let half = batches / 2
        inParallel(
          { for i in 0..<half { product(i, columns: 0..<n) } },
          { for i in half..<batches { product(i, columns: 0..<n) } })
      } else if parallel && n >= 64 {
        let half = (n / 2 + 31) & ~31
        inParallel({ product(0, columns: 0..<half) }, { product(0, columns: half..<n) })
      } else {
        for i in 0..<batches { product(i, columns: 0..<n) }
      }
    case .float32:
      let (pa, pb) = (lhs.base(Float.self), rhs.base(Float.self))
      for i in 0..<batches {
        cblas_sgemm(
          CblasRowMajor, lhs.blasTranspose, rhs.blasTranspose, Int32(m), Int32(n), Int32(k), 1,
          pa + lhs.offsets[i], Int32(lhs.leading), pb + rhs.offsets[i], Int32(rhs.leading), 0,
          result.storage.typed(Float.self) + i * m * n, Int32(n))
      }
    case .float64:
      let (pa, pb) = (lhs.base(Double.self), rhs.base(Double.self))
      for i in 0..<batches {
        cblas_dgemm(
          CblasRowMajor, lhs.blasTranspose, rhs.blasTranspose, Int32(m), Int32(n), Int32(k), 1,
          pa + lhs.offsets[i], Int32(lhs.leading), pb + rhs.offsets[i], Int32(rhs.leading), 0,
          result.storage.typed(Double.self) + i * m * n, Int32(n))
      }
    case .int64: integerArithmetic("matmul")
    }
    return result
  }
}

/// One operand of a batched matrix product as BLAS reads it: a storage, whether its
/// matrices are transposed, their leading dimension, and each matrix's storage offset.
struct MatrixOperand {
  let storage: TensorStorage
  let transposed: Bool
  let leading: Int
  let offsets: [Int]

  /// The matrices of `t` (`[batch…, rows, columns]`) in place when their layout allows,
  /// else a contiguous copy of `t`.
  init(_ t: Tensor, rows: Int, columns: Int) {
    let r = t.rank
    if let layout = Tensor.blasLayout(
      rows: rows, columns: columns, rowStride: t.strides[r - 2], columnStride: t.strides[r - 1])
    {
      storage = t.storage
      transposed = layout.transposed
      leading = layout.leading
      // The batch axes' offsets, in row-major order (an odometer over the batch shape).
      var offsets = [t.offset]
      for axis in (0..<(r - 2)).reversed() {
        let step = t.strides[axis]
        offsets = (0..<t.shape[axis]).flatMap { i in offsets.map { $0 + i * step } }
      }
      self.offsets = offsets
    } else {
      let (s, o) = t.contiguousStorage()
      storage = s
      transposed = false
      leading = columns
      let batches = t.shape.dropLast(2).reduce(1, *)
      offsets = (0..<batches).map { o + $0 * rows * columns }
    }
  }

  /// The first element of the storage, typed.
  func base<T>(_: T.Type) -> UnsafeMutablePointer<T> { storage.typed(T.self) }

  /// The operand's transposition as CBLAS spells it.
  var blasTranspose: CBLAS_TRANSPOSE { transposed ? CblasTrans : CblasNoTrans }
}
