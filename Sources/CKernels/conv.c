#include "CKernels.h"

#include <stdlib.h>

/* Direct 2-d cross-correlation with stride 1 and no dilation (see CKernels.h): the sums of
 * im2col followed by a matrix product, without writing the columns (nine copies of the input
 * for a 3×3 kernel). For each image and output row, eight output channels at a time hold
 * sixteen output columns each in registers; every tap loads one row segment of the input
 * (lanes in the padding masked to zero) and adds it, times each channel's weight, into all
 * eight. The weights are packed first, eight output channels side by side per tap, zero past
 * the last channel. */

#if defined(__x86_64__)
#include <immintrin.h>

#define BLOCK 8
#define MAX_KW 64 /* wider kernels take the im2col path */

/* packed[(b · C + c) · KH · KW + tap][j] = the weight of output channel 8b + j, input channel
 * c, tap (ki, kj); for `flip`, the weight that makes the correlation the transposed
 * convolution of w ([C, O, KH, KW]: input channel and output channel swapped, taps reversed). */
static float *pack_weights(const float *w, long o, long c, long kh, long kw, int flip) {
  long blocks = (o + BLOCK - 1) / BLOCK, taps = kh * kw;
  float *packed = calloc((size_t)(blocks * c * taps * BLOCK), sizeof(float));
  if (!packed) return NULL;
  for (long oc = 0; oc < o; oc++)
    for (long ic = 0; ic < c; ic++)
      for (long t = 0; t < taps; t++) {
        float value = flip ? w[(ic * o + oc) * taps + (taps - 1 - t)] : w[(oc * c + ic) * taps + t];
        packed[((oc / BLOCK * c + ic) * taps + t) * BLOCK + oc % BLOCK] = value;
      }
  return packed;
}

__attribute__((target("avx512f,avx2,fma"))) static void correlate_rows(
    const float *x, long c, long h, long w, const float *packed, long o, long kh, long kw,
    long ph, long pw, const float *bias, float *y, long oh, long ow, long image) {
  long taps = kh * kw;
  const float *input = x + image * c * h * w;
  for (long b = 0; b * BLOCK < o; b++) {
    long channels = o - b * BLOCK < BLOCK ? o - b * BLOCK : BLOCK;
    for (long ox0 = 0; ox0 < ow; ox0 += 16) {
      long count = ow - ox0 < 16 ? ow - ox0 : 16;
      /* Which lanes of each tap column read inside the row: lane l reads column
       * ox0 + l + kj − pw, inside [0, w) and l < count. The same for every row. */
      __mmask16 masks[MAX_KW];
      for (long kj = 0; kj < kw; kj++) {
        long ix0 = ox0 + kj - pw;
        long lo = ix0 < 0 ? -ix0 : 0;
        long hi = w - ix0 < count ? w - ix0 : count;
        masks[kj] = hi <= lo ? 0 : (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
      }
      for (long oy = 0; oy < oh; oy++) {
        __m512 acc[BLOCK];
        for (int j = 0; j < BLOCK; j++)
          acc[j] = _mm512_set1_ps(bias && j < channels ? bias[b * BLOCK + j] : 0.0f);
        for (long ic = 0; ic < c; ic++) {
          const float *plane = input + ic * h * w;
          const float *weights = packed + (b * c + ic) * taps * BLOCK;
          for (long ki = 0; ki < kh; ki++) {
            long iy = oy + ki - ph;
            if (iy < 0 || iy >= h) continue;
            const float *row = plane + iy * w + ox0 - pw;
            const float *tap = weights + ki * kw * BLOCK;
            for (long kj = 0; kj < kw; kj++, tap += BLOCK) {
              __m512 v = _mm512_maskz_loadu_ps(masks[kj], row + kj);
              for (int j = 0; j < BLOCK; j++)
                acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(tap[j]), v, acc[j]);
            }
          }
        }
        __mmask16 store = (__mmask16)((1u << count) - 1u);
        for (int j = 0; j < channels; j++) {
          float *out = y + ((image * o + b * BLOCK + j) * oh + oy) * ow + ox0;
          _mm512_mask_storeu_ps(out, store, acc[j]);
        }
      }
    }
  }
}

int gradbook_correlate2d_available(void) { return gradbook_kernels_use_avx512(); }

int gradbook_correlate2d_f32(const float *x, long first, long count, long c, long h, long w,
                             const float *weight, long o, long kh, long kw, long ph, long pw,
                             int flip, const float *bias, float *y) {
  if (!gradbook_kernels_use_avx512() || kw > MAX_KW) return 0;
  long oh = h + 2 * ph - kh + 1, ow = w + 2 * pw - kw + 1;
  float *packed = pack_weights(weight, o, c, kh, kw, flip);
  if (!packed) return 0;
  for (long image = first; image < first + count; image++)
    correlate_rows(x, c, h, w, packed, o, kh, kw, ph, pw, bias, y, oh, ow, image);
  free(packed);
  return 1;
}

/* The weight gradient of a 3×3 correlation at stride 1, output channels [o0, o1): two output
 * channels and one input channel at a time keep their 2 × 9 sums as vectors over sixteen
 * output columns, in eighteen named registers (an array indexed in loops would live in
 * memory); every image row adds ȳ's two row segments times the nine shifted input
 * segments — rows in the padding skipped, lanes in it masked to zero — and the vectors
 * are summed across at the end. */
#define TAP(ki, kj)                                                                        \
  {                                                                                        \
    __m512 v = _mm512_maskz_loadu_ps(m##kj, row##ki + (kj));                              \
    a##ki##kj = _mm512_fmadd_ps(da, v, a##ki##kj);                                         \
    b##ki##kj = _mm512_fmadd_ps(db, v, b##ki##kj);                                         \
  }
#define ROW_OF_TAPS(ki) { TAP(ki, 0) TAP(ki, 1) TAP(ki, 2) }
#define FOR_TAPS(DO) DO(0, 0) DO(0, 1) DO(0, 2) DO(1, 0) DO(1, 1) DO(1, 2) DO(2, 0) DO(2, 1) DO(2, 2)
#define ZERO(ki, kj) __m512 a##ki##kj = _mm512_setzero_ps(), b##ki##kj = _mm512_setzero_ps();
#define STORE(ki, kj)                                                                      \
  gw[(oa * c + ic) * 9 + (ki) * 3 + (kj)] = _mm512_reduce_add_ps(a##ki##kj);               \
  if (pair) gw[((oa + 1) * c + ic) * 9 + (ki) * 3 + (kj)] = _mm512_reduce_add_ps(b##ki##kj);

__attribute__((target("avx512f,avx2,fma"))) static int weight_gradient_3x3(
    const float *x, const float *g, long n, long c, long h, long w, long o, long ph, long pw,
    long o0, long o1, float *gw) {
  long oh = h + 2 * ph - 2, ow = w + 2 * pw - 2, chunks = (ow + 15) / 16;
  /* masks[chunk][kj]: the lanes of tap column kj that read inside the row (and < ow). */
  __mmask16 (*masks)[3] = malloc(sizeof(__mmask16[3]) * (size_t)(chunks > 0 ? chunks : 1));
  if (!masks) return 0;
  for (long chunk = 0; chunk < chunks; chunk++) {
    long ox0 = chunk * 16, count = ow - ox0 < 16 ? ow - ox0 : 16;
    for (long kj = 0; kj < 3; kj++) {
      long ix0 = ox0 + kj - pw;
      long lo = ix0 < 0 ? -ix0 : 0, hi = w - ix0 < count ? w - ix0 : count;
      masks[chunk][kj] = hi <= lo ? 0 : (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
    }
  }
  for (long oa = o0; oa < o1; oa += 2) {
    int pair = oa + 1 < o1;
    for (long ic = 0; ic < c; ic++) {
      FOR_TAPS(ZERO)
      for (long chunk = 0; chunk < chunks; chunk++) {
        long ox0 = chunk * 16, count = ow - ox0 < 16 ? ow - ox0 : 16;
        __mmask16 lanes = (__mmask16)((1u << count) - 1u), pairLanes = pair ? lanes : 0;
        __mmask16 m0 = masks[chunk][0], m1 = masks[chunk][1], m2 = masks[chunk][2];
        for (long image = 0; image < n; image++) {
          const float *plane = x + (image * c + ic) * h * w + ox0 - pw;
          const float *ga = g + (image * o + oa) * oh * ow + ox0;
          const float *gb = pair ? ga + oh * ow : ga;
          for (long oy = 0; oy < oh; oy++) {
            __m512 da = _mm512_maskz_loadu_ps(lanes, ga + oy * ow);
            __m512 db = _mm512_maskz_loadu_ps(pairLanes, gb + oy * ow);
            /* Input rows oy − ph + ki; a row in the padding adds nothing. */
            long y0 = oy - ph;
            const float *row0 = plane + y0 * w, *row1 = row0 + w, *row2 = row1 + w;
            if (y0 >= 0 && y0 < h) ROW_OF_TAPS(0)
            if (y0 + 1 >= 0 && y0 + 1 < h) ROW_OF_TAPS(1)
            if (y0 + 2 >= 0 && y0 + 2 < h) ROW_OF_TAPS(2)
          }
        }
      }
      FOR_TAPS(STORE)
    }
  }
  free(masks);
  return 1;
}

int gradbook_correlate2d_weight_gradient_f32(const float *x, const float *g, long n, long c,
                                             long h, long w, long o, long kh, long kw, long ph,
                                             long pw, long o0, long o1, float *gw) {
  if (!gradbook_kernels_use_avx512() || kh != 3 || kw != 3) return 0;
  return weight_gradient_3x3(x, g, n, c, h, w, o, ph, pw, o0, o1, gw);
}
#else
int gradbook_correlate2d_available(void) { return 0; }

int gradbook_correlate2d_f32(const float *x, long first, long count, long c, long h, long w,
                             const float *weight, long o, long kh, long kw, long ph, long pw,
                             int flip, const float *bias, float *y) {
  return 0;
}

int gradbook_correlate2d_weight_gradient_f32(const float *x, const float *g, long n, long c,
                                             long h, long w, long o, long kh, long kw, long ph,
                                             long pw, long o0, long o1, float *gw) {
  return 0;
}
#endif
