// Activation quantisation, the scalar reference matmul, and the run-time choice of kernel path.
//
//   y [k, out] = x [k, in] . W [out, in]^T
//
// Q4_0 / Q4_1 / Q8_0 weights take the integer path (as llama.cpp does): activations are quantised
// to 8 bits per block of 32 and each block contributes d_w * d_x * (q_w . q_x) (+ m_w * s_x for Q4_1).
// So do Q5_0, Q5_1, IQ4_NL, Q3_K, Q4_K, Q5_K and Q6_K, transcoded at load into the internal TL_Q8_S /
// TL_Q8_SM blocks (transcode_q8s.c: int8 q, a float scale per half block, TL_Q8_SM a float min m).
// Q2_K, F16, BF16 and F32 take the float path: each weight row is decoded once and dotted with every
// position (so do the K types when the model loader keeps them untranscoded).
//
// One order of float operations for every path (AVX-512, AVX2, NEON, scalar), so that each gives the
// same bits: 16 lanes, as in one 512-bit register.
//   integer path, one row and one position: for block b (in order), lanes 8(b%2) .. 8(b%2)+7 each take
//     4 of the block's products, summed exactly as int32 p:
//        acc[lane] = fma(float(p), d_w * d_x, acc[lane])          (d_w * d_x is exact: two fp16s)
//     y = reduce16(acc) (+ reduce16(m) for Q4_1, where m[b % 16] = fma(m_w[b], s_x[b], m[b % 16]))
//   TL_Q8_S / TL_Q8_SM: the same, with d_w per lane: lanes 8(b%2) .. 8(b%2)+3 (elements 0..15) take
//     d_lo, lanes 8(b%2)+4 .. 8(b%2)+7 (16..31) d_hi; d_half * d_x is one rounded float multiply (fp32
//     scales), then the fma. TL_Q8_SM adds the m term as Q4_1 does.
//   float path: lane l takes the elements i with i % 16 == l of the whole 16s (fma), then
//     reduce16, then the tail one fma at a time.
//   reduce16(v) = (f0 + f2) + (f1 + f3), f[i] = h[i] + h[i+4], h[i] = v[i] + v[i+8]
// The scalar path spells this out with tl_fmaf_ref (fma_ref.h: a correctly rounded fma without FMA
// hardware).
#include "ckernels.h"
#include "fma_ref.h"
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>

// matmul_simd.c (AVX-512 VNNI), matmul_avx2.c (AVX2, AVX-VNNI), matmul_neon.c (aarch64): each
// compiled with target attributes or only on its architecture; the *_cpu_ok probes say what runs.
int tl_simd_cpu_ok(void);
void tl_rows_q_simd(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy);
float tl_dot_f32_simd(const float *a, const float *b, int64_t n);
int tl_quantize_q8_simd(const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                        float *dexp, float *dxs);
int tl_avx2_cpu_ok(int vnni);
void tl_rows_q_avx2(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy, int vnni);
float tl_dot_f32_avx2(const float *a, const float *b, int64_t n);
int tl_quantize_q8_avx2(const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                        float *dexp, float *dxs);
int tl_neon_cpu_ok(int dot);
void tl_rows_q_neon(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy, int dot);
float tl_dot_f32_neon(const float *a, const float *b, int64_t n);
int tl_quantize_q8_neon(const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                        float *dexp, float *dxs);

// ---- the path: what the CPU has, what TOKENLOOM_ISA asks for ----

static const char *const isa_names[TL_ISA_COUNT] = {
    NULL, "scalar", "avx2-novnni", "avxvnni", "avx512", "neon-nodot", "neon-dot"};
static const char *const isa_descriptions[TL_ISA_COUNT] = {
    NULL, "scalar (portable C)", "avx2+fma+f16c (vpmaddubsw)", "avx2+fma+f16c+avx-vnni (vpdpbusd)",
    "avx512f/bw/vl+vnni (vpdpbusd)", "neon (smull)", "neon+dotprod (sdot)"};

int tl_isa_supported(int isa) {
    switch (isa) {
    case TL_ISA_SCALAR: return 1;
    case TL_ISA_AVX2: return tl_avx2_cpu_ok(0);
    case TL_ISA_AVXVNNI: return tl_avx2_cpu_ok(1);
    case TL_ISA_AVX512: return tl_simd_cpu_ok();
    case TL_ISA_NEON: return tl_neon_cpu_ok(0);
    case TL_ISA_NEON_DOT: return tl_neon_cpu_ok(1);
    default: return 0;
    }
}

int tl_isa_best(void) {
    static const int order[] = {TL_ISA_AVX512, TL_ISA_AVXVNNI, TL_ISA_AVX2, TL_ISA_NEON_DOT, TL_ISA_NEON};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (tl_isa_supported(order[i])) return order[i];
    return TL_ISA_SCALAR;
}

const char *tl_isa_name(int isa) {
    // "avx2" / "neon" where that name picks this path (no AVX-VNNI / no sdot): names round-trip.
    if (isa == TL_ISA_AVX2 && !tl_isa_supported(TL_ISA_AVXVNNI)) return "avx2";
    if (isa == TL_ISA_NEON && !tl_isa_supported(TL_ISA_NEON_DOT)) return "neon";
    return isa > 0 && isa < TL_ISA_COUNT ? isa_names[isa] : NULL;
}

const char *tl_isa_description(int isa) { return isa > 0 && isa < TL_ISA_COUNT ? isa_descriptions[isa] : "none"; }

int tl_isa_parse(const char *name) {
    if (!name) return -1;
    if (!strcmp(name, "avx2")) return tl_isa_supported(TL_ISA_AVXVNNI) ? TL_ISA_AVXVNNI : TL_ISA_AVX2;
    if (!strcmp(name, "neon")) return tl_isa_supported(TL_ISA_NEON_DOT) ? TL_ISA_NEON_DOT : TL_ISA_NEON;
    for (int i = 1; i < TL_ISA_COUNT; i++)
        if (!strcmp(name, isa_names[i])) return i;
    return -1;
}

static int env_isa;                 // TOKENLOOM_ISA's path; 0 when unset; -1 when unusable
static char env_error[256];
static _Atomic int forced_isa;      // tl_isa_force's path; 0 when none

static void read_env(void) {
    const char *e = getenv("TOKENLOOM_ISA");
    if (!e || !*e) return;
    const int isa = tl_isa_parse(e);
    if (isa < 0) {
        env_isa = -1;
        snprintf(env_error, sizeof env_error,
                 "TOKENLOOM_ISA=%.40s names no kernel path (use avx512, avx2, avxvnni, avx2-novnni, neon, "
                 "neon-dot, neon-nodot or scalar)", e);
    } else if (!tl_isa_supported(isa)) {
        char can[96] = "";
        for (int i = TL_ISA_COUNT - 1; i >= TL_ISA_SCALAR; i--)
            if (tl_isa_supported(i)) { if (*can) strcat(can, ", "); strcat(can, tl_isa_name(i)); }
        env_isa = -1;
        snprintf(env_error, sizeof env_error, "TOKENLOOM_ISA=%.40s: this CPU (or this build) cannot run the %s "
                 "path; it can run %s", e, tl_isa_description(isa), can);
    } else {
        env_isa = isa;
    }
}

static void env_once(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, read_env);
}

int tl_isa_active(void) {
    const int f = forced_isa;
    if (f > 0) return f;
    env_once();
    return env_isa != 0 ? env_isa : tl_isa_best();
}

int tl_isa_forced(void) { env_once(); return forced_isa > 0 || env_isa != 0; }

int tl_isa_force(int isa) {
    if (isa != TL_ISA_BEST && !tl_isa_supported(isa)) return -1;
    forced_isa = isa;
    return 0;
}

const char *tl_isa_error(void) {
    env_once();
    return forced_isa == 0 && env_isa < 0 ? env_error : NULL;
}

int tl_simd_available(void) { return tl_isa_active() > TL_ISA_SCALAR; }

int tl_uses_q8(int type) {
    return type == TL_Q4_0 || type == TL_Q4_1 || type == TL_Q8_0 || type == TL_Q8_S || type == TL_Q8_SM;
}

// ---- activations ----

float tl_fmaf_ref(float a, float b, float c) { return tl_fma_ref_inline(a, b, c); }

int tl_quantize_q8_isa(int isa, const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                       float *dexp, float *dxs) {
    if (isa == TL_ISA_BEST) isa = tl_isa_active();
    if (isa < 0 || !tl_isa_supported(isa)) return -2;
    int rc = -1;
    switch (isa) {
    case TL_ISA_AVX512: rc = tl_quantize_q8_simd(x, n, q, d, isum, s, dexp, dxs); break;
    case TL_ISA_AVX2: case TL_ISA_AVXVNNI: rc = tl_quantize_q8_avx2(x, n, q, d, isum, s, dexp, dxs); break;
    case TL_ISA_NEON: case TL_ISA_NEON_DOT: rc = tl_quantize_q8_neon(x, n, q, d, isum, s, dexp, dxs); break;
    default: break;
    }
    if (rc != 0) tl_quantize_q8_scalar(x, n, q, d, isum, s, dexp, dxs);
    return 0;
}

void tl_quantize_q8(const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                    float *dexp, float *dxs) {
    // An unusable TOKENLOOM_ISA: the scalar rule (the same bits); the matmul that follows reports it.
    if (tl_quantize_q8_isa(TL_ISA_BEST, x, n, q, d, isum, s, dexp, dxs) != 0)
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

// ---- the scalar reference: the 16-lane order above, one operation at a time ----

static inline float h2f(const uint8_t *p) { return tl_fp16_to_fp32((uint16_t)(p[0] | (p[1] << 8))); }

static inline float reduce16(const float *v) {
    float h[8], f[4];
    for (int i = 0; i < 8; i++) h[i] = v[i] + v[i + 8];
    for (int i = 0; i < 4; i++) f[i] = h[i] + h[i + 4];
    return (f[0] + f[2]) + (f[1] + f[3]);
}

static void rows_q_scalar(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy) {
    const int64_t cols = w->cols, nb = cols / 32;
    const int qs8 = w->type == TL_Q8_S || w->type == TL_Q8_SM;   // the transcoded blocks
    const int hasm = w->type == TL_Q4_1 || w->type == TL_Q8_SM;
    const int bs = qs8 ? tl_q8s_block_bytes(w->type) : w->type == TL_Q8_0 ? 34 : w->type == TL_Q4_1 ? 20 : 18;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w->data + r * w->row_bytes;
        int32_t wq[32];
        for (int64_t j = 0; j < a->k; j++) {
            const int8_t *xq = a->q + j * cols;
            const float *xd = a->d + j * nb, *xs = a->s + j * nb;
            float acc[16] = {0}, m[16] = {0};
            for (int64_t b = 0; b < nb; b++) {
                const uint8_t *blk = row + bs * b;
                const int8_t *x = xq + 32 * b;
                float dh[2] = {0, 0}, mw = 0;   // TL_Q8_S / TL_Q8_SM: d_lo, d_hi, m
                if (qs8) {
                    memcpy(dh, blk, 8);
                    if (w->type == TL_Q8_SM) memcpy(&mw, blk + 8, 4);
                    for (int l = 0; l < 32; l++) wq[l] = (int8_t)blk[bs - 32 + l];
                } else if (w->type == TL_Q8_0) {
                    for (int l = 0; l < 32; l++) wq[l] = (int8_t)blk[2 + l];
                } else {
                    const uint8_t *qs = blk + (w->type == TL_Q4_1 ? 4 : 2);
                    const int zp = w->type == TL_Q4_0 ? 8 : 0;
                    for (int l = 0; l < 16; l++) { wq[l] = (qs[l] & 0xF) - zp; wq[l + 16] = (qs[l] >> 4) - zp; }
                }
                float dwx = qs8 ? 0 : h2f(blk) * xd[b], dwx_hi = dwx;
                if (qs8) { dwx = dh[0] * xd[b]; dwx_hi = dh[1] * xd[b]; }   // one rounding each
                float pf[8], dv[8];
                for (int l = 0; l < 8; l++) {
                    pf[l] = (float)(wq[4 * l] * x[4 * l] + wq[4 * l + 1] * x[4 * l + 1]
                                    + wq[4 * l + 2] * x[4 * l + 2] + wq[4 * l + 3] * x[4 * l + 3]);   // exact
                    dv[l] = l < 4 ? dwx : dwx_hi;                 // elements 0..15, 16..31
                }
                tl_fma_lanes_ref(pf, dv, acc + 8 * (b & 1), 8);   // block 2p: lanes 0..7, 2p+1: lanes 8..15
                if (hasm) m[b % 16] = tl_fma_ref_inline(qs8 ? mw : h2f(blk + 2), xs[b], m[b % 16]);
            }
            y[j * ldy + r] = hasm ? reduce16(acc) + reduce16(m) : reduce16(acc);
        }
    }
}

static float dot_f32_scalar(const float *a, const float *b, int64_t n) {
    float s[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) tl_fma_lanes_ref(a + i, b + i, s, 16);
    float acc = reduce16(s);
    for (; i < n; i++) acc = tl_fma_ref_inline(a[i], b[i], acc);
    return acc;
}

static int rows_f(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy, int isa) {
    float (*dot)(const float *, const float *, int64_t) =
        isa == TL_ISA_AVX512 ? tl_dot_f32_simd
        : isa == TL_ISA_AVX2 || isa == TL_ISA_AVXVNNI ? tl_dot_f32_avx2
        : isa == TL_ISA_NEON || isa == TL_ISA_NEON_DOT ? tl_dot_f32_neon
        : dot_f32_scalar;
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
        for (int64_t j = 0; j < a->k; j++) y[j * ldy + r] = dot(wr, a->x + j * cols, cols);
    }
    free(buf);
    return 0;
}

int tl_matmul_rows(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy, int impl) {
    const int isa = impl == TL_ISA_BEST ? tl_isa_active() : impl;
    if (isa < 0 || !tl_isa_supported(isa)) return -2;
    switch (w->type) {
    case TL_Q4_0: case TL_Q4_1: case TL_Q8_0: case TL_Q8_S: case TL_Q8_SM:
        switch (isa) {
        case TL_ISA_AVX512: tl_rows_q_simd(w, a, r0, r1, y, ldy); break;
        case TL_ISA_AVX2: case TL_ISA_AVXVNNI: tl_rows_q_avx2(w, a, r0, r1, y, ldy, isa == TL_ISA_AVXVNNI); break;
        case TL_ISA_NEON: case TL_ISA_NEON_DOT: tl_rows_q_neon(w, a, r0, r1, y, ldy, isa == TL_ISA_NEON_DOT); break;
        default: rows_q_scalar(w, a, r0, r1, y, ldy); break;
        }
        return 0;
    case TL_F32: case TL_F16: case TL_BF16: case TL_Q5_0: case TL_Q5_1: case TL_IQ4_NL:
    case TL_Q2_K: case TL_Q3_K: case TL_Q4_K: case TL_Q5_K: case TL_Q6_K:
        return rows_f(w, a, r0, r1, y, ldy, isa);
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
    const int rc = tl_matmul_rows(w, ctx->a, r0, r1, ctx->y[i], w->rows, ctx->impl);
    if (rc != 0) ctx->failed = rc;
}

int tl_matmul_jobs(const tl_matrix *w, float *const *y, int njobs, const tl_acts *a, int threads, int impl) {
    if (njobs <= 0) return 0;
    if (njobs > 64) {
        for (int i = 0; i < njobs; i += 64) {
            const int rc = tl_matmul_jobs(w + i, y + i, njobs - i < 64 ? njobs - i : 64, a, threads, impl);
            if (rc != 0) return rc;
        }
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
    // finds work, coarse enough that claiming is cheap. Rows per chunk: a multiple of 16, so that two
    // threads' chunks never write the same 64-byte line of y (y [k, rows]: with 8 rows per chunk at
    // k = 16, every position's outputs of neighbouring chunks shared a line, and 2 threads ran the
    // wide passes' matmuls barely faster than 1).
    const int64_t macs_per_chunk = threads > 1 ? 65536 : INT64_MAX / 4;
    ctx.first[0] = 0;
    for (int i = 0; i < njobs; i++) {
        const int64_t work = w[i].cols * (a->k > 0 ? a->k : 1);
        int64_t per = (macs_per_chunk + work - 1) / work;
        per = (per + 15) / 16 * 16;
        if (per > w[i].rows) per = w[i].rows;
        if (per < 1) per = 1;
        ctx.per[i] = per;
        ctx.first[i + 1] = ctx.first[i] + (w[i].rows + per - 1) / per;
    }
    tl_parallel_run(threads, jobs_task, &ctx, ctx.first[njobs]);
    return ctx.failed;
}
