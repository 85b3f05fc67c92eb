// Activation quantisation, the scalar reference matmul, and the run-time choice of implementation.
//
//   y [k, out] = x [k, in] . W [out, in]^T
//
// Q4_0 / Q4_1 / Q8_0 weights take the integer path (as llama.cpp does): activations are quantised
// to 8 bits per block of 32 and each block contributes d_w * d_x * (q_w . q_x) (+ m_w * s_x for Q4_1).
// Other types take the float path: each weight row is decoded once and dotted with every position.
#include "ckernels.h"
#include <math.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>

// Defined in matmul_simd.c (compiled for AVX-512 VNNI by function attributes).
int tl_simd_cpu_ok(void);
void tl_rows_q_simd(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy);
float tl_dot_f32_simd(const float *a, const float *b, int64_t n);

int tl_simd_available(void) { return tl_simd_cpu_ok(); }

int tl_uses_q8(int type) { return type == TL_Q4_0 || type == TL_Q4_1 || type == TL_Q8_0; }

int tl_quantize_q8_simd(const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                        float *dexp, float *dxs);

void tl_quantize_q8(const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                    float *dexp, float *dxs) {
    if (tl_simd_cpu_ok() && tl_quantize_q8_simd(x, n, q, d, isum, s, dexp, dxs) == 0) return;
    tl_quantize_q8_scalar(x, n, q, d, isum, s, dexp, dxs);
}

void tl_q8_lanes(const int8_t *q, const float *dexp, int64_t k, int64_t cols,
                 uint8_t *gq, uint8_t *gu, float *gd, int32_t *gn) {
    const int64_t nb = cols / 32, np = (nb + 1) / 2;
    for (int64_t j = 0; j < k; j++) {
        const int64_t g = j / 8, jj = j % 8;
        for (int64_t p = 0; p < np; p++) {
            const int64_t at = (g * np + p) * 8 + jj;            // slot of (group, pair, position)
            const int64_t n = 2 * p + 1 < nb ? 64 : 32;           // bytes of real data in this pair
            const int8_t *src = q + j * cols + 64 * p;
            uint8_t *dq = gq + at * 64, *du = gu + at * 64;
            float *dd = gd + at * 16;
            int32_t *dn = gn + at * 16;
            memcpy(dq, src, (size_t)n);
            for (int64_t i = 0; i < n; i++) du[i] = (uint8_t)src[i] ^ 0x80;   // q + 128
            memcpy(dd, dexp + (j * nb + 2 * p) * 8, (size_t)(n / 4) * sizeof(float));
            for (int64_t l = 0; l < n / 4; l++)
                dn[l] = -((int32_t)src[4 * l] + src[4 * l + 1] + src[4 * l + 2] + src[4 * l + 3]);
            if (n < 64) {                                         // zero the missing block
                memset(dq + 32, 0, 32); memset(du + 32, 0, 32);
                memset(dd + 8, 0, 8 * sizeof(float)); memset(dn + 8, 0, 8 * sizeof(int32_t));
            }
        }
    }
}

void tl_quantize_q8_scalar(const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                           float *dexp, float *dxs) {
    for (int64_t b = 0; b < n / 32; b++) {
        const float *xb = x + 32 * b;
        float amax = 0;
        for (int i = 0; i < 32; i++) { float v = fabsf(xb[i]); if (v > amax) amax = v; }
        float db = amax / 127.f, id = amax != 0.f ? 127.f / amax : 0.f;
        int32_t sum = 0;
        for (int i = 0; i < 32; i++) {
            int32_t v = (int32_t)nearbyintf(xb[i] * id);  // round half to even, like _mm256_round_ps
            q[32 * b + i] = (int8_t)v;
            sum += v;
        }
        d[b] = tl_fp16_to_fp32(tl_fp32_to_fp16(db));
        isum[b] = sum;
        s[b] = tl_fp16_to_fp32(tl_fp32_to_fp16(db * (float)sum));
        for (int i = 0; i < 8; i++) dexp[8 * b + i] = d[b];
        dxs[b] = d[b] * (float)sum;
    }
}

static inline float h2f(const uint8_t *p) { return tl_fp16_to_fp32((uint16_t)(p[0] | (p[1] << 8))); }

static void rows_q_scalar(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy) {
    const int64_t cols = w->cols, nb = cols / 32;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w->data + r * w->row_bytes;
        for (int64_t j = 0; j < a->k; j++) {
            const int8_t *xq = a->q + j * cols;
            const float *xd = a->d + j * nb, *xs = a->s + j * nb;
            float acc = 0, summ = 0;
            for (int64_t b = 0; b < nb; b++) {
                const int8_t *x = xq + 32 * b;
                int32_t dot = 0;
                float dw;
                if (w->type == TL_Q8_0) {
                    const uint8_t *blk = row + 34 * b;
                    dw = h2f(blk);
                    for (int l = 0; l < 32; l++) dot += (int32_t)(int8_t)blk[2 + l] * x[l];
                } else {
                    const uint8_t *blk = row + (w->type == TL_Q4_1 ? 20 : 18) * b;
                    const uint8_t *qs = blk + (w->type == TL_Q4_1 ? 4 : 2);
                    dw = h2f(blk);
                    for (int l = 0; l < 16; l++) dot += (qs[l] & 0xF) * x[l] + (qs[l] >> 4) * x[l + 16];
                    if (w->type == TL_Q4_0) dot -= 8 * a->isum[j * nb + b];
                    else summ += h2f(blk + 2) * xs[b];
                }
                acc += dw * xd[b] * (float)dot;
            }
            y[j * ldy + r] = acc + summ;
        }
    }
}

static float dot_f32_scalar(const float *a, const float *b, int64_t n) {
    float acc = 0;
    for (int64_t i = 0; i < n; i++) acc += a[i] * b[i];
    return acc;
}

static int rows_f(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy, int simd) {
    const int64_t cols = w->cols;
    float *buf = w->type == TL_F32 ? NULL : (float *)malloc((size_t)cols * sizeof(float));
    if (w->type != TL_F32 && !buf) return -1;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w->data + r * w->row_bytes;
        const float *wr;
        if (w->type == TL_F32) wr = (const float *)row;
        else {
            if (tl_dequantize(w->type, row, buf, cols) != 0) { free(buf); return -1; }
            wr = buf;
        }
        for (int64_t j = 0; j < a->k; j++)
            y[j * ldy + r] = simd ? tl_dot_f32_simd(wr, a->x + j * cols, cols)
                                  : dot_f32_scalar(wr, a->x + j * cols, cols);
    }
    free(buf);
    return 0;
}

int tl_matmul_rows(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy, int impl) {
    int simd = impl == TL_IMPL_BEST && tl_simd_cpu_ok();
    switch (w->type) {
    case TL_Q4_0: case TL_Q4_1: case TL_Q8_0:
        if (simd) tl_rows_q_simd(w, a, r0, r1, y, ldy);
        else rows_q_scalar(w, a, r0, r1, y, ldy);
        return 0;
    case TL_F32: case TL_F16: case TL_BF16: case TL_Q5_0: case TL_Q5_1: case TL_IQ4_NL:
    case TL_Q2_K: case TL_Q3_K: case TL_Q4_K: case TL_Q5_K: case TL_Q6_K:
        return rows_f(w, a, r0, r1, y, ldy, simd);
    default:
        return -1;
    }
}

// ---- the threaded entry: chunks of rows over all jobs ----

typedef struct {
    const tl_matrix *w;
    float *const *y;
    const tl_acts *a;
    int impl;
    int njobs;
    int64_t first[65];      // chunk index where job i starts (first[njobs] = total)
    int64_t per[64];        // rows per chunk of job i
    _Atomic int failed;
} jobs_ctx;

static void jobs_task(void *p, int64_t c) {
    jobs_ctx *ctx = (jobs_ctx *)p;
    int i = 0;
    while (c >= ctx->first[i + 1]) i++;
    const tl_matrix *w = &ctx->w[i];
    const int64_t r0 = (c - ctx->first[i]) * ctx->per[i];
    const int64_t r1 = r0 + ctx->per[i] < w->rows ? r0 + ctx->per[i] : w->rows;
    if (tl_matmul_rows(w, ctx->a, r0, r1, ctx->y[i], w->rows, ctx->impl) != 0) ctx->failed = 1;
}

int tl_matmul_jobs(const tl_matrix *w, float *const *y, int njobs, const tl_acts *a, int threads, int impl) {
    if (njobs <= 0) return 0;
    if (njobs > 64) {
        for (int i = 0; i < njobs; i += 64)
            if (tl_matmul_jobs(w + i, y + i, njobs - i < 64 ? njobs - i : 64, a, threads, impl) != 0) return -1;
        return 0;
    }
    // Below this many multiply-adds a call runs on the caller alone (TOKENLOOM_PARALLEL_MIN_MACS).
    static int64_t min_macs = -1;
    if (min_macs < 0) { const char *e = getenv("TOKENLOOM_PARALLEL_MIN_MACS"); min_macs = e ? atoll(e) : 0; }
    int64_t total = 0;
    for (int i = 0; i < njobs; i++) total += w[i].rows * w[i].cols * a->k;
    if (total < min_macs) threads = 1;
    jobs_ctx ctx = {.w = w, .y = y, .a = a, .impl = impl, .njobs = njobs};
    ctx.failed = 0;
    // About 64K multiply-adds per chunk (a few microseconds): fine enough that a late worker still
    // finds work, coarse enough that claiming is cheap. Rows per chunk: a multiple of 4.
    const int64_t macs_per_chunk = threads > 1 ? 65536 : INT64_MAX / 4;
    ctx.first[0] = 0;
    for (int i = 0; i < njobs; i++) {
        const int64_t work = w[i].cols * (a->k > 0 ? a->k : 1);
        int64_t per = (macs_per_chunk + work - 1) / work;
        per = (per + 3) / 4 * 4;
        if (per > w[i].rows) per = w[i].rows;
        if (per < 1) per = 1;
        ctx.per[i] = per;
        ctx.first[i + 1] = ctx.first[i] + (w[i].rows + per - 1) / per;
    }
    tl_parallel_run(threads, jobs_task, &ctx, ctx.first[njobs]);
    return ctx.failed ? -1 : 0;
}
