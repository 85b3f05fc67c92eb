// Half-float conversions and dequantisation of every supported ggml block type to floats.
// Block layouts follow ggml (all little-endian):
//   Q4_0 {f16 d; u8 qs[16]}            x = (nibble - 8) * d      (low nibbles: 0..15, high: 16..31)
//   Q4_1 {f16 d, m; u8 qs[16]}         x = nibble * d + m
//   Q8_0 {f16 d; i8 qs[32]}            x = q * d
//   Q5_0 {f16 d; u8 qh[4]; u8 qs[16]}   x = (q - 16) * d          (q = nibble | bit i of qh << 4)
//   Q5_1 {f16 d, m; u8 qh[4]; u8 qs[16]} x = q * d + m
//   IQ4_NL {f16 d; u8 qs[16]}           x = table[nibble] * d     (nibble order as Q4_0)
//   Q2_K {u8 scales[16]; u8 qs[64]; f16 d, dmin}                256 per block, 16 sub-blocks of 16
//   Q3_K {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}        256 per block, 16 sub-blocks of 16
//   Q4_K {f16 d, dmin; u8 scales[12]; u8 qs[128]}              256 per block, 8 sub-blocks of 32
//   Q5_K {f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}   256 per block, 8 sub-blocks of 32
//   Q6_K {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}          256 per block, 16 sub-blocks of 16
// In the 2- and 3-bit K types, element e = 128 h + 32 s + l (h < 2, s < 4, l < 32) sits in bits 2s..2s+1
// of qs[32 h + l]; Q3_K's third bit is bit 4h + s of hmask[l], and the Q5 types' fifth bit is likewise
// bit (e / 32) of qh[e % 32] (Q5_K) or bit e of the 32-bit qh (Q5_0 / Q5_1).
#include "ckernels.h"
#include "kquant_scales.h"
#include <string.h>

// No fusing of `q * d + m` into one fma: where clang may fuse (aarch64, where FMA is baseline), the
// decoded values would round once here and twice in the transcoded blocks' decoder below, and differ
// from x86-64's (issue 15 review). One multiply, then one add, everywhere.
#pragma clang fp contract(off)

float tl_fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) { bits = sign; }
        else {  // subnormal: normalise
            int e = -1;
            do { e++; mant <<= 1; } while ((mant & 0x400) == 0);
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f; memcpy(&f, &bits, 4); return f;
}

uint16_t tl_fp32_to_fp16(float f) {
    uint32_t x; memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) return sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 : 0);  // inf / nan
    if (absx >= 0x477ff000u) return sign | 0x7c00;   // rounds to >= 65520: overflow to inf
    if (absx < 0x38800000u) {                          // below the smallest normal half: subnormal
        if (absx < 0x33000000u) return sign;           // < 2^-25 rounds to zero
        uint32_t e = absx >> 23, m = (absx & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - e;                      // value / 2^-24 = m * 2^(e - 126)
        uint32_t half = m >> shift, rem = m & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return sign | (uint16_t)half;
    }
    uint32_t m = absx & 0x7fffff, e = (absx >> 23) - 127 + 15;
    uint32_t half = (e << 10) | (m >> 13), rem = m & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;
    return sign | (uint16_t)half;
}

static inline float h2f(const uint8_t *p) { return tl_fp16_to_fp32((uint16_t)(p[0] | (p[1] << 8))); }

// The 32-element types with a fifth bit: q = nibble | (bit e of qh) << 4, x = (q - off) * d + m.
static void q5_block(const uint8_t *qhp, const uint8_t *qs, float d, float m, int off, float *y) {
    uint32_t qh = (uint32_t)qhp[0] | ((uint32_t)qhp[1] << 8) | ((uint32_t)qhp[2] << 16) | ((uint32_t)qhp[3] << 24);
    for (int j = 0; j < 16; j++) {
        int q0 = (qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
        int q1 = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
        y[j] = (float)(q0 - off) * d + m;
        y[j + 16] = (float)(q1 - off) * d + m;
    }
}

int tl_dequantize(int type, const void *src, float *y, int64_t n) {
    const uint8_t *b = (const uint8_t *)src;
    switch (type) {
    case TL_F32: memcpy(y, src, (size_t)n * 4); return 0;
    case TL_F16: for (int64_t i = 0; i < n; i++) y[i] = h2f(b + 2 * i); return 0;
    case TL_BF16:
        for (int64_t i = 0; i < n; i++) {
            uint32_t bits = (uint32_t)(b[2 * i] | (b[2 * i + 1] << 8)) << 16;
            memcpy(y + i, &bits, 4);
        }
        return 0;
    case TL_Q4_0:
        for (int64_t i = 0; i < n / 32; i++, b += 18, y += 32) {
            float d = h2f(b);
            for (int j = 0; j < 16; j++) {
                y[j] = (float)((b[2 + j] & 0xF) - 8) * d;
                y[j + 16] = (float)((b[2 + j] >> 4) - 8) * d;
            }
        }
        return 0;
    case TL_Q4_1:
        for (int64_t i = 0; i < n / 32; i++, b += 20, y += 32) {
            float d = h2f(b), m = h2f(b + 2);
            for (int j = 0; j < 16; j++) {
                y[j] = (float)(b[4 + j] & 0xF) * d + m;
                y[j + 16] = (float)(b[4 + j] >> 4) * d + m;
            }
        }
        return 0;
    case TL_Q5_0:
        for (int64_t i = 0; i < n / 32; i++, b += 22, y += 32) q5_block(b + 2, b + 6, h2f(b), 0, 16, y);
        return 0;
    case TL_Q5_1:
        for (int64_t i = 0; i < n / 32; i++, b += 24, y += 32) q5_block(b + 4, b + 8, h2f(b), h2f(b + 2), 0, y);
        return 0;
    case TL_IQ4_NL:
        for (int64_t i = 0; i < n / 32; i++, b += 18, y += 32) {
            float d = h2f(b);
            for (int j = 0; j < 16; j++) {
                y[j] = d * (float)iq4nl_table[b[2 + j] & 0xF];
                y[j + 16] = d * (float)iq4nl_table[b[2 + j] >> 4];
            }
        }
        return 0;
    case TL_Q8_0:
        for (int64_t i = 0; i < n / 32; i++, b += 34, y += 32) {
            float d = h2f(b);
            for (int j = 0; j < 32; j++) y[j] = (float)(int8_t)b[2 + j] * d;
        }
        return 0;
    case TL_Q4_K:
        for (int64_t i = 0; i < n / 256; i++, b += 144) {
            float d = h2f(b), dmin = h2f(b + 2);
            const uint8_t *scales = b + 4, *q = b + 16;
            for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
                uint8_t sc, m;
                q4k_scale_min(is, scales, &sc, &m);
                float d1 = d * sc, m1 = dmin * m;
                q4k_scale_min(is + 1, scales, &sc, &m);
                float d2 = d * sc, m2 = dmin * m;
                for (int l = 0; l < 32; l++) *y++ = d1 * (float)(q[l] & 0xF) - m1;
                for (int l = 0; l < 32; l++) *y++ = d2 * (float)(q[l] >> 4) - m2;
            }
        }
        return 0;
    case TL_Q5_K:
        for (int64_t i = 0; i < n / 256; i++, b += 176) {
            float d = h2f(b), dmin = h2f(b + 2);
            const uint8_t *scales = b + 4, *qh = b + 16, *q = b + 48;
            for (int is = 0; is < 8; is += 2, q += 32) {   // 64 elements: low nibbles, then high
                uint8_t sc, m;
                q4k_scale_min(is, scales, &sc, &m);
                float d1 = d * sc, m1 = dmin * m;
                q4k_scale_min(is + 1, scales, &sc, &m);
                float d2 = d * sc, m2 = dmin * m;
                for (int l = 0; l < 32; l++) *y++ = d1 * (float)((q[l] & 0xF) | (((qh[l] >> is) & 1) << 4)) - m1;
                for (int l = 0; l < 32; l++) *y++ = d2 * (float)((q[l] >> 4) | (((qh[l] >> (is + 1)) & 1) << 4)) - m2;
            }
        }
        return 0;
    case TL_Q2_K:
        for (int64_t i = 0; i < n / 256; i++, b += 84) {
            const uint8_t *scales = b, *qs = b + 16;
            float d = h2f(b + 80), dmin = h2f(b + 82);
            for (int h = 0; h < 2; h++)
                for (int s = 0; s < 4; s++)
                    for (int l = 0; l < 32; l++) {
                        uint8_t sc = scales[8 * h + 2 * s + l / 16];   // low nibble scale, high nibble min
                        float dl = d * (float)(sc & 0xF), ml = dmin * (float)(sc >> 4);
                        *y++ = dl * (float)((qs[32 * h + l] >> (2 * s)) & 3) - ml;
                    }
        }
        return 0;
    case TL_Q3_K:
        for (int64_t i = 0; i < n / 256; i++, b += 110) {
            const uint8_t *hmask = b, *qs = b + 32, *sp = b + 96;
            float d = h2f(b + 108);
            for (int h = 0; h < 2; h++)
                for (int s = 0; s < 4; s++)
                    for (int l = 0; l < 32; l++) {
                        float dl = d * (float)q3k_scale(sp, 8 * h + 2 * s + l / 16);
                        // A clear hmask bit means the value is 4 lower (the bit is stored inverted).
                        int q = ((qs[32 * h + l] >> (2 * s)) & 3) - (((hmask[l] >> (4 * h + s)) & 1) ? 0 : 4);
                        *y++ = dl * (float)q;
                    }
        }
        return 0;
    case TL_Q6_K:
        for (int64_t i = 0; i < n / 256; i++, b += 210) {
            const uint8_t *ql = b, *qh = b + 128;
            const int8_t *sc = (const int8_t *)(b + 192);
            float d = h2f(b + 208);
            for (int half = 0; half < 2; half++, y += 128, ql += 64, qh += 32, sc += 8) {
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int q1 = (int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    int q2 = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    y[l] = d * (float)sc[is] * (float)q1;
                    y[l + 32] = d * (float)sc[is + 2] * (float)q2;
                    y[l + 64] = d * (float)sc[is + 4] * (float)q3;
                    y[l + 96] = d * (float)sc[is + 6] * (float)q4;
                }
            }
        }
        return 0;
    case TL_Q8_S: case TL_Q8_SM: {   // the internal blocks of transcode_q8s.c
        const int sm = type == TL_Q8_SM, bs = sm ? 44 : 40;
        for (int64_t i = 0; i < n / 32; i++, b += bs, y += 32) {
            float d[2], m = 0;
            memcpy(d, b, 8);
            if (sm) memcpy(&m, b + 8, 4);
            const int8_t *q = (const int8_t *)(b + (sm ? 12 : 8));
            for (int j = 0; j < 32; j++) {
                const float p = d[j / 16] * (float)q[j];   // its own statement: never contracted into an fma
                y[j] = sm ? p + m : p;
            }
        }
        return 0;
    }
    default: return -1;
    }
}
