// swift-tools-version:6.2
// 6.2: SwiftPM accepts a dependency's unsafe flags (the optimizer settings below) when it is
// depended on by version, so other packages can use Gradbook with `from:`.
import PackageDescription

/// The book's chapters, in reading order. The folder `Chapters/NAME` holds the chapter's text
/// (README.md, which opens with `# Chapter N — Title`) and its program, `chNAME`, built on
/// `stage`; the book tool finds the chapters in the same folders. Adding a chapter is a
/// folder and a line here.
let chapters: [(name: String, stage: String)] = [
  ("01-scalar", "Scalar"),
  ("02-tensors", "Tensors"),
  ("03-broadcasting", "Broadcasting"),
  ("04-higher-order", "HigherOrder"),
  ("05-nn", "NN"),
  ("06-cnn", "CNN"),
]

// Gradbook: one package, one library target per stage of the book, plus the support
// targets that keep the stages honest (OpenBLAS, figures) and the book's own tool.
let package = Package(
  name: "Gradbook",
  // Linux is what the book describes and what is tested; on macOS the stages need macOS 15
  // (Atomic and Mutex, from the Synchronization module).
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "Scalar", targets: ["Scalar"]),
    .library(name: "Tensors", targets: ["Tensors"]),
    .library(name: "Broadcasting", targets: ["Broadcasting"]),
    .library(name: "HigherOrder", targets: ["HigherOrder"]),
    .library(name: "NN", targets: ["NN"]),
    .library(name: "CNN", targets: ["CNN"]),
    .executable(name: "gradbook", targets: ["GradbookTool"]),
    .executable(name: "gradbook-bench", targets: ["GradbookBench"]),
    .executable(name: "gradbook-difftest", targets: ["GradbookDifftest"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
  ],
  targets: [
    // System and support targets.
    .systemLibrary(
      name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .target(name: "Figures"),
    // The few kernels that pick AVX-512, AVX2 or the baseline when the program runs (x86-64):
    // single-precision GEMM and tanh. Optimized in debug builds too (the tests multiply).
    .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),
    // Data files: search, download, gzip and SHA-256 checks (MNIST, tiny-Shakespeare).
    // Optimized in debug builds too: hashing 55 MB of MNIST unoptimized takes 25 s.
    .target(
      name: "DataFiles", dependencies: ["CZlib"],
      swiftSettings: [.unsafeFlags(["-O", "-enforce-exclusivity=unchecked"])]),

    // Stage 1: scalar reverse-mode autodiff.
    .target(
      name: "Scalar", dependencies: ["Figures"],
      swiftSettings: [
        .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
      ]),

    // Stage 2: tensors, views, kernels, BLAS matmul and the tape.
    .target(
      name: "Tensors", dependencies: ["Scalar", "CBLAS", "CKernels", "Figures"],
      swiftSettings: [
        .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
      ]),

    // Stage 3: broadcasting, composed from stage 2's operations.
    .target(name: "Broadcasting", dependencies: ["Tensors"]),

    // Stage 4: higher-order gradients: recorded backward and the functional API.
    .target(name: "HigherOrder", dependencies: ["Broadcasting", "Scalar"]),

    // Stage 5: modules, losses, optimizers, data and checkpoints.
    .target(
      name: "NN", dependencies: ["HigherOrder", "Scalar", "DataFiles"],
      swiftSettings: [
        // -fno-math-errno: squareRoot() then compiles to one instruction with no errno
        // branch, and the optimizers' loops vectorize.
        .unsafeFlags(
          ["-enforce-exclusivity=unchecked", "-Xcc", "-fno-math-errno"],
          .when(configuration: .release))
      ]),

    // Stage 6: convolutions, pooling and batch normalization.
    .target(name: "CNN", dependencies: ["NN"]),

    // The book's tool: listings, workbook, gradebook, site.
    .target(name: "BookKit"),
    .executableTarget(
      name: "GradbookTool",
      dependencies: [
        "BookKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // Benchmarks (`make bench`, release builds only).
    .executableTarget(
      name: "GradbookBench",
      dependencies: [
        "Scalar", "Broadcasting", "HigherOrder", "NN", "CNN", "CBLAS", "CKernels",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // The differential test against PyTorch (`make difftest`): random programs and
    // Gradbook's answers, for Tests/Difftest/replay_in_torch.py to check.
    .executableTarget(
      name: "GradbookDifftest",
      dependencies: [
        "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // What every chapter's program shares: its options (quick mode, the output folder).
    .target(
      name: "ChapterSupport",
      dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]),

    // Tests mirror the sources.
    .testTarget(name: "CBLASTests", dependencies: ["CBLAS"]),
    .testTarget(name: "ScalarTests", dependencies: ["Scalar"]),
    .testTarget(name: "TensorsTests", dependencies: ["Tensors", "Scalar", "TestSupport"]),
    .target(
      name: "TestSupport", dependencies: ["Broadcasting", "Scalar"], path: "Tests/TestSupport"),
    .testTarget(
      name: "BroadcastingTests",
      dependencies: [
        "Broadcasting", "TestSupport",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ]),
    .testTarget(name: "HigherOrderTests", dependencies: ["HigherOrder", "TestSupport"]),
    .testTarget(name: "DataFilesTests", dependencies: ["DataFiles"]),
    .testTarget(name: "NNTests", dependencies: ["NN", "TestSupport"]),
    .testTarget(name: "CNNTests", dependencies: ["CNN", "TestSupport"]),
    .testTarget(name: "BookKitTests", dependencies: ["BookKit"]),
    .testTarget(
      name: "ChapterSupportTests",
      dependencies: [
        "ChapterSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // The README's examples: compiled against the public products, run as tests.
    .testTarget(name: "ExamplesTests", dependencies: ["NN", "Scalar"]),
  ]
)

package.targets += chapters.map { chapter in
  .executableTarget(
    name: "ch\(chapter.name)",
    // A chapter uses its stage, and Scalar for its seeded generator (stage 1 is Scalar).
    dependencies: Array(Set([chapter.stage, "Scalar", "Figures", "ChapterSupport"])).sorted().map {
      Target.Dependency.target(name: $0)
    } + [.product(name: "ArgumentParser", package: "swift-argument-parser")],
    path: "Chapters/\(chapter.name)",
    exclude: ["README.md", "mistakes.json"])
}
