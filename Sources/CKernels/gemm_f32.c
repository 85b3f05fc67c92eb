// The image model's batched F32 matmul: y [k, m] = x [k, n] . W [m, n]^T, every weight read once for
// all k positions (what a k-position Jacobi pass needs to cost far less than k one-position passes).
//
// W is packed once (tl_gemm_f32_pack) into panels of 32 output columns, zero past m:
//   P [ceil(m/32), n, 32]      P[p, i, c] = W[32 p + c, i]
// Each output is ONE fused multiply-add chain in the order of i, starting from +0:
//   y[j, o] = fma(x[j, n-1], W[o, n-1], ... fma(x[j, 1], W[o, 1], fma(x[j, 0], W[o, 0], 0)))
// The SIMD lanes run over outputs o (a panel's 32 columns), never over i, so no horizontal sum
// exists and a position's result cannot depend on k, on which positions share the call, on the
// thread count or on the instruction set: the scalar path computes the same chain with fmaf.
//
// Micro-kernels: NP panels x J positions of accumulators held in registers across the whole i loop;
// x[j, i] is broadcast, the panel rows stream from L1/L2 (a panel is n x 128 bytes).
#include "ckernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TL_GEMM_NR 32   // output columns per panel

int64_t tl_gemm_f32_packed_floats(int64_t m, int64_t n) {
    return (m + TL_GEMM_NR - 1) / TL_GEMM_NR * TL_GEMM_NR * n;
}

void tl_gemm_f32_pack(const float *w, int64_t m, int64_t n, float *packed) {
    const int64_t panels = (m + TL_GEMM_NR - 1) / TL_GEMM_NR;
    for (int64_t p = 0; p < panels; p++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = 0; c < TL_GEMM_NR; c++) {
                const int64_t o = p * TL_GEMM_NR + c;
                packed[(p * n + i) * TL_GEMM_NR + c] = o < m ? w[o * n + i] : 0.f;
            }
}

// The reference: the same chains, one output at a time.    panels [p0, p1), all k positions
static void gemm_scalar(const float *x, const float *P, float *y, int64_t k, int64_t n, int64_t m,
                        int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) {
        const float *panel = P + p * n * TL_GEMM_NR;
        const int64_t cols = m - p * TL_GEMM_NR < TL_GEMM_NR ? m - p * TL_GEMM_NR : TL_GEMM_NR;
        for (int64_t j = 0; j < k; j++)
            for (int64_t c = 0; c < cols; c++) {
                float acc = 0.f;
                for (int64_t i = 0; i < n; i++) acc = fmaf(x[j * n + i], panel[i * TL_GEMM_NR + c], acc);
                y[j * m + p * TL_GEMM_NR + c] = acc;
            }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define TL_HAVE_X86 1

static int cpu_avx512(void) {
    static int ok = -1;
    if (ok < 0) { __builtin_cpu_init(); ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"); }
    return ok;
}
static int cpu_avx2(void) {
    static int ok = -1;
    if (ok < 0) { __builtin_cpu_init(); ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
    return ok;
}

#define TL_T512 __attribute__((target("avx2,fma,avx512f")))
#define TL_T256 __attribute__((target("avx2,fma")))

// NP consecutive panels (NP * 32 outputs) x J positions starting at j0. Accumulators: 2 NP J zmm.
// `cols` = valid columns of the last panel (32 unless it is the matrix's last).
TL_T512 static inline __attribute__((always_inline))
void tile512(const int NP, const int J, const float *x, const float *P, float *y, int64_t n, int64_t m,
             int64_t p, int64_t j0) {
    __m512 acc[4][2][12];
    for (int a = 0; a < NP; a++)
        for (int jj = 0; jj < J; jj++) { acc[a][0][jj] = _mm512_setzero_ps(); acc[a][1][jj] = _mm512_setzero_ps(); }
    const float *xj = x + j0 * n;
    const float *w = P + p * n * TL_GEMM_NR;
    for (int64_t i = 0; i < n; i++) {
        __m512 w0[4], w1[4];
        for (int a = 0; a < NP; a++) {
            w0[a] = _mm512_loadu_ps(w + (a * n + i) * TL_GEMM_NR);
            w1[a] = _mm512_loadu_ps(w + (a * n + i) * TL_GEMM_NR + 16);
        }
        for (int jj = 0; jj < J; jj++) {
            const __m512 xv = _mm512_set1_ps(xj[jj * n + i]);
            for (int a = 0; a < NP; a++) {
                acc[a][0][jj] = _mm512_fmadd_ps(xv, w0[a], acc[a][0][jj]);
                acc[a][1][jj] = _mm512_fmadd_ps(xv, w1[a], acc[a][1][jj]);
            }
        }
    }
    for (int a = 0; a < NP; a++) {
        const int64_t o = (p + a) * TL_GEMM_NR, left = m - o;
        const __mmask16 m0 = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
        const __mmask16 m1 = left >= 32 ? 0xFFFF : left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1);
        for (int jj = 0; jj < J; jj++) {
            _mm512_mask_storeu_ps(y + (j0 + jj) * m + o, m0, acc[a][0][jj]);
            _mm512_mask_storeu_ps(y + (j0 + jj) * m + o + 16, m1, acc[a][1][jj]);
        }
    }
}

// Tiles of positions: 12 at a time on one panel (24 accumulators), a remainder of J < 12; with few
// positions, 4 panels at a time so enough independent FMA chains hide the FMA latency.
#define TL_TILE512(NP)                                                                                  \
    TL_T512 static void tile512_np##NP(int J, const float *x, const float *P, float *y, int64_t n,      \
                                       int64_t m, int64_t p, int64_t j0) {                            \
        switch (J) {                                                                                  \
        case 1: tile512(NP, 1, x, P, y, n, m, p, j0); break;                                          \
        case 2: tile512(NP, 2, x, P, y, n, m, p, j0); break;                                          \
        case 3: tile512(NP, 3, x, P, y, n, m, p, j0); break;                                          \
        case 4: tile512(NP, 4, x, P, y, n, m, p, j0); break;                                          \
        case 5: tile512(NP, 5, x, P, y, n, m, p, j0); break;                                          \
        case 6: tile512(NP, 6, x, P, y, n, m, p, j0); break;                                          \
        case 7: tile512(NP, 7, x, P, y, n, m, p, j0); break;                                          \
        case 8: tile512(NP, 8, x, P, y, n, m, p, j0); break;                                          \
        case 9: tile512(NP, 9, x, P, y, n, m, p, j0); break;                                          \
        case 10: tile512(NP, 10, x, P, y, n, m, p, j0); break;                                        \
        case 11: tile512(NP, 11, x, P, y, n, m, p, j0); break;                                        \
        default: tile512(NP, 12, x, P, y, n, m, p, j0); break;                                        \
        }                                                                                             \
    }
TL_TILE512(1)

TL_T512 static void tile512_wide(int J, const float *x, const float *P, float *y, int64_t n, int64_t m,
                                 int64_t p, int64_t j0) {
    switch (J) {   // J <= 2: 4 panels (8 J accumulators); J <= 6: 2 panels (4 J)
    case 1: tile512(4, 1, x, P, y, n, m, p, j0); break;
    case 2: tile512(4, 2, x, P, y, n, m, p, j0); break;
    case 3: tile512(2, 3, x, P, y, n, m, p, j0); break;
    case 4: tile512(2, 4, x, P, y, n, m, p, j0); break;
    case 5: tile512(2, 5, x, P, y, n, m, p, j0); break;
    default: tile512(2, 6, x, P, y, n, m, p, j0); break;
    }
}

TL_T512 static void gemm_avx512(const float *x, const float *P, float *y, int64_t k, int64_t n, int64_t m,
                                int64_t p0, int64_t p1) {
    for (int64_t j0 = 0; j0 < k;) {
        const int J = (int)(k - j0 < 12 ? k - j0 : 12);
        const int np = J <= 2 ? 4 : J <= 6 ? 2 : 1;   // panels per tile
        int64_t p = p0;
        if (np > 1)
            for (; p + np <= p1; p += np) tile512_wide(J, x, P, y, n, m, p, j0);
        for (; p < p1; p++) tile512_np1(J, x, P, y, n, m, p, j0);
        j0 += J;
    }
}

// AVX2: a panel is 4 ymm; J <= 3 positions per tile (12 accumulators of the 16 registers).
TL_T256 static inline __attribute__((always_inline))
void tile256(const int J, const float *x, const float *P, float *y, int64_t n, int64_t m, int64_t p, int64_t j0) {
    __m256 acc[4][3];
    for (int v = 0; v < 4; v++)
        for (int jj = 0; jj < J; jj++) acc[v][jj] = _mm256_setzero_ps();
    const float *xj = x + j0 * n;
    const float *w = P + p * n * TL_GEMM_NR;
    for (int64_t i = 0; i < n; i++) {
        for (int jj = 0; jj < J; jj++) {
            const __m256 xv = _mm256_set1_ps(xj[jj * n + i]);
            for (int v = 0; v < 4; v++)
                acc[v][jj] = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w + i * TL_GEMM_NR + 8 * v), acc[v][jj]);
        }
    }
    const int64_t o = p * TL_GEMM_NR, left = m - o;
    for (int jj = 0; jj < J; jj++) {
        if (left >= TL_GEMM_NR) {
            for (int v = 0; v < 4; v++) _mm256_storeu_ps(y + (j0 + jj) * m + o + 8 * v, acc[v][jj]);
        } else {
            float buf[TL_GEMM_NR];
            for (int v = 0; v < 4; v++) _mm256_storeu_ps(buf + 8 * v, acc[v][jj]);
            memcpy(y + (j0 + jj) * m + o, buf, (size_t)left * sizeof(float));
        }
    }
}

TL_T256 static void gemm_avx2(const float *x, const float *P, float *y, int64_t k, int64_t n, int64_t m,
                              int64_t p0, int64_t p1) {
    for (int64_t j0 = 0; j0 < k;) {
        const int J = (int)(k - j0 < 3 ? k - j0 : 3);
        for (int64_t p = p0; p < p1; p++) {
            if (J == 1) tile256(1, x, P, y, n, m, p, j0);
            else if (J == 2) tile256(2, x, P, y, n, m, p, j0);
            else tile256(3, x, P, y, n, m, p, j0);
        }
        j0 += J;
    }
}

// Roofline probe: 12 independent 512-bit FMA chains per thread.
#define TL_FMA_ITERS 200000
TL_T512 static void fma_task(void *ctx, int64_t c) {
    (void)c;
    __m512 acc[12];
    const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-3f);
    for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
    for (int it = 0; it < TL_FMA_ITERS; it++) {
        for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]));
    }
    __m512 s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, acc[i]);
    ((float *)ctx)[c & 15] += _mm512_reduce_add_ps(s);
}
#endif

int tl_f32_impl(int impl) {
    if (impl != TL_GEMM_BEST) return tl_gemm_f32_available(impl) ? impl : -1;
#ifdef TL_HAVE_X86
    if (cpu_avx512()) return TL_GEMM_AVX512;
    if (cpu_avx2()) return TL_GEMM_AVX2;
#endif
    return TL_GEMM_SCALAR;
}

int tl_gemm_f32_available(int impl) {
    switch (impl) {
    case TL_GEMM_BEST: case TL_GEMM_SCALAR: return 1;
#ifdef TL_HAVE_X86
    case TL_GEMM_AVX2: return cpu_avx2();
    case TL_GEMM_AVX512: return cpu_avx512();
#endif
    default: return 0;
    }
}

typedef struct {
    const float *x, *P;
    float *y;
    int64_t k, n, m;
    int64_t per, pch;   // panels per chunk; chunks along the panels
    int64_t jb;         // positions per chunk
    int impl;
} gemm_ctx;

// Chunk c: panels [per (c % pch), ...) of positions [jb (c / pch), ...). A position's outputs are
// the same chains whichever chunk computes them, so the split never changes a bit.
static void gemm_task(void *p, int64_t c) {
    const gemm_ctx *g = (const gemm_ctx *)p;
    const int64_t panels = (g->m + TL_GEMM_NR - 1) / TL_GEMM_NR;
    const int64_t pc = c % g->pch, jc = c / g->pch;
    const int64_t p0 = pc * g->per, p1 = p0 + g->per < panels ? p0 + g->per : panels;
    const int64_t j0 = jc * g->jb, j1 = j0 + g->jb < g->k ? j0 + g->jb : g->k;
    const float *x = g->x + j0 * g->n;   // [j1 - j0, n]
    float *y = g->y + j0 * g->m;         // [j1 - j0, m]
    switch (g->impl) {
#ifdef TL_HAVE_X86
    case TL_GEMM_AVX512: gemm_avx512(x, g->P, y, j1 - j0, g->n, g->m, p0, p1); return;
    case TL_GEMM_AVX2: gemm_avx2(x, g->P, y, j1 - j0, g->n, g->m, p0, p1); return;
#endif
    default: gemm_scalar(x, g->P, y, j1 - j0, g->n, g->m, p0, p1); return;
    }
}

// Multiply-adds below which a call stays on one thread: a wake-up and the join cost a few microseconds.
// Nor below 8 positions: measured on the image model, 2 threads made its 1 ... 4-position passes slower.
#define TL_GEMM_MT_WORK ((int64_t)1 << 18)
#define TL_GEMM_MT_POSITIONS 8

int tl_gemm_f32(const float *x, const float *packed, float *y, int64_t k, int64_t n, int64_t m,
                int threads, int impl) {
    if (k <= 0 || m <= 0) return 0;
    impl = tl_f32_impl(impl);
    if (impl < 0) return -1;
    const int64_t panels = (m + TL_GEMM_NR - 1) / TL_GEMM_NR;
    gemm_ctx g = {x, packed, y, k, n, m, panels, 1, k, impl};
    if (threads > 1 && k >= TL_GEMM_MT_POSITIONS && k * n * m >= TL_GEMM_MT_WORK) {
        // About 4 chunks per thread, claimed dynamically, so an uneven split or a late worker costs
        // little: chunks of one panel (from 8 positions a panel alone has enough FMA chains per tile),
        // and when the panels are too few to go round, blocks of at least 8 positions too.
        const int64_t want = 4 * (int64_t)threads;
        g.per = 1;
        g.pch = panels;
        if (g.pch < want && k >= 16) {
            int64_t nj = (want + g.pch - 1) / g.pch;
            if (nj > k / 8) nj = k / 8;
            g.jb = (k + nj - 1) / nj;
        }
    } else {
        threads = 1;
        g.per = panels;
    }
    tl_parallel_run(threads, gemm_task, &g, g.pch * ((k + g.jb - 1) / g.jb));
    return 0;
}

double tl_measure_fma_peak(int threads, int reps) {
#ifdef TL_HAVE_X86
    if (!cpu_avx512()) return 0;
    float sink[16] = {0};
    const int chunks = threads < 1 ? 1 : threads;
    double best = 1e30;
    for (int r = 0; r < (reps < 1 ? 1 : reps); r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        tl_parallel_run(threads, fma_task, sink, chunks);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        const double t = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (t < best) best = t;
    }
    return (double)chunks * TL_FMA_ITERS * 12.0 * 16.0 / best / 1e9;
#else
    (void)threads; (void)reps;
    return 0;
#endif
}
