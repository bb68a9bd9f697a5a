// listing: conv2d-module
/// A 2-d convolution layer: `y = conv2d(x, W) + b` with `W` of shape
/// `[out, in/groups, kh, kw]`, like PyTorch's `nn.Conv2d`.
///
/// Initialized like PyTorch: weight and bias uniform in ±1/√fan-in, fan-in = in/groups·kh·kw
/// (Kaiming uniform with a = √5 works out to exactly that bound).
public final class Conv2d: Module {
  /// The kernels, `[outChannels, inChannels/groups, kh, kw]`.
  public let weight: Tensor
  /// The bias, `[outChannels]` (nil without one).
  public let bias: Tensor?
  /// The windows' stride, padding and dilation.
  public let stride: Size2D, padding: Size2D, dilation: Size2D
  /// The number of channel groups.
  public let groups: Int

  /// A layer from `inChannels` to `outChannels` with `kernel`-sized kernels, initialized
  /// from `generator`; throws for sizes that are not positive or groups that do not divide
  /// both channel counts.
  public init(
    _ inChannels: Int, _ outChannels: Int, kernel: Size2D, stride: Size2D = 1,
    padding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1, bias hasBias: Bool = true,
    dtype: DType = .default, using generator: inout some RandomNumberGenerator
  ) throws {
    guard inChannels > 0, outChannels > 0, kernel.height > 0, kernel.width > 0, groups > 0,
      inChannels % groups == 0, outChannels % groups == 0
    else {
      throw TensorError(
        "Conv2d",
        "\(inChannels) → \(outChannels) channels, kernel \(kernel), groups \(groups): sizes "
          + "must be positive and groups must divide both channel counts")
    }
    let fanIn = inChannels / groups * kernel.height * kernel.width
    let bound = 1 / Double(fanIn).squareRoot()
    weight = Tensor.rand(
      [outChannels, inChannels / groups, kernel.height, kernel.width], in: -bound...bound,
      dtype: dtype, using: &generator)
    weight.requiresGrad = true
    bias =
      hasBias
      ? Tensor.rand([outChannels], in: -bound...bound, dtype: dtype, using: &generator) : nil
    bias?.requiresGrad = true
    (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    try x.conv2d(
      weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
      groups: groups)
  }
}
// end listing: conv2d-module

/// Max pooling over windows of each channel (`stride` defaults to the kernel).
public final class MaxPool2d: Module {
  /// The window, its stride and padding.
  public let kernel: Size2D, stride: Size2D?, padding: Size2D

  /// Max pooling over `kernel`-sized windows moved by `stride` (default: the kernel).
  public init(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0) {
    (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    try x.maxPool2d(kernel: kernel, stride: stride, padding: padding)
  }
}

/// Average pooling over windows of each channel (`stride` defaults to the kernel).
public final class AvgPool2d: Module {
  /// The window, its stride and padding.
  public let kernel: Size2D, stride: Size2D?, padding: Size2D

  /// Average pooling over `kernel`-sized windows moved by `stride` (default: the kernel).
  public init(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0) {
    (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    try x.avgPool2d(kernel: kernel, stride: stride, padding: padding)
  }
}

// listing: batch-norm-module
/// Batch normalization of each channel of `[N, C, H, W]` inputs, like PyTorch's
/// `nn.BatchNorm2d`: a learned scale (`weight`, ones) and shift (`bias`, zeros), and running
/// statistics (buffers) that training updates and evaluation uses.
public final class BatchNorm2d: Module {
  /// The scale γ, `[C]`.
  public let weight: Tensor
  /// The shift β, `[C]`.
  public let bias: Tensor
  /// The running mean, `[C]` (a buffer; starts at 0).
  public let runningMean: Tensor
  /// The running unbiased variance, `[C]` (a buffer; starts at 1).
  public let runningVariance: Tensor
  /// How many training batches updated the running statistics (an int64 buffer).
  public let batchesTracked: Tensor
  /// The weight of each new batch in the running statistics.
  public let momentum: Double
  /// Added to the variance before its square root.
  public let epsilon: Double

  /// Batch normalization of `channels` channels.
  public init(
    _ channels: Int, momentum: Double = 0.1, epsilon: Double = 1e-5, dtype: DType = .default
  ) throws {
    guard channels > 0, (0...1).contains(momentum), epsilon >= 0 else {
      throw TensorError(
        "BatchNorm2d",
        "\(channels) channels, momentum \(momentum), epsilon \(epsilon): channels must be "
          + "positive, momentum in [0, 1], epsilon not negative")
    }
    weight = Tensor.ones([channels], dtype: dtype)
    weight.requiresGrad = true
    bias = Tensor.zeros([channels], dtype: dtype)
    bias.requiresGrad = true
    runningMean = Tensor.zeros([channels], dtype: dtype)
    runningVariance = Tensor.ones([channels], dtype: dtype)
    batchesTracked = try Tensor(integers: [0], shape: [])
    (self.momentum, self.epsilon) = (momentum, epsilon)
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    guard x.rank == 4 else {
      throw TensorError("BatchNorm2d", "expected a [N, C, H, W] input, got \(x.shape)")
    }
    let y = try x.batchNorm(
      runningMean: runningMean, runningVariance: runningVariance, weight: weight, bias: bias,
      training: isTraining, momentum: momentum, epsilon: epsilon)
    if isTraining {
      try batchesTracked.update(
        to: Tensor(integers: [batchesTracked.integers()[0] + 1], shape: []))
    }
    return y
  }
}
// end listing: batch-norm-module

/// Flattens every axis from `startAxis` on into one: `[N, C, H, W]` → `[N, C·H·W]`.
public final class Flatten: Module {
  /// The first axis flattened (1: keep the batch axis).
  public let startAxis: Int

  /// Flattens from `startAxis` (default 1) to the last axis.
  public init(startAxis: Int = 1) { self.startAxis = startAxis }

  public override func forward(_ x: Tensor) throws -> Tensor {
    guard (0...x.rank).contains(startAxis) || x.rank == 0 else {
      throw TensorError("Flatten", "start axis \(startAxis) for an input of shape \(x.shape)")
    }
    return try x.reshaped(Array(x.shape.prefix(startAxis)) + [-1])
  }
}
