// AVX-512 horizontal sums shared by the kernels (matmul_simd.c, matmul_q8_blocks.c, attention.c): one
// definition of the 16-lane reduction order every path reproduces. Include only inside an x86-64
// block after <immintrin.h>; each function carries its own target attribute, a subset of its callers'.
#ifndef TOKENLOOM_REDUCE_AVX512_H
#define TOKENLOOM_REDUCE_AVX512_H

#define TL_REDUCE_TARGET __attribute__((target("avx2,fma,avx512f,avx512vl")))

// The sum of v's 16 lanes, in the same order as reduce8 (so a position's result does not depend on
// how many positions share its call): halves, then quarters, then (e0 + e2) + (e1 + e3).
TL_REDUCE_TARGET static inline __attribute__((always_inline)) float reduce1(__m512 v) {
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    const __m128 f = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    const __m128 g = _mm_add_ps(f, _mm_movehl_ps(f, f));
    return _mm_cvtss_f32(_mm_add_ss(g, _mm_movehdup_ps(g)));
}

// sum_i a[i] b[i] over n floats: 16 lanes, a masked tail, then reduce1.
TL_REDUCE_TARGET static inline float dot_masked(const float *a, const float *b, int64_t n) {
    __m512 acc = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc);
    }
    return reduce1(acc);
}

// Sums of 8 vectors' lanes: out[i] = sum of v[i]'s 16 lanes.
TL_REDUCE_TARGET static inline __attribute__((always_inline)) __m256 reduce8(const __m512 *v) {
    // Pairwise: fold 512 -> 256 with two vectors interleaved, and so on, so 8 sums cost 7 adds of
    // whole vectors plus shuffles instead of 8 separate reductions.
    __m512 a[4];
    for (int i = 0; i < 4; i++) {
        // [v0 lo256 | v1 lo256] + [v0 hi256 | v1 hi256]
        const __m512 lo = _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0));
        const __m512 hi = _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2));
        a[i] = _mm512_add_ps(lo, hi);   // 128-bit lanes: v0a v0b v1a v1b
    }
    __m512 b[2];
    for (int i = 0; i < 2; i++) {
        const __m512 lo = _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0));
        const __m512 hi = _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1));
        b[i] = _mm512_add_ps(lo, hi);   // 128-bit lanes: v0 v1 v2 v3 (4 partial sums each)
    }
    // Within each 128-bit lane: 4 partial sums -> 1, for the 8 vectors.
    const __m512 t0 = _mm512_add_ps(_mm512_unpacklo_ps(b[0], b[1]), _mm512_unpackhi_ps(b[0], b[1]));
    // lanes per 128: [v_i s0+s2, v_j s0+s2, v_i s1+s3, v_j s1+s3]
    const __m512 t1 = _mm512_add_ps(t0, _mm512_permute_ps(t0, _MM_SHUFFLE(1, 0, 3, 2)));
    // lanes per 128 (i from b[0], j from b[1]): [v_i, v_j, v_i, v_j] -> take the low 64 bits of each
    // lane 4L holds v_L's sum, lane 4L+1 v_(L+4)'s.
    const __m512i idx = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 13, 9, 5, 1, 12, 8, 4, 0);
    return _mm512_castps512_ps256(_mm512_permutexvar_ps(idx, t1));
}

#endif
