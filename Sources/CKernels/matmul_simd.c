// The AVX-512 VNNI integer matmul (256-bit lanes) and an FMA float dot, compiled per function with
// target attributes so the package builds for any x86-64 (and any other CPU) and picks this at run time.
//
// For one weight row and a group of J <= 8 positions:
//   for each block b: w = the 32 weights as unsigned bytes (nibbles, or Q8_0 + 128), loaded once;
//     for each position j: p = dpbusd(w, q_x[j, b]) (8 x int32), acc[j] += float(p) * d_w * d_x[j, b]
//   y[j] = hsum(acc[j]) - zp * sum_b d_w d_x isum_x[j, b] (+ sum_b m_w s_x[j, b] for Q4_1)
#include "ckernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define TL_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512vnni,avx512bw")))

int tl_simd_cpu_ok(void) {
    static int ok = -1;
    if (ok < 0) {
        __builtin_cpu_init();
        ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
    }
    return ok;
}

TL_TARGET static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

TL_TARGET static inline float h2f(const uint8_t *p) {
    return _cvtsh_ss((unsigned short)(p[0] | (p[1] << 8)));
}

TL_TARGET static inline __m256i unpack_nibbles(const uint8_t *qs) {
    __m128i t = _mm_loadu_si128((const __m128i *)qs);
    __m128i m = _mm_set1_epi8(0x0F);
    __m128i lo = _mm_and_si128(t, m), hi = _mm_and_si128(_mm_srli_epi16(t, 4), m);
    return _mm256_set_m128i(hi, lo);
}

// One weight row against positions j0 ..< j0+J. type and J are constants after inlining.
TL_TARGET static inline __attribute__((always_inline))
void row_group(const int type, const int J, const uint8_t *row, int64_t nb, int64_t cols,
               const tl_acts *a, int64_t j0, float *y, int64_t ldy, int64_t r) {
    __m256 acc[8];
    float corr[8], summ[8];
    for (int jj = 0; jj < J; jj++) { acc[jj] = _mm256_setzero_ps(); corr[jj] = 0; summ[jj] = 0; }
    const __m256i zero = _mm256_setzero_si256(), flip = _mm256_set1_epi8((char)0x80);
    for (int64_t b = 0; b < nb; b++) {
        __m256i w;
        float dw, mw = 0;
        if (type == TL_Q4_0) { const uint8_t *blk = row + 18 * b; dw = h2f(blk); w = unpack_nibbles(blk + 2); }
        else if (type == TL_Q4_1) { const uint8_t *blk = row + 20 * b; dw = h2f(blk); mw = h2f(blk + 2); w = unpack_nibbles(blk + 4); }
        else { const uint8_t *blk = row + 34 * b; dw = h2f(blk); w = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(blk + 2)), flip); }
        for (int jj = 0; jj < J; jj++) {
            const int64_t j = j0 + jj, xb = j * nb + b;
            __m256i x = _mm256_loadu_si256((const __m256i *)(a->q + j * cols + 32 * b));
            __m256i p = _mm256_dpbusd_epi32(zero, w, x);
            float dd = dw * a->d[xb];
            acc[jj] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(dd), acc[jj]);
            if (type != TL_Q4_1) corr[jj] += dd * (float)a->isum[xb];
            else summ[jj] += mw * a->s[xb];
        }
    }
    const float zp = type == TL_Q4_0 ? 8.f : type == TL_Q8_0 ? 128.f : 0.f;
    for (int jj = 0; jj < J; jj++) y[(j0 + jj) * ldy + r] = hsum8(acc[jj]) - zp * corr[jj] + summ[jj];
}

#define GROUPS(T) \
    switch (J) { \
    case 1: row_group(T, 1, row, nb, cols, a, j0, y, ldy, r); break; \
    case 2: row_group(T, 2, row, nb, cols, a, j0, y, ldy, r); break; \
    case 3: row_group(T, 3, row, nb, cols, a, j0, y, ldy, r); break; \
    case 4: row_group(T, 4, row, nb, cols, a, j0, y, ldy, r); break; \
    case 5: row_group(T, 5, row, nb, cols, a, j0, y, ldy, r); break; \
    case 6: row_group(T, 6, row, nb, cols, a, j0, y, ldy, r); break; \
    case 7: row_group(T, 7, row, nb, cols, a, j0, y, ldy, r); break; \
    default: row_group(T, 8, row, nb, cols, a, j0, y, ldy, r); break; \
    }

TL_TARGET void tl_rows_q_simd(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy) {
    const int64_t cols = w->cols, nb = cols / 32;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w->data + r * w->row_bytes;
        for (int64_t j0 = 0; j0 < a->k; j0 += 8) {
            const int J = (int)(a->k - j0 < 8 ? a->k - j0 : 8);
            if (w->type == TL_Q4_0) { GROUPS(TL_Q4_0) }
            else if (w->type == TL_Q4_1) { GROUPS(TL_Q4_1) }
            else { GROUPS(TL_Q8_0) }
        }
    }
}

TL_TARGET float tl_dot_f32_simd(const float *a, const float *b, int64_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    float acc = hsum8(_mm256_add_ps(s0, s1));
    for (; i < n; i++) acc += a[i] * b[i];
    return acc;
}

#else  // not x86-64: the scalar path only

int tl_simd_cpu_ok(void) { return 0; }
void tl_rows_q_simd(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy) {
    (void)w; (void)a; (void)r0; (void)r1; (void)y; (void)ldy;
}
float tl_dot_f32_simd(const float *a, const float *b, int64_t n) { (void)a; (void)b; (void)n; return 0; }

#endif
