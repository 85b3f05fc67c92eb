// SiLU in place, x <- x / (1 + e^-x), for the image model's MLP: one definition evaluated with the same
// IEEE operations on every path (scalar, AVX2, AVX-512), so a value's bits do not depend on the path,
// on where it sits in the buffer (SIMD body or scalar tail) or on how many values share the call.
//
//   t = min(max(-x, -87), 88)                     (SIMD min/max semantics: a NaN x gives t = 88)
//   n = round-half-even(t * log2(e))              n in [-126, 127]: 2^n is a normal float
//   r = fma(n, -ln2_lo, fma(n, -ln2_hi, t))       Cody-Waite: |r| <= ln2 / 2
//   p = Horner(c5 ... c0, r) by fma               Cephes expf's minimax polynomial
//   e = (fma(p, r * r, r) + 1) * 2^n              ~ e^t within 2 ulp (tests: against float64)
//   y = x / (1 + e)
//
// Every step is an exactly rounded IEEE operation (fma, mul, add, div, round, an exact power-of-two
// scale), so the vector lanes compute what the scalar loop computes. Clamping t keeps e finite: for
// x < -87 the true y is below 1e-36 in magnitude and this gives x / (1 + e^87) instead.
#include "ckernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)   // no fusing beyond the fma written out: the paths must agree

#define TL_EXP_HI 88.0f
#define TL_EXP_LO -87.0f
#define TL_LOG2E 1.44269504088896341f
#define TL_LN2_HI 0.693359375f          // ln 2 split so n * TL_LN2_HI is exact for |n| <= 127
#define TL_LN2_LO -2.12194440e-4f
#define TL_C5 1.9875691500e-4f
#define TL_C4 1.3981999507e-3f
#define TL_C3 8.3334519073e-3f
#define TL_C2 4.1665795894e-2f
#define TL_C1 1.6666665459e-1f
#define TL_C0 5.0000001201e-1f

// max/min as the SIMD instructions define them: the second operand when either is NaN.
static inline float simd_max(float a, float b) { return a > b ? a : b; }
static inline float simd_min(float a, float b) { return a < b ? a : b; }

static inline float silu_one(float x) {
    const float t = simd_min(simd_max(-x, TL_EXP_LO), TL_EXP_HI);
    const float n = nearbyintf(t * TL_LOG2E);
    float r = fmaf(n, -TL_LN2_HI, t);
    r = fmaf(n, -TL_LN2_LO, r);
    float p = fmaf(TL_C5, r, TL_C4);
    p = fmaf(p, r, TL_C3);
    p = fmaf(p, r, TL_C2);
    p = fmaf(p, r, TL_C1);
    p = fmaf(p, r, TL_C0);
    const float r2 = r * r;
    const float y = fmaf(p, r2, r) + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;   // 2^n
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    const float e = y * scale;
    return x / (1.0f + e);
}

static void silu_scalar(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = silu_one(x[i]);
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define TL_HAVE_X86 1

#define TL_T512 __attribute__((target("avx2,fma,avx512f")))
#define TL_T256 __attribute__((target("avx2,fma")))

TL_T512 static void silu_avx512(float *x, int64_t n) {
    const __m512 lo = _mm512_set1_ps(TL_EXP_LO), hi = _mm512_set1_ps(TL_EXP_HI), l2e = _mm512_set1_ps(TL_LOG2E);
    const __m512 nhi = _mm512_set1_ps(-TL_LN2_HI), nlo = _mm512_set1_ps(-TL_LN2_LO), one = _mm512_set1_ps(1.0f);
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        const __m512 t = _mm512_min_ps(_mm512_max_ps(_mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(v), sign)), lo), hi);
        const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(t, l2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m512 r = _mm512_fmadd_ps(k, nhi, t);
        r = _mm512_fmadd_ps(k, nlo, r);
        __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(TL_C5), r, _mm512_set1_ps(TL_C4));
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(TL_C3));
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(TL_C2));
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(TL_C1));
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(TL_C0));
        const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), one);
        const __m512i e2 = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127)), 23);
        const __m512 e = _mm512_mul_ps(y, _mm512_castsi512_ps(e2));
        _mm512_storeu_ps(x + i, _mm512_div_ps(v, _mm512_add_ps(one, e)));
    }
    silu_scalar(x + i, n - i);
}

TL_T256 static void silu_avx2(float *x, int64_t n) {
    const __m256 lo = _mm256_set1_ps(TL_EXP_LO), hi = _mm256_set1_ps(TL_EXP_HI), l2e = _mm256_set1_ps(TL_LOG2E);
    const __m256 nhi = _mm256_set1_ps(-TL_LN2_HI), nlo = _mm256_set1_ps(-TL_LN2_LO), one = _mm256_set1_ps(1.0f);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256 t = _mm256_min_ps(_mm256_max_ps(_mm256_xor_ps(v, sign), lo), hi);
        const __m256 k = _mm256_round_ps(_mm256_mul_ps(t, l2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m256 r = _mm256_fmadd_ps(k, nhi, t);
        r = _mm256_fmadd_ps(k, nlo, r);
        __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(TL_C5), r, _mm256_set1_ps(TL_C4));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(TL_C3));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(TL_C2));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(TL_C1));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(TL_C0));
        const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), one);
        const __m256i e2 = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
        const __m256 e = _mm256_mul_ps(y, _mm256_castsi256_ps(e2));
        _mm256_storeu_ps(x + i, _mm256_div_ps(v, _mm256_add_ps(one, e)));
    }
    silu_scalar(x + i, n - i);
}

static int cpu_has(int avx512) {
    static int ok512 = -1, ok256 = -1;
    if (ok512 < 0) {
        __builtin_cpu_init();
        ok256 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        ok512 = ok256 && __builtin_cpu_supports("avx512f");
    }
    return avx512 ? ok512 : ok256;
}
#endif

int tl_silu_f32_available(int impl) {
    switch (impl) {
    case TL_GEMM_BEST: case TL_GEMM_SCALAR: return 1;
#ifdef TL_HAVE_X86
    case TL_GEMM_AVX2: return cpu_has(0);
    case TL_GEMM_AVX512: return cpu_has(1);
#endif
    default: return 0;
    }
}

int tl_silu_f32(float *x, int64_t n, int impl) {
    if (impl == TL_GEMM_BEST) {
        impl = TL_GEMM_SCALAR;
#ifdef TL_HAVE_X86
        if (cpu_has(1)) impl = TL_GEMM_AVX512;
        else if (cpu_has(0)) impl = TL_GEMM_AVX2;
#endif
    }
    if (!tl_silu_f32_available(impl)) return -1;
    switch (impl) {
#ifdef TL_HAVE_X86
    case TL_GEMM_AVX512: silu_avx512(x, n); return 0;
    case TL_GEMM_AVX2: silu_avx2(x, n); return 0;
#endif
    default: silu_scalar(x, n); return 0;
    }
}
