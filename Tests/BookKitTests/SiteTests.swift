import Testing

@testable import BookKit

@Suite("Site: quoted output")
struct SiteTests {
  let printed: Set<String> = [
    "matmul               ok  (6.3e-10, 4.7e-10)",
    "epoch 1: test loss 1.479, accuracy 59.1%",
  ]

  @Test("a quoted line without … must be printed exactly")
  func exactLines() {
    #expect(Site.isPrinted("epoch 1: test loss 1.479, accuracy 59.1%", in: printed))
    #expect(!Site.isPrinted("epoch 1: test loss 1.479, accuracy 59.2%", in: printed))
    #expect(!Site.isPrinted("epoch 1: test loss 1.479", in: printed))
  }

  @Test("… inside a quoted line stands for any text, and only there")
  func elidedDigits() {
    #expect(Site.isPrinted("matmul               ok  (…)", in: printed))
    #expect(Site.isPrinted("matmul               ok  (…e-10, …e-10)", in: printed))
    #expect(Site.isPrinted("epoch 1: test loss …, accuracy …%", in: printed))
    // The text around the … must still be printed, in order.
    #expect(!Site.isPrinted("matmul               FAILED  (…)", in: printed))
    #expect(!Site.isPrinted("matmul               ok  (…e-11, …e-10)", in: printed))
    #expect(!Site.isPrinted("epoch 1: accuracy …, test loss …", in: printed))
    // Prefix and suffix may not overlap in the printed line.
    #expect(!Site.isPrinted("epoch 1: test loss 1.479, …1.479, accuracy 59.1%", in: printed))
  }
}
