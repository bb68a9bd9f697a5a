// listing: receptive-field
/// The receptive field of a stack of sliding-window layers (convolutions, poolings): how
/// many input pixels along an axis one output feature sees, and how far apart (`jump`, in
/// input pixels) neighboring features of the last layer look.
///
/// Each layer widens the field by (k − 1)·d steps of the jump so far, and multiplies the
/// jump by its stride: r ← r + (k − 1)·d·j, j ← j·s, from r = j = 1. Padding moves the
/// field, it does not widen it.
public func receptiveField(of layers: [Windows2D]) -> (size: Size2D, jump: Size2D) {
  var (size, jump) = (Size2D(1, 1), Size2D(1, 1))
  for layer in layers {
    // exercise 6.8: The receptive field of a stack of layers
    size.height += (layer.kernel.height - 1) * layer.dilation.height * jump.height
    size.width += (layer.kernel.width - 1) * layer.dilation.width * jump.width
    jump.height *= layer.stride.height
    jump.width *= layer.stride.width
    // end exercise 6.8
  }
  return (size, jump)
}
// end listing: receptive-field
