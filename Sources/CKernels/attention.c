// Causal grouped-query attention over the KV cache for a batch of new positions.
//
//   for head h (kv head g = h / (H / Hkv)), new position j (absolute n0 + j):
//     s_t = scale * q[j, h] . K[t, g]          t = 0 ... n0 + j   (later rows are masked out)
//     out[j, h] = sum_t softmax(s)_t V[t, g]
#include "ckernels.h"
#include <math.h>

void tl_attention(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
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
