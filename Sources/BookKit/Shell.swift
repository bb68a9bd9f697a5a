import Foundation

/// Runs a program and collects what it prints.
public enum Shell {
  /// The result of a finished process.
  public struct Result: Sendable {
    /// The exit status (128 + signal number when it was killed by a signal).
    public var status: Int32
    /// Standard output and standard error, interleaved as they came.
    public var output: String
    /// Whether the process ended by a signal (a trap, for instance).
    public var crashed: Bool
    /// Whether it was stopped for running longer than its time limit.
    public var timedOut: Bool = false
  }

  /// Runs `arguments` (looked up on PATH) in `directory`, capturing its output.
  ///
  /// When `echo` is true the output is also passed through to this process's output; a
  /// process still running after `timeLimit` seconds is terminated.
  public static func run(
    _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
    echo: Bool = false, timeLimit: Double? = nil
  ) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let timer = Timer(process: process, seconds: timeLimit)
    var collected = Data()
    let handle = pipe.fileHandleForReading
    while true {
      let chunk = handle.availableData
      if chunk.isEmpty { break }
      collected.append(chunk)
      if echo { FileHandle.standardOutput.write(chunk) }
    }
    process.waitUntilExit()
    let crashed = process.terminationReason == .uncaughtSignal
    return Result(
      status: crashed ? 128 + process.terminationStatus : process.terminationStatus,
      output: String(decoding: collected, as: UTF8.self), crashed: crashed,
      timedOut: timer.fired)
  }

  /// Terminates a process that runs past its time limit.
  private final class Timer: @unchecked Sendable {
    private let lock = NSLock()
    private var didFire = false
    var fired: Bool { lock.withLock { didFire } }

    init(process: Process, seconds: Double?) {
      guard let seconds else { return }
      DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
        guard process.isRunning else { return }
        lock.withLock { didFire = true }
        process.terminate()
      }
    }
  }
}

/// Prints a line straight to standard output, unbuffered, so it stays in order with the
/// output of the programs the tool runs.
public func say(_ line: String = "") {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
