#ifndef GRADBOOK_CKERNELS_H
#define GRADBOOK_CKERNELS_H

#include <stdint.h>

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
  /* Past the clamp, ±1 exactly (the approximation there is 1 − 2.4e-7, or 1 + 1e-7 with
   * FMA contraction; the true value is within 2.4e-7 of ±1). */
  float r = x > clamp ? 1.0f : (x < -clamp ? -1.0f : p / q);
  return x != x ? x : r;
}

/* out[i] = gradbook_tanhf(in[i]) for i < n, with AVX2 and FMA when the CPU has them. */
void gradbook_tanh_f32(const float *in, float *out, long n);

/* 1 when the vector kernels above run with AVX2 and FMA on this CPU, 0 otherwise. */
int gradbook_kernels_use_avx2(void);

/* 1 when this CPU has AVX-512 (and AVX2 and FMA) for the kernels that use it, 0 otherwise. */
int gradbook_kernels_use_avx512(void);

/* argmax (largest 1) or argmin (0) along an axis, for `inner` outputs at once: won[i] is
 * the index t < candidates of the best of row[i·step + t·along] (the first on ties); best is
 * scratch of `inner` elements. Returns 1 when a NaN was among the values (then won[] does
 * not say where the first NaN is: the caller redoes the row). */
int gradbook_argbest_f32(const float *row, long inner, long step, long candidates, long along,
                          int largest, float *best, int64_t *won);
int gradbook_argbest_f64(const double *row, long inner, long step, long candidates,
                          long along, int largest, double *best, int64_t *won);

/* Max pooling's winners: for each of `planes` contiguous h × w planes of x and each window
 * (kernel kh × kw, stride sh × sw, padding ph × pw, dilation dh × dw; oh × ow of them), the
 * flat index iy·w + ix of its largest element — the first on ties, the first NaN if any;
 * taps in the padding never win — into out ([planes, oh·ow]); a window with no tap inside
 * gets −1. Returns the number of such windows. */
long gradbook_window_argmax_f32(const float *x, long planes, long h, long w, long kh, long kw,
                                long sh, long sw, long ph, long pw, long dh, long dw, long oh,
                                long ow, int64_t *out);
long gradbook_window_argmax_f64(const double *x, long planes, long h, long w, long kh,
                                long kw, long sh, long sw, long ph, long pw, long dh, long dw,
                                long oh, long ow, int64_t *out);

/* Row-major single-precision matrix product with this package's own AVX-512 or AVX2 + FMA
 * kernels (OpenBLAS 0.3.21 runs its SSE3 kernel on CPUs newer than it knows):
 * C = op(A) · op(B), or C += op(A) · op(B) when `accumulate` is 1, where op(A) is m × k and
 * reads a[i·lda + p] (or a[p·lda + i] when `transposeA`), op(B) is k × n likewise, and C is
 * m × n with rows ldc apart. Call only when gradbook_sgemm_available() is 1. */
void gradbook_sgemm(int transposeA, int transposeB, long m, long n, long k, const float *a,
                    long lda, const float *b, long ldb, int accumulate, float *c, long ldc);

/* 1 when gradbook_sgemm runs on this CPU (AVX2 and FMA at least), 0 otherwise. */
int gradbook_sgemm_available(void);

/* The micro-kernel gradbook_sgemm uses on this CPU, e.g. "AVX-512 8×32", or "none". */
const char *gradbook_sgemm_kernel(void);

/* The 2-d cross-correlation of images [first, first + count) of x ([N, C, h, w], contiguous)
 * with weight ([O, C, kh, kw]), stride 1, no dilation, zero padding ph × pw, plus bias ([O],
 * or NULL), into y ([N, O, h + 2ph − kh + 1, w + 2pw − kw + 1]). With `flip`, weight is
 * [C, O, kh, kw] and is used with its two channel axes swapped and its taps reversed — the
 * transposed convolution of x by weight, when the padding is kh − 1 − p. Computed directly,
 * without im2col columns, with AVX-512; returns 0 (and writes nothing) when this CPU has no
 * AVX-512, kw is more than 64 or memory ran out: the caller then takes the im2col path. */
int gradbook_correlate2d_f32(const float *x, long first, long count, long c, long h, long w,
                             const float *weight, long o, long kh, long kw, long ph, long pw,
                             int flip, const float *bias, float *y);

/* The weight gradient of that correlation (no flip), for output channels [o0, o1): gw
 * ([O, C, kh, kw]) gets Σ over images and output positions of g ([N, O, oh, ow]) times the
 * input element each tap read. For 3×3 kernels with AVX-512; returns 0 otherwise (or when
 * memory ran out), and the caller takes the im2col path. */
int gradbook_correlate2d_weight_gradient_f32(const float *x, const float *g, long n, long c,
                                             long h, long w, long o, long kh, long kw, long ph,
                                             long pw, long o0, long o1, float *gw);

/* 1 when gradbook_correlate2d_f32 runs on this CPU (AVX-512), 0 otherwise. */
int gradbook_correlate2d_available(void);

#endif
