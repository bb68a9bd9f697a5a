import HigherOrder
import Scalar

/// Mini-batches of in-memory examples: inputs `[n, …]` with one integer label each,
/// shuffled each epoch by a seeded generator.
public final class DataLoader {
  /// One mini-batch.
  public struct Batch {
    /// The inputs, `[batch, …]`.
    public let inputs: Tensor
    /// The labels, one per input row.
    public let labels: [Int]
  }

  /// All inputs, `[n, …]`.
  public let inputs: Tensor
  /// All labels.
  public let labels: [Int]
  /// The examples per batch.
  public let batchSize: Int
  /// Whether each epoch visits the examples in a new random order.
  public let shuffle: Bool
  /// Whether a last, smaller batch is dropped.
  public let dropLast: Bool
  /// The source of the orders; seeded, so runs repeat.
  var generator: SeededGenerator

  /// A loader over `inputs` (first axis: examples) and `labels`.
  public init(
    inputs: Tensor, labels: [Int], batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
    seed: UInt64 = 0
  ) throws {
    guard inputs.rank >= 1, inputs.shape[0] == labels.count, batchSize > 0 else {
      throw TensorError(
        "DataLoader",
        "inputs of shape \(inputs.shape) with \(labels.count) labels and batch size \(batchSize)")
    }
    self.inputs = inputs.contiguous()
    self.labels = labels
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.dropLast = dropLast
    generator = SeededGenerator(seed: seed)
  }

  /// The number of batches in an epoch.
  public var batchCount: Int {
    dropLast ? labels.count / batchSize : (labels.count + batchSize - 1) / batchSize
  }

  // listing: data-loader
  /// The example indices of each batch of the next epoch: a permutation (when shuffling),
  /// cut into runs of `batchSize`, the last run shorter unless dropped.
  public func nextEpochIndices() -> [[Int]] {
    // exercise 5.7: A DataLoader epoch
    var order = Array(0..<labels.count)
    if shuffle { order.shuffle(using: &generator) }
    return stride(from: 0, to: order.count, by: batchSize).compactMap { start in
      let end = Swift.min(start + batchSize, order.count)
      if dropLast && end - start < batchSize { return nil }
      return Array(order[start..<end])
    }
    // end exercise 5.7
  }
  // end listing: data-loader

  /// The batches of the next epoch, gathered one at a time as they are iterated.
  public func nextEpoch() -> some Sequence<Batch> {
    nextEpochIndices().lazy.map { self.batch($0) }
  }

  /// The examples at `indices`, copied row by row into one batch.
  public func batch(_ indices: [Int]) -> Batch {
    // The indices come from this loader's own order, so they are in range.
    let batch = try! inputs.gatheringRows(indices)
    return Batch(inputs: batch, labels: indices.map { labels[$0] })
  }
}
