import CBLAS
import Testing

@Suite("CBLAS: OpenBLAS is installed, linked and computes")
struct CBLASTests {
  @Test("dgemm multiplies a 2×3 by a 3×2 matrix")
  func dgemm() {
    let a: [Double] = [1, 2, 3, 4, 5, 6]  // 2×3, row-major
    let b: [Double] = [7, 8, 9, 10, 11, 12]  // 3×2
    var c = [Double](repeating: 0, count: 4)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 3, 1, a, 3, b, 2, 0, &c, 2)
    #expect(c == [58, 64, 139, 154])
  }

  @Test("sgemm with a transposed operand")
  func sgemmTransposed() {
    let a: [Float] = [1, 4, 2, 5, 3, 6]  // 3×2 holding the transpose of [[1,2,3],[4,5,6]]
    let b: [Float] = [7, 8, 9, 10, 11, 12]
    var c = [Float](repeating: 0, count: 4)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 2, 2, 3, 1, a, 2, b, 2, 0, &c, 2)
    #expect(c == [58, 64, 139, 154])
  }

  @Test("the library names the kernel it chose")
  func coreName() {
    let name = String(cString: openblas_get_corename())
    #expect(!name.isEmpty)
  }
}
