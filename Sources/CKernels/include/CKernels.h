#ifndef GRADBOOK_CKERNELS_H
#define GRADBOOK_CKERNELS_H

/* Kernels whose vector width is chosen when the program runs, not when it is built: the
 * few loops that run twice as fast with AVX2 and FMA (x86-64 CPUs since 2013) but must not
 * stop older CPUs with an illegal instruction. PyTorch dispatches its CPU kernels the same
 * way. Everything else is Swift, built for the baseline of the target. */

/* The hyperbolic tangent of x by a rational approximation (Eigen's, for float): within 4e-7
 * of the exact value everywhere (a few units in the last place), saturating to ±1, NaN for
 * NaN — and about 20x faster than the C library's tanhf, because it vectorizes. */
static inline float gradbook_tanhf(float x) {
  const float clamp = 7.90531110763549805f;
  float c = x < -clamp ? -clamp : (x > clamp ? clamp : x);
  float x2 = c * c;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * c;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return x != x ? x : p / q;
}

/* out[i] = gradbook_tanhf(in[i]) for i < n, with AVX2 and FMA when the CPU has them. */
void gradbook_tanh_f32(const float *in, float *out, long n);

/* 1 when the vector kernels above run with AVX2 and FMA on this CPU, 0 otherwise. */
int gradbook_kernels_use_avx2(void);

#endif
