#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* One body, compiled twice: for the baseline and for AVX2 + FMA. */
#define TANH_LOOP                                                                          \
  for (long i = 0; i < n; i++) out[i] = gradbook_tanhf(in[i]);

static void tanh_baseline(const float *in, float *out, long n) { TANH_LOOP }

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void tanh_avx2(const float *in, float *out, long n) {
  TANH_LOOP
}

int gradbook_kernels_use_avx2(void) {
  static int answer = -1; /* asked once; two threads asking at once get the same answer */
  int known = __atomic_load_n(&answer, __ATOMIC_RELAXED);
  if (known < 0) {
    __builtin_cpu_init();
    known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    __atomic_store_n(&answer, known, __ATOMIC_RELAXED);
  }
  return known;
}

int gradbook_kernels_use_avx512(void) {
  static int answer = -1;
  int known = __atomic_load_n(&answer, __ATOMIC_RELAXED);
  if (known < 0) {
    __builtin_cpu_init();
    known = __builtin_cpu_supports("avx512f") && gradbook_kernels_use_avx2();
    __atomic_store_n(&answer, known, __ATOMIC_RELAXED);
  }
  return known;
}

void gradbook_tanh_f32(const float *in, float *out, long n) {
  if (gradbook_kernels_use_avx2()) tanh_avx2(in, out, n);
  else tanh_baseline(in, out, n);
}
#else
int gradbook_kernels_use_avx2(void) { return 0; }

int gradbook_kernels_use_avx512(void) { return 0; }

void gradbook_tanh_f32(const float *in, float *out, long n) { tanh_baseline(in, out, n); }
#endif

/* argmax / argmin along an axis: for each of `inner` outputs (`step` apart in `row`), the
 * index among `candidates` values (`along` apart) of the largest or smallest; the first on
 * ties. Returns 1 when a NaN was among them (NaN never wins here: the caller redoes such
 * rows). One comparison and two selects per candidate: with AVX2 they vectorize (9x faster
 * than SSE2, which has no blend). */
#define ARG_BEST_BODY(T)                                                                   \
  int nan = 0;                                                                             \
  for (long i = 0; i < inner; i++) {                                                       \
    best[i] = row[i * step];                                                               \
    nan |= best[i] != best[i];                                                             \
    won[i] = 0;                                                                            \
  }                                                                                        \
  for (long t = 1; t < candidates; t++) {                                                  \
    const T *c = row + t * along;                                                          \
    if (largest) {                                                                         \
      for (long i = 0; i < inner; i++) {                                                   \
        T x = c[i * step], b = best[i];                                                    \
        int w = x > b;                                                                     \
        nan |= x != x;                                                                     \
        best[i] = w ? x : b;                                                               \
        won[i] = w ? t : won[i];                                                           \
      }                                                                                    \
    } else {                                                                               \
      for (long i = 0; i < inner; i++) {                                                   \
        T x = c[i * step], b = best[i];                                                    \
        int w = x < b;                                                                     \
        nan |= x != x;                                                                     \
        best[i] = w ? x : b;                                                               \
        won[i] = w ? t : won[i];                                                           \
      }                                                                                    \
    }                                                                                      \
  }                                                                                        \
  return nan;

#define ARG_BEST(NAME, T)                                                                  \
  static int NAME##_baseline(const T *row, long inner, long step, long candidates,       \
                              long along, int largest, T *best, int64_t *won) {            \
    ARG_BEST_BODY(T)                                                                       \
  }                                                                                        \
  DISPATCHED_AVX2(static int NAME##_avx2(const T *row, long inner, long step,            \
                                          long candidates, long along, int largest,        \
                                          T *best, int64_t *won) { ARG_BEST_BODY(T) })     \
  int NAME(const T *row, long inner, long step, long candidates, long along, int largest,  \
           T *best, int64_t *won) {                                                        \
    return gradbook_kernels_use_avx2()                                                     \
               ? NAME##_avx2(row, inner, step, candidates, along, largest, best, won)      \
               : NAME##_baseline(row, inner, step, candidates, along, largest, best, won); \
  }

#if defined(__x86_64__)
#define DISPATCHED_AVX2(f) __attribute__((target("avx2,fma"))) f
#else
#define DISPATCHED_AVX2(f) f
#endif

ARG_BEST(gradbook_argbest_f32, float)
ARG_BEST(gradbook_argbest_f64, double)

/* 2×2 windows with stride 2 over rows r0 and r1 (r1 = r0 + rowStep), windows [a, b),
 * sixteen at a time with AVX-512: the even and odd columns of each row are separated by one
 * permutation, compared with masks, the winners' offsets blended and widened to int64.
 * Returns 1 when a NaN was among the values, 0 otherwise. */
#if defined(__x86_64__)
__attribute__((target("avx512f,avx2,fma"))) static int pairs_2x2_avx512(
    const float *r0, const float *r1, long a, long b, int64_t start, long rowStep,
    int64_t *out) {
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i one = _mm512_set1_epi32(1), down = _mm512_set1_epi32((int)rowStep);
  const __m512i diagonal = _mm512_set1_epi32((int)rowStep + 1);
  __mmask16 nan = 0;
  for (long ox = a; ox < b; ox += 16) {
    long count = b - ox < 16 ? b - ox : 16;
    /* 2·count floats of each row: the first sixteen, then the rest. */
    __mmask16 low = (__mmask16)(count >= 8 ? 0xFFFF : (1u << (2 * count)) - 1u);
    __mmask16 high = (__mmask16)(count > 8 ? (1u << (2 * count - 16)) - 1u : 0);
    __m512 a0 = _mm512_maskz_loadu_ps(low, r0 + 2 * ox), a1 = _mm512_maskz_loadu_ps(high, r0 + 2 * ox + 16);
    __m512 b0 = _mm512_maskz_loadu_ps(low, r1 + 2 * ox), b1 = _mm512_maskz_loadu_ps(high, r1 + 2 * ox + 16);
    __m512 p = _mm512_permutex2var_ps(a0, even, a1), q = _mm512_permutex2var_ps(a0, odd, a1);
    __m512 r = _mm512_permutex2var_ps(b0, even, b1), s = _mm512_permutex2var_ps(b0, odd, b1);
    __mmask16 lanes = (__mmask16)((1u << count) - 1u);
    nan |= lanes & (_mm512_cmp_ps_mask(p, p, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(q, q, _CMP_UNORD_Q) |
                    _mm512_cmp_ps_mask(r, r, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(s, s, _CMP_UNORD_Q));
    __mmask16 wq = _mm512_cmp_ps_mask(q, p, _CMP_GT_OQ);
    __m512 m = _mm512_mask_blend_ps(wq, p, q);
    __m512i offset = _mm512_maskz_mov_epi32(wq, one);
    __mmask16 wr = _mm512_cmp_ps_mask(r, m, _CMP_GT_OQ);
    m = _mm512_mask_blend_ps(wr, m, r);
    offset = _mm512_mask_blend_epi32(wr, offset, down);
    offset = _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(s, m, _CMP_GT_OQ), offset, diagonal);
    /* index = start + 2·(ox + lane) + offset, in two halves of eight int64. */
    __m512i within = _mm512_add_epi32(_mm512_add_epi32(lane, lane), offset);
    __m512i base = _mm512_set1_epi64(start + 2 * ox);
    __m512i first = _mm512_add_epi64(base, _mm512_cvtepi32_epi64(_mm512_castsi512_si256(within)));
    __m512i second = _mm512_add_epi64(base, _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(within, 1)));
    _mm512_mask_storeu_epi64(out + ox, (__mmask8)(lanes & 0xFF), first);
    _mm512_mask_storeu_epi64(out + ox + 8, (__mmask8)(lanes >> 8), second);
  }
  return nan != 0;
}
#endif

/* pairs_2x2_avx512 where the CPU has AVX-512; −1 (not done: the caller loops) otherwise. */
static int pairs_2x2_f32(const float *r0, const float *r1, long a, long b, int64_t start,
                         long rowStep, int64_t *out) {
#if defined(__x86_64__)
  /* The offsets are 32-bit within a plane; larger planes take the scalar loop. */
  if (gradbook_kernels_use_avx512() && rowStep < (1L << 30))
    return pairs_2x2_avx512(r0, r1, a, b, start, rowStep, out);
#endif
  return -1;
}

static int pairs_2x2_none(const double *r0, const double *r1, long a, long b, int64_t start,
                          long rowStep, int64_t *out) {
  return -1;
}

/* The window argmax of max pooling (see CKernels.h). Windows wholly inside the image are
 * compared with selects, not branches (which tap wins is as unpredictable as the data:
 * branches would mispredict half the time), and 2×2 windows with stride 2 — nearly every
 * max pooling — sixteen at a time with AVX-512 (Float32) or one at a time with selects;
 * windows that reach into the padding, and rows holding a NaN, take the exact loop. */
#define WINDOW_ARGMAX(NAME, T, FAST)                                                           \
  static int64_t NAME##_exact(const T *in, long h, long w, long kh, long kw, long dh,      \
                              long dw, long y0, long x0) {                                 \
    int64_t best = -1;                                                                     \
    T value = 0;                                                                           \
    for (long ki = 0; ki < kh; ki++) {                                                     \
      long iy = y0 + ki * dh;                                                              \
      if (iy < 0 || iy >= h) continue;                                                     \
      for (long kj = 0; kj < kw; kj++) {                                                   \
        long ix = x0 + kj * dw;                                                            \
        if (ix < 0 || ix >= w) continue;                                                   \
        T x = in[iy * w + ix];                                                             \
        if (best < 0 || (value == value && (x > value || x != x))) {                       \
          best = iy * w + ix;                                                              \
          value = x;                                                                       \
        }                                                                                  \
      }                                                                                    \
    }                                                                                      \
    return best;                                                                           \
  }                                                                                        \
  /* Windows ox in [a, b) of a row whose windows all lie inside, the first tap of window   \
   * ox at index start + ox·sw; returns 1 when a NaN was among the values. */              \
  static int NAME##_inside(const T *in, long w, long kh, long kw, long sw, long dh,        \
                           long dw, int64_t start, long a, long b, int64_t *out) {         \
    int nan = 0;                                                                           \
    if (kh == 2 && kw == 2 && sw == 2 && dw == 1) {                                        \
      const T *r0 = in + start, *r1 = r0 + dh * w;                                         \
      int vector = FAST(r0, r1, a, b, start, dh * w, out);                                 \
      if (vector >= 0) return vector;                                                      \
      for (long ox = a; ox < b; ox++) {                                                    \
        T p = r0[2 * ox], q = r0[2 * ox + 1], r = r1[2 * ox], s = r1[2 * ox + 1];          \
        nan |= (p != p) | (q != q) | (r != r) | (s != s);                                  \
        int wq = q > p;                                                                    \
        T m = wq ? q : p;                                                                  \
        int64_t i = wq ? 1 : 0;                                                            \
        int wr = r > m;                                                                    \
        m = wr ? r : m;                                                                    \
        i = wr ? dh * w : i;                                                               \
        i = s > m ? dh * w + 1 : i;                                                        \
        out[ox] = start + 2 * ox + i;                                                      \
      }                                                                                    \
      return nan;                                                                          \
    }                                                                                      \
    for (long ox = a; ox < b; ox++) {                                                      \
      int64_t first = start + ox * sw, best = first;                                       \
      T m = in[first];                                                                     \
      for (long ki = 0; ki < kh; ki++) {                                                   \
        for (long kj = 0; kj < kw; kj++) {                                                 \
          int64_t at = first + ki * dh * w + kj * dw;                                      \
          T x = in[at];                                                                    \
          int wins = x > m;                                                                \
          nan |= x != x;                                                                   \
          m = wins ? x : m;                                                                \
          best = wins ? at : best;                                                         \
        }                                                                                  \
      }                                                                                    \
      out[ox] = best;                                                                      \
    }                                                                                      \
    return nan;                                                                            \
  }                                                                                        \
  long NAME(const T *x, long planes, long h, long w, long kh, long kw, long sh, long sw,   \
            long ph, long pw, long dh, long dw, long oh, long ow, int64_t *out) {          \
    long empty = 0;                                                                        \
    /* The windows wholly inside along the width: ox in [lo, hi). */                      \
    long right = w - 1 - (kw - 1) * dw + pw;                                               \
    long lo = (pw + sw - 1) / sw, hi = right < 0 ? 0 : right / sw + 1;                     \
    if (hi > ow) hi = ow;                                                                  \
    if (lo > hi) lo = hi;                                                                  \
    for (long p = 0; p < planes; p++) {                                                    \
      const T *in = x + p * h * w;                                                         \
      for (long oy = 0; oy < oh; oy++) {                                                   \
        int64_t *o = out + (p * oh + oy) * ow;                                             \
        long y0 = oy * sh - ph;                                                            \
        int inside = y0 >= 0 && y0 + (kh - 1) * dh < h;                                    \
        long a = inside ? lo : ow, b = inside ? hi : ow;                                   \
        if (a < b && NAME##_inside(in, w, kh, kw, sw, dh, dw, y0 * w - pw, a, b, o)) {     \
          a = b = ow; /* a NaN: the whole row exactly */                                   \
        }                                                                                  \
        for (long ox = 0; ox < ow; ox++) {                                                 \
          if (ox >= a && ox < b) continue;                                                 \
          o[ox] = NAME##_exact(in, h, w, kh, kw, dh, dw, y0, ox * sw - pw);                \
          empty += o[ox] < 0;                                                              \
        }                                                                                  \
      }                                                                                    \
    }                                                                                      \
    return empty;                                                                          \
  }

WINDOW_ARGMAX(gradbook_window_argmax_f32, float, pairs_2x2_f32)
WINDOW_ARGMAX(gradbook_window_argmax_f64, double, pairs_2x2_none)
