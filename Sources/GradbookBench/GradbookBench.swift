import ArgumentParser
import Broadcasting
import CBLAS
import CKernels
import Foundation
import NN
import Scalar

/// `make bench`: the book's benchmarks, as a table and as JSON. Release builds only.
@main
struct GradbookBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gradbook-bench", abstract: "Gradbook's benchmarks (build with -c release).")

  @Option(help: "Write the results as JSON to this file.")
  var json: String?

  @Option(help: "Timed repetitions per benchmark (the median is reported).")
  var repetitions = 25

  @Option(help: "Run only the op-table rows whose name contains this text (and nothing else).")
  var only: String?

  @Flag(help: "Only loop a (4,4) add forward and backward for a few seconds (for profilers).")
  var profileOverhead = false

  @Option(help: "Output of ../shared/peers/micrograd_bench.py from the same run, for ratios.")
  var micrograd: String?

  @Option(help: "Output of ../shared/peers/ops_torch.py from the same run, for ratios.")
  var torchOps: String?

  @Option(help: "Output of ../shared/peers/higher_order.py from the same run, for ratios.")
  var higherOrder: String?

  @Option(help: "Output of ../shared/peers/mnist_torch.py from the same run, for ratios.")
  var mnistTorch: String?

  @Option(help: "Training runs per MNIST recipe (different seeds; the median is reported).")
  var mnistRuns = 3

  @Flag(name: .customLong("only-mnist"), help: "Only run the MNIST benchmarks.")
  var onlyMNIST = false

  @Flag(
    name: .customLong("only-higher-order"),
    help: "Only run the higher-order benchmarks (a Hessian and a Hessian-vector product).")
  var onlyHigherOrder = false

  @Flag(help: "Only time Chapter 6's CNN training step layer by layer.")
  var cnnProfile = false

  mutating func validate() throws {
    if mnistRuns < 1 { throw ValidationError("--mnist-runs must be at least 1") }
    if repetitions < 1 { throw ValidationError("--repetitions must be at least 1") }
  }

  func run() throws {
    if profileOverhead {
      let a = Tensor.ones([4, 4])
      let b = Tensor.ones([4, 4])
      a.requiresGrad = true
      b.requiresGrad = true
      let seed = Tensor.ones([4, 4])
      let start = Date()
      var n = 0
      while Date().timeIntervalSince(start) < 3 {
        for _ in 0..<10_000 {
          a.grad = nil
          b.grad = nil
          try (a + b).backward(seed: seed)
        }
        n += 10_000
      }
      print(String(format: "(4,4) add fwd+bwd: %.2f µs", 3e6 / Double(n)))
      return
    }
    #if DEBUG
      print("warning: this is a debug build; benchmark numbers mean nothing (use -c release)")
    #endif
    let core = String(cString: openblas_get_corename())
    let threads = openblas_get_num_threads()
    let coretype = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "(unset)"
    print("Gradbook benchmarks — \(Date())")
    print("OpenBLAS kernel: \(core), \(threads) threads, OPENBLAS_CORETYPE=\(coretype)")
    print(
      "Float32 matrix products: Gradbook's own \(String(cString: gradbook_sgemm_kernel())) kernel")
    print()

    var results: [[String: Any]] = []
    if cnnProfile {
      for layer in try cnnStepProfile(repetitions: repetitions) {
        print(
          layer.name.padding(toLength: 40, withPad: " ", startingAt: 0)
            + String(
              format: " %10.1f  %10.1f", layer.forwardMicroseconds, layer.backwardMicroseconds))
      }
      return
    }
    if onlyHigherOrder {
      let higher = try higherOrderFigures(repetitions: repetitions)
      print(
        String(
          format: "hessian of Σ tanh(Ax), n = 100: %.0f µs; hvp of an MLP loss: %.0f µs",
          higher.hessianMicroseconds, higher.hvpMicroseconds))
      results.append([
        "name": "higher_order", "hessian_us": higher.hessianMicroseconds,
        "hvp_us": higher.hvpMicroseconds,
      ])
      try write(results, core: core, threads: threads, coretype: coretype)
      return
    }
    if onlyMNIST {
      results.append(try mnistBenchmarks())
      try write(results, core: core, threads: threads, coretype: coretype)
      return
    }
    if let only {
      let rows = try opTable(repetitions: repetitions, only: only)
      for row in rows {
        let bwd = row.backwardMicroseconds.map { String(format: "%10.3f", $0) } ?? "         —"
        print(
          row.name.padding(toLength: 40, withPad: " ", startingAt: 0)
            + String(format: " %10.3f", row.forwardMicroseconds) + "  \(bwd)")
      }
      results.append(["name": "op_table", "rows": rows.map(\.json)])
      try write(results, core: core, threads: threads, coretype: coretype)
      return
    }
    var scalar = scalarMLP(repetitions: repetitions)
    print("benchmark                                           median     detail")
    print(String(repeating: "─", count: 96))
    print(
      "scalar MLP(2,[16,16,1]) fwd+bwd, 100 points         "
        + "\(ms(scalar["total_ms"] as! Double))   "
        + "fwd \(ms(scalar["forward_ms"] as! Double)), bwd \(ms(scalar["backward_ms"] as! Double)), "
        + "\(scalar["nodes"] as! Int) nodes, "
        + String(format: "%.1f M nodes/s", (scalar["nodes_per_second"] as! Double) / 1e6))
    let total = scalar["total_ms"] as! Double
    if let micrograd, let peer = try microgradFigures(micrograd) {
      scalar["peer_micrograd_gc_off_ms"] = peer.gcOff
      scalar["peer_micrograd_gc_on_ms"] = peer.gcOn
      print(
        "  micrograd, same run: "
          + String(format: "%.0f ms with GC off (%.1f× slower), ", peer.gcOff, peer.gcOff / total)
          + String(format: "%.0f ms with GC on (%.1f× slower)", peer.gcOn, peer.gcOn / total))
    } else {
      print(
        "  micrograd: not run (make peers, then make bench); ../shared/peers/README.md "
          + String(format: "quotes 190 ms with GC off: %.1f× slower", 190 / total))
    }
    results.append(scalar)

    print()
    let torch = try torchOps.map(torchFigures) ?? [:]
    print(
      "op (Float32, batch 128)                      fwd µs      bwd µs  fwd peak MiB"
        + (torch.isEmpty ? "" : "   PyTorch fwd/bwd µs   ratio fwd/bwd"))
    print(String(repeating: "─", count: torch.isEmpty ? 80 : 118))
    let rows = try opTable(repetitions: repetitions, only: only)
    for row in rows {
      let name = row.name.padding(toLength: 40, withPad: " ", startingAt: 0)
      let bwd = row.backwardMicroseconds.map { String(format: "%10.1f", $0) } ?? "         —"
      var line =
        "\(name) \(String(format: "%10.1f", row.forwardMicroseconds))  \(bwd)   "
        + String(format: "%8.2f", Double(row.peakBytes) / 1_048_576)
      if let peer = torch[row.peerName ?? ""] {
        line += String(format: "   %8.1f /%8.1f", peer.fwd, peer.bwd)
        line += String(format: "   %5.2f× / ", peer.fwd / row.forwardMicroseconds)
        line += row.backwardMicroseconds.map { String(format: "%5.2f×", peer.bwd / $0) } ?? "—"
      }
      print(line)
    }
    if !torch.isEmpty {
      print(
        "(ratio = PyTorch time / Gradbook time, same session: above 1 means Gradbook is faster)")
    }
    results.append(["name": "op_table", "rows": rows.map(\.json)])
    let efficiency = try matmulEfficiency(repetitions: repetitions)
    print(
      String(
        format:
          "matmul (128,784)@(784,128): engine %.1f GFLOP/s, bare OpenBLAS cblas_sgemm %.1f GFLOP/s (%.0f%%)",
        efficiency.engine, efficiency.bare, 100 * efficiency.engine / efficiency.bare))
    results.append([
      "name": "matmul_efficiency", "engine_gflops": efficiency.engine,
      "bare_sgemm_gflops": efficiency.bare,
    ])

    let higher = try higherOrderFigures(repetitions: repetitions)
    print(
      String(
        format: "hessian of Σ tanh(Ax), n = 100: %.0f µs (one backward per row); "
          + "hvp of an MLP loss, 9,610 parameters: %.0f µs",
        higher.hessianMicroseconds, higher.hvpMicroseconds))
    if let higherOrder, let peer = try peerJSON(higherOrder),
      let torchHessian = peer["torch_func_hessian_us"] as? Double,
      let jaxHessian = peer["jax_hessian_us"] as? Double,
      let torchHVP = peer["torch_double_backward_hvp_us"] as? Double,
      let jaxHVP = peer["jax_hvp_us"] as? Double
    {
      print(
        String(
          format: "  same run: torch.func hessian %.0f µs (%.2f×), JAX jit %.0f µs (%.2f×); "
            + "PyTorch double-backward hvp %.0f µs (%.2f×), JAX jit %.0f µs (%.2f×)",
          torchHessian, torchHessian / higher.hessianMicroseconds, jaxHessian,
          jaxHessian / higher.hessianMicroseconds, torchHVP, torchHVP / higher.hvpMicroseconds,
          jaxHVP, jaxHVP / higher.hvpMicroseconds))
    } else {
      print(
        "  (../shared/peers/README.md: torch.func 1.6–2.5 ms and 1.2–1.4 ms; JAX jit 0.10 and "
          + "0.25 ms; make peers to measure them in the same run)")
    }
    results.append([
      "name": "higher_order", "hessian_us": higher.hessianMicroseconds,
      "hvp_us": higher.hvpMicroseconds,
    ])

    print()
    let profile = try cnnStepProfile(repetitions: repetitions)
    print("Chapter 6's CNN, one training step (batch 128), layer by layer   fwd µs      bwd µs")
    print(String(repeating: "─", count: 88))
    for layer in profile {
      print(
        layer.name.padding(toLength: 62, withPad: " ", startingAt: 0)
          + String(format: " %10.1f  %10.1f", layer.forwardMicroseconds, layer.backwardMicroseconds)
      )
    }
    let stepTotal = profile.reduce(0) { $0 + $1.forwardMicroseconds + $1.backwardMicroseconds }
    print(
      String(
        format: "sum: %.1f ms per step, %.1f s for the 469 steps of an epoch", stepTotal / 1000,
        stepTotal * 469 / 1e6))
    results.append(["name": "cnn_step_profile", "layers": profile.map(\.json)])

    print()
    results.append(try mnistBenchmarks())
    try write(results, core: core, threads: threads, coretype: coretype)
  }

  /// Writes the JSON document, when asked for.
  func write(_ results: [[String: Any]], core: String, threads: Int32, coretype: String) throws {
    if let json {
      let document: [String: Any] = [
        "date": ISO8601DateFormatter().string(from: Date()),
        "openblas_core": core, "openblas_threads": Int(threads),
        "openblas_coretype_env": coretype, "results": results,
      ]
      let data = try JSONSerialization.data(
        withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
      try data.write(to: URL(fileURLWithPath: json))
      print("\nwrote \(json)")
    }
  }

  /// Forward and backward of micrograd's demo loss: MLP(2, [16, 16, 1]) over 100 two-moons
  /// points, mean hinge loss + 1e-4 · L2, then an SGD step (not timed), as the peer does.
  func scalarMLP(repetitions: Int) -> [String: Any] {
    let (xs, ys) = makeMoons(count: 100, noise: 0.1, seed: 1)
    let model = MLP(inputCount: 2, layerSizes: [16, 16, 1])
    let parameters = model.parameters
    var forward: [Double] = []
    var backward: [Double] = []
    var total: [Double] = []
    var nodes = 0
    for step in 0..<(repetitions + 3) {
      let t0 = DispatchTime.now().uptimeNanoseconds
      let inputs = xs.map { row in row.map { Value($0) } }
      let scores = inputs.map { model($0)[0] }
      let loss = hingeLoss(scores: scores, labels: ys) + l2Penalty(parameters, alpha: 1e-4)
      let t1 = DispatchTime.now().uptimeNanoseconds
      parameters.zeroGrad()
      loss.backward()
      let t2 = DispatchTime.now().uptimeNanoseconds
      if step == 0 { nodes = loss.topologicalOrder().count }
      sgdStep(parameters, learningRate: 1.0 - 0.9 * Double(step) / 100)
      if step >= 3 {
        forward.append(Double(t1 - t0) / 1e6)
        backward.append(Double(t2 - t1) / 1e6)
        total.append(Double(t2 - t0) / 1e6)
      }
    }
    let median = { (xs: [Double]) in xs.sorted()[xs.count / 2] }
    return [
      "name": "scalar_mlp_fwd_bwd", "nodes": nodes, "forward_ms": median(forward),
      "backward_ms": median(backward), "total_ms": median(total),
      "nodes_per_second": Double(nodes) / (median(total) / 1e3),
    ]
  }

  /// The object on the last `JSON ` line of a peer script's output.
  func peerJSON(_ path: String) throws -> [String: Any]? {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("JSON ") }) else {
      return nil
    }
    return try JSONSerialization.jsonObject(with: Data(line.dropFirst(5).utf8)) as? [String: Any]
  }

  /// PyTorch's forward and backward µs per op, from the `JSON` line of `ops_torch.py`.
  func torchFigures(_ path: String) throws -> [String: (fwd: Double, bwd: Double)] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("JSON ") }),
      let object = try JSONSerialization.jsonObject(with: Data(line.dropFirst(5).utf8))
        as? [String: [String: Any]]
    else { return [:] }
    var figures: [String: (fwd: Double, bwd: Double)] = [:]
    for (name, row) in object {
      if let fwd = row["torch_fwd_us"] as? Double, let bwd = row["torch_bwd_us"] as? Double {
        figures[name] = (fwd, bwd)
      }
    }
    return figures
  }

  /// The median step times of micrograd with Python's GC off and on, from the `RESULT`
  /// lines of `micrograd_bench.py` (the fastest of its runs of each kind).
  func microgradFigures(_ path: String) throws -> (gcOff: Double, gcOn: Double)? {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var off: [Double] = []
    var on: [Double] = []
    for line in text.split(separator: "\n") where line.hasPrefix("RESULT ") {
      guard
        let object = try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8))
          as? [String: Any],
        let gc = object["gc"] as? Bool, let step = object["step_ms"] as? Double
      else { continue }
      if gc { on.append(step) } else { off.append(step) }
    }
    guard let bestOff = off.min(), let bestOn = on.min() else { return nil }
    return (bestOff, bestOn)
  }

  /// The MNIST table: each recipe's median epoch time and test accuracy over `mnistRuns`
  /// seeds, beside PyTorch's from the same session.
  func mnistBenchmarks() throws -> [String: Any] {
    let loadStart = DispatchTime.now().uptimeNanoseconds
    let (images, labels) = try MNIST.load(.train)
    let (testImages, testLabels) = try MNIST.load(.test)
    let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
    print(
      String(
        format: "MNIST (60,000 + 10,000 images; load, gunzip and SHA-256 check: %.2f s)",
        loadSeconds))
    let peer = try mnistTorch.flatMap(peerJSON) ?? [:]
    print(
      "recipe                                   time s   test acc    final loss"
        + (peer.isEmpty ? "" : "   PyTorch s / acc    ratio"))
    print(String(repeating: "─", count: peer.isEmpty ? 72 : 108))
    var rows: [[String: Any]] = []
    for recipe in MNISTRecipe.all {
      let runs = try (0..<mnistRuns).map { seed in
        try runMNIST(
          recipe, seed: UInt64(seed),
          data: (images, labels, testImages, testLabels))
      }
      let median = { (values: [Double]) in values.sorted()[values.count / 2] }
      let seconds = median(runs.map(\.seconds))
      let accuracy = median(runs.map(\.accuracy))
      let description =
        "\(recipe.name): \(recipe.summary), \(recipe.epochs) ep, b\(recipe.batchSize)"
      var line =
        description.padding(toLength: 40, withPad: " ", startingAt: 0)
        + String(
          format: " %6.2f    %6.2f%%    %8.4f", seconds, 100 * accuracy,
          median(runs.map(\.finalLoss)))
      var row: [String: Any] = [
        "name": recipe.name, "seconds": seconds, "test_accuracy": accuracy,
        "runs": runs.map { ["seconds": $0.seconds, "test_accuracy": $0.accuracy] },
      ]
      if let torch = peer[recipe.name] as? [String: Any],
        let torchSeconds = torch["epoch_s"] as? Double,
        let torchAccuracy = torch["test_acc"] as? Double
      {
        line += String(
          format: "   %6.2f / %5.2f%%   %5.2f×", torchSeconds, 100 * torchAccuracy,
          torchSeconds / seconds)
        row["peer_torch_seconds"] = torchSeconds
        row["peer_torch_test_accuracy"] = torchAccuracy
      }
      print(line)
      rows.append(row)
    }
    print(
      "(median of \(mnistRuns) seeds; time = training only, evaluation untimed, as in "
        + "mnist_torch.py; ratio = PyTorch time / Gradbook time)")
    return ["name": "mnist", "load_seconds": loadSeconds, "recipes": rows]
  }

  func ms(_ x: Double) -> String { String(format: "%7.2f ms", x) }
}
