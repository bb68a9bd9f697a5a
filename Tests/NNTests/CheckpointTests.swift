import DataFiles
import Foundation
import Scalar
import Testing

@testable import NN

@Suite("Checkpoints: safetensors")
struct CheckpointTests {
  /// A file written by Python's `safetensors` 0.8.0 (`safetensors.numpy.save`):
  /// layer.weight = arange(6)/4 as F32 [2, 3], layer.bias = [-1.5, 2.25] F32, scale = 3.0
  /// F64 0-d, metadata {"format": "pt"}.
  static let pythonFile = Array(
    Data(
      base64Encoded:
        "4AAAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCJ9LCJzY2FsZSI6eyJkdHlwZSI6IkY2NCIsInNoYXBlIjpbXSwiZGF0YV9vZmZzZXRzIjpbMCw4XX0sImxheWVyLmJpYXMiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOls4LDE2XX0sImxheWVyLndlaWdodCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwzXSwiZGF0YV9vZmZzZXRzIjpbMTYsNDBdfX0gICAgIAAAAAAAAAhAAADAvwAAEEAAAAAAAACAPgAAAD8AAEA/AACAPwAAoD8="
    )!)

  @Test("reads the Python package's file, and writes the same bytes for the same tensors")
  func pythonCompatible() throws {
    let (tensors, metadata) = try SafeTensors.decode(Self.pythonFile, file: "python.safetensors")
    #expect(tensors.map(\.name) == ["scale", "layer.bias", "layer.weight"])
    #expect(metadata == ["format": "pt"])
    let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.tensor) })
    #expect(byName["layer.weight"]!.shape == [2, 3] && byName["layer.weight"]!.dtype == .float32)
    #expect(byName["layer.weight"]!.scalars == [0, 0.25, 0.5, 0.75, 1, 1.25])
    #expect(byName["layer.bias"]!.scalars == [-1.5, 2.25])
    #expect(byName["scale"]!.shape == [] && byName["scale"]!.dtype == .float64)
    let encoded = SafeTensors.encode(tensors.reversed(), metadata: metadata)
    #expect(encoded == Self.pythonFile)
  }

  /// Written by Python's `safetensors` 0.8.0 (`safetensors.numpy.save`): labels = [3, -1, 9]
  /// I64, steps = 7 I64 0-d, scale = 2.5 F64 0-d, w = [0.5, -1] F32, metadata
  /// {"format": "pt"}. The package puts I64 before F64 before F32.
  static let pythonIntegerFile = Array(
    Data(
      base64Encoded:
        "CAEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCJ9LCJsYWJlbHMiOnsiZHR5cGUiOiJJNjQiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOlswLDI0XX0sInN0ZXBzIjp7ImR0eXBlIjoiSTY0Iiwic2hhcGUiOltdLCJkYXRhX29mZnNldHMiOlsyNCwzMl19LCJzY2FsZSI6eyJkdHlwZSI6IkY2NCIsInNoYXBlIjpbXSwiZGF0YV9vZmZzZXRzIjpbMzIsNDBdfSwidyI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzQwLDQ4XX19ICADAAAAAAAAAP//////////CQAAAAAAAAAHAAAAAAAAAAAAAAAAAARAAAAAPwAAgL8="
    )!)

  @Test("int64 tensors (I64) read from and written as the Python package does")
  func pythonIntegers() throws {
    let (tensors, _) = try SafeTensors.decode(Self.pythonIntegerFile, file: "python.safetensors")
    #expect(tensors.map(\.name) == ["labels", "steps", "scale", "w"])
    #expect(tensors.map(\.tensor.dtype) == [.int64, .int64, .float64, .float32])
    #expect(try tensors[0].tensor.integers() == [3, -1, 9])
    #expect(try tensors[1].tensor.integers() == [7] && tensors[1].tensor.shape == [])
    let mine = [
      ("w", try Tensor([0.5, -1], shape: [2])),
      ("scale", Tensor(scalar: 2.5, dtype: .float64)),
      ("steps", try Tensor(integers: [7], shape: [])),
      ("labels", Tensor(integers: [3, -1, 9])),
    ]
    #expect(SafeTensors.encode(mine, metadata: ["format": "pt"]) == Self.pythonIntegerFile)
  }

  @Test("a header written by hand from the specification: any key order, spaces, metadata last")
  func handWritten() throws {
    let json =
      #"{ "b": {"shape": [1], "data_offsets": [8, 12], "dtype": "F32"}, "#
      + #""a": {"dtype": "F64", "data_offsets": [0, 8], "shape": []}, "__metadata__": {"k": "v"} }"#
    var bytes = withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { Array($0) }
    bytes += Array(json.utf8)
    bytes += withUnsafeBytes(of: (-0.5).bitPattern.littleEndian) { Array($0) }
    bytes += withUnsafeBytes(of: Float(7).bitPattern.littleEndian) { Array($0) }
    let (tensors, metadata) = try SafeTensors.decode(bytes, file: "hand")
    #expect(tensors.map(\.name) == ["a", "b"])
    #expect(tensors[0].tensor.scalars == [-0.5] && tensors[1].tensor.scalars == [7])
    #expect(metadata == ["k": "v"])
  }

  @Test("corrupt files are errors naming the file and the problem")
  func corrupt() throws {
    let good = Self.pythonFile
    func problem(_ bytes: [UInt8]) -> String? {
      (#expect(throws: DataFileError.self) {
        try SafeTensors.decode(bytes, file: "bad.safetensors")
      })?
      .problem
    }
    #expect(problem(Array(good.prefix(5)))?.contains("too short") == true)
    #expect(problem(Array(good.prefix(100)))?.contains("truncated") == true)
    #expect(problem(Array(good.dropLast(4)))?.contains("needs") == true)
    #expect(problem(good + [0, 0, 0, 0])?.contains("belong to no tensor") == true)
    var notJSON = good
    notJSON[8] = UInt8(ascii: "[")
    #expect(problem(notJSON)?.contains("JSON") == true)
    var wrongType = good
    let header = Array("\"F64\"".utf8)
    if let at = (0..<(good.count - 5)).first(where: { Array(good[$0..<$0 + 5]) == header }) {
      wrongType.replaceSubrange(at..<at + 5, with: Array("\"U64\"".utf8))
    }
    #expect(problem(wrongType)?.contains("U64 is not supported (F32, F64 and I64 are)") == true)
  }

  @Test("headers with absurd shapes or offsets are errors, not overflow traps")
  func absurdHeaders() {
    func header(_ json: String) -> [UInt8] {
      withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { Array($0) } + Array(json.utf8)
    }
    for entry in [
      #"{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}"#,
      #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
      #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,9223372036854775807]}}"#,
      #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#,
    ] {
      #expect(throws: DataFileError.self) { try SafeTensors.decode(header(entry), file: "absurd") }
    }
  }

  @Test("a model and its Adam state round-trip; saving replaces the file atomically")
  func roundTrip() throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var generator = SeededGenerator(seed: 4)
    let model = Sequential(Linear(3, 4, using: &generator), ReLU(), Linear(4, 2, using: &generator))
    let optimizer = Adam(model.parameters())
    try crossEntropy(logits: model(Tensor.ones([2, 3])), targets: [0, 1]).backward()
    try optimizer.step()
    let path = folder + "/model.safetensors"
    try model.save(to: path, optimizer: optimizer)
    try model.save(to: path, optimizer: optimizer)  // replacing an existing file
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["model.safetensors"])

    let copy = Sequential(Linear(3, 4, using: &generator), ReLU(), Linear(4, 2, using: &generator))
    let copyOptimizer = Adam(copy.parameters())
    try copy.load(from: path, optimizer: copyOptimizer)
    for (a, b) in zip(model.namedTensors(), copy.namedTensors()) {
      #expect(a.name == b.name && a.tensor.scalars == b.tensor.scalars)
    }
    #expect(copyOptimizer.stepCount == 1)
    #expect(copyOptimizer.moments[0].v.scalars == optimizer.moments[0].v.scalars)
    let plain = Sequential(Linear(3, 4, using: &generator), ReLU(), Linear(4, 2, using: &generator))
    try plain.load(from: path)  // without an optimizer its state is ignored
  }

  /// Version `k` of a 4 MB checkpoint: every element is k, so a file mixing two versions
  /// shows.
  static func version(_ k: Int) -> [(name: String, tensor: Tensor)] {
    [
      ("weight", Tensor.full([1024, 1000], Double(k))),
      ("bias", Tensor.full([1000], Double(k))),
    ]
  }

  @Test("a save killed at any moment leaves a checkpoint that loads: the old one or a new one")
  func killedMidSave() async throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/model.safetensors"
    try SafeTensors.save(Self.version(0), to: path)
    var versions: Set<Double> = []
    for run in 0..<8 {
      // A child process saves new versions in a loop until a timer kills it, 1–120 ms in:
      // before, during or after a write or the rename.
      await #expect(processExitsWith: .signal(SIGKILL), "run \(run)") { [path = path as String] in
        let delay = Int.random(in: 1_000...120_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .microseconds(delay)) {
          kill(getpid(), SIGKILL)
        }
        var k = 1
        while true {
          try SafeTensors.save(CheckpointTests.version(k), to: path)
          k += 1
        }
      }
      let (tensors, _) = try SafeTensors.load(from: path)
      #expect(tensors.map(\.name) == ["bias", "weight"], "run \(run)")
      let values = Set(tensors.flatMap { $0.tensor.scalars })
      #expect(values.count == 1, "run \(run): a file mixing versions \(values.sorted())")
      versions.formUnion(values)
    }
    #expect(versions.count > 1, "no child replaced the file: the test proved nothing")
    // Left behind: at most the killed writes' partial files, never in place of the checkpoint.
    let names = try FileManager.default.contentsOfDirectory(atPath: folder)
    #expect(names.contains("model.safetensors"))
    #expect(names.allSatisfy { $0 == "model.safetensors" || $0.contains(".partial-") })
  }

  /// A module with an int64 buffer, as BatchNorm's `num_batches_tracked`.
  final class Counted: Module {
    let weight: Tensor
    let batches = try! Tensor(integers: [0], shape: [])
    init(_ value: Double) {
      weight = Tensor([value, -value])
      weight.requiresGrad = true
    }
  }

  @Test("an int64 buffer is saved and loaded with the parameters, and is never trained")
  func integerBuffer() throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/counted.safetensors"
    let model = Counted(1.5)
    try model.batches.update(to: Tensor(integers: [41], shape: []))
    #expect(model.namedParameters().map(\.name) == ["weight"])
    try model.save(to: path)
    let copy = Counted(0)
    try copy.load(from: path)
    #expect(try copy.batches.integers() == [41] && copy.weight.scalars == [1.5, -1.5])

    // A float where the model holds an int64 is a mismatch, named.
    try SafeTensors.save(
      [("weight", Tensor([1, 2])), ("batches", Tensor(scalar: 3))], to: path)
    let error = #expect(throws: DataFileError.self) { try copy.load(from: path) }
    #expect(error?.problem.contains("batches is float32 [], the model's is int64 []") == true)
    #expect(try copy.batches.integers() == [41])
  }

  @Test("a checkpoint of another model is an error and changes nothing")
  func mismatch() throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var generator = SeededGenerator(seed: 5)
    let path = folder + "/small.safetensors"
    try Sequential(Linear(3, 4, using: &generator)).save(to: path)
    let other = Sequential(Linear(3, 4, using: &generator), Linear(4, 2, using: &generator))
    let before = other.namedTensors().map(\.tensor.scalars)
    let error = #expect(throws: DataFileError.self) { try other.load(from: path) }
    #expect(error?.file == path && error?.problem.contains("layers.1.weight is missing") == true)
    #expect(other.namedTensors().map(\.tensor.scalars) == before)
    let wide = Sequential(Linear(3, 5, using: &generator))
    let shape = #expect(throws: DataFileError.self) { try wide.load(from: path) }
    #expect(shape?.problem.contains("[5, 3]") == true)
    #expect(throws: DataFileError.self) { try wide.load(from: folder + "/missing.safetensors") }
  }
}
