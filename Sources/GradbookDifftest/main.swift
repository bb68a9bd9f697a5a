import ArgumentParser
import Foundation
import TestSupport

/// Writes random programs with Gradbook's values and gradients, for PyTorch to check.
@main
struct GradbookDifftest: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gradbook-difftest",
    abstract: "Random tensor programs and Gradbook's answers (Float64), as JSON for PyTorch.")

  @Option(help: "The first program's seed; program i uses seed + i.")
  var seed: UInt64 = 1

  @Option(help: "How many programs.")
  var count = 2000

  @Option(help: "Where to write the JSON.")
  var output = ".build/difftest/programs.json"

  func run() throws {
    var cases: [DifftestCase] = []
    for i in 0..<UInt64(count) {
      let program = RandomProgram.make(seed: seed + i)
      let (result, gradients) = try program.run()
      cases.append(
        DifftestCase(
          program: program, resultShape: result.shape, result: result.scalars,
          gradients: gradients.map(\.scalars)))
    }
    let url = URL(fileURLWithPath: output)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try DifftestCase.encoder.encode(cases).write(to: url)
    print("difftest: \(count) programs (seeds \(seed)…\(seed + UInt64(count) - 1)) → \(output)")
  }
}
