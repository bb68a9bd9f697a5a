import Foundation

/// The book's frame: its title (`book/book.json`) and its chapters, one per folder
/// `Chapters/NN-name` (the manifest builds their programs from the same folders).
public struct BookConfig: Codable, Sendable {
  /// One chapter: its folder under `Chapters/`, title and executable.
  public struct Chapter: Codable, Sendable, Equatable {
    /// The chapter number.
    public var number: Int
    /// The folder under `Chapters/`, such as `01-scalar`.
    public var folder: String
    /// The chapter's title.
    public var title: String
    /// The chapter's executable product, such as `ch01-scalar`.
    public var executable: String
  }

  /// The book's title.
  public var title: String
  /// The line under the title.
  public var subtitle: String
  /// The chapters, in reading order (read from the folders, not from `book.json`).
  public var chapters: [Chapter] = []
  /// Where the sources can be read on the forge, such as
  /// `https://example.org/gradbook/blob/main/` (optional): listing captions link there too.
  public var sourceURL: String? = nil

  enum CodingKeys: String, CodingKey { case title, subtitle, sourceURL }

  /// Reads `book/book.json` under `root`, and the chapters from `Chapters/`.
  public static func load(root: URL) throws -> BookConfig {
    let url = root.appendingPathComponent("book/book.json")
    var config: BookConfig
    do {
      config = try JSONDecoder().decode(BookConfig.self, from: Data(contentsOf: url))
    } catch {
      throw BookError("\(url.path): cannot read the book's frame: \(error)")
    }
    config.chapters = try chapters(in: root)
    return config
  }

  /// The chapters under `root/Chapters`: each folder `NN-name` whose README.md opens with
  /// `# Chapter N — Title`, in order of N; its program is `chNN-name`.
  public static func chapters(in root: URL) throws -> [Chapter] {
    let folder = root.appendingPathComponent("Chapters")
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    var chapters: [Chapter] = []
    for name in names
    where name.range(of: #"^[0-9]{2}-[a-z0-9-]+$"#, options: .regularExpression) != nil {
      let readme = folder.appendingPathComponent(name).appendingPathComponent("README.md")
      let firstLine =
        (try? String(contentsOf: readme, encoding: .utf8))?
        .split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
      let heading = #/^# Chapter (\d+) — (.+)$/#
      guard let match = firstLine.wholeMatch(of: heading), let number = Int(match.1),
        number == Int(name.prefix(2))
      else {
        throw BookError(
          "\(readme.path): a chapter's README.md opens with `# Chapter \(Int(name.prefix(2)) ?? 0) — "
            + "Title`, found `\(firstLine)`")
      }
      chapters.append(
        Chapter(number: number, folder: name, title: String(match.2), executable: "ch" + name))
    }
    return chapters
  }
}

/// Runs the chapters, renders the site with pandoc, and checks it.
public enum Site {
  /// The site folder, `book/site`.
  public static func folder(root: URL) -> URL { root.appendingPathComponent("book/site") }

  /// Runs every chapter's executable (already built, found in `binPath`) in its quick mode,
  /// writing its figures to `site/FOLDER/figures/` and its output to `site/FOLDER/output.txt`.
  public static func runChapters(
    _ config: BookConfig, root: URL, binPath: URL, extraArguments: [String] = []
  ) throws {
    for chapter in config.chapters {
      let out = folder(root: root).appendingPathComponent(chapter.folder)
      try FileManager.default.createDirectory(
        at: out.appendingPathComponent("figures"), withIntermediateDirectories: true)
      say("── \(chapter.executable) ──")
      let result = try Shell.run(
        [
          // A path relative to the package root (where it runs), so that the output the
          // chapters quote names no machine's folders.
          binPath.appendingPathComponent(chapter.executable).path, "--quick", "--output",
          "book/site/\(chapter.folder)/figures",
        ] + extraArguments,
        in: root, echo: true)
      guard result.status == 0 else {
        throw BookError(
          "\(chapter.executable) failed with exit status \(result.status); its output is above")
      }
      try result.output.write(
        to: out.appendingPathComponent("output.txt"), atomically: true, encoding: .utf8)
    }
  }

  /// Renders every chapter and the index page to HTML with pandoc.
  public static func render(_ config: BookConfig, root: URL) throws {
    let site = folder(root: root)
    let fm = FileManager.default
    try fm.createDirectory(at: site, withIntermediateDirectories: true)
    let style = site.appendingPathComponent("style.css")
    if fm.fileExists(atPath: style.path) { try fm.removeItem(at: style) }
    try fm.copyItem(at: root.appendingPathComponent("book/style.css"), to: style)
    let template = root.appendingPathComponent("book/template.html").path
    let filter = root.appendingPathComponent("book/links.lua").path

    // The index: the book's front page and its table of contents.
    var toc = ""
    for chapter in config.chapters {
      toc += "\(chapter.number). [\(chapter.title)](\(chapter.folder)/index.html)\n"
    }
    let front = try String(
      contentsOf: root.appendingPathComponent("book/index.md"), encoding: .utf8)
    let indexSource = site.appendingPathComponent("index.md")
    try (front.replacingOccurrences(of: "{{toc}}", with: toc)).write(
      to: indexSource, atomically: true, encoding: .utf8)
    try pandoc(
      input: [indexSource.path], output: site.appendingPathComponent("index.html").path,
      template: template, filter: filter,
      variables: ["book-title": config.title, "root": ".", "pagetitle": config.title],
      root: root)

    let project = try Project(root: root)
    for (i, chapter) in config.chapters.enumerated() {
      let out = site.appendingPathComponent(chapter.folder)
      try fm.createDirectory(at: out, withIntermediateDirectories: true)
      let file = "Chapters/\(chapter.folder)/README.md"
      let annotated = out.appendingPathComponent("chapter.md")
      try annotatedChapter(
        try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8), file: file,
        project: project, sourceURL: config.sourceURL
      ).write(to: annotated, atomically: true, encoding: .utf8)
      var inputs = [annotated.path]
      let outputFile = out.appendingPathComponent("output.txt")
      if let output = try? String(contentsOf: outputFile, encoding: .utf8) {
        let section = out.appendingPathComponent("program-output.md")
        try """

        ## Program output {#program-output}

        What `\(chapter.executable) --quick` printed when this page was built:

        ```text
        \(output.trimmingCharacters(in: .whitespacesAndNewlines))
        ```

        """.write(to: section, atomically: true, encoding: .utf8)
        inputs.append(section.path)
      }
      var variables = [
        "book-title": config.title, "root": "..",
        "pagetitle": "\(chapter.number). \(chapter.title) — \(config.title)",
      ]
      if i > 0 {
        let previous = config.chapters[i - 1]
        variables["prev-url"] = "../\(previous.folder)/index.html"
        variables["prev-title"] = "\(previous.number). \(previous.title)"
      }
      if i + 1 < config.chapters.count {
        let next = config.chapters[i + 1]
        variables["next-url"] = "../\(next.folder)/index.html"
        variables["next-title"] = "\(next.number). \(next.title)"
      }
      let page = out.appendingPathComponent("index.html")
      try pandoc(
        input: inputs, output: page.path,
        template: template, filter: filter, variables: variables, root: root,
        resourcePath: root.appendingPathComponent("Chapters/\(chapter.folder)").path)
      try enlargeableFigures(try String(contentsOf: page, encoding: .utf8))
        .write(to: page, atomically: true, encoding: .utf8)
    }
    // The listed source files, as plain text the captions link to.
    let listed = Set(project.regions.filter { $0.value.contains { $0.kind == .listing } }.keys)
    for file in listed {
      let target = site.appendingPathComponent("sources/\(file).txt")
      try fm.createDirectory(
        at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
      try project.sourceLines[file]!.joined(separator: "\n")
        .write(to: target, atomically: true, encoding: .utf8)
    }
  }

  /// A chapter's Markdown as the site shows it: each listing captioned with its file and
  /// lines (linked to a plain-text copy in the site, and to the forge when `sourceURL` is
  /// set), and each exercise the listing stubs followed by its reference solution in a
  /// collapsed "Show the answer" block — when this edition has one (a reader edition's
  /// site shows the reader's own code, or nothing for a stub).
  public static func annotatedChapter(
    _ text: String, file: String, project: Project, sourceURL: String?
  ) throws -> String {
    var lines = text.components(separatedBy: "\n")
    for ref in try Listings.references(in: text, file: file).reversed() {
      guard let regions = project.regions[ref.sourceFile],
        let region = regions.first(where: { $0.kind == .listing && $0.name == ref.name }),
        let source = project.sourceLines[ref.sourceFile]
      else { continue }
      var answers: [String] = []
      for exercise in regions
      where exercise.kind == .exercise && exercise.begin > region.begin
        && exercise.end < region.end
      {
        let body = Array(source[(exercise.begin + 1)..<exercise.end])
        guard body != RegionParser.stub(for: exercise) else { continue }
        answers +=
          [
            "", "<details class=\"answer\">",
            "<summary>Show the answer to exercise \(exercise.name): \(exercise.title)</summary>",
            "",
            "```swift",
          ] + Listings.dedent(body) + ["```", "", "</details>"]
      }
      lines.insert(contentsOf: answers, at: ref.fenceClose + 1)
      let depth = "../"
      var caption =
        "<p class=\"listing-caption\"><a href=\"\(depth)sources/\(ref.sourceFile).txt\" "
        + "title=\"The whole file as this edition has it (the reference edition's holds the "
        + "solutions)\">\(ref.sourceFile)</a>, lines \(region.begin + 2)–\(region.end)"
      if let sourceURL {
        caption +=
          " · <a href=\"\(sourceURL)\(ref.sourceFile)#L\(region.begin + 2)-L\(region.end)\">"
          + "on the forge</a>"
      }
      caption += "</p>"
      lines.insert(contentsOf: [caption, ""], at: ref.markerLine)
    }
    return lines.joined(separator: "\n")
  }

  /// The page with every figure's image wrapped in a link to itself, so that a drawing too
  /// large for the column opens full size with a click.
  static func enlargeableFigures(_ html: String) -> String {
    let image = try! NSRegularExpression(pattern: #"(<figure>\s*)(<img src="([^"]+)"[^>]*>)"#)
    return image.stringByReplacingMatches(
      in: html, range: NSRange(html.startIndex..., in: html),
      withTemplate: #"$1<a class="enlarge" href="$3" title="Open the full-size figure">$2</a>"#)
  }

  static func pandoc(
    input: [String], output: String, template: String, filter: String,
    variables: [String: String], root: URL, resourcePath: String? = nil
  ) throws {
    var arguments = [
      "pandoc", "--from", "markdown+tex_math_dollars", "--to", "html5", "--standalone",
      "--mathml", "--highlight-style", "pygments", "--template", template, "--lua-filter",
      filter, "--toc", "--toc-depth", "2", "--output", output,
    ]
    for (key, value) in variables.sorted(by: { $0.key < $1.key }) {
      arguments += ["--variable", "\(key)=\(value)"]
    }
    if let resourcePath { arguments += ["--resource-path", resourcePath] }
    let result = try Shell.run(arguments + input, in: root)
    guard result.status == 0 else {
      throw BookError("pandoc failed on \(input.joined(separator: ", ")): \(result.output)")
    }
  }

  /// Every local link and image of the site's HTML that does not resolve.
  public static func brokenLinks(site: URL) throws -> [String] {
    let pattern = try NSRegularExpression(pattern: #"(?:href|src)="([^"]*)""#)
    var broken: [String] = []
    let pages = try Project.files(under: ["."], root: site, ext: "html")
    guard !pages.isEmpty else { return ["\(site.path): no HTML pages (run `make book` first)"] }
    for page in pages {
      let url = site.appendingPathComponent(page)
      let html = try String(contentsOf: url, encoding: .utf8)
      for match in pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
        guard let range = Range(match.range(at: 1), in: html) else { continue }
        let target = String(html[range])
        if target.isEmpty || target.hasPrefix("#") || target.contains("://")
          || target.hasPrefix("mailto:") || target.hasPrefix("data:")
        {
          continue
        }
        let path = String(target.split(separator: "#", maxSplits: 1).first ?? "")
        let resolved = url.deletingLastPathComponent().appendingPathComponent(
          path.removingPercentEncoding ?? path)
        if !FileManager.default.fileExists(atPath: resolved.path) {
          broken.append("\(page): \(target) does not resolve")
        }
      }
    }
    return broken
  }

  /// Quoted output that the chapter's program did not print.
  ///
  /// A chapter quotes its program with a block right after `<!-- output: EXECUTABLE -->`;
  /// every non-blank line of that block must be a line the program printed in the run
  /// whose output is in `site/FOLDER/output.txt`.
  public static func staleQuotes(_ config: BookConfig, root: URL) throws -> [String] {
    let marker = try NSRegularExpression(pattern: #"^<!-- output: ([A-Za-z0-9_-]+) -->\s*$"#)
    var problems: [String] = []
    for chapter in config.chapters {
      let file = "Chapters/\(chapter.folder)/README.md"
      let lines = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
        .components(separatedBy: "\n")
      let outputURL = folder(root: root).appendingPathComponent("\(chapter.folder)/output.txt")
      guard let output = try? String(contentsOf: outputURL, encoding: .utf8) else {
        problems.append("\(outputURL.path) is missing: run the chapters first")
        continue
      }
      let printed = Set(
        output.components(separatedBy: "\n").map {
          $0.trimmingCharacters(in: .whitespaces)
        })
      var i = 0
      while i < lines.count {
        if let m = RegionParser.match(marker, lines[i]) {
          guard m[1] == chapter.executable else {
            problems.append(
              "\(file):\(i + 1): quotes \(m[1]), but this chapter's program is \(chapter.executable)"
            )
            i += 1
            continue
          }
          guard i + 1 < lines.count, lines[i + 1].hasPrefix("```"),
            let close = Listings.closingFence(lines, from: i + 1)
          else {
            problems.append("\(file):\(i + 1): output marker not followed by a ``` block")
            i += 1
            continue
          }
          for j in (i + 2)..<close {
            let quoted = lines[j].trimmingCharacters(in: .whitespaces)
            if !quoted.isEmpty, quoted != "…", !isPrinted(quoted, in: printed) {
              problems.append(
                "\(file):\(j + 1): the program did not print this line: \(quoted)")
            }
          }
          i = close + 1
        } else {
          i += 1
        }
      }
    }
    return problems
  }

  /// Whether a quoted line is one of the `printed` lines (each trimmed). A `…` inside a
  /// quoted line stands for any text: the prose elides digits that differ between machines,
  /// such as the last digits of a sum whose order the BLAS library picks for the CPU.
  static func isPrinted(_ quoted: String, in printed: Set<String>) -> Bool {
    guard quoted.contains("…") else { return printed.contains(quoted) }
    let pieces = quoted.components(separatedBy: "…")
    return printed.contains { line in
      guard line.hasPrefix(pieces[0]), line.hasSuffix(pieces[pieces.count - 1]),
        line.count >= pieces[0].count + pieces[pieces.count - 1].count
      else { return false }
      var rest = line.dropFirst(pieces[0].count).dropLast(pieces[pieces.count - 1].count)
      for piece in pieces.dropFirst().dropLast() {
        guard let found = rest.range(of: piece) else { return false }
        rest = rest[found.upperBound...]
      }
      return true
    }
  }
}
