// swift-tools-version:6.2
// A package that depends on Gradbook by version, as another project would (`make
// package-check` copies it to .build/package-check and fills in the URL of a tagged clone).
import PackageDescription

let package = Package(
  name: "Consumer",
  platforms: [.macOS(.v15)],
  dependencies: [.package(url: "GRADBOOK_URL", from: "1.0.0")],
  targets: [
    .executableTarget(
      name: "Consumer",
      dependencies: [
        .product(name: "CNN", package: "gradbook"), .product(name: "Scalar", package: "gradbook"),
      ])
  ]
)
