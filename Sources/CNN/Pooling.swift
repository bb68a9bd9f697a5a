extension Tensor {
  // listing: max-pool
  /// The largest element of each window of this `[N, C, H, W]` tensor, per channel:
  /// PyTorch's `max_pool2d` (`stride` defaults to the kernel; padding, at most half the
  /// kernel, is never the maximum).
  ///
  /// Pooling is routing: each output is one input element, picked by its window's argmax
  /// (the first one on ties, as PyTorch; a NaN wins) and gathered from the flattened plane.
  /// The gradient goes back to that element alone (gather's VJP adds it back where it was
  /// picked), and where windows overlap an element picked by several gets the sum. Gathering
  /// is linear, so max pooling's derivatives of every order come free.
  public func maxPool2d(
    kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0, dilation: Size2D = 1
  ) throws -> Tensor {
    let windows = try poolingWindows(
      "maxPool2d", kernel: kernel, stride: stride, padding: padding, dilation: dilation)
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let out = windows.outputSize(for: Size2D(h, w))
    // exercise 6.5: Max pooling as routing
    let winners = try windowArgmax(windows)  // [N, C, oh·ow], each an index iy·W + ix
    return try reshaped([n, c, h * w]).gathered(axis: 2, winners)
      .reshaped([n, c, out.height, out.width])
    // end exercise 6.5
  }
  // end listing: max-pool

  /// The mean of each window of this `[N, C, H, W]` tensor, per channel: PyTorch's
  /// `avg_pool2d` with its defaults (`stride` = kernel; zeros of the padding count in the
  /// mean). Linear: its gradient spreads each output's gradient evenly over its window.
  public func avgPool2d(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0) throws
    -> Tensor
  {
    let windows = try poolingWindows(
      "avgPool2d", kernel: kernel, stride: stride, padding: padding, dilation: 1)
    return try windowMeans(windows)
  }

  /// Averages over regions of this `[N, C, H, W]` tensor to an output of `outputSize`:
  /// PyTorch's `adaptive_avg_pool2d` where each side divides evenly (1×1 — global average
  /// pooling — always does); other sizes are an error.
  public func adaptiveAvgPool2d(outputSize: Size2D) throws -> Tensor {
    let size = try imageSize(op: "adaptiveAvgPool2d")
    guard outputSize.height > 0, outputSize.width > 0,
      size.height % outputSize.height == 0, size.width % outputSize.width == 0
    else {
      throw TensorError(
        "adaptiveAvgPool2d",
        "output size \(outputSize) does not divide the input's \(size) (shape \(shape)); "
          + "only even divisions are supported")
    }
    if outputSize == 1 { return try mean(axes: [2, 3], keepingAxes: true) }
    let kernel = Size2D(size.height / outputSize.height, size.width / outputSize.width)
    return try avgPool2d(kernel: kernel)
  }

  /// The windows of a pooling, after checking them: padding at most half the kernel.
  func poolingWindows(
    _ op: String, kernel: Size2D, stride: Size2D?, padding: Size2D, dilation: Size2D
  ) throws -> Windows2D {
    let size = try imageSize(op: op)
    let windows = Windows2D(
      kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: dilation)
    try windows.validate(for: size, op: op)
    guard 2 * padding.height <= kernel.height, 2 * padding.width <= kernel.width else {
      throw TensorError(op, "padding \(padding) is more than half the kernel \(kernel)")
    }
    // With dilation a window can still straddle the image, every tap in the padding.
    let out = windows.outputSize(for: size)
    for (count, along, k, s, p, d) in [
      (
        out.height, size.height, kernel.height, windows.stride.height, padding.height,
        dilation.height
      ),
      (out.width, size.width, kernel.width, windows.stride.width, padding.width, dilation.width),
    ] {
      for position in 0..<count
      where windows.positionsInside(size: along, offset: position * s - p, stride: d, count: k)
        .isEmpty
      {
        throw TensorError(
          op,
          "with \(windows), window \(position) along an axis of \(along) lies wholly in the "
            + "padding (input \(size))")
      }
    }
    return windows
  }
}
