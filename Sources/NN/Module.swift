@_exported import HigherOrder

// listing: module
/// A piece of a model: its stored tensors are its state, its stored modules its children.
///
/// Like PyTorch's `nn.Module`, a subclass only declares properties; parameters are
/// discovered by walking them (with `Mirror`), so a model never lists its own weights:
///
///     final class Net: Module {
///       let layers = [Linear(784, 128, using: &g), Linear(128, 10, using: &g)]
///     }                                 // parameters: layers.0.weight, layers.0.bias, …
///
/// Stored tensors that require gradients are *parameters*; other stored tensors are
/// *buffers* (state that is saved but not trained, such as running statistics).
open class Module {
  /// Training mode (the default) or evaluation mode; dropout and batch norm differ.
  public private(set) var isTraining = true

  /// Creates a module in training mode.
  public init() {}

  /// The module applied to `input`; subclasses override it.
  open func forward(_ input: Tensor) throws -> Tensor {
    throw TensorError("\(type(of: self)).forward", "this module does not override forward(_:)")
  }

  /// The module applied to `input`: `model(x)`.
  public func callAsFunction(_ input: Tensor) throws -> Tensor { try forward(input) }
}
// end listing: module

extension Module {
  /// Every stored tensor of this module and its descendants, with dotted names in
  /// declaration order (`layers.0.weight`), each tensor once.
  public func namedTensors() -> [(name: String, tensor: Tensor)] {
    var result: [(name: String, tensor: Tensor)] = []
    var seen = Set<ObjectIdentifier>()
    walk(prefix: "") { name, value in
      if let tensor = value as? Tensor, seen.insert(ObjectIdentifier(tensor)).inserted {
        result.append((name, tensor))
      }
    }
    return result
  }

  /// The parameters (stored tensors that require gradients), named.
  public func namedParameters() -> [(name: String, tensor: Tensor)] {
    namedTensors().filter { $0.tensor.requiresGrad }
  }

  /// The parameters, in the order of `namedParameters()`.
  public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

  /// The number of trainable numbers.
  public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

  /// This module and every module below it, named (`""` for this one).
  public func namedModules() -> [(name: String, module: Module)] {
    var result: [(name: String, module: Module)] = [("", self)]
    walk(prefix: "") { name, value in
      if let module = value as? Module { result.append((name, module)) }
    }
    return result
  }

  /// Switches this module and all below it to training mode.
  public func train() { namedModules().forEach { $0.module.isTraining = true } }

  /// Switches this module and all below it to evaluation mode (dropout off, batch norm
  /// uses its running statistics).
  public func eval() { namedModules().forEach { $0.module.isTraining = false } }

  /// Forgets every parameter's gradient.
  public func zeroGrad() { parameters().forEach { $0.zeroGrad() } }

  // listing: module-walk
  /// Calls `visit` with the name and value of every stored tensor and module below this
  /// one, depth first: a module's own properties, then its children's.
  func walk(prefix: String, _ visit: (String, Any) -> Void) {
    var mirror: Mirror? = Mirror(reflecting: self)
    var properties: [(String, Any)] = []
    while let current = mirror {  // a subclass's properties, then its superclass's
      properties = current.children.map { ($0.label ?? "", $0.value) } + properties
      mirror = current.superclassMirror
    }
    for (label, value) in properties {
      let name = prefix + label
      if let module = value as? Module {
        visit(name, module)
        module.walk(prefix: name + ".", visit)
      } else if let tensor = value as? Tensor {
        visit(name, tensor)
      } else if let modules = value as? [Module] {
        for (index, module) in modules.enumerated() {
          visit("\(name).\(index)", module)
          module.walk(prefix: "\(name).\(index).", visit)
        }
      } else if let tensors = value as? [Tensor] {
        for (index, tensor) in tensors.enumerated() { visit("\(name).\(index)", tensor) }
      }
    }
  }
  // end listing: module-walk
}
