#include "CKernels.h"

#include <stdlib.h>
#include <string.h>

/* Single-precision matrix product, blocked as BLIS and OpenBLAS block it (Goto's algorithm):
 *
 *   for each block of NC columns of B and C
 *     for each block of KC rows of B      — pack them: panels of NR columns, k-major
 *       for each block of MC rows of A    — pack them: panels of MR rows, k-major
 *         for each MR × NR tile of C      — the micro-kernel: KC rank-1 updates in registers
 *
 * The micro-kernel is written once with the compiler's vector types and compiled for
 * AVX-512 (MR 8 × NR 32: 16 accumulators of 16 floats) and for AVX2 + FMA (MR 6 × NR 16:
 * 12 accumulators of 8 floats); `gradbook_sgemm_available` says whether this CPU has either.
 * Packing reads any layout (transposed or not, any leading dimension), zero-pads the ragged
 * edges, and lets the micro-kernel read both operands with unit stride. */

#define KC 256
#define MC 96
#define NC 2048

typedef struct {
  const float *base;
  long ld;
  int transposed;
} matrix_view;

/* Element (row, column) of a row-major view, or of its transpose. */
static inline float element(matrix_view v, long row, long column) {
  return v.transposed ? v.base[column * v.ld + row] : v.base[row * v.ld + column];
}

/* Packs rows [i0, i0 + mc) × columns [p0, p0 + kc) of A as panels of `mr` rows: within a
 * panel, for each p the mr values of column p (zero past the last row). */
static void pack_a(matrix_view a, long i0, long mc, long p0, long kc, int mr, float *out) {
  for (long ir = 0; ir < mc; ir += mr, out += kc * mr) {
    long rows = mc - ir < mr ? mc - ir : mr;
    if (!a.transposed) {
      /* Row i of A is contiguous along p: read it in order, write every mr-th slot. */
      for (long i = 0; i < rows; i++) {
        const float *row = a.base + (i0 + ir + i) * a.ld + p0;
        for (long p = 0; p < kc; p++) out[p * mr + i] = row[p];
      }
      for (long i = rows; i < mr; i++)
        for (long p = 0; p < kc; p++) out[p * mr + i] = 0;
    } else {
      for (long p = 0; p < kc; p++) {
        const float *column = a.base + (p0 + p) * a.ld + i0 + ir;
        long i = 0;
        for (; i < rows; i++) out[p * mr + i] = column[i];
        for (; i < mr; i++) out[p * mr + i] = 0;
      }
    }
  }
}

/* Packs rows [p0, p0 + kc) × columns [j0, j0 + nc) of B as panels of `nr` columns: within a
 * panel, for each p the nr values of row p (zero past the last column). */
static void pack_b(matrix_view b, long p0, long kc, long j0, long nc, int nr, float *out) {
  for (long jr = 0; jr < nc; jr += nr, out += kc * nr) {
    long columns = nc - jr < nr ? nc - jr : nr;
    if (!b.transposed) {
      for (long p = 0; p < kc; p++) {
        const float *row = b.base + (p0 + p) * b.ld + j0 + jr;
        long j = 0;
        for (; j < columns; j++) out[p * nr + j] = row[j];
        for (; j < nr; j++) out[p * nr + j] = 0;
      }
    } else {
      /* Column j of op(B) is a contiguous row of the stored matrix. */
      for (long j = 0; j < columns; j++) {
        const float *column = b.base + (j0 + jr + j) * b.ld + p0;
        for (long p = 0; p < kc; p++) out[p * nr + j] = column[p];
      }
      for (long j = columns; j < nr; j++)
        for (long p = 0; p < kc; p++) out[p * nr + j] = 0;
    }
  }
}

/* The packing buffers of this thread, grown when a product needs more. */
static _Thread_local float *packed_a, *packed_b;
static _Thread_local size_t packed_a_count, packed_b_count;

static float *buffer(float **buffer, size_t *count, size_t needed) {
  if (*count < needed) {
    free(*buffer);
    size_t bytes = (needed * sizeof(float) + 63) & ~(size_t)63;
    *buffer = aligned_alloc(64, bytes);
    *count = *buffer ? needed : 0;
  }
  return *buffer;
}

/* Adds (or, when `overwrite`, stores) the rows × columns corner of an MR × NR tile to C. */
static inline void store_tile(const float *tile, int nr, long rows, long columns, float *c,
                              long ldc, int overwrite) {
  for (long i = 0; i < rows; i++) {
    float *row = c + i * ldc;
    const float *t = tile + i * nr;
    if (overwrite) {
      for (long j = 0; j < columns; j++) row[j] = t[j];
    } else {
      for (long j = 0; j < columns; j++) row[j] += t[j];
    }
  }
}

/* The micro-kernel: tile = Σ_p a[p][0..<MR]ᵀ · b[p][0..<NR], V the vector type (NR = 2 V),
 * B's rows `ldb` apart (NR when packed; a row-major B's own rows are read in place). */
#define MICRO_KERNEL(NAME, V, LANES, MR)                                                   \
  static void NAME(long kc, const float *restrict a, const float *restrict b, long ldb,   \
                   float *restrict tile) {                                                 \
    V acc0[MR], acc1[MR];                                                                  \
    for (int i = 0; i < MR; i++) acc0[i] = acc1[i] = (V){0};                               \
    for (long p = 0; p < kc; p++) {                                                        \
      V b0, b1;                                                                            \
      memcpy(&b0, b + p * ldb, sizeof(V));                                                 \
      memcpy(&b1, b + p * ldb + LANES, sizeof(V));                                         \
      const float *ap = a + p * MR;                                                        \
      for (int i = 0; i < MR; i++) {                                                       \
        V ai = (V){0} + ap[i];                                                             \
        acc0[i] += ai * b0;                                                                \
        acc1[i] += ai * b1;                                                                \
      }                                                                                    \
    }                                                                                      \
    for (int i = 0; i < MR; i++) {                                                         \
      memcpy(tile + i * 2 * LANES, &acc0[i], sizeof(V));                                   \
      memcpy(tile + i * 2 * LANES + LANES, &acc1[i], sizeof(V));                           \
    }                                                                                      \
  }

/* One product with a given micro-kernel: C = A·B (beta 0) or C += A·B (beta 1). */
#define GEMM_DRIVER(NAME, KERNEL, MR, NR)                                                  \
  static void NAME(matrix_view a, matrix_view b, long m, long n, long k, int accumulate,  \
                   float *c, long ldc) {                                                   \
    long mcMax = (MC / MR) * MR;                                                           \
    float *pa = buffer(&packed_a, &packed_a_count, (size_t)mcMax * KC);                    \
    float *pb = buffer(&packed_b, &packed_b_count, (size_t)(NC + NR) * KC);                \
    if (!pa || !pb) abort();                                                               \
    float tile[MR * NR] __attribute__((aligned(64)));                                      \
    for (long j0 = 0; j0 < n; j0 += NC) {                                                  \
      long nc = n - j0 < NC ? n - j0 : NC;                                                 \
      for (long p0 = 0; p0 < k; p0 += KC) {                                                \
        long kc = k - p0 < KC ? k - p0 : KC;                                               \
        int overwrite = !accumulate && p0 == 0;                                            \
        /* A row-major B is read in place, full NR-wide panels at least; the rest packed. */ \
        long direct = b.transposed ? 0 : (nc / NR) * NR;                                   \
        if (direct < nc) pack_b(b, p0, kc, j0 + direct, nc - direct, NR, pb);              \
        for (long i0 = 0; i0 < m; i0 += mcMax) {                                           \
          long mc = m - i0 < mcMax ? m - i0 : mcMax;                                       \
          pack_a(a, i0, mc, p0, kc, MR, pa);                                               \
          for (long jr = 0; jr < nc; jr += NR) {                                           \
            long columns = nc - jr < NR ? nc - jr : NR;                                    \
            const float *bp = jr < direct ? b.base + p0 * b.ld + j0 + jr                   \
                                          : pb + (jr - direct) * kc;                       \
            long ldb = jr < direct ? b.ld : NR;                                            \
            for (long ir = 0; ir < mc; ir += MR) {                                         \
              long rows = mc - ir < MR ? mc - ir : MR;                                     \
              KERNEL(kc, pa + ir * kc, bp, ldb, tile);                                     \
              store_tile(tile, NR, rows, columns, c + (i0 + ir) * ldc + j0 + jr, ldc,     \
                         overwrite);                                                       \
            }                                                                              \
          }                                                                                \
        }                                                                                  \
      }                                                                                    \
    }                                                                                      \
  }

#if defined(__x86_64__)
#include <immintrin.h>

/* AVX-512: the tile's rows in zmm accumulators, two per row (32 columns), each k step two
 * loads of B, one broadcast of A per row and two FMAs per row. 12 rows use 24 of the 32
 * registers (the fastest here: 115–125 GFLOP/s on one core); 8 rows waste less on short
 * matrices (a 16-row product is two 8-row panels, not 12 + 4). */
#define ZMM_ROW(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps();
#define ZMM_FMA(i)                                                                         \
  {                                                                                        \
    __m512 x = _mm512_set1_ps(ap[i]);                                                      \
    c##i##0 = _mm512_fmadd_ps(x, b0, c##i##0);                                             \
    c##i##1 = _mm512_fmadd_ps(x, b1, c##i##1);                                             \
  }
#define ZMM_STORE(i)                                                                       \
  _mm512_storeu_ps(tile + (i) * 32, c##i##0);                                              \
  _mm512_storeu_ps(tile + (i) * 32 + 16, c##i##1);
#define ZMM_KERNEL(NAME, MR, ROWS, FMAS, STORES)                                           \
  __attribute__((target("avx512f,avx2,fma"))) static void NAME(                           \
      long kc, const float *restrict a, const float *restrict b, long ldb,                 \
      float *restrict tile) {                                                              \
    ROWS                                                                                   \
    for (long p = 0; p < kc; p++) {                                                        \
      __m512 b0 = _mm512_loadu_ps(b + p * ldb), b1 = _mm512_loadu_ps(b + p * ldb + 16);    \
      const float *ap = a + p * MR;                                                        \
      FMAS                                                                                 \
    }                                                                                      \
    STORES                                                                                 \
  }

ZMM_KERNEL(kernel_avx512_8, 8,
           ZMM_ROW(0) ZMM_ROW(1) ZMM_ROW(2) ZMM_ROW(3) ZMM_ROW(4) ZMM_ROW(5) ZMM_ROW(6)
               ZMM_ROW(7),
           ZMM_FMA(0) ZMM_FMA(1) ZMM_FMA(2) ZMM_FMA(3) ZMM_FMA(4) ZMM_FMA(5) ZMM_FMA(6)
               ZMM_FMA(7),
           ZMM_STORE(0) ZMM_STORE(1) ZMM_STORE(2) ZMM_STORE(3) ZMM_STORE(4) ZMM_STORE(5)
               ZMM_STORE(6) ZMM_STORE(7))
ZMM_KERNEL(kernel_avx512_12, 12,
           ZMM_ROW(0) ZMM_ROW(1) ZMM_ROW(2) ZMM_ROW(3) ZMM_ROW(4) ZMM_ROW(5) ZMM_ROW(6)
               ZMM_ROW(7) ZMM_ROW(8) ZMM_ROW(9) ZMM_ROW(10) ZMM_ROW(11),
           ZMM_FMA(0) ZMM_FMA(1) ZMM_FMA(2) ZMM_FMA(3) ZMM_FMA(4) ZMM_FMA(5) ZMM_FMA(6)
               ZMM_FMA(7) ZMM_FMA(8) ZMM_FMA(9) ZMM_FMA(10) ZMM_FMA(11),
           ZMM_STORE(0) ZMM_STORE(1) ZMM_STORE(2) ZMM_STORE(3) ZMM_STORE(4) ZMM_STORE(5)
               ZMM_STORE(6) ZMM_STORE(7) ZMM_STORE(8) ZMM_STORE(9) ZMM_STORE(10)
                   ZMM_STORE(11))

#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
GEMM_DRIVER(gemm_avx512_8, kernel_avx512_8, 8, 32)
GEMM_DRIVER(gemm_avx512_12, kernel_avx512_12, 12, 32)
#pragma clang attribute pop

typedef float v8f __attribute__((vector_size(32)));

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
MICRO_KERNEL(kernel_avx2, v8f, 8, 6)
GEMM_DRIVER(gemm_avx2, kernel_avx2, 6, 16)
#pragma clang attribute pop

/* C = A·Bᵀ with both operands' rows contiguous along k (a product with B transposed, A
 * not), for short matrices with a long k — a convolution's weight gradient, 16 × 196 by
 * 196 × 72 per image: every C element is a dot product of two rows, so nothing is packed
 * (packing a transposed B costs more than the arithmetic there). 4 × 4 tiles of C, each k
 * step four rows of A and of B in 16 lanes, sixteen FMAs; a horizontal sum at the end. */
__attribute__((target("avx512f,avx2,fma"))) static void gemm_nt_avx512(
    const float *a, long lda, const float *b, long ldb, long m, long n, long k, int accumulate,
    float *c, long ldc) {
  long tail = k % 16, body = k - tail;
  __mmask16 mask = (__mmask16)((1u << tail) - 1);
  for (long i0 = 0; i0 < m; i0 += 4) {
    const float *ar[4];
    for (int i = 0; i < 4; i++) ar[i] = a + (i0 + i < m ? i0 + i : i0) * lda;
    for (long j0 = 0; j0 < n; j0 += 4) {
      const float *br[4];
      for (int j = 0; j < 4; j++) br[j] = b + (j0 + j < n ? j0 + j : j0) * ldb;
      __m512 acc[4][4];
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = _mm512_setzero_ps();
      for (long p = 0; p < body; p += 16) {
        __m512 x[4], y[4];
        for (int i = 0; i < 4; i++) x[i] = _mm512_loadu_ps(ar[i] + p);
        for (int j = 0; j < 4; j++) y[j] = _mm512_loadu_ps(br[j] + p);
        for (int i = 0; i < 4; i++)
          for (int j = 0; j < 4; j++) acc[i][j] = _mm512_fmadd_ps(x[i], y[j], acc[i][j]);
      }
      if (tail) {
        __m512 x[4], y[4];
        for (int i = 0; i < 4; i++) x[i] = _mm512_maskz_loadu_ps(mask, ar[i] + body);
        for (int j = 0; j < 4; j++) y[j] = _mm512_maskz_loadu_ps(mask, br[j] + body);
        for (int i = 0; i < 4; i++)
          for (int j = 0; j < 4; j++) acc[i][j] = _mm512_fmadd_ps(x[i], y[j], acc[i][j]);
      }
      for (int i = 0; i < 4 && i0 + i < m; i++)
        for (int j = 0; j < 4 && j0 + j < n; j++) {
          float sum = _mm512_reduce_add_ps(acc[i][j]);
          float *out = c + (i0 + i) * ldc + j0 + j;
          *out = accumulate ? *out + sum : sum;
        }
    }
  }
}

/* Matrix–vector products (one row or one column of C): nothing to reuse, so nothing is
 * packed — packing a 100 × 100 A for one column cost more than the product (a Hessian's
 * hundred backward passes spent a third of their time there). Each element of C is either
 * a dot product of two contiguous runs of k floats, or a sum of k scaled contiguous rows
 * (an axpy per row); a run that is not contiguous is gathered first. AVX2 vectors of 8,
 * four partial sums. */
typedef float v8u __attribute__((vector_size(32), aligned(4)));

__attribute__((target("avx2,fma"))) static float dot(const float *x, const float *y, long k) {
  v8f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
  long p = 0;
  for (; p + 32 <= k; p += 32) {
    s0 += *(const v8u *)(x + p) * *(const v8u *)(y + p);
    s1 += *(const v8u *)(x + p + 8) * *(const v8u *)(y + p + 8);
    s2 += *(const v8u *)(x + p + 16) * *(const v8u *)(y + p + 16);
    s3 += *(const v8u *)(x + p + 24) * *(const v8u *)(y + p + 24);
  }
  for (; p + 8 <= k; p += 8) s0 += *(const v8u *)(x + p) * *(const v8u *)(y + p);
  v8f s = (s0 + s1) + (s2 + s3);
  float total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; p < k; p++) total += x[p] * y[p];
  return total;
}

/* out[0..<n) = Σ_p x[p] · rows[p·ld + 0..<n). */
__attribute__((target("avx2,fma"))) static void sum_of_rows(const float *x, const float *rows,
                                                           long ld, long k, long n,
                                                           float *out) {
  memset(out, 0, sizeof(float) * (size_t)n);
  for (long p = 0; p < k; p++) {
    const float *row = rows + p * ld;
    float s = x[p];
    v8f sv = (v8f){0} + s;
    long j = 0;
    for (; j + 8 <= n; j += 8) *(v8u *)(out + j) += sv * *(const v8u *)(row + j);
    for (; j < n; j++) out[j] += s * row[j];
  }
}

/* The `count` elements `first[i · step]` as a contiguous run: in place when step is 1,
 * else gathered into `scratch`. */
static const float *run(const float *first, long step, long count, float *scratch) {
  if (step == 1) return first;
  for (long i = 0; i < count; i++) scratch[i] = first[i * step];
  return scratch;
}

/* C = A·B or C += A·B when m or n is 1; returns 0 (nothing done) otherwise. */
static int gemv(matrix_view a, matrix_view b, long m, long n, long k, int accumulate, float *c,
                long ldc) {
  if (m != 1 && n != 1) return 0;
  /* A one-row C is the transposed product Cᵀ = Bᵀ·Aᵀ with one column: one code path. */
  long rows = n == 1 ? m : n;
  long out_step = n == 1 ? ldc : 1;
  matrix_view matrix = n == 1 ? a : (matrix_view){b.base, b.ld, !b.transposed};
  /* The vector: column 0 of B, or row 0 of A, with its step. */
  const float *v = n == 1 ? b.base : a.base;
  long v_step = n == 1 ? (b.transposed ? 1 : b.ld) : (a.transposed ? a.ld : 1);
  float *scratch = malloc(sizeof(float) * (size_t)(k + rows));
  if (!scratch) abort();
  const float *x = run(v, v_step, k, scratch);
  float *sums = scratch + k;
  if (!matrix.transposed) { /* row i of the matrix is contiguous along p */
    for (long i = 0; i < rows; i++) sums[i] = dot(matrix.base + i * matrix.ld, x, k);
  } else { /* column p of the matrix is contiguous along i */
    sum_of_rows(x, matrix.base, matrix.ld, k, rows, sums);
  }
  for (long i = 0; i < rows; i++) {
    float *out = c + i * out_step;
    *out = accumulate ? *out + sums[i] : sums[i];
  }
  free(scratch);
  return 1;
}

/* The AVX-512 kernel for m rows: 12-row panels unless 8-row ones pad much less (measured:
 * the 8-row kernel runs at about 65 % of the 12-row one). */
static int twelve_rows(long m) {
  long padded12 = (m + 11) / 12 * 12, padded8 = (m + 7) / 8 * 8;
  return (double)m / padded12 >= 0.65 * (double)m / padded8;
}

int gradbook_sgemm_available(void) { return gradbook_kernels_use_avx2(); }

const char *gradbook_sgemm_kernel(void) {
  return gradbook_kernels_use_avx512() ? "AVX-512 12×32 and 8×32"
                      : (gradbook_kernels_use_avx2() ? "AVX2 6×16" : "none");
}

void gradbook_sgemm(int transposeA, int transposeB, long m, long n, long k, const float *a,
                    long lda, const float *b, long ldb, int accumulate, float *c, long ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (long i = 0; i < m; i++) memset(c + i * ldc, 0, sizeof(float) * (size_t)n);
    return;
  }
  matrix_view va = {a, lda, transposeA}, vb = {b, ldb, transposeB};
  if (gemv(va, vb, m, n, k, accumulate, c, ldc)) return;
  int avx512 = gradbook_kernels_use_avx512();
  if (avx512 && transposeB && !transposeA && k >= 64 && (m <= 32 || n <= 32))
    gemm_nt_avx512(a, lda, b, ldb, m, n, k, accumulate, c, ldc);
  else if (avx512 && twelve_rows(m)) gemm_avx512_12(va, vb, m, n, k, accumulate, c, ldc);
  else if (avx512) gemm_avx512_8(va, vb, m, n, k, accumulate, c, ldc);
  else if (gradbook_kernels_use_avx2()) gemm_avx2(va, vb, m, n, k, accumulate, c, ldc);
  else abort(); /* callers ask gradbook_sgemm_available() first */
}
#else
int gradbook_sgemm_available(void) { return 0; }
const char *gradbook_sgemm_kernel(void) { return "none"; }
void gradbook_sgemm(int transposeA, int transposeB, long m, long n, long k, const float *a,
                    long lda, const float *b, long ldb, int accumulate, float *c, long ldc) {
  abort();
}
#endif
