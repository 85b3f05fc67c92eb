// The AVX2 + FMA + F16C path (and its AVX-VNNI variant): the Q4_0 / Q4_1 / Q8_0 (and transcoded
// TL_Q8_S / TL_Q8_SM) integer matmul, the float dot and the activation quantisation, compiled per
// function with target attributes so the package builds for any x86-64 (and any other CPU) and picks
// this at run time. Bit for bit the scalar reference: the 16-lane order of matmul.c, as two 256-bit
// halves.
#include "ckernels.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include "prefetch_rows.h"

#define TL_T2 __attribute__((target("avx2,fma,f16c")))

int tl_avx2_cpu_ok(int vnni) {
    static int ok = -1, ok_vnni = -1;
    if (ok < 0) {
        __builtin_cpu_init();
        ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#if defined(TL_AVXVNNI_AS_EVEX)
        ok_vnni = ok && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#else
        ok_vnni = ok && __builtin_cpu_supports("avxvnni");
#endif
    }
    return vnni ? ok_vnni : ok;
}

// reduce16 of lanes lo (0..7) and hi (8..15): h = lo + hi, then (f0 + f2) + (f1 + f3) of
// f = h[0..3] + h[4..7] (the AVX-512 kernel's reduce1).
TL_T2 static inline __attribute__((always_inline)) float tl_avx2_reduce16(__m256 lo, __m256 hi) {
    const __m256 h = _mm256_add_ps(lo, hi);
    const __m128 f = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    const __m128 g = _mm_add_ps(f, _mm_movehl_ps(f, f));
    return _mm_cvtss_f32(_mm_add_ss(g, _mm_movehdup_ps(g)));
}

// reduce16 of 4 positions at once: out[j] = tl_avx2_reduce16(lo[j], hi[j]), the same additions in the
// same order, with a 4 x 4 transpose in place of each position's shuffles.
TL_T2 static inline __attribute__((always_inline)) __m128 tl_avx2_reduce16x4(const __m256 *lo, const __m256 *hi) {
    __m128 f[4];   // f[j] = h[0..3] + h[4..7] of h = lo[j] + hi[j]
    for (int j = 0; j < 4; j++) {
        const __m256 h = _mm256_add_ps(lo[j], hi[j]);
        f[j] = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    }
    _MM_TRANSPOSE4_PS(f[0], f[1], f[2], f[3]);   // f[i] lane j: element i of position j's f
    return _mm_add_ps(_mm_add_ps(f[0], f[2]), _mm_add_ps(f[1], f[3]));
}

// sum_i a[i] b[i] over n floats for positions j < J (b + j * ldb; the rest 0): the AVX-512 kernel's
// dot_masked (Q4_1's m term) in 16 lanes (lane = i % 16), the tail's missing elements loaded as zeros
// (both fmas of the tail always run, as there), then reduced as tl_avx2_reduce16x4.
TL_T2 static inline __attribute__((always_inline)) __m128 tl_avx2_dot16x4(const float *a, const float *b, int64_t ldb,
                                                                       int64_t n, int J) {
    __m256 lo[4], hi[4];
    for (int j = 0; j < 4; j++) { lo[j] = _mm256_setzero_ps(); hi[j] = _mm256_setzero_ps(); }
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 a0 = _mm256_loadu_ps(a + i), a1 = _mm256_loadu_ps(a + i + 8);
        for (int j = 0; j < J; j++) {
            lo[j] = _mm256_fmadd_ps(a0, _mm256_loadu_ps(b + j * ldb + i), lo[j]);
            hi[j] = _mm256_fmadd_ps(a1, _mm256_loadu_ps(b + j * ldb + i + 8), hi[j]);
        }
    }
    if (i < n) {
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i)), lane);
        const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i - 8)), lane);
        // The upper half's address only where it has elements (m1 all clear otherwise: nothing is read,
        // but C allows no pointer that far past an array).
        const int64_t up = n - i > 8 ? 8 : 0;
        const __m256 a0 = _mm256_maskload_ps(a + i, m0), a1 = _mm256_maskload_ps(a + i + up, m1);
        for (int j = 0; j < J; j++) {
            lo[j] = _mm256_fmadd_ps(a0, _mm256_maskload_ps(b + j * ldb + i, m0), lo[j]);
            hi[j] = _mm256_fmadd_ps(a1, _mm256_maskload_ps(b + j * ldb + i + up, m1), hi[j]);
        }
    }
    return tl_avx2_reduce16x4(lo, hi);
}

#define K(name) name##_avx2
#define TL_T TL_T2
#define TL_VNNI 0
#include "matmul_avx2_kernel.h"
#undef K
#undef TL_T
#undef TL_VNNI

// TL_AVXVNNI_AS_EVEX (Tests/ckernels-cross only): this copy with the EVEX vpdpbusd of AVX512-VL +
// VNNI, the same operation, so that CPUs (and qemu) without AVX-VNNI can check its kernel.
#define K(name) name##_avxvnni
#if defined(TL_AVXVNNI_AS_EVEX)
#define TL_T __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512vnni")))
#else
#define TL_T __attribute__((target("avx2,fma,f16c,avxvnni")))
#endif
#define TL_VNNI 1
#include "matmul_avx2_kernel.h"
#undef K
#undef TL_T
#undef TL_VNNI

void tl_rows_q_avx2(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy, int vnni) {
    if (vnni) rows_q_avxvnni(w, a, r0, r1, y, ldy);
    else rows_q_avx2(w, a, r0, r1, y, ldy);
}

// The float dot of the AVX-512 path (which uses only 256-bit registers there): lanes 0..7 and 8..15 of
// each 16, then reduce16, then the tail one fma at a time.
TL_T2 float tl_dot_f32_avx2(const float *a, const float *b, int64_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    float acc = tl_avx2_reduce16(s0, s1);
    for (; i < n; i++) acc = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a[i]), _mm_set_ss(b[i]), _mm_set_ss(acc)));
    return acc;
}

TL_T2 static inline float fp16_round(float f) {
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT)));
}

// tl_quantize_q8 with AVX2: the same products, round-half-even and F16C rounding as the scalar rule.
TL_T2 int tl_quantize_q8_avx2(const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                              float *dexp, float *dxs) {
    const __m256 sign = _mm256_set1_ps(-0.f);
    for (int64_t b = 0; b < n / 32; b++) {
        __m256 v[4], m = _mm256_setzero_ps();
        for (int i = 0; i < 4; i++) {
            v[i] = _mm256_loadu_ps(x + 32 * b + 8 * i);
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v[i]));
        }
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        const float amax = _mm_cvtss_f32(_mm_max_ss(m4, _mm_movehdup_ps(m4)));
        const float db = amax / 127.f, id = amax != 0.f ? 127.f / amax : 0.f;
        const __m256 vid = _mm256_set1_ps(id);
        __m256i iv[4];
        for (int i = 0; i < 4; i++)
            iv[i] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[i], vid), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        // int32 -> int8 (all within -127..127); packs interleave 128-bit lanes, the permute undoes it.
        const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(iv[0], iv[1]), _mm256_packs_epi32(iv[2], iv[3]));
        _mm256_storeu_si256((__m256i *)(void *)(q + 32 * b), _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
        const __m256i t = _mm256_add_epi32(_mm256_add_epi32(iv[0], iv[1]), _mm256_add_epi32(iv[2], iv[3]));
        __m128i t4 = _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
        t4 = _mm_add_epi32(t4, _mm_shuffle_epi32(t4, _MM_SHUFFLE(1, 0, 3, 2)));
        t4 = _mm_add_epi32(t4, _mm_shuffle_epi32(t4, _MM_SHUFFLE(2, 3, 0, 1)));
        const int32_t sum = _mm_cvtsi128_si32(t4);
        const float db16 = fp16_round(db);
        d[b] = db16;
        isum[b] = sum;
        s[b] = fp16_round(db * (float)sum);
        _mm256_storeu_ps(dexp + 8 * b, _mm256_set1_ps(db16));
        dxs[b] = db16 * (float)sum;
    }
    return 0;
}

#else  // not x86-64: no AVX2 path

int tl_avx2_cpu_ok(int vnni) { (void)vnni; return 0; }
void tl_rows_q_avx2(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy, int vnni) {
    (void)w; (void)a; (void)r0; (void)r1; (void)y; (void)ldy; (void)vnni;
}
float tl_dot_f32_avx2(const float *a, const float *b, int64_t n) { (void)a; (void)b; (void)n; return 0; }
int tl_quantize_q8_avx2(const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                        float *dexp, float *dxs) {
    (void)x; (void)n; (void)q; (void)d; (void)isum; (void)s; (void)dexp; (void)dxs; return -1;
}

#endif
