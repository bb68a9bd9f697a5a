#include "CKernels.h"

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

void gradbook_tanh_f32(const float *in, float *out, long n) {
  if (gradbook_kernels_use_avx2()) tanh_avx2(in, out, n);
  else tanh_baseline(in, out, n);
}
#else
int gradbook_kernels_use_avx2(void) { return 0; }

void gradbook_tanh_f32(const float *in, float *out, long n) { tanh_baseline(in, out, n); }
#endif
