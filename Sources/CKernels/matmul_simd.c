// The AVX-512 VNNI integer matmul (256-bit lanes) and an FMA float dot, compiled per function with
// target attributes so the package builds for any x86-64 (and any other CPU) and picks this at run time.
//
// For one weight row, first unpacked to unsigned bytes (nibbles, or Q8_0 + 128) with its scales
// spread over SIMD lanes, and a group of J <= 8 positions:
//   for each pair of blocks: w = 64 weight bytes, loaded once;
//     for each position j: p = dpbusd(w, q_x[j]) (16 x int32), acc[j] += float(p) * d_w * d_x[j]
//   y[j] = hsum(acc[j]) - zp * sum_b d_w d_x isum_x[j, b] (+ sum_b m_w s_x[j, b] for Q4_1)
#include "ckernels.h"
#include <stdlib.h>

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

// sum_i a[i] b[i] over n floats (16 lanes, masked tail).
TL_TARGET static inline float dot_masked(const float *a, const float *b, int64_t n) {
    __m512 acc = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

// One unpacked weight row (wu [cols] unsigned bytes, dwexp [nb*8] its block scales per lane) against
// positions j0 ..< j0+J, two blocks (64 bytes) per instruction. J is a constant after inlining.
TL_TARGET static inline __attribute__((always_inline))
void row_group(const int J, const uint8_t *wu, const float *dwexp, int64_t nb, int64_t cols,
               const tl_acts *a, int64_t j0, __m512 *acc) {
    const __m512i zero = _mm512_setzero_si512();
    for (int jj = 0; jj < J; jj++) acc[jj] = _mm512_setzero_ps();
    const int64_t nbp = nb / 2;
    for (int64_t bp = 0; bp < nbp; bp++) {
        const __m512i w = _mm512_load_si512((const void *)(wu + 64 * bp));
        const __m512 ws = _mm512_load_ps(dwexp + 16 * bp);
        for (int jj = 0; jj < J; jj++) {
            const int64_t j = j0 + jj;
            const __m512i x = _mm512_loadu_si512((const void *)(a->q + j * cols + 64 * bp));
            const __m512 xs = _mm512_loadu_ps(a->dexp + j * nb * 8 + 16 * bp);
            const __m512i p = _mm512_dpbusd_epi32(zero, w, x);
            acc[jj] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(ws, xs), acc[jj]);
        }
    }
    if (nb & 1) {  // the last, unpaired block: upper lanes zero
        const int64_t b = nb - 1;
        const __m512i w = _mm512_zextsi256_si512(_mm256_load_si256((const __m256i *)(wu + 32 * b)));
        const __m512 ws = _mm512_zextps256_ps512(_mm256_load_ps(dwexp + 8 * b));
        for (int jj = 0; jj < J; jj++) {
            const int64_t j = j0 + jj;
            const __m512i x = _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)(a->q + j * cols + 32 * b)));
            const __m512 xs = _mm512_zextps256_ps512(_mm256_loadu_ps(a->dexp + j * nb * 8 + 8 * b));
            const __m512i p = _mm512_dpbusd_epi32(zero, w, x);
            acc[jj] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(ws, xs), acc[jj]);
        }
    }
}

TL_TARGET void tl_rows_q_simd(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy) {
    const int64_t cols = w->cols, nb = cols / 32;
    const int type = w->type;
    // Per-row scratch: the row's weights as unsigned bytes and its scales (64-byte aligned).
    uint8_t *wu = (uint8_t *)aligned_alloc(64, (size_t)((cols + 63) / 64 * 64));
    float *dwexp = (float *)aligned_alloc(64, (size_t)((nb * 8 * 4 + 63) / 64 * 64));
    float *dw = (float *)malloc((size_t)nb * 4), *mw = (float *)malloc((size_t)nb * 4);
    if (!wu || !dwexp || !dw || !mw) { free(wu); free(dwexp); free(dw); free(mw); return; }
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    const float zp = type == TL_Q4_0 ? 8.f : type == TL_Q8_0 ? 128.f : 0.f;
    __m512 acc[8];
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w->data + r * w->row_bytes;
        for (int64_t b = 0; b < nb; b++) {
            __m256i v;
            if (type == TL_Q4_0) { const uint8_t *blk = row + 18 * b; dw[b] = h2f(blk); mw[b] = 0; v = unpack_nibbles(blk + 2); }
            else if (type == TL_Q4_1) { const uint8_t *blk = row + 20 * b; dw[b] = h2f(blk); mw[b] = h2f(blk + 2); v = unpack_nibbles(blk + 4); }
            else { const uint8_t *blk = row + 34 * b; dw[b] = h2f(blk); mw[b] = 0; v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(blk + 2)), flip); }
            _mm256_store_si256((__m256i *)(wu + 32 * b), v);
            _mm256_store_ps(dwexp + 8 * b, _mm256_set1_ps(dw[b]));
        }
        for (int64_t j0 = 0; j0 < a->k; j0 += 8) {
            const int J = (int)(a->k - j0 < 8 ? a->k - j0 : 8);
            switch (J) {
            case 1: row_group(1, wu, dwexp, nb, cols, a, j0, acc); break;
            case 2: row_group(2, wu, dwexp, nb, cols, a, j0, acc); break;
            case 3: row_group(3, wu, dwexp, nb, cols, a, j0, acc); break;
            case 4: row_group(4, wu, dwexp, nb, cols, a, j0, acc); break;
            case 5: row_group(5, wu, dwexp, nb, cols, a, j0, acc); break;
            case 6: row_group(6, wu, dwexp, nb, cols, a, j0, acc); break;
            case 7: row_group(7, wu, dwexp, nb, cols, a, j0, acc); break;
            default: row_group(8, wu, dwexp, nb, cols, a, j0, acc); break;
            }
            for (int jj = 0; jj < J; jj++) {
                const int64_t j = j0 + jj;
                float v = _mm512_reduce_add_ps(acc[jj]);
                if (zp != 0.f) v -= zp * dot_masked(dw, a->dxs + j * nb, nb);
                if (type == TL_Q4_1) v += dot_masked(mw, a->s + j * nb, nb);
                y[j * ldy + r] = v;
            }
        }
    }
    free(wu); free(dwexp); free(dw); free(mw);
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
