/// A data or checkpoint file that could not be used: which file, and what was wrong.
public struct DataFileError: Error, CustomStringConvertible, Equatable {
  /// The file's path (or name).
  public let file: String
  /// What was wrong with it.
  public let problem: String

  /// Creates an error about `file`.
  public init(file: String, problem: String) {
    self.file = file
    self.problem = problem
  }

  /// The file, then the problem.
  public var description: String { "\(file): \(problem)" }
}
