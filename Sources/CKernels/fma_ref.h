// fmaf(a, b, c) rounded once, in portable C for CPUs without FMA hardware (the scalar reference's
// fma; exported as tl_fmaf_ref). Included by matmul.c and attention.c so that it inlines.
//
// The product is exact in double (24 + 24 significant bits) and s = p + c is rounded once, to double.
// Rounding s to float is then the correctly rounded p + c unless s sits exactly halfway between two
// floats (the exact sum may lie off the midpoint: rounding twice) or below float's normal range (a
// coarser grid). Only then: TwoSum gives the exact error, s is rounded to odd instead (truncated
// toward zero with the last bit set) and that rounds to float correctly (Boldo & Melquiond).
#ifndef TOKENLOOM_FMA_REF_H
#define TOKENLOOM_FMA_REF_H
#include <math.h>
#include <stdint.h>
#include <string.h>

// 1 when rounding s (= p + c rounded to double) to float may differ from rounding p + c once: s on a
// float midpoint (its 29 bits below float's last one are 1000...0) or below float's normal range.
static inline int tl_fma_needs_fix(double s) {
    uint64_t u;
    memcpy(&u, &s, sizeof u);
    return ((u & 0x1FFFFFFFu) == 0x10000000u) | !(fabs(s) >= 0x1p-126 || s == 0);
}

static inline float tl_fma_ref_inline(float a, float b, float c) {
    const double p = (double)a * (double)b;
    const double s = p + (double)c;
    if (__builtin_expect(!tl_fma_needs_fix(s), 1)) return (float)s;
    uint64_t u;
    memcpy(&u, &s, sizeof u);
    const double t = s - p;
    const double e = (p - (s - t)) + ((double)c - t);       // TwoSum: p + c == s + e exactly
    uint64_t ue;
    memcpy(&ue, &e, sizeof ue);
    const uint64_t inexact = (uint64_t)((e < 0) | (e > 0));   // 0 for NaN: inf and NaN pass through
    const uint64_t above = inexact & ((u ^ ue) >> 63);         // |s| > |p + c|: truncation is one down
    u = (u - above) | inexact;
    double r;
    memcpy(&r, &u, sizeof r);
    return (float)r;
}

// acc[i] = fma(a[i], b[i], acc[i]) for i < n <= 16: the common case in branch-free loops the
// compiler can vectorise, the rare one element by element.
static inline void tl_fma_lanes_ref(const float *a, const float *b, float *acc, int n) {
    double s[16];
    int fix = 0;
    for (int i = 0; i < n; i++) s[i] = (double)a[i] * (double)b[i] + (double)acc[i];   // product exact
    for (int i = 0; i < n; i++) fix |= tl_fma_needs_fix(s[i]);
    if (__builtin_expect(fix, 0)) {
        for (int i = 0; i < n; i++) acc[i] = tl_fma_ref_inline(a[i], b[i], acc[i]);
        return;
    }
    for (int i = 0; i < n; i++) acc[i] = (float)s[i];
}

#endif
