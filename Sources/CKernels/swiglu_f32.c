// SwiGLU of the Llama MLP, g <- g / (1 + e^-g) * u, with its own e^x so that every path (scalar, AVX2,
// AVX-512) and every platform's build gives the same bits: libm's expf, one value at a time, took about
// 5 ms of a 16-position SmolLM2 forward here, and differs between C libraries.
//
// e^t for float t, evaluated in double and rounded once to float (t clamped to [-110, 89], where
// float's e^t is already 0 or +inf):
//   k = round-half-even(t * 16 / ln2),  j = k mod 16,  m = (k - j) / 16
//   r = (t - k * L_hi) - k * L_lo       L_hi + L_lo = ln2 / 16; k * L_hi and the subtraction are exact
//   p = r + r^2 (1/2 + r (1/6 + r (1/24 + r (1/120 + r / 720))))      |r| <= ln2 / 32: error ~5e-16
//   e^t = (T[j] + T[j] * p) * 2^m       T[j] = 2^(j/16) rounded to double
// Its relative error (~1e-15) is far below float's half ulp, so the float result is the correctly
// rounded e^t except within about 1e-8 ulp of a rounding tie; glibc 2.36's expf (error bound 0.502
// ulp) gives another float for 1 in 10,000 arguments of a stride through the bit patterns in
// [-104, 89] and 1 in 1,700 of evenly spaced ones there (SwiGLUTests' two sets, against expl). The operations are
// plain IEEE multiplies and adds (no fused multiply-add on any path), so the lanes compute what the
// scalar loop computes.
#include "ckernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)   // no fusing: the paths must agree

static const double tl_exp2_16[16] = {   // 2^(j/16), correctly rounded
    0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
    0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
    0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
    0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0,
};
#define TL_E_INVL 0x1.71547652b82fep+4   // 16 / ln2
#define TL_E_LHI 0x1.62e42fefa2000p-5    // ln2 / 16, its top 40 bits
#define TL_E_LLO 0x1.9ef35793c7673p-45   // the rest
#define TL_E_TLO -110.0
#define TL_E_THI 89.0
#define TL_E_SHIFT 0x1.8p52              // adding it rounds a double below 2^51 to an integer (half-even)

// `short2` (tests only, tl_expf_d_short2): the polynomial without its last two terms (r^5 / 120,
// r^6 / 720), a plausible slip that leaves e^t within 5e-11 but no longer correctly rounded
// everywhere, which SwiGLUTests must catch. One term short (2e-13) is not caught, and cannot be seen
// at float precision: about one value in a million would round differently.
static inline double poly(double r, int short2) {
    if (short2) return r + r * r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24)));
    return r + r * r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720)))));
}

static inline float expf_d(float x, int short2) {
    double t = (double)x;
    if (t != t) return x;                 // NaN
    t = t < TL_E_TLO ? TL_E_TLO : t > TL_E_THI ? TL_E_THI : t;
    // k by the shift: (t * 16/ln2 + 1.5 * 2^52) - 1.5 * 2^52 rounds half-even, as the SIMD paths' round.
    const double kd = (t * TL_E_INVL + TL_E_SHIFT) - TL_E_SHIFT;
    const int64_t k = (int64_t)kd;
    const double r = (t - kd * TL_E_LHI) - kd * TL_E_LLO;
    const double tj = tl_exp2_16[k & 15];
    const int64_t m = (k - (k & 15)) / 16;
    double scale;
    const uint64_t bits = (uint64_t)(m + 1023) << 52;
    memcpy(&scale, &bits, 8);
    const double e = (tj + tj * poly(r, short2)) * scale;
    // Past float's range (the tie with 2^128 and up) the conversion gives +inf, written out because C
    // leaves an out-of-range conversion undefined; the SIMD conversions give +inf there too.
    return e >= 0x1.ffffffp127 ? (float)INFINITY : (float)e;
}

float tl_expf_d(float x) { return expf_d(x, 0); }
float tl_expf_d_short2(float x) { return expf_d(x, 1); }

static inline float swiglu_one(float g, float u) { return g / (1.0f + expf_d(-g, 0)) * u; }
static void swiglu_scalar(float *g, const float *u, int64_t n) {
    for (int64_t i = 0; i < n; i++) g[i] = swiglu_one(g[i], u[i]);
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define TL_HAVE_X86 1

#define TL_T512 __attribute__((target("avx2,fma,avx512f")))
#define TL_T256 __attribute__((target("avx2,fma")))

// e^t of 8 doubles (floats widened), the scalar rule lane by lane (a NaN lane gives NaN: max/min with
// the constant first pass the NaN on, and the table index is masked).
TL_T512 static inline __m512d exp8_512(__m512d t) {
    t = _mm512_min_pd(_mm512_set1_pd(TL_E_THI), _mm512_max_pd(_mm512_set1_pd(TL_E_TLO), t));
    const __m512d sh = _mm512_set1_pd(TL_E_SHIFT);
    const __m512d kd = _mm512_sub_pd(_mm512_add_pd(_mm512_mul_pd(t, _mm512_set1_pd(TL_E_INVL)), sh), sh);
    const __m512d r = _mm512_sub_pd(_mm512_sub_pd(t, _mm512_mul_pd(kd, _mm512_set1_pd(TL_E_LHI))),
                                    _mm512_mul_pd(kd, _mm512_set1_pd(TL_E_LLO)));
    const __m256i k = _mm512_cvtpd_epi32(kd);   // exact: kd is an integer in range (NaN: masked below)
    const __m512i k64 = _mm512_cvtepi32_epi64(k);
    const __m512i j = _mm512_and_si512(k64, _mm512_set1_epi64(15));
    const __m512d tlo = _mm512_loadu_pd(tl_exp2_16), thi = _mm512_loadu_pd(tl_exp2_16 + 8);
    const __m512d tj = _mm512_permutex2var_pd(tlo, j, thi);
    const __m512i m = _mm512_srai_epi64(_mm512_sub_epi64(k64, j), 4);
    const __m512d scale = _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(m, _mm512_set1_epi64(1023)), 52));
    const __m512d r2 = _mm512_mul_pd(r, r);
    const __m512d c = _mm512_set1_pd(1.0 / 720);
    __m512d q = _mm512_add_pd(_mm512_set1_pd(1.0 / 120), _mm512_mul_pd(r, c));
    q = _mm512_add_pd(_mm512_set1_pd(1.0 / 24), _mm512_mul_pd(r, q));
    q = _mm512_add_pd(_mm512_set1_pd(1.0 / 6), _mm512_mul_pd(r, q));
    q = _mm512_add_pd(_mm512_set1_pd(0.5), _mm512_mul_pd(r, q));
    const __m512d p = _mm512_add_pd(r, _mm512_mul_pd(r2, q));
    return _mm512_mul_pd(_mm512_add_pd(tj, _mm512_mul_pd(tj, p)), scale);
}

TL_T512 static void swiglu_avx512(float *g, const float *u, int64_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(g + i);
        const __m512 t = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(v), _mm512_set1_epi32((int)0x80000000u)));
        const __m256 e0 = _mm512_cvtpd_ps(exp8_512(_mm512_cvtps_pd(_mm512_castps512_ps256(t))));
        const __m256 e1 = _mm512_cvtpd_ps(exp8_512(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(t), 1)))));
        const __m512 e = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(e0)), _mm256_castps_pd(e1), 1));
        _mm512_storeu_ps(g + i, _mm512_mul_ps(_mm512_div_ps(v, _mm512_add_ps(one, e)), _mm512_loadu_ps(u + i)));
    }
    swiglu_scalar(g + i, u + i, n - i);
}

TL_T256 static inline __m256d exp4_256(__m256d t) {
    t = _mm256_min_pd(_mm256_set1_pd(TL_E_THI), _mm256_max_pd(_mm256_set1_pd(TL_E_TLO), t));
    const __m256d sh = _mm256_set1_pd(TL_E_SHIFT);
    const __m256d kd = _mm256_sub_pd(_mm256_add_pd(_mm256_mul_pd(t, _mm256_set1_pd(TL_E_INVL)), sh), sh);
    const __m256d r = _mm256_sub_pd(_mm256_sub_pd(t, _mm256_mul_pd(kd, _mm256_set1_pd(TL_E_LHI))),
                                    _mm256_mul_pd(kd, _mm256_set1_pd(TL_E_LLO)));
    const __m128i k = _mm256_cvtpd_epi32(kd);
    const __m128i j = _mm_and_si128(k, _mm_set1_epi32(15));
    const __m256d tj = _mm256_i32gather_pd(tl_exp2_16, j, 8);
    const __m256i m = _mm256_cvtepi32_epi64(_mm_srai_epi32(_mm_sub_epi32(k, j), 4));
    const __m256d scale = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(m, _mm256_set1_epi64x(1023)), 52));
    const __m256d r2 = _mm256_mul_pd(r, r);
    __m256d q = _mm256_add_pd(_mm256_set1_pd(1.0 / 120), _mm256_mul_pd(r, _mm256_set1_pd(1.0 / 720)));
    q = _mm256_add_pd(_mm256_set1_pd(1.0 / 24), _mm256_mul_pd(r, q));
    q = _mm256_add_pd(_mm256_set1_pd(1.0 / 6), _mm256_mul_pd(r, q));
    q = _mm256_add_pd(_mm256_set1_pd(0.5), _mm256_mul_pd(r, q));
    const __m256d p = _mm256_add_pd(r, _mm256_mul_pd(r2, q));
    return _mm256_mul_pd(_mm256_add_pd(tj, _mm256_mul_pd(tj, p)), scale);
}

TL_T256 static void swiglu_avx2(float *g, const float *u, int64_t n) {
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(g + i);
        const __m256 t = _mm256_xor_ps(v, sign);
        const __m128 e0 = _mm256_cvtpd_ps(exp4_256(_mm256_cvtps_pd(_mm256_castps256_ps128(t))));
        const __m128 e1 = _mm256_cvtpd_ps(exp4_256(_mm256_cvtps_pd(_mm256_extractf128_ps(t, 1))));
        const __m256 e = _mm256_set_m128(e1, e0);
        _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_div_ps(v, _mm256_add_ps(one, e)), _mm256_loadu_ps(u + i)));
    }
    swiglu_scalar(g + i, u + i, n - i);
}

#endif

// The F32 kernels' one rule for which path this CPU runs (gemm_f32.c).
int tl_swiglu_f32_available(int impl) { return tl_gemm_f32_available(impl); }

int tl_swiglu_f32(float *g, const float *u, int64_t n, int impl) {
    impl = tl_f32_impl(impl);
    if (impl < 0) return -1;
    switch (impl) {
#ifdef TL_HAVE_X86
    case TL_GEMM_AVX512: swiglu_avx512(g, u, n); return 0;
    case TL_GEMM_AVX2: swiglu_avx2(g, u, n); return 0;
#endif
    default: swiglu_scalar(g, u, n); return 0;
    }
}
