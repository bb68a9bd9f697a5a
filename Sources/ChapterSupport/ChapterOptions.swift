import ArgumentParser
import Foundation

/// The options every chapter's program takes: quick mode, and where its figures go.
///
/// `make book` runs each program with `--quick --output` the book's folder for that chapter;
/// run by hand, a program writes to `.build/figures/NN-name/`, named after the program.
public struct ChapterOptions: ParsableArguments {
  /// Quick mode (the default): the chapter's shorter run, done in seconds.
  @Flag(
    inversion: .prefixedNo,
    help: "Quick mode (the default): a shorter run, done in seconds; --no-quick for the full one.")
  public var quick = true

  /// The folder given with `--output`, if any.
  @Option(
    help: ArgumentHelp(
      "Where to write the figures and other files (default: .build/figures/NN-name).",
      valueName: "folder"))
  public var output: String?

  /// Creates the options with their defaults.
  public init() {}

  /// Where this program writes its figures: `--output`, or `.build/figures/NN-name` for the
  /// program `chNN-name`.
  public var outputFolder: String {
    output ?? ".build/figures/" + Self.chapterFolder(program: CommandLine.arguments[0])
  }

  /// `02-tensors` for the program `…/ch02-tensors`.
  static func chapterFolder(program path: String) -> String {
    let name = URL(fileURLWithPath: path).lastPathComponent
    return name.hasPrefix("ch") ? String(name.dropFirst(2)) : name
  }
}

extension CommandConfiguration {
  /// A chapter program's configuration: named after the program itself (`ch01-scalar`,
  /// whatever folder it runs from), so a chapter writes only what it does.
  public static func chapter(_ abstract: String) -> CommandConfiguration {
    CommandConfiguration(
      commandName: URL(fileURLWithPath: CommandLine.arguments[0]).lastPathComponent,
      abstract: abstract)
  }
}

/// A chapter's program: a command configured from its one-line summary and named after the
/// program itself, so a chapter writes only what it does and which options it adds.
public protocol ChapterProgram: ParsableCommand {
  /// What the program does, for `--help`: "Chapter 1: …".
  static var summary: String { get }
}

extension ChapterProgram {
  /// `CommandConfiguration.chapter(summary)`.
  public static var configuration: CommandConfiguration { .chapter(summary) }
}
