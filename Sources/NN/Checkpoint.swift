import DataFiles
import HigherOrder

// listing: checkpoint
extension Module {
  /// Saves every stored tensor (parameters and buffers), and `optimizer`'s state under
  /// `optimizer.…`, as one safetensors file at `path` (replaced atomically).
  public func save(to path: String, optimizer: (any Optimizer)? = nil) throws {
    var tensors = namedTensors()
    var metadata = ["format": "gradbook"]
    if let optimizer {
      tensors += optimizer.namedState().map { ("optimizer.\($0.name)", $0.tensor) }
      metadata["optimizer.step"] = String(optimizer.stepCount)
    }
    try SafeTensors.save(tensors, metadata: metadata, to: path)
  }

  /// Loads this module's tensors (and `optimizer`'s state) from the safetensors file at
  /// `path`, in place.
  ///
  /// Every name, shape and dtype is checked before anything is written: a checkpoint of
  /// another model is an error naming the file and what differs, and leaves this module
  /// as it was.
  public func load(from path: String, optimizer: (any Optimizer)? = nil) throws {
    let (stored, metadata) = try SafeTensors.load(from: path)
    var expected = namedTensors()
    if let optimizer {
      expected += optimizer.namedState().map { ("optimizer.\($0.name)", $0.tensor) }
    }
    let byName = Dictionary(stored.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    var problems: [String] = []
    for (name, tensor) in expected {
      guard let value = byName[name] else {
        problems.append("\(name) is missing")
        continue
      }
      if value.shape != tensor.shape || value.dtype != tensor.dtype {
        problems.append(
          "\(name) is \(value.dtype) \(value.shape), the model's is \(tensor.dtype) \(tensor.shape)"
        )
      }
    }
    let known = Set(expected.map(\.name))
    let unexpected = stored.map(\.name).filter {
      !known.contains($0) && (optimizer != nil || !$0.hasPrefix("optimizer."))
    }
    if !unexpected.isEmpty { problems.append("unexpected tensors \(unexpected)") }
    guard problems.isEmpty else {
      throw DataFileError(
        file: path, problem: "does not match the model: " + problems.joined(separator: "; "))
    }
    for (name, tensor) in expected { try tensor.update(to: byName[name]!) }
    if let optimizer {
      optimizer.restore(stepCount: Int(metadata["optimizer.step"] ?? "") ?? 0)
    }
  }
}
// end listing: checkpoint
