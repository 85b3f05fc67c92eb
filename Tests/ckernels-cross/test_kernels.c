// test_kernels: every kernel path this CPU runs against the scalar reference, bit for bit.
//   y [k, rows] = x [k, cols] . W [rows, cols]^T   for Q4_0 / Q4_1 / Q8_0 and the transcoded TL_Q8_S /
//   TL_Q8_SM (integer path) and F32 / F16 (float path), random and extreme weights and activations,
//   k = 1..17, threads 1..3, column counts with a last unpaired block and a Q4_1 m-term tail; also
//   tl_quantize_q8 and attention per path, tl_fmaf_ref against the C library's fmaf, and the
//   transcoding's exactness. Built natively and for aarch64 (run under qemu) by run.sh.
// Usage: test_kernels [expected path names...]  (each must be supported here, or the run fails)
// Prints one line per path and exits 1 on the first kind of mismatch.
#include "ckernels.h"
#include "fma_ref.h"   // the scalar reference's batched fma (Sources/CKernels)
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }
static float uniform(void) { return (float)(next() >> 40) / (float)(1 << 24); }
static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static int failures = 0;

// Weight fills: random, every weight at its most negative, at its most positive, alternating.
enum { FILL_RANDOM, FILL_MIN, FILL_MAX, FILL_ALT, FILL_COUNT };
// Activation fills: random normal-ish, all +max, all -max, alternating, with zero blocks.
enum { X_RANDOM, X_POS, X_NEG, X_ALT, X_SPARSE, X_COUNT };

static void put_h(uint8_t *p, float f) { uint16_t h = tl_fp32_to_fp16(f); p[0] = (uint8_t)h; p[1] = (uint8_t)(h >> 8); }

static int block_bytes(int type) {
    return type == TL_Q4_0 ? 18 : type == TL_Q4_1 ? 20 : type == TL_Q8_0 ? 34 : type == TL_Q8_S ? 40
         : type == TL_Q8_SM ? 44 : type == TL_F16 ? 2 : 4;
}
static int is_signed8(int type) { return type == TL_Q8_0 || type == TL_Q8_S || type == TL_Q8_SM; }
static int block_elems(int type) { return type == TL_F16 || type == TL_F32 ? 1 : 32; }

static uint8_t *make_weights(int type, int64_t rows, int64_t cols, int fill, int64_t *row_bytes) {
    const int64_t nb = cols / block_elems(type);
    *row_bytes = nb * block_bytes(type);
    uint8_t *w = malloc((size_t)(rows * *row_bytes));
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t b = 0; b < nb; b++) {
            uint8_t *blk = w + r * *row_bytes + b * block_bytes(type);
            if (type == TL_F32) { float f = (uniform() - 0.5f) * (fill == FILL_RANDOM ? 2.f : 60000.f); memcpy(blk, &f, 4); continue; }
            if (type == TL_F16) { put_h(blk, (uniform() - 0.5f) * (fill == FILL_RANDOM ? 2.f : 60000.f)); continue; }
            const int s8 = is_signed8(type), hdr = type == TL_Q4_1 ? 4 : type == TL_Q8_S ? 8 : type == TL_Q8_SM ? 12 : 2;
            for (int i = hdr; i < block_bytes(type); i++) {
                uint8_t v = (uint8_t)(next() >> 24);
                if (fill == FILL_MIN) v = s8 ? 0x80 : 0x00;          // -128, or nibbles 0
                if (fill == FILL_MAX) v = s8 ? 0x7F : 0xFF;          // 127, or nibbles 15
                if (fill == FILL_ALT) v = s8 ? (i % 2 ? 0x80 : 0x7F) : (i % 2 ? 0x0F : 0xF0);
                blk[i] = v;
            }
            // Scales: mostly ordinary, sometimes large or fp16-subnormal, both signs.
            const float u = uniform();
            float d = (uniform() - 0.5f) * 0.2f;
            if (u < 0.05f) d = 3.0e-7f;        // fp16 subnormal
            else if (u < 0.1f) d = -900.f;
            if (type == TL_Q8_S || type == TL_Q8_SM) {
                // float scales per half block (d_hi of another magnitude: the halves must not mix), a min
                const float dm[3] = {d, (uniform() - 0.5f) * 0.02f * (u < 0.15f ? 1e-3f : 1.f), (uniform() - 0.5f) * 0.2f};
                memcpy(blk, dm, (size_t)hdr);
                continue;
            }
            put_h(blk, d);
            if (type == TL_Q4_1) put_h(blk + 2, (uniform() - 0.5f) * 0.2f);
        }
    }
    return w;
}

typedef struct {
    tl_acts a;
    void *mem[12];
} acts_buf;

static void make_acts(acts_buf *ab, int64_t k, int64_t cols, int fill) {
    const int64_t n = k * cols, nb = n / 32 > 0 ? n / 32 : 1, groups = (k + 7) / 8, pairs = (cols / 32 + 1) / 2;
    float *x = malloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++) {
        float v = (uniform() + uniform() + uniform() - 1.5f) * 3.f;
        if (fill == X_POS) v = 1.f;
        if (fill == X_NEG) v = -1.f;
        if (fill == X_ALT) v = i % 2 ? -1.f : 1.f;
        if (fill == X_SPARSE) v = (i / 32) % 3 == 0 ? 0.f : (i % 7 == 0 ? 1000.f : v);
        x[i] = v;
    }
    int8_t *q = malloc((size_t)n);
    float *d = malloc((size_t)nb * 4), *s = malloc((size_t)nb * 4), *dexp = malloc((size_t)nb * 32), *dxs = malloc((size_t)nb * 4);
    int32_t *isum = malloc((size_t)nb * 4);
    uint8_t *gq = calloc((size_t)(groups * pairs * 512 + 1), 1), *gu = calloc((size_t)(groups * pairs * 512 + 1), 1);
    float *gd = calloc((size_t)(groups * pairs * 128 + 1), 4);
    int32_t *gn = calloc((size_t)(groups * pairs * 128 + 1), 4);
    if (cols % 32 == 0) {
        tl_quantize_q8_scalar(x, n, q, d, isum, s, dexp, dxs);
        tl_q8_lanes(q, dexp, k, cols, gq, gu, gd, gn);
    }
    ab->a = (tl_acts){.k = k, .cols = cols, .x = x, .q = q, .d = d, .isum = isum, .s = s, .dexp = dexp, .dxs = dxs,
                      .gq = gq, .gu = gu, .gd = gd, .gn = gn};
    void *m[12] = {x, q, d, s, dexp, dxs, isum, gq, gu, gd, gn, NULL};
    memcpy(ab->mem, m, sizeof m);
}

static void free_acts(acts_buf *ab) { for (int i = 0; ab->mem[i]; i++) free(ab->mem[i]); }

static const char *type_name(int t) {
    return t == TL_Q4_0 ? "Q4_0" : t == TL_Q4_1 ? "Q4_1" : t == TL_Q8_0 ? "Q8_0" : t == TL_Q8_S ? "Q8_S"
         : t == TL_Q8_SM ? "Q8_SM" : t == TL_F16 ? "F16" : "F32";
}

// One case: W [rows, cols] of `type` against k positions, on path isa with `threads` threads.
static long check_case(int isa, int type, int64_t rows, int64_t cols, int64_t k, int wfill, int xfill) {
    int64_t rb;
    uint8_t *wdata = make_weights(type, rows, cols, wfill, &rb);
    acts_buf ab;
    make_acts(&ab, k, cols, xfill);
    tl_matrix w = {.type = type, .data = wdata, .rows = rows, .cols = cols, .row_bytes = rb};
    float *ref = malloc((size_t)(k * rows) * 4), *got = malloc((size_t)(k * rows) * 4);
    float *yr[1] = {ref}, *yg[1] = {got};
    long bad = 0;
    if (tl_matmul_jobs(&w, yr, 1, &ab.a, 1, TL_ISA_SCALAR) != 0) { printf("scalar failed\n"); exit(2); }
    for (int threads = 1; threads <= 3; threads++) {
        memset(got, 0xFF, (size_t)(k * rows) * 4);
        if (tl_matmul_jobs(&w, yg, 1, &ab.a, threads, isa) != 0) { printf("%s failed to run\n", tl_isa_name(isa)); exit(2); }
        for (int64_t i = 0; i < k * rows; i++) {
            if (f2u(got[i]) != f2u(ref[i])) {
                if (bad < 3)
                    printf("  MISMATCH %s %s rows=%lld cols=%lld k=%lld threads=%d wfill=%d xfill=%d [%lld]: %.9g vs scalar %.9g\n",
                           tl_isa_name(isa), type_name(type), (long long)rows, (long long)cols, (long long)k, threads,
                           wfill, xfill, (long long)i, got[i], ref[i]);
                bad++;
            }
        }
    }
    free(ref); free(got); free(wdata); free_acts(&ab);
    return bad;
}

static long check_quantize(int isa) {
    long bad = 0;
    for (int fill = 0; fill < X_COUNT; fill++) {
        const int64_t n = 32 * 37;
        acts_buf a, b;
        rng += (uint64_t)fill;
        uint64_t saved = rng;
        make_acts(&a, 1, n, fill);
        rng = saved;
        make_acts(&b, 1, n, fill);
        float *x = (float *)a.a.x;
        x[5] = 0.5f; x[6] = -0.5f;   // ties in a block whose amax may be 127
        memcpy((float *)b.a.x, x, (size_t)n * 4);
        tl_quantize_q8_scalar(a.a.x, n, (int8_t *)a.a.q, (float *)a.a.d, (int32_t *)a.a.isum, (float *)a.a.s, (float *)a.a.dexp, (float *)a.a.dxs);
        tl_quantize_q8_isa(isa, b.a.x, n, (int8_t *)b.a.q, (float *)b.a.d, (int32_t *)b.a.isum, (float *)b.a.s, (float *)b.a.dexp, (float *)b.a.dxs);
        if (memcmp(a.a.q, b.a.q, (size_t)n) || memcmp(a.a.d, b.a.d, (size_t)n / 8) || memcmp(a.a.s, b.a.s, (size_t)n / 8)
            || memcmp(a.a.isum, b.a.isum, (size_t)n / 8) || memcmp(a.a.dexp, b.a.dexp, (size_t)n) || memcmp(a.a.dxs, b.a.dxs, (size_t)n / 8)) {
            printf("  MISMATCH quantize %s fill %d\n", tl_isa_name(isa), fill);
            bad++;
        }
        free_acts(&a); free_acts(&b);
    }
    return bad;
}

// Attention on path isa == scalar: heads of 16 ... 256 (SIMD code) and 40 (scalar code on every path),
// grouped queries, a cache prefix n0 and k new positions.
static long check_attention(int isa) {
    long bad = 0, cases = 0;
    const int64_t hds[] = {16, 64, 128, 256, 40};
    for (int c = 0; c < 5; c++) {
        const int64_t hd = hds[c], H = 6, Hkv = c % 2 ? 2 : 3;
        const int64_t n0s[] = {0, 5, 37};
        for (int a = 0; a < 3; a++) {
            for (int64_t k = 1; k <= 9; k += 4) {
                const int64_t n0 = n0s[a], T = n0 + k;
                float *q = malloc((size_t)(k * H * hd) * 4), *K = malloc((size_t)(T * Hkv * hd) * 4), *V = malloc((size_t)(T * Hkv * hd) * 4);
                float *o1 = malloc((size_t)(k * H * hd) * 4), *o2 = malloc((size_t)(k * H * hd) * 4), *scr = malloc((size_t)T * 4);
                for (int64_t i = 0; i < k * H * hd; i++) q[i] = (uniform() - 0.5f) * 4;
                for (int64_t i = 0; i < T * Hkv * hd; i++) { K[i] = (uniform() - 0.5f) * 4; V[i] = (uniform() - 0.5f) * 2; }
                tl_attention_isa(TL_ISA_SCALAR, q, K, V, n0, k, H, Hkv, hd, 0.125f, o1, scr, 0, H);
                if (tl_attention_isa(isa, q, K, V, n0, k, H, Hkv, hd, 0.125f, o2, scr, 0, H) != 0) { printf("attention failed to run\n"); exit(2); }
                for (int64_t i = 0; i < k * H * hd; i++)
                    if (f2u(o1[i]) != f2u(o2[i])) {
                        if (bad < 3) printf("  MISMATCH attention %s hd=%lld n0=%lld k=%lld [%lld]: %.9g vs scalar %.9g\n", tl_isa_name(isa),
                                            (long long)hd, (long long)n0, (long long)k, (long long)i, o2[i], o1[i]);
                        bad++;
                    }
                cases++;
                free(q); free(K); free(V); free(o1); free(o2); free(scr);
            }
        }
    }
    printf("%-12s attention: %ld cases, %ld mismatching values\n", tl_isa_name(isa), cases, bad);
    return bad;
}

// tl_transcode_q8s then tl_dequantize == tl_dequantize of the source, bit for bit (Q5_0: a source +0
// may be a transcoded -0, see transcode_q8s.c), on random blocks with random fp16 scales of both signs:
// this compiler's float code (fused or not) for both.
static long check_transcode(void) {
    static const int types[] = {TL_Q5_0, TL_Q5_1, TL_IQ4_NL, TL_Q3_K, TL_Q4_K, TL_Q5_K, TL_Q6_K};
    static const int bytes[] = {22, 24, 18, 110, 144, 176, 210}, elems[] = {32, 32, 32, 256, 256, 256, 256};
    long bad = 0;
    for (int t = 0; t < 7; t++) {
        const int64_t n = 1536, nblk = n / elems[t];
        uint8_t *src = malloc((size_t)(nblk * bytes[t])), *dst = malloc((size_t)(n / 32 * 44));
        float *a = malloc((size_t)n * 4), *b = malloc((size_t)n * 4);
        for (int64_t i = 0; i < nblk * bytes[t]; i++) src[i] = (uint8_t)(next() >> 24);
        for (int64_t k = 0; k < nblk; k++) {   // the fp16 fields: d (and m / dmin) of ordinary sizes
            uint8_t *blk = src + k * bytes[t];
            const float d = (uniform() - 0.5f) * 0.1f, m = (uniform() - 0.5f) * 0.1f;
            if (types[t] == TL_Q3_K) put_h(blk + 108, d);
            else if (types[t] == TL_Q6_K) put_h(blk + 208, d);
            else { put_h(blk, d); if (types[t] != TL_Q5_0 && types[t] != TL_IQ4_NL) put_h(blk + 2, m); }
        }
        const int itype = tl_q8s_type(types[t]);
        if (itype == 0 || tl_transcode_q8s(types[t], src, dst, n) != 0 || tl_dequantize(types[t], src, a, n) != 0
            || tl_dequantize(itype, dst, b, n) != 0) { printf("  transcoding type %d failed\n", types[t]); bad++; }
        for (int64_t i = 0; i < n; i++)
            if (f2u(a[i]) != f2u(b[i]) && !(types[t] == TL_Q5_0 && a[i] == 0 && b[i] == 0)) {
                if (bad < 3) printf("  MISMATCH transcoded type %d [%lld]: %.9g vs source %.9g\n", types[t], (long long)i, b[i], a[i]);
                bad++;
            }
        free(src); free(dst); free(a); free(b);
    }
    return bad;
}

// tl_fmaf_ref == the C library's fmaf (a hardware fma on aarch64 and FMA x86 CPUs) on random values
// of mixed magnitudes, ties and signed zeros.
static long check_fma(void) {
    long bad = 0, hard = 0;   // hard: cases where rounding to double then float is wrong
    // The plain midpoint: 1 + 2^-24 + 2^-60 must round up to 1 + 2^-23 (rounding twice gives 1).
    if (tl_fmaf_ref(ldexpf(4097.f, -30), ldexpf(16773121.f, -30), 1.f) != 1.f + 0x1p-23f) { printf("  MISMATCH midpoint\n"); bad++; }
    for (int i = 0; i < 200000; i++) {
        float v[3];
        for (int j = 0; j < 3; j++) {
            uint32_t u = (uint32_t)next();
            // Mostly nearby exponents (so the rounding of the sum matters), some anywhere.
            if (i % 4) u = (u & 0x807FFFFFu) | ((uint32_t)(120 + (next() % 16)) << 23);
            memcpy(&v[j], &u, 4);
            if (isnan(v[j]) || isinf(v[j])) v[j] = 1.5f;
        }
        if (i % 7 == 0) v[2] = -(v[0] * v[1]);   // near-cancellation
        if (i % 5 == 0) {
            // p + c a hair off a float midpoint, below double's precision: 4097 * 16773121 = 2^36 + 1, so
            // p = +-2^-24 c (1 + 2^-36) and the sum rounded to double first lands exactly on the midpoint.
            const float c = ldexpf(1.f + (float)(next() % 64) / 64.f, (int)(next() % 200) - 100);
            v[0] = ldexpf(4097.f, -30) * ((next() & 1) ? -1.f : 1.f);
            v[1] = ldexpf(16773121.f, -30 + ilogbf(c));
            v[2] = (next() & 1) ? -c : c;
        } else if (i % 11 == 0) {
            // Float-subnormal sums: c = n 2^-149, p = +-2^-150 (1 + 2^-36), half a subnormal step.
            v[0] = ldexpf(4097.f, -100) * ((next() & 1) ? -1.f : 1.f);
            v[1] = ldexpf(16773121.f, -86);
            v[2] = ldexpf((float)(next() % 4096), -149) * ((next() & 1) ? -1.f : 1.f);
        }
        float la[16], lb[16], lc[16];   // the batched form, with this triple in one of 16 lanes
        for (int l = 0; l < 16; l++) { la[l] = 1.f + (float)l; lb[l] = 0.25f; lc[l] = (float)l; }
        la[i % 16] = v[0]; lb[i % 16] = v[1]; lc[i % 16] = v[2];
        tl_fma_lanes_ref(la, lb, lc, 16);
        const float a = tl_fmaf_ref(v[0], v[1], v[2]), b = fmaf(v[0], v[1], v[2]);
        if (f2u(lc[i % 16]) != f2u(b)) { if (bad < 3) printf("  MISMATCH batched fma(%a, %a, %a): %a vs %a\n", v[0], v[1], v[2], lc[i % 16], b); bad++; }
        if (i % 5 == 0 && (float)((double)v[0] * v[1] + v[2]) != b) hard++;
        if (f2u(a) != f2u(b)) { if (bad < 3) printf("  MISMATCH fma(%a, %a, %a): %a vs %a\n", v[0], v[1], v[2], a, b); bad++; }
    }
    printf("tl_fmaf_ref vs fmaf: 200000 triples, %ld of them where rounding to double first goes wrong\n", hard);
    if (hard < 100) { printf("  too few: the test lost its power\n"); bad++; }
    return bad;
}

// swiglu_f32.c's e^x against float64's exp rounded to float (the correctly rounded value but within
// ~1e-16 of a tie) over a stride of every float in [-104, 89]: what the Swift suite checks on x86-64,
// here also for the aarch64 build (gcc and qemu), so the scalar path gives the same bits there.
static long check_expf_d(void) {
    long bad = 0, n = 0;
    for (uint32_t b = 0; b < 0xFFFFFFFFu - 8191; b += 8191) {
        float x;
        memcpy(&x, &b, 4);
        if (!(x >= -104.f && x <= 89.f)) continue;
        const float got = tl_expf_d(x), want = (float)exp((double)x);
        n++;
        if (memcmp(&got, &want, 4)) {
            if (bad < 3) printf("  MISMATCH e^%.9g: %a vs %a\n", x, got, want);
            bad++;
        }
    }
    for (int i = 0; i <= 200000; i++) {
        const float x = (float)(-104 + 193 * (double)i / 200000), got = tl_expf_d(x), want = (float)exp((double)x);
        n++;
        if (memcmp(&got, &want, 4)) {
            if (bad < 3) printf("  MISMATCH e^%.9g: %a vs %a\n", x, got, want);
            bad++;
        }
    }
    printf("swiglu_f32's e^x, %ld arguments: %ld not correctly rounded\n", n, bad);
    return bad;
}

int main(int argc, char **argv) {
    int want[TL_ISA_COUNT] = {0};
    for (int i = 1; i < argc; i++) {
        const int isa = tl_isa_parse(argv[i]);
        if (isa < 0 || !tl_isa_supported(isa)) { printf("FAIL: path %s expected but not supported here\n", argv[i]); return 1; }
        want[isa] = 1;
    }
    long bad = check_fma();
    printf("tl_fmaf_ref vs fmaf: %s\n", bad ? "MISMATCH" : "ok");
    failures += bad != 0;
    failures += check_expf_d() != 0;
    bad = check_transcode();
    printf("transcoding to TL_Q8_S / TL_Q8_SM, dequantised vs the source's: %s\n", bad ? "MISMATCH" : "ok");
    failures += bad != 0;
    const int types[] = {TL_Q4_0, TL_Q4_1, TL_Q8_0, TL_Q8_S, TL_Q8_SM, TL_F32, TL_F16};
    for (int isa = TL_ISA_SCALAR + 1; isa < TL_ISA_COUNT; isa++) {
        if (!tl_isa_supported(isa)) { printf("%-12s not supported here: skipped\n", tl_isa_name(isa)); continue; }
        long cases = 0, mism = check_quantize(isa) + check_attention(isa);
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
            const int type = types[t], integer = tl_uses_q8(type);
            // Column counts: one block, a last unpaired block, even, and Q4_1's m term past 16 blocks
            // with 1 or 2 left over (544, 576) and with 9 to 15 (320: 10 blocks, 960: 30), which the
            // upper half of a 16-lane tail (AVX2's second vector) only sees then.
            const int64_t colset_q[] = {32, 96, 128, 544, 576, 320, 960}, colset_f[] = {7, 16, 50, 96, 577, 33, 130};
            for (int c = 0; c < 7; c++) {
                const int64_t cols = integer ? colset_q[c] : colset_f[c];
                for (int64_t k = 1; k <= 17; k += (k < 9 ? 1 : 4)) {
                    mism += check_case(isa, type, 37, cols, k, FILL_RANDOM, X_RANDOM);
                    cases++;
                }
                for (int wf = 0; wf < FILL_COUNT; wf++)
                    for (int xf = 0; xf < X_COUNT; xf++) {
                        mism += check_case(isa, type, 19, cols, 9 + (wf + xf) % 9, wf, xf);
                        cases++;
                    }
            }
        }
        mism += check_case(isa, TL_Q4_1, 301, 576, 17, FILL_RANDOM, X_RANDOM);   // several chunks per thread
        mism += check_case(isa, TL_Q8_SM, 301, 1536, 17, FILL_RANDOM, X_RANDOM);
        mism += check_case(isa, TL_Q8_S, 301, 1536, 17, FILL_RANDOM, X_RANDOM);
        printf("%-12s %s: %ld cases x 3 thread counts, %ld mismatching values\n", tl_isa_name(isa),
               tl_isa_description(isa), cases + 3, mism);
        failures += mism != 0;
        want[isa] = 0;
    }
    for (int i = 0; i < TL_ISA_COUNT; i++) if (want[i]) failures++;
    printf("%s\n", failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
