// Roofline probes for `tokenloom bench engine --roofline`: the read bandwidth of the kernel threads
// streaming a buffer far larger than the caches (the limit for one position, where every weight is
// read once per forward), and the peak rate of the 512-bit VNNI multiply-add (the limit for many).
#include "ckernels.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

int tl_simd_cpu_ok(void);

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define TL_RB_CHUNK ((int64_t)1 << 20)

typedef struct { const uint8_t *buf; int64_t bytes; uint64_t sink[64]; } read_ctx;

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define TL_TARGET __attribute__((target("avx2,avx512f,avx512bw,avx512vnni")))

TL_TARGET static void read_task(void *p, int64_t c) {
    read_ctx *ctx = (read_ctx *)p;
    const uint8_t *b = ctx->buf + c * TL_RB_CHUNK;
    int64_t n = ctx->bytes - c * TL_RB_CHUNK < TL_RB_CHUNK ? ctx->bytes - c * TL_RB_CHUNK : TL_RB_CHUNK;
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t i = 0; i + 256 <= n; i += 256) {
        a0 = _mm512_xor_si512(a0, _mm512_load_si512((const void *)(b + i)));
        a1 = _mm512_xor_si512(a1, _mm512_load_si512((const void *)(b + i + 64)));
        a2 = _mm512_xor_si512(a2, _mm512_load_si512((const void *)(b + i + 128)));
        a3 = _mm512_xor_si512(a3, _mm512_load_si512((const void *)(b + i + 192)));
    }
    a0 = _mm512_xor_si512(_mm512_xor_si512(a0, a1), _mm512_xor_si512(a2, a3));
    ctx->sink[c & 63] ^= (uint64_t)_mm512_reduce_add_epi64(a0);
}

#define TL_VNNI_ITERS 200000
TL_TARGET static void vnni_task(void *p, int64_t c) {
    (void)c;
    __m512i acc[12];
    const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
    for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_epi32(i);
    for (int it = 0; it < TL_VNNI_ITERS; it++) {
        for (int i = 0; i < 12; i++) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]));
    }
    __m512i s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_epi32(s, acc[i]);
    ((read_ctx *)p)->sink[0] ^= (uint64_t)_mm512_reduce_add_epi32(s);
}
#else
static void read_task(void *p, int64_t c) {
    read_ctx *ctx = (read_ctx *)p;
    const uint64_t *b = (const uint64_t *)(const void *)(ctx->buf + c * TL_RB_CHUNK);
    int64_t n = (ctx->bytes - c * TL_RB_CHUNK < TL_RB_CHUNK ? ctx->bytes - c * TL_RB_CHUNK : TL_RB_CHUNK) / 8;
    uint64_t s = 0;
    for (int64_t i = 0; i < n; i++) s ^= b[i];
    ctx->sink[c & 63] ^= s;
}
#endif

double tl_measure_read_bandwidth(int threads, int64_t bytes, int reps) {
    bytes = bytes / TL_RB_CHUNK * TL_RB_CHUNK;
    if (bytes <= 0) return 0;
    uint8_t *buf = (uint8_t *)aligned_alloc(64, (size_t)bytes);
    if (!buf) return 0;
    memset(buf, 1, (size_t)bytes);
    read_ctx ctx = {buf, bytes, {0}};
    double best = 1e30;
    for (int r = 0; r < (reps < 1 ? 1 : reps); r++) {
        const double t0 = seconds();
        tl_parallel_run(threads, read_task, &ctx, bytes / TL_RB_CHUNK);
        const double t = seconds() - t0;
        if (t < best) best = t;
    }
    free(buf);
    return (double)bytes / best / 1e9;
}

double tl_measure_vnni_peak(int threads, int reps) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (!tl_simd_cpu_ok()) return 0;
    read_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    const int chunks = threads < 1 ? 1 : threads;
    double best = 1e30;
    for (int r = 0; r < (reps < 1 ? 1 : reps); r++) {
        const double t0 = seconds();
        tl_parallel_run(threads, vnni_task, &ctx, chunks);
        const double t = seconds() - t0;
        if (t < best) best = t;
    }
    return (double)chunks * TL_VNNI_ITERS * 12.0 * 64.0 / best / 1e9;
#else
    (void)threads; (void)reps;
    return 0;
#endif
}
