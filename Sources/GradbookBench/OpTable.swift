import CBLAS
import CNN
import Foundation
import Scalar

/// One row of the op table: forward and backward medians, and the peak of tensor memory
/// the forward pass allocated (beyond its inputs).
struct OpRow {
  var name: String
  /// The row's name in `ops_torch.py`, when it has one.
  var peerName: String?
  var forwardMicroseconds: Double
  var backwardMicroseconds: Double?
  var peakBytes: Int

  var json: [String: Any] {
    var row: [String: Any] = [
      "name": name, "fwd_us": forwardMicroseconds, "fwd_peak_bytes": peakBytes,
    ]
    if let backwardMicroseconds { row["bwd_us"] = backwardMicroseconds }
    return row
  }
}

/// The median seconds of `body`, each sample repeating it for at least `minimumTime`.
func medianSeconds(repetitions: Int, minimumTime: Double = 0.02, _ body: () throws -> Void)
  rethrows -> Double
{
  for _ in 0..<2 { try body() }
  let start = DispatchTime.now().uptimeNanoseconds
  try body()
  let once = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  // GRADBOOK_BENCH_INNER fixes the inner count, so that instruction counts (callgrind)
  // compare between builds.
  let inner =
    ProcessInfo.processInfo.environment["GRADBOOK_BENCH_INNER"].flatMap { Int($0) }
    ?? max(1, Int(minimumTime / max(once, 1e-9)))
  var samples: [Double] = []
  for _ in 0..<repetitions {
    let t0 = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<inner { try body() }
    samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / Double(inner))
  }
  return samples.sorted()[samples.count / 2]
}

/// The op table of the seeds' benchmarks, batch 128, Float32.
func opTable(repetitions: Int, only filter: String? = nil) throws -> [OpRow] {
  var generator = SeededGenerator(seed: 0)
  func input(_ shape: [Int]) -> Tensor {
    let t = Tensor.randn(shape, using: &generator)
    t.requiresGrad = true
    return t
  }
  let a = input([128, 64, 14, 14])
  let b = input([128, 64, 14, 14])
  let m1 = input([128, 784])
  let m2 = input([784, 128])
  let s10 = input([128, 10])
  let labels = (0..<128).map { _ in Int.random(in: 0..<10, using: &generator) }
  let weight = input([128, 784])
  let bias = input([128])
  let convX = input([128, 8, 14, 14])
  let convW = input([16, 8, 3, 3])
  let convB = input([16])
  let pooled = input([128, 16, 14, 14])
  let gamma = input([16])
  let beta = input([16])
  let runningMean = Tensor.zeros([16])
  let runningVariance = Tensor.ones([16])
  let tiny1 = input([4, 4])
  let tiny2 = input([4, 4])
  let cases: [(String, String?, [Tensor], () throws -> Tensor)] = [
    ("add (128,64,14,14)", "add", [a, b], { try a + b }),
    ("sub (128,64,14,14)", nil, [a, b], { try a - b }),
    ("mul (128,64,14,14)", "mul", [a, b], { try a * b }),
    ("div (128,64,14,14)", "div", [a, b], { try a / b }),
    ("matmul (128,784)@(784,128)", "matmul", [m1, m2], { try m1.matmul(m2) }),
    ("transpose (128,64,14,14) 2↔3", nil, [a], { try a.transposed() }),
    ("reshape (128,64,14,14)→(128,-1)", nil, [a], { try a.reshaped([128, -1]) }),
    ("sum axes (2,3)", "sum_axes23", [a], { try a.sum(axes: [2, 3]) }),
    ("mean axes (2,3)", nil, [a], { try a.mean(axes: [2, 3]) }),
    ("relu (128,64,14,14)", "relu", [a], { a.relu() }),
    ("tanh (128,64,14,14)", "tanh", [a], { a.tanh() }),
    ("softmax (128,10)", "softmax", [s10], { try s10.softmax() }),
    (
      "cross-entropy (128,10), fused", "cross_entropy", [s10],
      {
        try crossEntropy(logits: s10, targets: labels)
      }
    ),
    (
      "linear (128,784)→128, fused", nil, [m1, weight, bias],
      {
        try m1.linear(weight: weight, bias: bias)
      }
    ),
    (
      "conv2d (128,8,14,14)*(16,8,3,3), pad 1", "conv2d", [convX, convW, convB],
      { try convX.conv2d(weight: convW, bias: convB, padding: 1) }
    ),
    ("max pool 2×2 (128,16,14,14)", "max_pool2d", [pooled], { try pooled.maxPool2d(kernel: 2) }),
    ("avg pool 2×2 (128,16,14,14)", "avg_pool2d", [pooled], { try pooled.avgPool2d(kernel: 2) }),
    (
      "batch norm, training (128,16,14,14)", "batch_norm2d", [pooled, gamma, beta],
      {
        try pooled.batchNorm(
          runningMean: runningMean, runningVariance: runningVariance, weight: gamma, bias: beta,
          training: true)
      }
    ),
    ("add (4,4) — per-op overhead", nil, [tiny1, tiny2], { try tiny1 + tiny2 }),
  ]
  var rows: [OpRow] = []
  for (name, peerName, inputs, op) in cases where filter.map({ name.contains($0) }) ?? true {
    let before = TensorStorage.Statistics.liveBytes
    TensorStorage.Statistics.resetPeak()
    var output: Tensor? = try op()
    let peak = TensorStorage.Statistics.peakBytes - before
    let forward = try medianSeconds(repetitions: repetitions) { _ = try op() }
    var backward: Double?
    if let out = output {
      let seed = Tensor.randn(out.shape, using: &generator)
      backward = try medianSeconds(repetitions: repetitions) {
        for t in inputs { t.grad = nil }
        try out.backward(seed: seed)
      }
    }
    output = nil
    rows.append(
      OpRow(
        name: name, peerName: peerName, forwardMicroseconds: forward * 1e6,
        backwardMicroseconds: backward.map { $0 * 1e6 }, peakBytes: peak))
  }
  // Optimizer steps on one (128, 784) parameter (one core: below the two-core threshold).
  let steps: [(String, (Tensor) -> Optimizer)] = [
    ("SGD step, momentum 0.9 (128,784)", { SGD([$0], learningRate: 0.01, momentum: 0.9) }),
    ("SGD step, no momentum (128,784)", { SGD([$0], learningRate: 0.01) }),
    ("Adam step (128,784)", { Adam([$0]) }),
    ("AdamW step (128,784)", { AdamW([$0]) }),
  ]
  for (name, make) in steps where filter.map({ name.contains($0) }) ?? true {
    let parameter = Tensor.randn([128, 784], using: &generator)
    parameter.grad = Tensor.randn([128, 784], using: &generator)
    let optimizer = make(parameter)
    let time = try medianSeconds(repetitions: repetitions) { try optimizer.step() }
    rows.append(
      OpRow(name: name, forwardMicroseconds: time * 1e6, backwardMicroseconds: nil, peakBytes: 0))
  }
  // Per-op overhead: a (4,4) add, forward and backward together.
  let overhead = try medianSeconds(repetitions: repetitions) {
    tiny1.grad = nil
    tiny2.grad = nil
    try (tiny1 + tiny2).backward(seed: Tensor.ones([4, 4]))
  }
  rows.append(
    OpRow(
      name: "add (4,4) fwd+bwd together", forwardMicroseconds: overhead * 1e6,
      backwardMicroseconds: nil, peakBytes: 0))
  return rows
}

/// GFLOP/s of `a.matmul(b)` inside the engine and of a bare `cblas_sgemm` of the same size.
func matmulEfficiency(repetitions: Int) throws -> (engine: Double, bare: Double) {
  var generator = SeededGenerator(seed: 1)
  let (m, k, n) = (128, 784, 128)
  let a = Tensor.randn([m, k], using: &generator)
  let b = Tensor.randn([k, n], using: &generator)
  let engine = try medianSeconds(repetitions: repetitions) { _ = try a.matmul(b) }
  let x = [Float](a.scalars.map { Float($0) })
  let y = [Float](b.scalars.map { Float($0) })
  var c = [Float](repeating: 0, count: m * n)
  let bare = medianSeconds(repetitions: repetitions) {
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, x, Int32(k), y,
      Int32(n), 0, &c, Int32(n))
  }
  let flops = 2.0 * Double(m * n * k)
  return (flops / engine / 1e9, flops / bare / 1e9)
}
