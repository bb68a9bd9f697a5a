@_exported import NN

extension Tensor {
  // listing: conv2d
  /// The 2-d cross-correlation of this `[N, C, H, W]` tensor with `weight` of shape
  /// `[O, C/groups, kh, kw]`, plus `bias` of shape `[O]`: PyTorch's `conv2d` (no kernel flip).
  ///
  /// With `groups` g, the channels split into g groups and output group i sees only input
  /// group i. The output is `[N, O, oh, ow]` with oh = ⌊(H + 2p − d(kh − 1) − 1)/s⌋ + 1.
  /// Computed as one matrix product per group with the input's windows as columns (im2col);
  /// at stride 1 without dilation or groups, in Float32 on a CPU with AVX-512, the same sums
  /// are computed directly, without writing the columns.
  ///
  /// Its VJP is written with convolutions: x̄ is the transposed convolution of ȳ with the
  /// same weight, and W̄ correlates x's windows with ȳ — so it is differentiable again.
  public func conv2d(
    weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1, padding: Size2D = 0,
    dilation: Size2D = 1, groups: Int = 1
  ) throws -> Tensor {
    let x = self
    let size = try imageSize(op: "conv2d")
    let windows = try Self.convolutionWindows(
      "conv2d", input: shape, weight: weight, bias: bias, dtype: dtype, groups: groups,
      inputChannelsPerGroup: weight.rank == 4 ? weight.shape[1] : 0,
      outputChannels: weight.rank == 4 ? weight.shape[0] : 0, stride: stride,
      padding: padding, dilation: dilation)
    try windows.validate(for: size, op: "conv2d")
    let y = try plainly { try Self.correlate(x, weight, bias, windows, groups: groups) }
    let inputs = [x, weight] + (bias.map { [$0] } ?? [])
    let outputShape = y.shape
    return y.recorded(
      "conv2d", inputs,
      jvp: { t, _ in
        try sumOfTerms([
          t[0].map {
            try $0.conv2d(
              weight: weight, stride: stride, padding: padding,
              dilation: dilation, groups: groups)
          },
          t[1].map {
            try x.conv2d(
              weight: $0, stride: stride, padding: padding,
              dilation: dilation, groups: groups)
          },
          t.count > 2
            ? t[2].map { try $0.reshaped([1, $0.count, 1, 1]).expand(to: outputShape) } : nil,
        ])
      }
    ) { g in
      // exercise 6.4: conv2d's VJP
      let gx =
        x.requiresGrad
        ? try g.convTranspose2d(
          weight: weight, stride: stride, padding: padding, dilation: dilation,
          groups: groups, outputSize: size) : nil
      let gw =
        weight.requiresGrad
        ? try Self.correlationWeightGradient(
          windowsOf: x, correlatedWith: g, windows, groups: groups, weightShape: weight.shape)
        : nil
      guard let bias else { return [gx, gw] }
      return [gx, gw, bias.requiresGrad ? try g.sum(axes: [0, 2, 3]) : nil]
      // end exercise 6.4
    }
  }
  // end listing: conv2d

  // listing: conv-transpose2d
  /// The transposed convolution of this `[N, C, H, W]` tensor with `weight` of shape
  /// `[C, O/groups, kh, kw]`, plus `bias` of shape `[O]`: PyTorch's `conv_transpose2d`, the
  /// adjoint of `conv2d` (each input pixel spreads a weighted copy of the kernel over the
  /// output, overlaps adding up). The output is `[N, O, oh, ow]` with
  /// oh = (H − 1)s − 2p + d(kh − 1) + 1 + outputPadding, or `outputSize` when given (any
  /// size the stride leaves ambiguous).
  ///
  /// Its VJP is written with `conv2d`, so it is differentiable again too.
  public func convTranspose2d(
    weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1, padding: Size2D = 0,
    outputPadding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1, outputSize: Size2D? = nil
  ) throws -> Tensor {
    let x = self
    let size = try imageSize(op: "convTranspose2d")
    let windows = try Self.convolutionWindows(
      "convTranspose2d", input: shape, weight: weight, bias: bias, dtype: dtype,
      groups: groups,
      inputChannelsPerGroup: weight.rank == 4 && groups > 0 ? weight.shape[0] / groups : 0,
      outputChannels: weight.rank == 4 ? weight.shape[1] * groups : 0, stride: stride,
      padding: padding, dilation: dilation)
    let natural = Size2D(
      (size.height - 1) * stride.height - 2 * padding.height
        + dilation.height * (windows.kernel.height - 1) + 1,
      (size.width - 1) * stride.width - 2 * padding.width
        + dilation.width * (windows.kernel.width - 1) + 1)
    let out =
      outputSize
      ?? Size2D(natural.height + outputPadding.height, natural.width + outputPadding.width)
    // Between the natural size and one less than a stride more, every size convolves back to
    // the input's (PyTorch also allows up to the dilation; here the stride bounds it).
    guard natural.height > 0, natural.width > 0, out.height >= natural.height,
      out.width >= natural.width, out.height - natural.height < stride.height,
      out.width - natural.width < stride.width
    else {
      throw TensorError(
        "convTranspose2d",
        "output size \(out) is not one a stride-\(stride) convolution maps to input \(size) "
          + "with \(windows) (from \(natural), adding less than the stride; sizes positive)")
    }
    try windows.validate(for: out, op: "convTranspose2d")
    let y = try plainly { try Self.spread(x, weight, bias, windows, groups: groups, into: out) }
    let inputs = [x, weight] + (bias.map { [$0] } ?? [])
    let outputShape = y.shape
    return y.recorded(
      "convTranspose2d", inputs,
      jvp: { t, _ in
        try sumOfTerms([
          t[0].map {
            try $0.convTranspose2d(
              weight: weight, stride: stride, padding: padding,
              dilation: dilation, groups: groups, outputSize: out)
          },
          t[1].map {
            try x.convTranspose2d(
              weight: $0, stride: stride, padding: padding,
              dilation: dilation, groups: groups, outputSize: out)
          },
          t.count > 2
            ? t[2].map { try $0.reshaped([1, $0.count, 1, 1]).expand(to: outputShape) } : nil,
        ])
      }
    ) { g in
      let gx =
        x.requiresGrad
        ? try g.conv2d(
          weight: weight, stride: stride, padding: padding, dilation: dilation, groups: groups)
        : nil
      let gw =
        weight.requiresGrad
        ? try Self.correlationWeightGradient(
          windowsOf: g, correlatedWith: x, windows, groups: groups, weightShape: weight.shape)
        : nil
      guard let bias else { return [gx, gw] }
      return [gx, gw, bias.requiresGrad ? try g.sum(axes: [0, 2, 3]) : nil]
    }
  }
  // end listing: conv-transpose2d

  /// The windows of a convolution, after checking its operands; throws naming `op` and the
  /// shapes for a wrong rank, dtype, channel count, bias or group count.
  static func convolutionWindows(
    _ op: String, input: [Int], weight: Tensor, bias: Tensor?, dtype: DType, groups: Int,
    inputChannelsPerGroup: Int, outputChannels: Int, stride: Size2D, padding: Size2D,
    dilation: Size2D, weightInputAxis: Int = 1
  ) throws -> Windows2D {
    let describeAll =
      "input \(input), weight \(weight.shape) \(weight.dtype), bias "
      + (bias.map { "\($0.shape) \($0.dtype)" } ?? "none") + ", groups \(groups)"
    guard weight.rank == 4, weight.dtype == dtype else {
      throw TensorError(op, "\(describeAll): the weight must be a 4-d \(dtype) tensor")
    }
    guard groups >= 1, input[1] % groups == 0, weight.shape[0] % groups == 0 else {
      throw TensorError(
        op,
        "\(describeAll): groups must divide the input's \(input[1]) channels and the "
          + "weight's \(weight.shape[0])")
    }
    guard inputChannelsPerGroup * groups == input[1] else {
      throw TensorError(
        op,
        "\(describeAll): the input has \(input[1]) channels, the weight expects "
          + "\(inputChannelsPerGroup * groups)")
    }
    if let bias, bias.shape != [outputChannels] || bias.dtype != dtype {
      throw TensorError(op, "\(describeAll): the bias must be [\(outputChannels)] \(dtype)")
    }
    return Windows2D(
      kernel: Size2D(weight.shape[2], weight.shape[3]), stride: stride, padding: padding,
      dilation: dilation)
  }

  /// `x ⋆ w + bias` by groups: the windows of x as columns, one (batched) matrix product per
  /// group — or, at stride 1 without dilation or groups, the same sums computed directly.
  static func correlate(
    _ x: Tensor, _ w: Tensor, _ bias: Tensor?, _ windows: Windows2D, groups: Int
  ) throws -> Tensor {
    if groups == 1, windows.stride == 1, windows.dilation == 1,
      let y = x.directlyCorrelated(with: w, bias: bias, padding: windows.padding)
    {
      return y
    }
    let (n, o) = (x.shape[0], w.shape[0])
    let out = windows.outputSize(for: Size2D(x.shape[2], x.shape[3]))
    let k = w.count / o  // C/g · kh · kw
    let columns = try x.unfolded(windows)  // [N, C·kh·kw, L]
    let l = out.height * out.width
    let y: Tensor
    if groups == 1 {
      y = try w.reshaped([o, k]).matmul(columns)  // [N, O, L]
    } else {
      y = try w.reshaped([groups, o / groups, k])
        .matmul(columns.reshaped([n, groups, k, l]))  // [N, g, O/g, L]
    }
    return try addingChannelBias(y.reshaped([n, o, out.height, out.width]), bias)
  }

  /// The transposed convolution plus `bias`: each group's kernel columns weighted by x's
  /// pixels, `[N, O·kh·kw, H·W]`, folded back onto an output of `size` — or, at stride 1
  /// without dilation or groups, the correlation of x with the flipped kernel, directly.
  static func spread(
    _ x: Tensor, _ w: Tensor, _ bias: Tensor?, _ windows: Windows2D, groups: Int,
    into size: Size2D
  ) throws -> Tensor {
    let (kh, kw) = (windows.kernel.height, windows.kernel.width)
    let (ph, pw) = (windows.padding.height, windows.padding.width)
    if groups == 1, windows.stride == 1, windows.dilation == 1, ph < kh, pw < kw,
      let y = x.directlyCorrelated(
        with: w, bias: bias, padding: Size2D(kh - 1 - ph, kw - 1 - pw), flippingWeight: true),
      y.shape[2] == size.height, y.shape[3] == size.width
    {
      return y
    }
    let (n, c) = (x.shape[0], x.shape[1])
    let l = x.shape[2] * x.shape[3]
    let k = w.count / c  // O/g · kh · kw
    let xg = try x.reshaped([n, groups, c / groups, l])
    let wg = try w.reshaped([groups, c / groups, k]).transposed()  // [g, O/g·k, C/g]
    let columns = try wg.matmul(xg)  // [N, g, O/g·k, L]
    return try addingChannelBias(
      columns.reshaped([n, groups * k, l]).folded(windows, into: size), bias)
  }

  // listing: weight-gradient
  /// The gradient of a convolution's weight: each group's `b` rows correlated with the
  /// windows of `a` (`[N, ·, ·, ·]` each), summed over the batch — for `conv2d`, a = x and
  /// b = ȳ; for `convTranspose2d`, a = ȳ and b = x. Shaped `weightShape`.
  static func correlationWeightGradient(
    windowsOf a: Tensor, correlatedWith b: Tensor, _ windows: Windows2D, groups: Int,
    weightShape: [Int]
  ) throws -> Tensor {
    // At stride 1, 3×3, one group, the same sums directly (unrecorded: only for a first
    // derivative; a recorded backward composes the operations below).
    if groups == 1, windows.stride == 1, windows.dilation == 1, !GradMode.isRecording,
      let direct = a.directCorrelationWeightGradient(
        b, kernel: windows.kernel, padding: windows.padding),
      direct.shape == weightShape
    {
      return direct
    }
    // exercise 6.3: The gradient of a convolution's weight
    let n = a.shape[0]
    let columns = try a.unfolded(windows)  // [N, A·kh·kw, L]
    let l = columns.shape[2]
    let k = columns.shape[1] / groups
    let rows = try b.reshaped([n, groups, b.shape[1] / groups, l])  // [N, g, B/g, L]
    let perExample = try rows.matmul(
      columns.reshaped([n, groups, k, l]).transposed())  // [N, g, B/g, k]
    return try perExample.sum(axes: [0]).reshaped(weightShape)
    // end exercise 6.3
  }
  // end listing: weight-gradient

  /// `y + bias` with the bias `[C]` added to every pixel of channel c (nil: y itself).
  static func addingChannelBias(_ y: Tensor, _ bias: Tensor?) throws -> Tensor {
    guard let bias else { return y }
    return try y + bias.reshaped([1, bias.count, 1, 1])
  }
}
