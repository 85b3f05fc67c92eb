// Causal grouped-query attention over the KV cache for a batch of new positions.
//
//   for head h (kv head g = h / (H / Hkv)), new position j (absolute n0 + j):
//     s_t = scale * q[j, h] . K[t, g]          t = 0 ... n0 + j   (later rows are masked out)
//     out[j, h] = sum_t softmax(s)_t V[t, g]
#include "ckernels.h"
#include <math.h>
#include <stdlib.h>

static void attention_scalar(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                  int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                  float *scratch, int64_t h0, int64_t h1) {
    const int64_t group = H / Hkv, qdim = H * hd, kvdim = Hkv * hd;
    for (int64_t h = h0; h < h1; h++) {
        const int64_t g = h / group;
        for (int64_t j = 0; j < k; j++) {
            const float *qh = q + j * qdim + h * hd;
            const int64_t T = n0 + j + 1;
            float mx = -INFINITY;
            for (int64_t t = 0; t < T; t++) {
                const float *kt = K + t * kvdim + g * hd;
                float dot = 0;
                for (int64_t i = 0; i < hd; i++) dot += qh[i] * kt[i];
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
                for (int64_t i = 0; i < hd; i++) o[i] += wt * vt[i];
            }
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
int tl_simd_cpu_ok(void);

// The same computation, 16 lanes at a time over the head dimension (hd a multiple of 16, <= 256).
__attribute__((target("avx2,fma,avx512f")))
static void attention_simd(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
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
            for (int64_t t = 0; t < T; t++) {
                const float *kt = K + t * kvdim + g * hd;
                __m512 acc = _mm512_mul_ps(qv[0], _mm512_loadu_ps(kt));
                for (int64_t v = 1; v < nv; v++) acc = _mm512_fmadd_ps(qv[v], _mm512_loadu_ps(kt + 16 * v), acc);
                const float st = _mm512_reduce_add_ps(acc) * scale;
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
#endif

void tl_attention(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                  int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                  float *scratch, int64_t h0, int64_t h1) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (hd % 16 == 0 && hd <= 256 && tl_simd_cpu_ok()) {
        attention_simd(q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1);
        return;
    }
#endif
    attention_scalar(q, K, V, n0, k, H, Hkv, hd, scale, out, scratch, h0, h1);
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
