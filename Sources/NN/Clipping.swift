import HigherOrder

// listing: clipping
/// Scales every gradient of `parameters` by one factor so that their global L2 norm is at
/// most `maxNorm`, like `torch.nn.utils.clip_grad_norm_`; returns the norm before clipping.
///
/// One factor for all keeps the update's direction; only its length is capped. The
/// gradients are replaced, so the next `step()` uses the clipped values.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Double) throws -> Double {
  // exercise 5.6: Global-norm gradient clipping
  let total = parameters.compactMap(\.grad).reduce(0.0) { sum, g in
    sum + g.scalars.reduce(0) { $0 + $1 * $1 }
  }.squareRoot()
  let factor = maxNorm / (total + 1e-6)
  if factor < 1 {
    withoutGrad {
      for p in parameters { if let g = p.grad { p.grad = g * factor } }
    }
  }
  return total
  // end exercise 5.6
}
// end listing: clipping
