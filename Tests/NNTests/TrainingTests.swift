import Foundation
import Scalar
import Testing

@testable import NN

@Suite("Training")
struct TrainingTests {
  /// Three Gaussian clusters in 4-d, labelled by cluster.
  func clusters(_ n: Int, seed: UInt64) throws -> (Tensor, [Int]) {
    var generator = SeededGenerator(seed: seed)
    var rows: [Double] = []
    var labels: [Int] = []
    for i in 0..<n {
      let label = i % 3
      rows += (0..<4).map { Double($0 == label ? 2 : 0) + 0.5 * generator.nextGaussian() }
      labels.append(label)
    }
    return (try Tensor(rows, shape: [n, 4]), labels)
  }

  @Test("a short run: the loss falls, every parameter gets a non-zero gradient, the tape is freed")
  func shortRun() throws {
    let (x, y) = try clusters(300, seed: 1)
    var generator = SeededGenerator(seed: 2)
    let model = Sequential(
      Linear(4, 16, using: &generator), GELU(), try Dropout(0.1), Linear(16, 3, using: &generator))
    let optimizer = AdamW(model.parameters(), learningRate: 0.01)
    let loader = try DataLoader(inputs: x, labels: y, batchSize: 32, seed: 3)
    let schedule = CosineSchedule(base: 0.01, warmupSteps: 5, totalSteps: 50)

    let first = try evaluate(model, inputs: x, labels: y)
    weak var lastLoss: Tensor?
    for epoch in 0..<5 {
      let losses = try trainEpoch(
        model, on: loader, optimizer: optimizer, schedule: schedule,
        firstStep: epoch * loader.batchCount, clipNorm: 1)
      #expect(losses.count == loader.batchCount)
    }
    let last = try evaluate(model, inputs: x, labels: y)
    #expect(last.loss < first.loss / 3)
    #expect(last.accuracy > 0.95)
    #expect(model.isTraining)

    try autoreleasepool {
      let loss = try crossEntropy(logits: model(x), targets: y)
      lastLoss = loss
      model.zeroGrad()
      try loss.backward()
    }
    #expect(lastLoss == nil)  // nothing keeps the graph alive after backward
    for (name, p) in model.namedParameters() {
      #expect(p.grad!.scalars.contains { $0 != 0 }, "no gradient reached \(name)")
      #expect(p.grad!.isLeaf, "the gradient of \(name) holds a tape")
    }
  }

  @Test("1,000 training steps keep memory flat: tensor bytes exactly, resident memory within 4 MB")
  func memoryStaysFlat() async {
    // In a process of its own, so that no other test's tensors come and go meanwhile.
    // Exit code 2: tensor bytes grew (a tape, gradient or cache kept alive); 3: resident
    // memory grew by more than 4 MB.
    await #expect(processExitsWith: .success) {
      /// Resident memory in bytes, from /proc/self/statm (Linux).
      func resident() -> Int {
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = Int(statm.split(separator: " ").dropFirst().first ?? "") ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
      }
      var generator = SeededGenerator(seed: 5)
      let model = Sequential(
        Linear(64, 32, using: &generator), ReLU(), Linear(32, 10, using: &generator))
      let optimizer = Adam(model.parameters())
      let x = Tensor.randn([16, 64], using: &generator)
      let targets = (0..<16).map { $0 % 10 }
      var measured: [(bytes: Int, resident: Int)] = []
      for step in 1...1_000 {
        model.zeroGrad()
        let loss = try crossEntropy(logits: model(x), targets: targets)
        try loss.backward()
        try clipGradientNorm(model.parameters(), maxNorm: 1)
        try optimizer.step()
        if step == 200 || step == 1_000 {
          measured.append((TensorStorage.Statistics.liveBytes, resident()))
        }
      }
      let growth = (
        measured[1].bytes - measured[0].bytes, measured[1].resident - measured[0].resident
      )
      if growth.0 != 0 || growth.1 > 4 << 20 { exit(growth.0 != 0 ? 2 : 3) }
    }
  }

  @Test("fit: a step's loss each, the test accuracy before and after each epoch at its step")
  func fitRecordsTheCurve() throws {
    let (x, y) = try clusters(300, seed: 7)
    var generator = SeededGenerator(seed: 8)
    let model = Sequential(Linear(4, 8, using: &generator), ReLU(), Linear(8, 3, using: &generator))
    let loader = try DataLoader(inputs: x, labels: y, batchSize: 50, seed: 9)
    let optimizer = Adam(model.parameters(), learningRate: 0.01)
    let history = try fit(
      model, on: loader, optimizer: optimizer, epochs: 3, testInputs: x, testLabels: y)
    #expect(history.losses.count == 3 * loader.batchCount)
    #expect(history.accuracies.map(\.x) == [0, 6, 12, 18])
    #expect(
      history.accuracies.last!.y > 0.9 && history.accuracies.last!.y > history.accuracies[0].y)
    #expect(history.trainingSeconds > 0)
    let untouched = try fit(
      model, on: loader, optimizer: optimizer, epochs: 0, testInputs: x, testLabels: y)
    #expect(untouched.losses.isEmpty && untouched.accuracies.count == 1)
  }

  @Test("evaluation builds no tape and restores the mode")
  func evaluation() throws {
    let (x, y) = try clusters(30, seed: 4)
    var generator = SeededGenerator(seed: 5)
    let model = Sequential(Linear(4, 3, using: &generator))
    _ = try evaluate(model, inputs: x, labels: y, batchSize: 7)
    #expect(model.isTraining)
    model.eval()
    _ = try evaluate(model, inputs: x, labels: y)
    #expect(!model.isTraining)
  }

  @Test("the progress bar shows count, rate and time left, and is silent when disabled")
  func progressBar() {
    let bar = ProgressBar("epoch 1", total: 4, enabled: false)
    bar.advance(by: 2)
    bar.status = "loss 0.5"
    let line = bar.line(now: Date().addingTimeInterval(1))
    #expect(line.hasPrefix("epoch 1 [============>"))
    #expect(line.contains("2/4") && line.contains("/s") && line.contains("ETA"))
    #expect(line.hasSuffix("· loss 0.5"))
  }
}

/// Runs `body` (Linux has no autorelease pool: a scope is enough).
func autoreleasepool<R>(_ body: () throws -> R) rethrows -> R { try body() }
