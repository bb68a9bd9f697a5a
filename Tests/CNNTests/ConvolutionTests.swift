import CNN
import Foundation
import TestSupport
import Testing

/// A convolution's settings, for the loops below and for the engine.
struct ConvCase: CustomStringConvertible, Sendable {
  var n = 2, c = 4, h = 6, w = 5, o = 6, kh = 3, kw = 2
  var stride = Size2D(1, 1), padding = Size2D(0, 0), dilation = Size2D(1, 1), groups = 1

  var description: String {
    "x [\(n), \(c), \(h), \(w)], w [\(o), \(c / groups), \(kh), \(kw)], stride \(stride), "
      + "padding \(padding), dilation \(dilation), groups \(groups)"
  }
  var windows: Windows2D {
    Windows2D(kernel: Size2D(kh, kw), stride: stride, padding: padding, dilation: dilation)
  }
  var outputSize: Size2D { windows.outputSize(for: Size2D(h, w)) }
}

let convCases: [ConvCase] = [
  ConvCase(),
  ConvCase(stride: Size2D(2, 1), padding: Size2D(1, 0)),
  ConvCase(h: 7, w: 7, kh: 3, kw: 3, stride: 2, padding: 1, dilation: 2),
  ConvCase(groups: 2),
  ConvCase(c: 4, o: 4, kh: 3, kw: 3, padding: 1, groups: 4),  // depthwise
  ConvCase(n: 1, c: 1, h: 4, w: 4, o: 1, kh: 4, kw: 4),  // the kernel covers the input
]

/// The cross-correlation straight from its definition, one output element at a time.
func referenceConv2d(_ x: [Double], _ wt: [Double], _ bias: [Double]?, _ k: ConvCase) -> [Double] {
  let out = k.outputSize
  let (cg, og) = (k.c / k.groups, k.o / k.groups)
  var y = [Double](repeating: 0, count: k.n * k.o * out.height * out.width)
  for n in 0..<k.n {
    for o in 0..<k.o {
      let g = o / og
      for oy in 0..<out.height {
        for ox in 0..<out.width {
          var sum = bias?[o] ?? 0
          for ci in 0..<cg {
            let c = g * cg + ci
            for i in 0..<k.kh {
              for j in 0..<k.kw {
                let iy = oy * k.stride.height - k.padding.height + i * k.dilation.height
                let ix = ox * k.stride.width - k.padding.width + j * k.dilation.width
                guard iy >= 0, iy < k.h, ix >= 0, ix < k.w else { continue }
                sum +=
                  x[((n * k.c + c) * k.h + iy) * k.w + ix]
                  * wt[((o * cg + ci) * k.kh + i) * k.kw + j]
              }
            }
          }
          y[((n * k.o + o) * out.height + oy) * out.width + ox] = sum
        }
      }
    }
  }
  return y
}

/// Leaves of a case: x, the weight and the bias, Float64.
func convOperands(_ k: ConvCase, seed: Double = 0.3) -> (Tensor, Tensor, Tensor) {
  (
    sample([k.n, k.c, k.h, k.w], seed: seed),
    sample([k.o, k.c / k.groups, k.kh, k.kw], seed: seed + 0.2), sample([k.o], seed: seed + 0.4)
  )
}

@Suite("conv2d and convTranspose2d: definition, adjoint, derivatives, errors")
struct ConvolutionTests {
  @Test("conv2d is the cross-correlation of its definition (no kernel flip)", arguments: convCases)
  func matchesDefinition(_ k: ConvCase) throws {
    let (x, w, b) = convOperands(k)
    let y = try x.conv2d(
      weight: w, bias: b, stride: k.stride, padding: k.padding, dilation: k.dilation,
      groups: k.groups)
    #expect(y.shape == [k.n, k.o, k.outputSize.height, k.outputSize.width])
    let expected = referenceConv2d(x.scalars, w.scalars, b.scalars, k)
    #expect(allClose(y.scalars, expected, tolerance: 1e-12), "\(k)")
    // Float32 agrees to its precision.
    let y32 = try x.to(.float32).conv2d(
      weight: w.to(.float32), stride: k.stride, padding: k.padding, dilation: k.dilation,
      groups: k.groups)
    #expect(allClose(y32.scalars, referenceConv2d(x.scalars, w.scalars, nil, k), tolerance: 1e-5))
  }

  @Test(
    "stride 1 in Float32 (the direct kernel, where the CPU has one): values and gradients",
    arguments: [
      ConvCase(n: 3, c: 3, h: 9, w: 21, o: 11, kh: 3, kw: 3, padding: 1),  // 2 blocks, 2 vectors
      ConvCase(n: 2, c: 1, h: 28, w: 28, o: 8, kh: 3, kw: 3, padding: 1),  // the chapter's first
      ConvCase(n: 2, c: 2, h: 5, w: 17, o: 17, kh: 5, kw: 2, padding: Size2D(2, 1)),
      ConvCase(n: 1, c: 5, h: 4, w: 33, o: 3, kh: 1, kw: 4),  // a row of 30 outputs, no padding
      ConvCase(n: 2, c: 3, h: 6, w: 18, o: 5, kh: 3, kw: 3, padding: Size2D(0, 2)),
    ])
  func strideOneFloat32(_ k: ConvCase) throws {
    let (x, w, b) = convOperands(k, seed: 0.9)
    let (x32, w32, b32) = (x.to(.float32), w.to(.float32), b.to(.float32))
    let y = try x32.conv2d(weight: w32, bias: b32, padding: k.padding)
    let expected = referenceConv2d(x.scalars, w.scalars, b.scalars, k)
    #expect(allClose(y.scalars, expected, tolerance: 1e-5), "\(k)")
    // The transposed convolution (the input's gradient), against Float64's im2col path.
    let out = k.outputSize
    let g = sample([k.n, k.o, out.height, out.width], seed: 0.45)
    let shift = sample([k.c], seed: 0.6)
    let back = try g.to(.float32).convTranspose2d(
      weight: w32, bias: shift.to(.float32), padding: k.padding)
    let back64 = try g.convTranspose2d(weight: w, bias: shift, padding: k.padding)
    #expect(back.shape == x.shape)
    #expect(allClose(back.scalars, back64.scalars, tolerance: 1e-5), "\(k)")
    // Every gradient of a loss through the Float32 convolution, against Float64.
    for (inputs, dtype) in [([x32, w32, b32], DType.float32), ([x, w, b], .float64)] {
      for t in inputs { (t.requiresGrad, t.grad) = (true, nil) }
      let loss = try
        (inputs[0].conv2d(weight: inputs[1], bias: inputs[2], padding: k.padding)
        * g.to(dtype)).sum()
      try loss.backward()
    }
    for (a, b) in [(x32, x), (w32, w), (b32, b)] {
      #expect(allClose(try #require(a.grad).scalars, try #require(b.grad).scalars, tolerance: 1e-4))
    }
    // And through the transposed convolution (its weight gradient: the roles swapped).
    let h = sample(x.shape, seed: 0.35)
    func leaf(_ t: Tensor, _ dtype: DType) throws -> Tensor {
      let copy = try Tensor(t.scalars, shape: t.shape, dtype: dtype)
      copy.requiresGrad = true
      return copy
    }
    let (g32, wt32, g64, wt64) = (
      try leaf(g, .float32), try leaf(w, .float32), try leaf(g, .float64), try leaf(w, .float64)
    )
    for (inputs, dtype) in [([g32, wt32], DType.float32), ([g64, wt64], .float64)] {
      let y = try inputs[0].convTranspose2d(weight: inputs[1], padding: k.padding)
      try (y * h.to(dtype)).sum().backward()
    }
    for (a, b) in [(g32, g64), (wt32, wt64)] {
      #expect(allClose(try #require(a.grad).scalars, try #require(b.grad).scalars, tolerance: 1e-4))
    }
  }

  @Test("convTranspose2d is conv2d's adjoint: ⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩", arguments: convCases)
  func adjoint(_ k: ConvCase) throws {
    let (x, w, _) = convOperands(k)
    let out = k.outputSize
    let y = sample([k.n, k.o, out.height, out.width], seed: 0.77)
    let lhs = try
      (x.conv2d(
        weight: w, stride: k.stride, padding: k.padding, dilation: k.dilation, groups: k.groups)
      * y).sum().item()
    let back = try y.convTranspose2d(
      weight: w, stride: k.stride, padding: k.padding, dilation: k.dilation, groups: k.groups,
      outputSize: Size2D(k.h, k.w))
    #expect(back.shape == x.shape)
    let rhs = try (x * back).sum().item()
    #expect(abs(lhs - rhs) <= 1e-10 * max(1, abs(lhs)), "\(k): \(lhs) vs \(rhs)")
  }

  @Test("convTranspose2d's output size: (H − 1)s − 2p + d(k − 1) + 1 + output padding")
  func transposedSize() throws {
    let x = sample([1, 2, 3, 4], seed: 0.1)
    let w = sample([2, 5, 3, 3], seed: 0.2)
    #expect(try x.convTranspose2d(weight: w, stride: 2, padding: 1).shape == [1, 5, 5, 7])
    #expect(
      try x.convTranspose2d(weight: w, stride: 2, padding: 1, outputPadding: 1).shape
        == [1, 5, 6, 8])
    #expect(
      try x.convTranspose2d(weight: w, stride: 2, padding: 1, outputSize: Size2D(6, 7)).shape
        == [1, 5, 6, 7])
    #expect(throws: TensorError.self) {  // more than the stride can explain
      try x.convTranspose2d(weight: w, stride: 2, padding: 1, outputSize: Size2D(7, 7))
    }
    #expect(throws: TensorError.self) {  // a natural size of −1
      try sample([1, 1, 1, 1]).convTranspose2d(weight: sample([1, 1, 1, 1]), padding: 1)
    }
    // A window larger than the padded input has no position (not one, as truncation gives),
    // and a stride of 0 none either (not a division by zero).
    #expect(Windows2D(kernel: 5, stride: 2).outputSize(for: Size2D(4, 4)) == 0)
    #expect(Windows2D(kernel: 2, stride: 0).outputSize(for: Size2D(4, 4)) == 0)
    #expect(throws: TensorError.self) {  // groups 0: an error, not a division by zero
      try x.convTranspose2d(weight: w, groups: 0)
    }
  }

  @Test(
    "first and second derivatives of both, every operand, against finite differences",
    arguments: [convCases[1], convCases[2], convCases[3]])
  func derivatives(_ k: ConvCase) throws {
    let (x, w, b) = convOperands(k)
    let conv = { (t: [Tensor]) in
      try t[0].conv2d(
        weight: t[1], bias: t[2], stride: k.stride, padding: k.padding, dilation: k.dilation,
        groups: k.groups)
    }
    #expect(try gradcheck(conv, inputs: [x, w, b]).passed, "\(k)")
    let out = k.outputSize
    let y = sample([k.n, k.o, out.height, out.width], seed: 0.6)
    let wt = sample([k.o, k.c / k.groups, k.kh, k.kw], seed: 0.9)
    let transposed = { (t: [Tensor]) in
      try t[0].convTranspose2d(
        weight: t[1], bias: t[2], stride: k.stride, padding: k.padding, dilation: k.dilation,
        groups: k.groups, outputSize: Size2D(k.h, k.w))
    }
    #expect(try gradcheck(transposed, inputs: [y, wt, sample([k.c], seed: 0.5)]).passed, "\(k)")
    // Second derivatives: the VJPs (a transposed convolution and a correlation) are
    // themselves differentiated, for the input and for the weight.
    let cotangent = sample([k.n, k.o, out.height, out.width], seed: 0.45)
    let gx = try gradgradcheck({ try (conv([$0, w, b]) * cotangent).sum() }, at: x)
    let gw = try gradgradcheck({ try (conv([x, $0, b]) * cotangent).sum() }, at: w)
    #expect(gx < 1e-6 && gw < 1e-6, "\(k): \(gx), \(gw)")
    let back = sample([k.n, k.c, k.h, k.w], seed: 0.35)
    let gy = try gradgradcheck(
      {
        try
          ($0.convTranspose2d(
            weight: wt, stride: k.stride, padding: k.padding, dilation: k.dilation,
            groups: k.groups, outputSize: Size2D(k.h, k.w)) * back).sum()
      }, at: y)
    #expect(gy < 1e-6, "\(k): \(gy)")
  }

  @Test("the weight's gradient is the correlation of the input with the output's gradient")
  func weightGradientClosedForm() throws {
    // 1 channel, no padding: W̄[i, j] = Σ_{oy, ox} ȳ[oy, ox] · x[oy + i, ox + j].
    let k = ConvCase(n: 1, c: 1, h: 5, w: 4, o: 1, kh: 2, kw: 3)
    let (x, w, _) = convOperands(k)
    w.requiresGrad = true
    let out = k.outputSize
    let g = sample([1, 1, out.height, out.width], seed: 0.8)
    try (x.conv2d(weight: w) * g).sum().backward()
    let (xs, gs) = (x.scalars, g.scalars)
    var expected: [Double] = []
    for i in 0..<2 {
      for j in 0..<3 {
        var s = 0.0
        for oy in 0..<out.height {
          for ox in 0..<out.width { s += gs[oy * out.width + ox] * xs[(oy + i) * 4 + ox + j] }
        }
        expected.append(s)
      }
    }
    #expect(allClose(try #require(w.grad).scalars, expected, tolerance: 1e-12))
  }

  @Test("bad input is an error naming conv2d and the shapes")
  func errors() throws {
    let x = sample([2, 4, 5, 5])
    let w = sample([6, 4, 3, 3])
    func message(_ body: () throws -> Tensor) -> String {
      do {
        _ = try body()
        return "no error"
      } catch { return "\(error)" }
    }
    let wrongChannels = message { try x.conv2d(weight: sample([6, 3, 3, 3])) }
    #expect(wrongChannels.hasPrefix("conv2d:") && wrongChannels.contains("[6, 3, 3, 3]"))
    let tooLarge = message { try x.conv2d(weight: sample([6, 4, 7, 7])) }
    #expect(tooLarge.contains("conv2d") && tooLarge.contains("larger than the padded input"))
    #expect(
      message { try x.conv2d(weight: sample([6, 4, 7, 7]), padding: 1) }.contains("no error"))
    let strideZero = message { try x.conv2d(weight: w, stride: 0) }
    #expect(strideZero.hasPrefix("conv2d:") && strideZero.contains("stride 0×0"))
    let groups = message { try x.conv2d(weight: sample([6, 4, 3, 3]), groups: 3) }
    #expect(groups.hasPrefix("conv2d:") && groups.contains("groups 3"))
    let bias = message { try x.conv2d(weight: w, bias: sample([5])) }
    #expect(bias.contains("bias [5]"))
    let rank = message { try sample([4, 5, 5]).conv2d(weight: w) }
    #expect(rank.contains("[N, C, H, W]") && rank.contains("[4, 5, 5]"))
    let dtype = message { try x.conv2d(weight: w.to(.float32)) }
    #expect(dtype.hasPrefix("conv2d:"))
  }

  @Test("unfold and fold: windows as columns, and overlaps summed back")
  func unfoldFold() throws {
    let x = try Tensor((1...9).map(Double.init), shape: [1, 1, 3, 3], dtype: .float64)
    let windows = Windows2D(kernel: 2)
    let columns = try x.unfolded(windows)
    #expect(columns.shape == [1, 4, 4])
    // Column l holds window l's taps: the top-left window is 1 2 / 4 5.
    #expect(try columns.sliced(axis: 2, 0..<1).scalars == [1, 2, 4, 5])
    // Folding ones counts how many windows cover each pixel.
    let counts = try Tensor.ones([1, 4, 4], dtype: .float64).folded(windows, into: Size2D(3, 3))
    #expect(counts.scalars == [1, 2, 1, 2, 4, 2, 1, 2, 1])
    // Padding is zero, and dropped on the way back.
    let padded = try x.unfolded(Windows2D(kernel: 3, padding: 1))
    #expect(try padded.sliced(axis: 2, 0..<1).scalars == [0, 0, 0, 0, 1, 2, 0, 4, 5])
  }
}
