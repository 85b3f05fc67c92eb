// Causal grouped-query attention over the KV cache for a batch of new positions.
//
//   for head h (kv head g = h / (H / Hkv)), new position j (absolute n0 + j):
//     s_t = scale * q[j, h] . K[t, g]          t = 0 ... n0 + j   (later rows are masked out)
//     out[j, h] = sum_t softmax(s)_t V[t, g]
//
// For heads of a multiple of 16 every path (AVX-512, AVX2, NEON, scalar) gives the same bits: the
// AVX-512 order, 16 lanes (lane l takes the elements i % 16 == l; the first product rounded alone,
// the rest fma'd; then matmul.c's reduce16), and out[i] = fma(w_t, V[t, i], out[i]) for t in order.
#include "ckernels.h"
#include "fma_ref.h"
#include <math.h>
#include <stdlib.h>

// q . k in the 16-lane order (hd a multiple of 16).
static float score16(const float *q, const float *k, int64_t hd) {
    float v[16], h[8], f[4];
    for (int l = 0; l < 16; l++) v[l] = q[l] * k[l];
    for (int64_t c = 16; c < hd; c += 16)
        tl_fma_lanes_ref(q + c, k + c, v, 16);
    for (int i = 0; i < 8; i++) h[i] = v[i] + v[i + 8];
    for (int i = 0; i < 4; i++) f[i] = h[i] + h[i + 4];
    return (f[0] + f[2]) + (f[1] + f[3]);
}

static void attention_scalar(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                  int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                  float *scratch, int64_t h0, int64_t h1) {
    const int64_t group = H / Hkv, qdim = H * hd, kvdim = Hkv * hd;
    const int lanes16 = hd % 16 == 0;   // the SIMD paths' order; other heads have only this path
    for (int64_t h = h0; h < h1; h++) {
        const int64_t g = h / group;
        for (int64_t j = 0; j < k; j++) {
            const float *qh = q + j * qdim + h * hd;
            const int64_t T = n0 + j + 1;
            float mx = -INFINITY;
            for (int64_t t = 0; t < T; t++) {
                const float *kt = K + t * kvdim + g * hd;
                float dot = 0;
                if (lanes16) dot = score16(qh, kt, hd);
                else for (int64_t i = 0; i < hd; i++) dot += qh[i] * kt[i];
                scratch[t] = dot * scale;
                if (scratch[t] > mx) mx = scratch[t];
            }
            double sum = 0;
            for (int64_t t = 0; t < T; t++) { scratch[t] = expf(scratch[t] - mx); sum += scratch[t]; }
            const float inv = (float)(1.0 / sum);
            float *o = out + j * qdim + h * hd;
            for (int64_t i = 0; i < hd; i++) o[i] = 0;
            for (int64_t t = 0; t < T; t++) {
                const float wt = scratch[t] * inv;
                const float *vt = V + t * kvdim + g * hd;
                if (lanes16) {
                    float wv[16];
                    for (int l = 0; l < 16; l++) wv[l] = wt;
                    for (int64_t i = 0; i < hd; i += 16) tl_fma_lanes_ref(wv, vt + i, o + i, 16);
                }
                else for (int64_t i = 0; i < hd; i++) o[i] += wt * vt[i];
            }
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
int tl_simd_cpu_ok(void);

#define TL_TARGET __attribute__((target("avx2,fma,avx512f,avx512vl")))

// The sum of v's 16 lanes: halves, quarters, then (e0 + e2) + (e1 + e3) (_mm512_reduce_add_ps's order).
TL_TARGET static inline float reduce1(__m512 v) {
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    const __m128 f = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    const __m128 g = _mm_add_ps(f, _mm_movehl_ps(f, f));
    return _mm_cvtss_f32(_mm_add_ss(g, _mm_movehdup_ps(g)));
}

// reduce1 of 8 vectors at once: out[i] = reduce1(v[i]), bit for bit.
TL_TARGET static inline __m256 reduce8(const __m512 *v) {
    __m512 a[4], b[2];
    for (int i = 0; i < 4; i++)
        a[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    for (int i = 0; i < 2; i++)
        b[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512 t0 = _mm512_add_ps(_mm512_unpacklo_ps(b[0], b[1]), _mm512_unpackhi_ps(b[0], b[1]));
    const __m512 t1 = _mm512_add_ps(t0, _mm512_permute_ps(t0, _MM_SHUFFLE(1, 0, 3, 2)));
    const __m512i idx = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 13, 9, 5, 1, 12, 8, 4, 0);
    return _mm512_castps512_ps256(_mm512_permutexvar_ps(idx, t1));
}

// The same computation, 16 lanes at a time over the head dimension (hd a multiple of 16, <= 256).
TL_TARGET static void attention_simd(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                           int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                           float *scratch, int64_t h0, int64_t h1) {
    const int64_t group = H / Hkv, qdim = H * hd, kvdim = Hkv * hd, nv = hd / 16;
    __m512 qv[16], ov[16];
    for (int64_t h = h0; h < h1; h++) {
        const int64_t g = h / group;
        for (int64_t j = 0; j < k; j++) {
            const float *qh = q + j * qdim + h * hd;
            for (int64_t v = 0; v < nv; v++) qv[v] = _mm512_loadu_ps(qh + 16 * v);
            const int64_t T = n0 + j + 1;
            float mx = -INFINITY;
            int64_t t = 0;
            // 8 keys at a time: their 8 lane-sums reduced together (the same sum per key as below).
            for (; t + 8 <= T; t += 8) {
                __m512 acc[8];
                for (int i = 0; i < 8; i++) {
                    const float *kt = K + (t + i) * kvdim + g * hd;
                    acc[i] = _mm512_mul_ps(qv[0], _mm512_loadu_ps(kt));
                    for (int64_t v = 1; v < nv; v++) acc[i] = _mm512_fmadd_ps(qv[v], _mm512_loadu_ps(kt + 16 * v), acc[i]);
                }
                const __m256 st = _mm256_mul_ps(reduce8(acc), _mm256_set1_ps(scale));
                _mm256_storeu_ps(scratch + t, st);
                __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(st), _mm256_extractf128_ps(st, 1));
                m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
                m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
                const float m8 = _mm_cvtss_f32(m4);
                if (m8 > mx) mx = m8;
            }
            for (; t < T; t++) {
                const float *kt = K + t * kvdim + g * hd;
                __m512 acc = _mm512_mul_ps(qv[0], _mm512_loadu_ps(kt));
                for (int64_t v = 1; v < nv; v++) acc = _mm512_fmadd_ps(qv[v], _mm512_loadu_ps(kt + 16 * v), acc);
                const float st = reduce1(acc) * scale;
                scratch[t] = st;
                if (st > mx) mx = st;
            }
            double sum = 0;
            for (int64_t t = 0; t < T; t++) { scratch[t] = expf(scratch[t] - mx); sum += scratch[t]; }
            const float inv = (float)(1.0 / sum);
            for (int64_t v = 0; v < nv; v++) ov[v] = _mm512_setzero_ps();
            for (int64_t t = 0; t < T; t++) {
                const __m512 wt = _mm512_set1_ps(scratch[t] * inv);
                const float *vt = V + t * kvdim + g * hd;
                for (int64_t v = 0; v < nv; v++) ov[v] = _mm512_fmadd_ps(wt, _mm512_loadu_ps(vt + 16 * v), ov[v]);
            }
            float *o = out + j * qdim + h * hd;
            for (int64_t v = 0; v < nv; v++) _mm512_storeu_ps(o + 16 * v, ov[v]);
        }
    }
}

// The AVX-512 computation with 256-bit registers: each 16 lanes as lo (0..7) and hi (8..15).
#define TL_T2 __attribute__((target("avx2,fma")))

TL_T2 static inline float reduce16_avx2(__m256 lo, __m256 hi) {
    const __m256 h = _mm256_add_ps(lo, hi);
    const __m128 f = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    const __m128 g = _mm_add_ps(f, _mm_movehl_ps(f, f));
    return _mm_cvtss_f32(_mm_add_ss(g, _mm_movehdup_ps(g)));
}

TL_T2 static void attention_avx2(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                                 int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                                 float *scratch, int64_t h0, int64_t h1) {
    const int64_t group = H / Hkv, qdim = H * hd, kvdim = Hkv * hd, nv = hd / 8;
    __m256 qv[32], ov[32];   // [hd / 8]: even entries lanes 0..7 of a 16, odd ones lanes 8..15
    for (int64_t h = h0; h < h1; h++) {
        const int64_t g = h / group;
        for (int64_t j = 0; j < k; j++) {
            const float *qh = q + j * qdim + h * hd;
            for (int64_t v = 0; v < nv; v++) qv[v] = _mm256_loadu_ps(qh + 8 * v);
            const int64_t T = n0 + j + 1;
            float mx = -INFINITY;
            for (int64_t t = 0; t < T; t++) {
                const float *kt = K + t * kvdim + g * hd;
                __m256 lo = _mm256_mul_ps(qv[0], _mm256_loadu_ps(kt)), hi = _mm256_mul_ps(qv[1], _mm256_loadu_ps(kt + 8));
                for (int64_t v = 2; v < nv; v += 2) {
                    lo = _mm256_fmadd_ps(qv[v], _mm256_loadu_ps(kt + 8 * v), lo);
                    hi = _mm256_fmadd_ps(qv[v + 1], _mm256_loadu_ps(kt + 8 * v + 8), hi);
                }
                const float st = reduce16_avx2(lo, hi) * scale;
                scratch[t] = st;
                if (st > mx) mx = st;
            }
            double sum = 0;
            for (int64_t t = 0; t < T; t++) { scratch[t] = expf(scratch[t] - mx); sum += scratch[t]; }
            const float inv = (float)(1.0 / sum);
            for (int64_t v = 0; v < nv; v++) ov[v] = _mm256_setzero_ps();
            for (int64_t t = 0; t < T; t++) {
                const __m256 wt = _mm256_set1_ps(scratch[t] * inv);
                const float *vt = V + t * kvdim + g * hd;
                for (int64_t v = 0; v < nv; v++) ov[v] = _mm256_fmadd_ps(wt, _mm256_loadu_ps(vt + 8 * v), ov[v]);
            }
            float *o = out + j * qdim + h * hd;
            for (int64_t v = 0; v < nv; v++) _mm256_storeu_ps(o + 8 * v, ov[v]);
        }
    }
}
#endif

#if defined(__aarch64__) && (defined(__clang__) || defined(__GNUC__))
#include <arm_neon.h>

// The AVX-512 computation with 128-bit registers: each 16 lanes as four vectors.
static void attention_neon(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                           int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                           float *scratch, int64_t h0, int64_t h1) {
    const int64_t group = H / Hkv, qdim = H * hd, kvdim = Hkv * hd, nv = hd / 4;
    float32x4_t qv[64], ov[64];   // [hd / 4]: entry v holds lanes 4(v%4) .. 4(v%4)+3 of a 16
    for (int64_t h = h0; h < h1; h++) {
        const int64_t g = h / group;
        for (int64_t j = 0; j < k; j++) {
            const float *qh = q + j * qdim + h * hd;
            for (int64_t v = 0; v < nv; v++) qv[v] = vld1q_f32(qh + 4 * v);
            const int64_t T = n0 + j + 1;
            float mx = -INFINITY;
            for (int64_t t = 0; t < T; t++) {
                const float *kt = K + t * kvdim + g * hd;
                float32x4_t a[4];
                for (int l = 0; l < 4; l++) a[l] = vmulq_f32(qv[l], vld1q_f32(kt + 4 * l));
                for (int64_t v = 4; v < nv; v += 4)
                    for (int l = 0; l < 4; l++) a[l] = vfmaq_f32(a[l], qv[v + l], vld1q_f32(kt + 4 * (v + l)));
                const float32x4_t f = vaddq_f32(vaddq_f32(a[0], a[2]), vaddq_f32(a[1], a[3]));
                const float32x2_t g2 = vadd_f32(vget_low_f32(f), vget_high_f32(f));
                const float st = (vget_lane_f32(g2, 0) + vget_lane_f32(g2, 1)) * scale;
                scratch[t] = st;
                if (st > mx) mx = st;
            }
            double sum = 0;
            for (int64_t t = 0; t < T; t++) { scratch[t] = expf(scratch[t] - mx); sum += scratch[t]; }
            const float inv = (float)(1.0 / sum);
            for (int64_t v = 0; v < nv; v++) ov[v] = vdupq_n_f32(0);
            for (int64_t t = 0; t < T; t++) {
                const float32x4_t wt = vdupq_n_f32(scratch[t] * inv);
                const float *vt = V + t * kvdim + g * hd;
                for (int64_t v = 0; v < nv; v++) ov[v] = vfmaq_f32(ov[v], wt, vld1q_f32(vt + 4 * v));
            }
            float *o = out + j * qdim + h * hd;
            for (int64_t v = 0; v < nv; v++) vst1q_f32(o + 4 * v, ov[v]);
        }
    }
}
#endif

void tl_attention(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                  int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                  float *scratch, int64_t h0, int64_t h1) {
    // The active path (TOKENLOOM_ISA governs attention too); all give the scalar bits. An unusable
    // TOKENLOOM_ISA: scalar here; the matmuls report it.
    if (tl_attention_isa(TL_ISA_BEST, q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1) != 0)
        attention_scalar(q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1);
}

int tl_attention_isa(int isa, const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                     int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                     float *scratch, int64_t h0, int64_t h1) {
    if (isa == TL_ISA_BEST) isa = tl_isa_active();
    if (isa < 0 || !tl_isa_supported(isa)) return -2;
    if (hd % 16 == 0 && hd <= 256) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
        if (isa == TL_ISA_AVX512) { attention_simd(q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1); return 0; }
        if (isa == TL_ISA_AVX2 || isa == TL_ISA_AVXVNNI) {
            attention_avx2(q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1);
            return 0;
        }
#endif
#if defined(__aarch64__) && (defined(__clang__) || defined(__GNUC__))
        if (isa == TL_ISA_NEON || isa == TL_ISA_NEON_DOT) {
            attention_neon(q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1);
            return 0;
        }
#endif
    }
    attention_scalar(q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1);
    return 0;
}

// ---- all heads, split over the kernel threads ----

typedef struct {
    const float *q, *K, *V;
    int64_t n0, k, H, Hkv, hd;
    float scale;
    float *out, *scratch;   // scratch [H, n0 + k]
} attention_ctx;

static void attention_task(void *p, int64_t h) {
    const attention_ctx *c = (const attention_ctx *)p;
    tl_attention(c->q, c->K, c->V, c->n0, c->k, c->H, c->Hkv, c->hd, c->scale, c->out,
                 c->scratch + h * (c->n0 + c->k), h, h + 1);
}

void tl_attention_mt(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                     int64_t H, int64_t Hkv, int64_t hd, float scale, float *out, int threads) {
    float *scratch = (float *)malloc((size_t)(H * (n0 + k)) * sizeof(float));
    if (!scratch) {  // out of memory for the scores: one head at a time needs far less
        float *one = (float *)malloc((size_t)(n0 + k) * sizeof(float));
        if (!one) return;
        tl_attention(q, K, V, n0, k, H, Hkv, hd, scale, out, one, 0, H);
        free(one);
        return;
    }
    attention_ctx c = {q, K, V, n0, k, H, Hkv, hd, scale, out, scratch};
    // Few scores in all: threads cost more than they save.
    tl_parallel_run(k * (n0 + k) * H >= 2048 ? threads : 1, attention_task, &c, H);
    free(scratch);
}
