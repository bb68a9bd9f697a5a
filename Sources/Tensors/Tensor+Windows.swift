import CKernels
import Dispatch

/// A height and a width: of a kernel, a stride, a padding, a dilation or an image.
///
/// An integer literal means the same value for both: `stride: 2` is `Size2D(2, 2)`.
public struct Size2D: Equatable, Hashable, Sendable, ExpressibleByIntegerLiteral,
  CustomStringConvertible
{
  /// The size along the height axis (the second-to-last axis of NCHW).
  public var height: Int
  /// The size along the width axis (the last axis).
  public var width: Int

  /// A height and a width.
  public init(_ height: Int, _ width: Int) { (self.height, self.width) = (height, width) }

  /// The same size along both axes.
  public init(integerLiteral value: Int) { self.init(value, value) }

  /// `3×3`.
  public var description: String { "\(height)×\(width)" }
}

/// The sliding windows of a 2-d convolution or pooling over the last two axes of an NCHW
/// tensor: the window's size (`kernel`), how far it moves (`stride`), the zeros around the
/// input (`padding`) and the spacing of its taps (`dilation`).
public struct Windows2D: Equatable, Sendable, CustomStringConvertible {
  /// The window's size.
  public var kernel: Size2D
  /// The step between windows.
  public var stride: Size2D
  /// The rows and columns of padding on each side.
  public var padding: Size2D
  /// The step between a window's taps (1: adjacent).
  public var dilation: Size2D

  /// Windows of `kernel` taps moved by `stride` over the input padded by `padding`.
  public init(kernel: Size2D, stride: Size2D = 1, padding: Size2D = 0, dilation: Size2D = 1) {
    (self.kernel, self.stride, self.padding, self.dilation) = (kernel, stride, padding, dilation)
  }

  /// `kernel 3×3, stride 1×1, padding 1×1, dilation 1×1`.
  public var description: String {
    "kernel \(kernel), stride \(stride), padding \(padding), dilation \(dilation)"
  }

  // listing: window-count
  /// The number of positions of a window of `k` taps `d` apart, moved by `s`, along an axis
  /// of `size` padded by `p` on each side: ⌊(size + 2p − d(k − 1) − 1)/s⌋ + 1.
  static func positions(
    along size: Int, kernel k: Int, stride s: Int, padding p: Int, dilation d: Int
  ) -> Int {
    // exercise 6.1: The output size of a convolution
    let span = d * (k - 1) + 1  // from the first tap to the last
    return (size + 2 * p - span) / s + 1
    // end exercise 6.1
  }
  // end listing: window-count

  /// The number of window positions over an input of `size` (the output's height and width);
  /// 0 along an axis where the window does not fit at all, or whose sizes are not positive
  /// (`validate` says which).
  public func outputSize(for size: Size2D) -> Size2D {
    func along(_ n: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int) -> Int {
      // Integer division rounds toward zero, which is the floor only when nothing is negative.
      k <= 0 || s <= 0 || d <= 0 || p < 0 || n + 2 * p < d * (k - 1) + 1
        ? 0 : Self.positions(along: n, kernel: k, stride: s, padding: p, dilation: d)
    }
    return Size2D(
      along(size.height, kernel.height, stride.height, padding.height, dilation.height),
      along(size.width, kernel.width, stride.width, padding.width, dilation.width))
  }

  /// The window positions `0..<count` whose tap at `offset` from the window's start
  /// (`ox · stride + offset`) lands inside an axis of `size`: the windows whose tap is
  /// not in the padding. The others come before and after it.
  package func positionsInside(size: Int, offset: Int, stride: Int, count: Int) -> Range<Int> {
    // ox · stride + offset ≥ 0  ⇔  ox ≥ ⌈−offset / stride⌉
    let first = offset >= 0 ? 0 : (stride - 1 - offset) / stride
    // ox · stride + offset ≤ size − 1  ⇔  ox ≤ ⌊(size − 1 − offset) / stride⌋
    let last = size - 1 - offset < 0 ? 0 : (size - 1 - offset) / stride + 1
    let end = Swift.min(count, last)
    return Swift.min(first, end)..<end
  }

  /// Checks that the windows fit an input of `size`: positive kernel, stride and dilation,
  /// padding that is not negative, and a (dilated) window no larger than the padded input.
  public func validate(for size: Size2D, op: String) throws {
    guard kernel.height > 0, kernel.width > 0, stride.height > 0, stride.width > 0,
      dilation.height > 0, dilation.width > 0, padding.height >= 0, padding.width >= 0
    else {
      throw TensorError(op, "\(self): sizes must be positive (padding not negative)")
    }
    let spanH = dilation.height * (kernel.height - 1) + 1
    let spanW = dilation.width * (kernel.width - 1) + 1
    guard spanH <= size.height + 2 * padding.height, spanW <= size.width + 2 * padding.width
    else {
      throw TensorError(
        op,
        "a \(spanH)×\(spanW) window (\(self)) is larger than the padded input "
          + "\(size.height + 2 * padding.height)×\(size.width + 2 * padding.width)")
    }
  }
}

/// Calls `body(start, count)` on planes `[0, n)`: at once when the work is small, in two
/// halves on two cores when `n · work` is large (the halves write disjoint planes).
func inPlaneChunks(_ n: Int, work: Int, _ body: (Int, Int) -> Void) {
  guard n >= 2, n * work >= 131_072 else {  // index arithmetic per element: worth two cores
    body(0, n)
    return
  }
  let half = n / 2
  inParallel({ body(0, half) }, { body(half, n - half) })
}

// listing: unfold-planes
/// im2col: copies each window of the contiguous planes `source` (`planes` of `size`) into
/// a column of `out`, laid out `[planes, kh·kw, oh·ow]`; taps in the padding read `pad`.
func unfoldPlanes<T: TensorScalar>(
  _ source: UnsafePointer<T>, planes: Int, size: Size2D, _ w: Windows2D, pad: T,
  into out: UnsafeMutablePointer<T>
) {
  let (h, wd) = (size.height, size.width)
  let o = w.outputSize(for: size)
  let columns = o.height * o.width
  let taps = w.kernel.height * w.kernel.width
  inPlaneChunks(planes, work: taps * columns) { first, count in
    for plane in first..<(first + count) {
      let input = source + plane * h * wd
      for ki in 0..<w.kernel.height {
        for kj in 0..<w.kernel.width {
          // Row (ki, kj) of the columns: tap (ki, kj) of every window, window by window.
          let row = out + (plane * taps + ki * w.kernel.width + kj) * columns
          // exercise 6.2: im2col, one tap of every window
          let dy = ki * w.dilation.height - w.padding.height
          let dx = kj * w.dilation.width - w.padding.width
          // The windows whose tap (ki, kj) lands inside the image's columns.
          let inside = w.positionsInside(
            size: wd, offset: dx, stride: w.stride.width, count: o.width)
          for oy in 0..<o.height {
            let line = row + oy * o.width
            let iy = oy * w.stride.height + dy
            guard iy >= 0 && iy < h else {
              line.update(repeating: pad, count: o.width)  // a row of padding
              continue
            }
            let pixels = input + iy * wd + dx  // pixel ix = ox·s + dx of image row iy
            for ox in 0..<inside.lowerBound { line[ox] = pad }
            if w.stride.width == 1 {
              for ox in inside { line[ox] = pixels[ox] }  // a run: copied with vector moves
            } else {
              var pixel = pixels + inside.lowerBound * w.stride.width
              for ox in inside {
                line[ox] = pixel.pointee
                pixel += w.stride.width
              }
            }
            for ox in inside.upperBound..<o.width { line[ox] = pad }
          }
          // end exercise 6.2
        }
      }
    }
  }
}
// end listing: unfold-planes

/// col2im, the transpose of `unfoldPlanes`: adds each column of `source` (`[planes, kh·kw,
/// oh·ow]`) back onto the window it came from in the zeroed planes `out` of `size`;
/// overlapping windows accumulate and taps in the padding are dropped.
func foldPlanes<T: TensorScalar>(
  _ source: UnsafePointer<T>, planes: Int, size: Size2D, _ w: Windows2D,
  into out: UnsafeMutablePointer<T>
) {
  let (h, wd) = (size.height, size.width)
  let o = w.outputSize(for: size)
  let columns = o.height * o.width
  let taps = w.kernel.height * w.kernel.width
  inPlaneChunks(planes, work: taps * columns) { first, count in
    for plane in first..<(first + count) {
      let output = out + plane * h * wd
      for ki in 0..<w.kernel.height {
        for kj in 0..<w.kernel.width {
          let row = source + (plane * taps + ki * w.kernel.width + kj) * columns
          let dy = ki * w.dilation.height - w.padding.height
          let dx = kj * w.dilation.width - w.padding.width
          let inside = w.positionsInside(
            size: wd, offset: dx, stride: w.stride.width, count: o.width)
          for oy in 0..<o.height {
            let iy = oy * w.stride.height + dy
            guard iy >= 0 && iy < h else { continue }
            let line = row + oy * o.width
            let pixels = output + iy * wd + dx
            if w.stride.width == 1 {
              for ox in inside { pixels[ox] += line[ox] }
            } else {
              var pixel = pixels + inside.lowerBound * w.stride.width
              for ox in inside {
                pixel.pointee += line[ox]
                pixel += w.stride.width
              }
            }
          }
        }
      }
    }
  }
}

/// Average pooling's loop, both ways: with `spreading` false, the mean of each window of
/// the contiguous planes `source` (`planes` of `size`) into `out` (`[planes, oh·ow]`); with
/// `spreading` true, the transpose — each value of `source` (`[planes, oh·ow]`) divided by
/// the window's size and added to every tap of its window inside the zeroed planes `out`.
/// Taps in the padding count in the size (PyTorch's `count_include_pad`) but are not read.
func windowMeanPlanes<T: TensorScalar>(
  _ source: UnsafePointer<T>, planes: Int, size: Size2D, _ w: Windows2D,
  into out: UnsafeMutablePointer<T>, spreading: Bool
) {
  let (h, wd) = (size.height, size.width)
  let o = w.outputSize(for: size)
  let columns = o.height * o.width
  let share = 1 / T(w.kernel.height * w.kernel.width)
  // The taps inside the image along each axis, for every window position.
  let rows = (0..<o.height).map { oy in
    w.positionsInside(
      size: h, offset: oy * w.stride.height - w.padding.height, stride: w.dilation.height,
      count: w.kernel.height)
  }
  let cols = (0..<o.width).map { ox in
    w.positionsInside(
      size: wd, offset: ox * w.stride.width - w.padding.width, stride: w.dilation.width,
      count: w.kernel.width)
  }
  let halving = w.kernel == 2 && w.stride == 2 && w.padding == 0 && w.dilation == 1
  inPlaneChunks(planes, work: w.kernel.height * w.kernel.width * columns) { first, count in
    for plane in first..<(first + count) {
      // Forward: an image in, window means out; spreading: window values in, an image out.
      let input = source + plane * (spreading ? columns : h * wd)
      let output = out + plane * (spreading ? h * wd : columns)
      for oy in 0..<o.height {
        let y0 = oy * w.stride.height - w.padding.height
        for ox in 0..<o.width {
          let window = oy * o.width + ox
          if halving {  // 2×2 windows side by side: no padding, no range per window
            let (a, b) = (2 * oy * wd + 2 * ox, (2 * oy + 1) * wd + 2 * ox)
            if spreading {
              let v = input[window] * share
              (output[a], output[a + 1], output[b], output[b + 1]) = (v, v, v, v)
            } else {
              output[window] = ((input[a] + input[a + 1]) + (input[b] + input[b + 1])) * share
            }
            continue
          }
          let x0 = ox * w.stride.width - w.padding.width
          if spreading {
            let v = input[window] * share
            for ki in rows[oy] {
              let line = (y0 + ki * w.dilation.height) * wd + x0
              for kj in cols[ox] { output[line + kj * w.dilation.width] += v }
            }
          } else {
            var sum = T(0)
            for ki in rows[oy] {
              let line = (y0 + ki * w.dilation.height) * wd + x0
              for kj in cols[ox] { sum += input[line + kj * w.dilation.width] }
            }
            output[window] = sum * share
          }
        }
      }
    }
  }
}

extension Tensor {
  /// The height and width of this NCHW tensor (its last two axes), after checking that it
  /// is a floating-point tensor of rank 4.
  package func imageSize(op: String) throws -> Size2D {
    guard rank == 4, dtype != .int64 else {
      throw TensorError(op, "expected a [N, C, H, W] float tensor, got \(shape) \(dtype)")
    }
    return Size2D(shape[2], shape[3])
  }

  /// The windows of this `[N, C, H, W]` tensor as columns (im2col), unrecorded:
  /// `[N, C·kh·kw, oh·ow]`, where a window's taps that fall in the padding read `pad`.
  package func windowColumns(_ windows: Windows2D, pad: Double = 0, op: String) throws -> Tensor {
    let size = try imageSize(op: op)
    try windows.validate(for: size, op: op)
    let o = windows.outputSize(for: size)
    let (n, c) = (shape[0], shape[1])
    let taps = windows.kernel.height * windows.kernel.width
    let (source, start) = contiguousStorage()
    return Tensor.make([n, c * taps, o.height * o.width], dtype) { out in
      func run<T: TensorScalar>(_: T.Type) {
        unfoldPlanes(
          UnsafePointer(source.typed(T.self) + start), planes: n * c, size: size, windows,
          pad: T(pad), into: out.typed(T.self))
      }
      switch dtype {
      case .float32: run(Float.self)
      case .float64: run(Double.self)
      case .int64: integerArithmetic(op)
      }
    }
  }

  /// The transpose of `windowColumns`, unrecorded: columns `[N, C·kh·kw, oh·ow]` added back
  /// onto `[N, C, H, W]` of `size`.
  package func foldedColumns(_ windows: Windows2D, into size: Size2D, op: String) throws -> Tensor {
    try windows.validate(for: size, op: op)
    let o = windows.outputSize(for: size)
    let taps = windows.kernel.height * windows.kernel.width
    guard rank == 3, dtype != .int64, shape[1] % taps == 0, shape[2] == o.height * o.width
    else {
      throw TensorError(
        op,
        "columns \(shape) \(dtype) do not fit \(windows) over \(size) "
          + "(expected [N, C·\(taps), \(o.height * o.width)])")
    }
    let (n, c) = (shape[0], shape[1] / taps)
    let (source, start) = contiguousStorage()
    let result = Tensor.zeros([n, c, size.height, size.width], dtype: dtype)
    func run<T: TensorScalar>(_: T.Type) {
      foldPlanes(
        UnsafePointer(source.typed(T.self) + start), planes: n * c, size: size, windows,
        into: result.storage.typed(T.self))
    }
    switch dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    case .int64: integerArithmetic(op)
    }
    return result
  }

  /// The position of each window's largest element in this `[N, C, H, W]` tensor: int64
  /// `[N, C, oh·ow]`, each the flat index iy·W + ix within its channel's plane (the indices
  /// of PyTorch's `max_pool2d(…, return_indices=True)`, shaped `[N, C, oh, ow]` there). The
  /// first maximum on ties, the first NaN if there is one; taps in the padding never win.
  ///
  /// Unrecorded (which element wins is locally constant): `gathered` along the flattened
  /// planes picks the winners' values, and its VJP routes the gradient back to them.
  public func windowArgmax(_ windows: Windows2D) throws -> Tensor {
    let size = try imageSize(op: "windowArgmax")
    try windows.validate(for: size, op: "windowArgmax")
    let o = windows.outputSize(for: size)
    let (n, c) = (shape[0], shape[1])
    let (source, start) = contiguousStorage()
    let empty = UnsafeMutablePointer<Int>.allocate(capacity: 2)  // per half
    empty.initialize(repeating: 0, count: 2)
    defer { empty.deallocate() }
    let winners = Tensor.make([n, c, o.height * o.width], .int64) { out in
      /// The C kernel for element type T on planes [first, first + count).
      func run<T>(
        _: T.Type, _ kernel: (UnsafePointer<T>, Int, UnsafeMutablePointer<Int64>) -> Int
      ) {
        let planeSize = size.height * size.width
        let k = windows.kernel
        inPlaneChunks(n * c, work: k.height * k.width * o.height * o.width) { first, count in
          empty[first == 0 ? 0 : 1] = kernel(
            UnsafePointer(source.typed(T.self) + start + first * planeSize), count,
            out.typed(Int64.self) + first * o.height * o.width)
        }
      }
      let (k, s, p, d) = (windows.kernel, windows.stride, windows.padding, windows.dilation)
      let (h, w) = (size.height, size.width)
      switch dtype {
      case .float32:
        run(Float.self) {
          gradbook_window_argmax_f32(
            $0, $1, h, w, k.height, k.width, s.height, s.width, p.height, p.width, d.height,
            d.width, o.height, o.width, $2)
        }
      case .float64:
        run(Double.self) {
          gradbook_window_argmax_f64(
            $0, $1, h, w, k.height, k.width, s.height, s.width, p.height, p.width, d.height,
            d.width, o.height, o.width, $2)
        }
      case .int64: integerArithmetic("windowArgmax")
      }
    }
    let emptyWindows = empty[0] + empty[1]
    guard emptyWindows == 0 || n * c == 0 else {
      throw TensorError(
        "windowArgmax",
        "\(emptyWindows / (n * c)) of the windows (\(windows)) over \(size) lie wholly in the "
          + "padding: nothing to pick")
    }
    return winners
  }

  /// The cross-correlation of this `[N, C, H, W]` tensor with `weight` (`[O, C, kh, kw]`) at
  /// stride 1, without dilation or groups, zero-padded by `padding`, plus `bias` (`[O]`):
  /// the sums of im2col and a matrix product, computed directly without the columns,
  /// unrecorded. With `flippingWeight`, `weight` is `[C, O, kh, kw]`, used with its channel
  /// axes swapped and its taps reversed: the transposed convolution, for padding kh − 1 − p.
  ///
  /// Nil when the direct kernel does not apply — not Float32, a CPU without AVX-512, a
  /// kernel wider than 64, shapes that do not fit, or memory for the packed weights ran out
  /// — and the caller computes the same sums through `unfolded(_:)`.
  package func directlyCorrelated(
    with weight: Tensor, bias: Tensor?, padding: Size2D, flippingWeight: Bool = false
  ) -> Tensor? {
    guard dtype == .float32, weight.dtype == .float32, bias.map({ $0.dtype == .float32 }) ?? true,
      rank == 4, weight.rank == 4, gradbook_correlate2d_available() != 0
    else { return nil }
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    let o = flippingWeight ? weight.shape[1] : weight.shape[0]
    let oh = h + 2 * padding.height - kh + 1
    let ow = w + 2 * padding.width - kw + 1
    guard (flippingWeight ? weight.shape[0] : weight.shape[1]) == c, oh > 0, ow > 0,
      bias.map({ $0.shape == [o] }) ?? true
    else { return nil }
    let (source, start) = contiguousStorage()
    let (weights, weightStart) = weight.contiguousStorage()
    let biases = bias?.contiguousStorage()
    var done = true
    let result = Tensor.make([n, o, oh, ow], .float32) { out in
      let y = out.typed(Float.self)
      let x = UnsafePointer(source.typed(Float.self) + start)
      let k = UnsafePointer(weights.typed(Float.self) + weightStart)
      let b = biases.map { UnsafePointer($0.storage.typed(Float.self) + $0.offset) }
      let flags = UnsafeMutablePointer<Int32>.allocate(capacity: 2)
      flags.initialize(repeating: 1, count: 2)
      defer { flags.deallocate() }
      inPlaneChunks(n, work: o * oh * ow * c * kh * kw) { first, count in
        flags[first == 0 ? 0 : 1] = gradbook_correlate2d_f32(
          x, first, count, c, h, w, k, o, kh, kw, padding.height, padding.width,
          flippingWeight ? 1 : 0, b, y)
      }
      done = flags[0] != 0 && flags[1] != 0
    }
    return done ? result : nil
  }

  /// The weight gradient of `directlyCorrelated(with:bias:padding:)` at this `[N, C, H, W]`
  /// input: `[O, C, kh, kw]`, each tap's sum over the images and output positions of `g`
  /// (`[N, O, oh, ow]`) times the input element the tap read — computed directly, without
  /// im2col columns, unrecorded. Nil where the direct kernel does not apply (not Float32, a
  /// kernel other than 3×3, a CPU without AVX-512, shapes that do not fit).
  package func directCorrelationWeightGradient(
    _ g: Tensor, kernel: Size2D, padding: Size2D
  ) -> Tensor? {
    guard dtype == .float32, g.dtype == .float32, rank == 4, g.rank == 4, kernel == 3,
      gradbook_correlate2d_available() != 0
    else { return nil }
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let o = g.shape[1]
    guard g.shape == [n, o, h + 2 * padding.height - 2, w + 2 * padding.width - 2] else {
      return nil
    }
    let (source, start) = contiguousStorage()
    let (gradients, gradientStart) = g.contiguousStorage()
    var done = true
    let result = Tensor.make([o, c, 3, 3], .float32) { out in
      let x = UnsafePointer(source.typed(Float.self) + start)
      let y = UnsafePointer(gradients.typed(Float.self) + gradientStart)
      let gw = out.typed(Float.self)
      let flags = UnsafeMutablePointer<Int32>.allocate(capacity: 2)
      flags.initialize(repeating: 1, count: 2)
      defer { flags.deallocate() }
      // Output channels in pairs, the pairs split between the two cores.
      inPlaneChunks((o + 1) / 2, work: 2 * c * 9 * (g.count / Swift.max(o, 1))) { first, count in
        flags[first == 0 ? 0 : 1] = gradbook_correlate2d_weight_gradient_f32(
          x, y, n, c, h, w, o, 3, 3, padding.height, padding.width, 2 * first,
          Swift.min(o, 2 * (first + count)), gw)
      }
      done = flags[0] != 0 && flags[1] != 0
    }
    return done ? result : nil
  }

  /// The mean of each window of this `[N, C, H, W]` tensor, taps in the padding counting as
  /// zeros (PyTorch's `avg_pool2d` with `count_include_pad`): `[N, C, oh, ow]`, in one pass
  /// with no window columns. Linear; its transpose is `spreadOverWindows(_:into:)`.
  public func windowMeans(_ windows: Windows2D) throws -> Tensor {
    let size = try imageSize(op: "windowMean")
    try windows.validate(for: size, op: "windowMean")
    return try Tensor.linear(
      "windowMean", [self],
      apply: { try $0[0].windowMeanPass(windows, size: size, spreading: false) },
      transpose: { g in [try g.spreadOverWindows(windows, into: size)] })
  }

  /// Each element of this `[N, C, oh, ow]` tensor divided by the window's size and added to
  /// every tap of its window (inside the image) of an `[N, C, H, W]` image of `size`: the
  /// transpose of `windowMeans(_:)`, and linear too — each is the other's VJP.
  public func spreadOverWindows(_ windows: Windows2D, into size: Size2D) throws -> Tensor {
    try windows.validate(for: size, op: "windowMeanTranspose")
    let o = windows.outputSize(for: size)
    guard rank == 4, dtype != .int64, shape[2] == o.height, shape[3] == o.width else {
      throw TensorError(
        "windowMeanTranspose",
        "\(describe(shape)) \(dtype) is not the [N, C, \(o.height), \(o.width)] float tensor "
          + "of \(windows) over \(size)")
    }
    return try Tensor.linear(
      "windowMeanTranspose", [self],
      apply: { try $0[0].windowMeanPass(windows, size: size, spreading: true) },
      transpose: { g in [try g.windowMeans(windows)] })
  }

  /// One unrecorded pass of `windowMeanPlanes`: means of windows over an image of `size`, or
  /// (`spreading`) their transpose, back onto zeros of it.
  func windowMeanPass(_ windows: Windows2D, size: Size2D, spreading: Bool) throws -> Tensor {
    let (n, c) = (shape[0], shape[1])
    let o = windows.outputSize(for: size)
    let outShape = spreading ? [n, c, size.height, size.width] : [n, c, o.height, o.width]
    let (source, start) = contiguousStorage()
    let result = Tensor.zeros(outShape, dtype: dtype)
    func run<T: TensorScalar>(_: T.Type) {
      windowMeanPlanes(
        UnsafePointer(source.typed(T.self) + start), planes: n * c, size: size, windows,
        into: result.storage.typed(T.self), spreading: spreading)
    }
    switch dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    case .int64: integerArithmetic("windowMean")
    }
    return result
  }

  /// The sliding windows of this `[N, C, H, W]` tensor as columns — im2col, PyTorch's
  /// `F.unfold`: `[N, C·kh·kw, oh·ow]`, column `l` holding window `l`'s taps channel by
  /// channel, zero in the padding.
  ///
  /// A linear operation; its transpose is `folded(_:into:)`, which adds each column back
  /// onto its window. A convolution is one matrix product with these columns.
  public func unfolded(_ windows: Windows2D) throws -> Tensor {
    let size = try imageSize(op: "unfold")
    return try Tensor.linear(
      "unfold", [self], apply: { try $0[0].windowColumns(windows, op: "unfold") },
      transpose: { g in [try g.folded(windows, into: size)] })
  }

  /// Columns `[N, C·kh·kw, oh·ow]` added back onto the windows of an `[N, C, H, W]` image of
  /// `size` — col2im, PyTorch's `F.fold`: where windows overlap their taps add up, and taps
  /// in the padding are dropped.
  ///
  /// The transpose of `unfolded(_:)`, and linear too: each is the other's VJP.
  public func folded(_ windows: Windows2D, into size: Size2D) throws -> Tensor {
    try Tensor.linear(
      "fold", [self],
      apply: { try $0[0].foldedColumns(windows, into: size, op: "fold") },
      transpose: { g in [try g.unfolded(windows)] })
  }
}
