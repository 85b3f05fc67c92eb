// exp_poly.h: e^t for float t by one definition evaluated with the same IEEE operations on every path
// (scalar, AVX2, AVX-512), so a value's bits never depend on the path. Used by silu_f32.c and the image
// model's softmax (attention.c). Internal to CKernels.
//
//   t' = min(max(t, -87), 88)                    (SIMD min/max semantics: a NaN t gives 88)
//   n  = round-half-even(t' * log2(e))           n in [-126, 127]: 2^n is a normal float
//   r  = fma(n, -ln2_lo, fma(n, -ln2_hi, t'))    Cody-Waite: |r| <= ln2 / 2
//   p  = Horner(c5 ... c0, r) by fma             Cephes expf's minimax polynomial
//   e  = (fma(p, r * r, r) + 1) * 2^n            Cephes' stated error ~1-2 ulp; SiLUF32Tests bound the SiLU built on it (4 ulp)
#ifndef TL_EXP_POLY_H
#define TL_EXP_POLY_H
#include <math.h>
#include <stdint.h>
#include <string.h>

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
static inline float tl_simd_max1(float a, float b) { return a > b ? a : b; }
static inline float tl_simd_min1(float a, float b) { return a < b ? a : b; }

static inline float tl_exp_poly1(float t) {
#pragma clang fp contract(off)   // no fusing beyond the fma written out: the SIMD paths must agree
    t = tl_simd_min1(tl_simd_max1(t, TL_EXP_LO), TL_EXP_HI);
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
    const uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;   // 2^n
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

__attribute__((target("avx2,fma,avx512f"))) static inline __m512 tl_exp_poly16(__m512 t) {
    t = _mm512_min_ps(_mm512_max_ps(t, _mm512_set1_ps(TL_EXP_LO)), _mm512_set1_ps(TL_EXP_HI));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(t, _mm512_set1_ps(TL_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-TL_LN2_HI), t);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(-TL_LN2_LO), r);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(TL_C5), r, _mm512_set1_ps(TL_C4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(TL_C3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(TL_C2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(TL_C1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(TL_C0));
    const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    const __m512i e2 = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(y, _mm512_castsi512_ps(e2));
}

__attribute__((target("avx2,fma"))) static inline __m256 tl_exp_poly8(__m256 t) {
    t = _mm256_min_ps(_mm256_max_ps(t, _mm256_set1_ps(TL_EXP_LO)), _mm256_set1_ps(TL_EXP_HI));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(t, _mm256_set1_ps(TL_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-TL_LN2_HI), t);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(-TL_LN2_LO), r);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(TL_C5), r, _mm256_set1_ps(TL_C4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(TL_C3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(TL_C2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(TL_C1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(TL_C0));
    const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    const __m256i e2 = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e2));
}
#endif
#endif
