import ArgumentParser
import Foundation
import Testing

@testable import ChapterSupport

@Suite("Chapter options: what every chapter's program takes")
struct ChapterOptionsTests {
  @Test("quick by default; --no-quick and --output are parsed")
  func parsing() throws {
    let defaults = try ChapterOptions.parse([])
    #expect(defaults.quick && defaults.output == nil)
    let full = try ChapterOptions.parse(["--no-quick", "--output", "figures/here"])
    #expect(!full.quick && full.outputFolder == "figures/here")
  }

  @Test("the default folder is named after the program")
  func defaultFolder() {
    #expect(ChapterOptions.chapterFolder(program: "/x/release/ch02-tensors") == "02-tensors")
    #expect(ChapterOptions.chapterFolder(program: "ch05-nn") == "05-nn")
  }

  @Test("a chapter's command is named after its program")
  func commandName() {
    let configuration = CommandConfiguration.chapter("Chapter 9: a test.")
    #expect(configuration.abstract == "Chapter 9: a test.")
    #expect(
      configuration.commandName
        == URL(fileURLWithPath: CommandLine.arguments[0]).lastPathComponent)
  }

  /// A chapter program as the chapters write one.
  struct Chapter9: ChapterProgram {
    static let summary = "Chapter 9: a test."
    @OptionGroup var options: ChapterOptions
    @Option(help: "Steps.") var steps = 3
  }

  @Test("a chapter program is configured from its summary and parses its own and shared options")
  func chapterProgram() throws {
    #expect(Chapter9.configuration.abstract == "Chapter 9: a test.")
    #expect(
      Chapter9.configuration.commandName
        == URL(fileURLWithPath: CommandLine.arguments[0]).lastPathComponent)
    let parsed = try Chapter9.parse(["--no-quick", "--steps", "7"])
    #expect(!parsed.options.quick && parsed.steps == 7)
    #expect(Chapter9.helpMessage().contains("Chapter 9: a test."))
  }
}
