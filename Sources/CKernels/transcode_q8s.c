// Load-time transcoding of Q5_0, Q5_1, IQ4_NL, Q3_K, Q4_K, Q5_K and Q6_K into the internal blocks of 32
// int8 weights that the integer kernels read (TL_Q8_S, TL_Q8_SM; layouts in ckernels.h):
//
//   w[i] = d[i / 16] * q[i] (+ m)       d[0] = d_lo for elements 0..15, d[1] = d_hi for 16..31
//
//   Q5_0    q = q5 - 16          d_lo = d_hi = d              (TL_Q8_S)
//   IQ4_NL  q = table[nibble]    d_lo = d_hi = d              (TL_Q8_S)
//   Q5_1    q = q5               d_lo = d_hi = d, m = m       (TL_Q8_SM)
//   Q4_K    q = 4 bits           d_lo = d_hi = d sc, m = -(dmin mn)   per sub-block of 32   (TL_Q8_SM)
//   Q5_K    q = 5 bits           as Q4_K                                                  (TL_Q8_SM)
//   Q6_K    q = q6 - 32          d_lo, d_hi = d sc of its two sub-blocks of 16             (TL_Q8_S)
//   Q3_K    q = q3 - 4 h         d_lo, d_hi = d sc (signed 6-bit) of its two sub-blocks    (TL_Q8_S)
//
// Every scale is formed by the very float operation tl_dequantize uses (d * sc, dmin * mn, in that
// order), and every dequantised weight d_half * q (+ m) then repeats its last operations, so the
// dequantised transcoded block equals the source's bit for bit (x - y and x + (-y) are the same IEEE
// operation). One exception, in zeros' signs only: Q5_0's dequantisation adds its m = +0, which turns a
// -0 (q = 16 with d < 0) into +0, where the transcoded block keeps -0. The integer kernel never forms
// these products, so nothing it computes depends on that.
// Q2_K is not transcoded: its min per 16 weights would need a second min per block of 32.
//
// Memory: 40 (TL_Q8_S) or 44 (TL_Q8_SM) bytes per 32 weights, against 22 (Q5_0), 24 (Q5_1), 18
// (IQ4_NL), 13.75 (Q3_K), 18 (Q4_K), 22 (Q5_K), 26.25 (Q6_K) in the file.
#include "ckernels.h"
#include "kquant_scales.h"
#include <string.h>

int tl_q8s_type(int type) {
    switch (type) {
    case TL_Q5_0: case TL_IQ4_NL: case TL_Q3_K: case TL_Q6_K: return TL_Q8_S;
    case TL_Q5_1: case TL_Q4_K: case TL_Q5_K: return TL_Q8_SM;
    default: return 0;
    }
}

int tl_q8s_block_bytes(int itype) { return itype == TL_Q8_S ? 40 : itype == TL_Q8_SM ? 44 : 0; }

static inline float h2f(const uint8_t *p) { return tl_fp16_to_fp32((uint16_t)(p[0] | (p[1] << 8))); }

// One output block; returns the next. sm: the TL_Q8_SM layout (with m).
static uint8_t *put(uint8_t *dst, int sm, float d_lo, float d_hi, float m, const int8_t *q) {
    const float d[2] = {d_lo, d_hi};
    memcpy(dst, d, 8);
    if (sm) memcpy(dst + 8, &m, 4);
    memcpy(dst + (sm ? 12 : 8), q, 32);
    return dst + (sm ? 44 : 40);
}

int tl_transcode_q8s(int type, const void *src, void *dst, int64_t n) {
    const uint8_t *b = (const uint8_t *)src;
    uint8_t *o = (uint8_t *)dst;
    int8_t q[32];
    switch (type) {
    case TL_Q5_0: case TL_Q5_1: {
        const int sm = type == TL_Q5_1, bs = sm ? 24 : 22, hq = sm ? 4 : 2;
        for (int64_t i = 0; i < n / 32; i++, b += bs) {
            const uint8_t *qhp = b + hq, *qs = b + hq + 4;
            const uint32_t qh = (uint32_t)qhp[0] | ((uint32_t)qhp[1] << 8) | ((uint32_t)qhp[2] << 16)
                              | ((uint32_t)qhp[3] << 24);
            const int off = sm ? 0 : 16;
            for (int j = 0; j < 16; j++) {
                q[j] = (int8_t)(((qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4)) - off);
                q[j + 16] = (int8_t)(((qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4)) - off);
            }
            const float d = h2f(b);
            o = put(o, sm, d, d, sm ? h2f(b + 2) : 0, q);
        }
        return 0;
    }
    case TL_IQ4_NL:
        for (int64_t i = 0; i < n / 32; i++, b += 18) {
            for (int j = 0; j < 16; j++) { q[j] = iq4nl_table[b[2 + j] & 0xF]; q[j + 16] = iq4nl_table[b[2 + j] >> 4]; }
            const float d = h2f(b);
            o = put(o, 0, d, d, 0, q);
        }
        return 0;
    case TL_Q4_K: case TL_Q5_K: {
        const int five = type == TL_Q5_K, bs = five ? 176 : 144;
        for (int64_t i = 0; i < n / 256; i++, b += bs) {
            const float d = h2f(b), dmin = h2f(b + 2);
            const uint8_t *scales = b + 4, *qh = b + 16, *qs = b + (five ? 48 : 16);
            for (int s = 0; s < 8; s++) {   // sub-block s: low (s even) or high nibbles of qs[32 (s / 2) ..]
                uint8_t sc, mn;
                q4k_scale_min(s, scales, &sc, &mn);
                for (int l = 0; l < 32; l++) {
                    const uint8_t v = qs[32 * (s / 2) + l];
                    int x = s % 2 ? v >> 4 : v & 0xF;
                    if (five) x |= ((qh[l] >> s) & 1) << 4;
                    q[l] = (int8_t)x;
                }
                const float dl = d * sc, ml = dmin * mn;   // dequant.c's d1, m1
                o = put(o, 1, dl, dl, -ml, q);
            }
        }
        return 0;
    }
    case TL_Q6_K:
        for (int64_t i = 0; i < n / 256; i++, b += 210) {
            const float d = h2f(b + 208);
            const int8_t *sc = (const int8_t *)(b + 192);
            for (int half = 0; half < 2; half++) {
                const uint8_t *ql = b + 64 * half, *qh = b + 128 + 32 * half;
                for (int quarter = 0; quarter < 4; quarter++) {   // elements 128 half + 32 quarter + l
                    for (int l = 0; l < 32; l++) {
                        const int lo = quarter % 2 ? ql[l + 32] : ql[l];
                        const int nib = quarter < 2 ? lo & 0xF : lo >> 4;
                        q[l] = (int8_t)((nib | (((qh[l] >> (2 * quarter)) & 3) << 4)) - 32);
                    }
                    const int is = 8 * half + 2 * quarter;
                    o = put(o, 0, d * (float)sc[is], d * (float)sc[is + 1], 0, q);
                }
            }
        }
        return 0;
    case TL_Q3_K:
        for (int64_t i = 0; i < n / 256; i++, b += 110) {
            const uint8_t *hmask = b, *qs = b + 32, *sp = b + 96;
            const float d = h2f(b + 108);
            for (int h = 0; h < 2; h++)
                for (int s = 0; s < 4; s++) {   // elements 128 h + 32 s + l
                    for (int l = 0; l < 32; l++)
                        q[l] = (int8_t)(((qs[32 * h + l] >> (2 * s)) & 3) - (((hmask[l] >> (4 * h + s)) & 1) ? 0 : 4));
                    const int is = 8 * h + 2 * s;
                    o = put(o, 0, d * (float)q3k_scale(sp, is), d * (float)q3k_scale(sp, is + 1), 0, q);
                }
        }
        return 0;
    default:
        return -1;
    }
}
