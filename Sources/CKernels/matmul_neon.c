// The aarch64 NEON path (with the dot-product extension where the CPU has it): the Q4_0 / Q4_1 / Q8_0
// (and transcoded TL_Q8_S / TL_Q8_SM) integer matmul, the float dot and the activation quantisation.
// Compiled only on aarch64; the sdot copy by a target attribute, so one build runs on any ARMv8 CPU and
// picks at run time. Bit for bit the scalar reference: the 16-lane order of matmul.c, as four 128-bit
// vectors.
#include "ckernels.h"

#if defined(__aarch64__) && (defined(__clang__) || defined(__GNUC__))
#include <arm_neon.h>
#include <math.h>
#include <string.h>
#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif

int tl_neon_cpu_ok(int dot) {
    if (!dot) return 1;   // Advanced SIMD is part of every ARMv8-A CPU
#if defined(__ARM_FEATURE_DOTPROD) || defined(__APPLE__)
    return 1;             // built for it, or Apple silicon (all of which have it)
#elif defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
    return 0;
#endif
}

// reduce16 of v[0..3] (lanes 0..3, 4..7, 8..11, 12..15): h = lanes i + i+8, f = h[0..3] + h[4..7],
// then (f0 + f2) + (f1 + f3).
static inline __attribute__((always_inline)) float tl_neon_reduce16(const float32x4_t *v) {
    const float32x4_t f = vaddq_f32(vaddq_f32(v[0], v[2]), vaddq_f32(v[1], v[3]));
    const float32x2_t g = vadd_f32(vget_low_f32(f), vget_high_f32(f));
    return vget_lane_f32(g, 0) + vget_lane_f32(g, 1);
}

// sum_i a[i] b[i] over n floats in 16 lanes (lane = i % 16), the tail zero-padded (fma(0, 0, acc) ==
// acc): the AVX-512 kernel's dot_masked (Q4_1's m term).
static inline float tl_neon_dot16(const float *a, const float *b, int64_t n) {
    float32x4_t v[4] = {vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0)};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 4; l++) v[l] = vfmaq_f32(v[l], vld1q_f32(a + i + 4 * l), vld1q_f32(b + i + 4 * l));
    if (i < n) {
        float ta[16] = {0}, tb[16] = {0};
        for (int64_t l = 0; i + l < n; l++) { ta[l] = a[i + l]; tb[l] = b[i + l]; }
        for (int l = 0; l < 4; l++) v[l] = vfmaq_f32(v[l], vld1q_f32(ta + 4 * l), vld1q_f32(tb + 4 * l));
    }
    return tl_neon_reduce16(v);
}

#define K(name) name##_neon
#define TL_T
#define TL_DOT 0
#include "matmul_neon_kernel.h"
#undef K
#undef TL_T
#undef TL_DOT

#define K(name) name##_neondot
#define TL_T __attribute__((target("arch=armv8.2-a+dotprod")))
#define TL_DOT 1
#include "matmul_neon_kernel.h"
#undef K
#undef TL_T
#undef TL_DOT

void tl_rows_q_neon(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy, int dot) {
    if (dot) rows_q_neondot(w, a, r0, r1, y, ldy);
    else rows_q_neon(w, a, r0, r1, y, ldy);
}

// The float dot in 16 lanes (lane = i % 16) with fma, reduce16, then the tail one fma at a time.
float tl_dot_f32_neon(const float *a, const float *b, int64_t n) {
    float32x4_t v[4] = {vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0)};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 4; l++) v[l] = vfmaq_f32(v[l], vld1q_f32(a + i + 4 * l), vld1q_f32(b + i + 4 * l));
    float acc = tl_neon_reduce16(v);
    for (; i < n; i++) acc = fmaf(a[i], b[i], acc);   // one fmadd instruction on aarch64
    return acc;
}

// tl_quantize_q8 with NEON: the same products, round-half-even (fcvtns) and fp16 rounding.
int tl_quantize_q8_neon(const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                        float *dexp, float *dxs) {
    for (int64_t b = 0; b < n / 32; b++) {
        float32x4_t v[8], m = vdupq_n_f32(0);
        for (int i = 0; i < 8; i++) { v[i] = vld1q_f32(x + 32 * b + 4 * i); m = vmaxq_f32(m, vabsq_f32(v[i])); }
        const float amax = vmaxvq_f32(m);
        const float db = amax / 127.f, id = amax != 0.f ? 127.f / amax : 0.f;
        int32x4_t sum = vdupq_n_s32(0);
        for (int i = 0; i < 8; i += 2) {
            const int32x4_t i0 = vcvtnq_s32_f32(vmulq_n_f32(v[i], id)), i1 = vcvtnq_s32_f32(vmulq_n_f32(v[i + 1], id));
            sum = vaddq_s32(sum, vaddq_s32(i0, i1));
            vst1_s8(q + 32 * b + 4 * i, vqmovn_s16(vcombine_s16(vqmovn_s32(i0), vqmovn_s32(i1))));
        }
        const int32_t total = vaddvq_s32(sum);
        const float db16 = tl_fp16_to_fp32(tl_fp32_to_fp16(db));
        d[b] = db16;
        isum[b] = total;
        s[b] = tl_fp16_to_fp32(tl_fp32_to_fp16(db * (float)total));
        for (int i = 0; i < 8; i++) dexp[8 * b + i] = db16;
        dxs[b] = db16 * (float)total;
    }
    return 0;
}

#else  // not aarch64: no NEON path

int tl_neon_cpu_ok(int dot) { (void)dot; return 0; }
void tl_rows_q_neon(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy, int dot) {
    (void)w; (void)a; (void)r0; (void)r1; (void)y; (void)ldy; (void)dot;
}
float tl_dot_f32_neon(const float *a, const float *b, int64_t n) { (void)a; (void)b; (void)n; return 0; }
int tl_quantize_q8_neon(const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                        float *dexp, float *dxs) {
    (void)x; (void)n; (void)q; (void)d; (void)isum; (void)s; (void)dexp; (void)dxs; return -1;
}

#endif
