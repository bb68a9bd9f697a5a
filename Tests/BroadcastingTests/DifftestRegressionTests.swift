import Foundation
import TestSupport
import Testing

@Suite("Differential test: programs PyTorch answered, replayed without PyTorch")
struct DifftestRegressionTests {
  @Test("Gradbook's values and gradients agree with PyTorch's recorded float64 numbers")
  func regressions() throws {
    let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Difftest/regressions.json")
    let cases = try DifftestCase.decoder.decode([DifftestCase].self, from: Data(contentsOf: file))
    #expect(cases.count >= 40)
    for expected in cases {
      let (result, gradients) = try expected.program.run()
      let seed = expected.program.seed
      #expect(result.shape == expected.resultShape, "seed \(seed)")
      #expect(DifftestCase.agrees(result.scalars, expected.result), "seed \(seed): values")
      for (i, (got, want)) in zip(gradients, expected.gradients).enumerated() {
        #expect(DifftestCase.agrees(got.scalars, want), "seed \(seed): gradient of leaf \(i)")
      }
    }
  }

  @Test("the agreement rule: 1e-9 absolute plus 1e-7 relative, NaN matching NaN")
  func rule() {
    #expect(DifftestCase.agrees([1, .nan, 1e10], [1 + 5e-10, .nan, 1e10 + 900]))
    #expect(!DifftestCase.agrees([1 + 2e-7], [1]))
    #expect(!DifftestCase.agrees([2e-9], [0]))
    #expect(!DifftestCase.agrees([.nan], [0]))
    #expect(!DifftestCase.agrees([1, 2], [1]))
  }
}
