// SiLU in place, x <- x / (1 + e^-x), for the image model's MLP: one definition evaluated with the same
// IEEE operations on every path (scalar, AVX2, AVX-512), so a value's bits do not depend on the path,
// on where it sits in the buffer (SIMD body or scalar tail) or on how many values share the call.
//
//   y = x / (1 + e)      e = exp_poly.h's e^-x (a clamped argument: for x < -87, x / (1 + e^87),
//                        below 1e-35 in magnitude like the true value)
//
// -x is a sign flip and the rest are exactly rounded IEEE operations, so the vector lanes compute what
// the scalar loop computes.
#include "ckernels.h"
#include "exp_poly.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)   // no fusing beyond the fma written out: the paths must agree

static inline float silu_one(float x) { return x / (1.0f + tl_exp_poly1(-x)); }

static void silu_scalar(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = silu_one(x[i]);
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define TL_HAVE_X86 1

#define TL_T512 __attribute__((target("avx2,fma,avx512f")))
#define TL_T256 __attribute__((target("avx2,fma")))

TL_T512 static void silu_avx512(float *x, int64_t n) {
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    const __m512 one = _mm512_set1_ps(1.0f);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        const __m512 e = tl_exp_poly16(_mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(v), sign)));
        _mm512_storeu_ps(x + i, _mm512_div_ps(v, _mm512_add_ps(one, e)));
    }
    silu_scalar(x + i, n - i);
}

TL_T256 static void silu_avx2(float *x, int64_t n) {
    const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_ps(x + i, _mm256_div_ps(v, _mm256_add_ps(one, tl_exp_poly8(_mm256_xor_ps(v, sign)))));
    }
    silu_scalar(x + i, n - i);
}

#endif

// The F32 kernels' one rule for which path this CPU runs (gemm_f32.c).
int tl_silu_f32_available(int impl) { return tl_gemm_f32_available(impl); }

int tl_silu_f32(float *x, int64_t n, int impl) {
    impl = tl_f32_impl(impl);
    if (impl < 0) return -1;
    switch (impl) {
#ifdef TL_HAVE_X86
    case TL_GEMM_AVX512: silu_avx512(x, n); return 0;
    case TL_GEMM_AVX2: silu_avx2(x, n); return 0;
#endif
    default: silu_scalar(x, n); return 0;
    }
}
