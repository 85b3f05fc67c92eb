// Causal grouped-query attention over the KV cache for a batch of new positions.
//
//   for head h (kv head g = h / (H / Hkv)), new position j (absolute n0 + j):
//     s_t = scale * q[j, h] . K[t, g]          t = 0 ... n0 + j   (later rows are masked out)
//     out[j, h] = sum_t softmax(s)_t V[t, g]
//
// For heads of a multiple of 16 every path (AVX-512, AVX2, NEON, scalar) gives the same bits: the
// AVX-512 order, 16 lanes (lane l takes the elements i % 16 == l; the first product rounded alone,
// the rest fma'd; then matmul.c's reduce16), and out[i] = fma(w_t, V[t, i], out[i]) for t in order.
// The softmax's e^x is libm's expf summed in double, or (`poly`, the image model's wide passes) exp_poly.h's
// polynomial, vectorised, summed in float in 16 lanes (key t in lane t % 16, in the order of t) and then
// the lanes by reduce1's tree: either way a row's bits depend only on its own scores, never on k.
#include "ckernels.h"
#include "fma_ref.h"
#include "exp_poly.h"
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

// The lane sums of the poly softmax's definition: lane l sums e_t for t = l, l + 16, ... in order; then
// halves, quarters, pairs (reduce1's tree).
static float poly_softmax_scalar(float *s, int64_t T, float mx) {
    float lane[16] = {0};
    for (int64_t t = 0; t < T; t++) { s[t] = tl_exp_poly1(s[t] - mx); lane[t % 16] += s[t]; }
    float h[8], f[4];
    for (int i = 0; i < 8; i++) h[i] = lane[i] + lane[i + 8];
    for (int i = 0; i < 4; i++) f[i] = h[i] + h[i + 4];
    return (f[0] + f[2]) + (f[1] + f[3]);
}

static void attention_scalar(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                  int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                  float *scratch, int64_t h0, int64_t h1, int poly) {
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
            float inv;
            if (poly) {
                inv = 1.0f / poly_softmax_scalar(scratch, T, mx);
            } else {
                double sum = 0;
                for (int64_t t = 0; t < T; t++) { scratch[t] = expf(scratch[t] - mx); sum += scratch[t]; }
                inv = (float)(1.0 / sum);
            }
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
#include "reduce_avx512.h"

// ov[0 .. nv) = sum_t (e_t inv) V[t]: one fma chain per lane in the order of t. V points at the head's
// first value; rows are kvdim apart.
TL_TARGET static inline __attribute__((always_inline))
void weighted_values(const int nv, __m512 *ov, const float *e, float inv, const float *V, int64_t T, int64_t kvdim) {
    __m512 acc[16];
    for (int v = 0; v < nv; v++) acc[v] = _mm512_setzero_ps();
    for (int64_t t = 0; t < T; t++) {
        const __m512 wt = _mm512_set1_ps(e[t] * inv);
        const float *vt = V + t * kvdim;
        for (int v = 0; v < nv; v++) acc[v] = _mm512_fmadd_ps(wt, _mm512_loadu_ps(vt + 16 * v), acc[v]);
    }
    for (int v = 0; v < nv; v++) ov[v] = acc[v];
}

// The same computation, 16 lanes at a time over the head dimension (hd a multiple of 16, <= 256).
TL_TARGET static void attention_simd(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                           int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                           float *scratch, int64_t h0, int64_t h1, int poly) {
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
            float inv;
            if (poly) {   // 16 keys at a time; the last few masked (adding +0 leaves a lane's sum as it is)
                const __m512 mxv = _mm512_set1_ps(mx);
                __m512 lanes = _mm512_setzero_ps();
                int64_t u = 0;
                for (; u + 16 <= T; u += 16) {
                    const __m512 e = tl_exp_poly16(_mm512_sub_ps(_mm512_loadu_ps(scratch + u), mxv));
                    _mm512_storeu_ps(scratch + u, e);
                    lanes = _mm512_add_ps(lanes, e);
                }
                if (u < T) {
                    const __mmask16 m = (__mmask16)((1u << (T - u)) - 1);
                    const __m512 e = tl_exp_poly16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, scratch + u), mxv));
                    _mm512_mask_storeu_ps(scratch + u, m, e);
                    lanes = _mm512_add_ps(lanes, _mm512_maskz_mov_ps(m, e));
                }
                inv = 1.0f / reduce1(lanes);
            } else {
                double sum = 0;
                for (int64_t t = 0; t < T; t++) { scratch[t] = expf(scratch[t] - mx); sum += scratch[t]; }
                inv = (float)(1.0 / sum);
            }
            const float *Vg = V + g * hd;
            switch (nv) {   // a constant nv keeps the accumulators in registers (same chains, same bits)
            case 1: weighted_values(1, ov, scratch, inv, Vg, T, kvdim); break;
            case 2: weighted_values(2, ov, scratch, inv, Vg, T, kvdim); break;
            case 4: weighted_values(4, ov, scratch, inv, Vg, T, kvdim); break;
            default: weighted_values((int)nv, ov, scratch, inv, Vg, T, kvdim); break;
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

// The path `isa` (TL_ISA_BEST: the active one) for heads [h0, h1); -2 for a path this CPU lacks.
// AVX2 and NEON have only libm's softmax: with `poly`, they take the scalar definition (same bits).
static int attention_dispatch(int isa, const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                              int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                              float *scratch, int64_t h0, int64_t h1, int poly) {
    if (isa == TL_ISA_BEST) isa = tl_isa_active();
    if (isa < 0 || !tl_isa_supported(isa)) return -2;
    if (hd % 16 == 0 && hd <= 256) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
        if (isa == TL_ISA_AVX512) { attention_simd(q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1, poly); return 0; }
        if ((isa == TL_ISA_AVX2 || isa == TL_ISA_AVXVNNI) && !poly) {
            attention_avx2(q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1);
            return 0;
        }
#endif
#if defined(__aarch64__) && (defined(__clang__) || defined(__GNUC__))
        if ((isa == TL_ISA_NEON || isa == TL_ISA_NEON_DOT) && !poly) {
            attention_neon(q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1);
            return 0;
        }
#endif
    }
    attention_scalar(q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1, poly);
    return 0;
}

// The active path; an unusable TOKENLOOM_ISA: scalar here (the matmuls report it).
static void attention_any(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                          int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                          float *scratch, int64_t h0, int64_t h1, int poly) {
    if (attention_dispatch(TL_ISA_BEST, q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1, poly) != 0)
        attention_scalar(q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1, poly);
}

void tl_attention(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                  int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                  float *scratch, int64_t h0, int64_t h1) {
    attention_any(q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1, 0);
}

int tl_attention_isa(int isa, const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                     int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                     float *scratch, int64_t h0, int64_t h1) {
    return attention_dispatch(isa, q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1, 0);
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

// ---- all heads, split over the kernel threads by (head, block of new positions) ----
// For few heads and many new positions (the image model's wide passes: 5 heads, k = 16 ... 80): a row
// attends to the same keys whichever block holds it, so the split never changes a bit.

typedef struct {
    const float *q, *K, *V;
    int64_t n0, k, H, Hkv, hd, jb;   // jb: new positions per chunk
    int poly;
    float scale;
    float *out, *scratch;            // scratch [chunks, n0 + k]
} attention_rows_ctx;

static void attention_rows_task(void *p, int64_t c) {
    const attention_rows_ctx *a = (const attention_rows_ctx *)p;
    const int64_t h = c % a->H, j0 = (c / a->H) * a->jb;
    const int64_t j1 = j0 + a->jb < a->k ? j0 + a->jb : a->k;
    const int64_t qdim = a->H * a->hd;
    // Positions j0 ..< j1 are new positions 0 ..< j1 - j0 after a cache of n0 + j0 rows.
    attention_any(a->q + j0 * qdim, a->K, a->V, a->n0 + j0, j1 - j0, a->H, a->Hkv, a->hd, a->scale,
                  a->out + j0 * qdim, a->scratch + c * (a->n0 + a->k), h, h + 1, a->poly);
}

void tl_attention_rows_mt(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                          int64_t H, int64_t Hkv, int64_t hd, float scale, float *out, int threads, int poly) {
    // Few new positions or few scores in all: threads cost more than they save (measured on the image
    // model: 2 threads made its 1 ... 4-position passes slower). Else about 4 chunks per thread.
    if (threads < 1 || k < 8 || k * (n0 + k) * H < 4096) threads = 1;
    int64_t nj = threads == 1 ? 1 : (4 * (int64_t)threads + H - 1) / H;
    if (nj > k) nj = k;
    const int64_t jb = (k + nj - 1) / nj, chunks = H * ((k + jb - 1) / jb);
    float *scratch = (float *)malloc((size_t)(chunks * (n0 + k)) * sizeof(float));
    if (!scratch) {  // out of memory for the scores: one head at a time needs far less
        float *one = (float *)malloc((size_t)(n0 + k) * sizeof(float));
        if (!one) return;
        attention_any(q, K, V, n0, k, H, Hkv, hd, scale, out, one, 0, H, poly);
        free(one);
        return;
    }
    attention_rows_ctx c = {q, K, V, n0, k, H, Hkv, hd, jb, poly, scale, out, scratch};
    tl_parallel_run(threads, attention_rows_task, &c, chunks);
    free(scratch);
}
