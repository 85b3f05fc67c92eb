// The NEON integer matmul, included twice by matmul_neon.c: once with sdot (the dot-product
// extension) and once with smull + pairwise adds. Defines K(name) -> name##_suffix, TL_T (a target
// attribute or nothing) and TL_DOT before the include.
//
// The AVX-512 kernel's 16 lanes are four 128-bit vectors here: v[0], v[1] (lanes 0..7) take the even
// blocks, v[2], v[3] (lanes 8..15) the odd ones, each lane in block order. The transcoded TL_Q8_S /
// TL_Q8_SM blocks go as Q8_0, elements 0..15 scaled by d_lo, 16..31 by d_hi, TL_Q8_SM with Q4_1's m term.

// The 4 int32 sums of 4 s8 x s8 products (bytes 4L..4L+3 -> lane L). Exact in either form.
TL_T static inline __attribute__((always_inline)) int32x4_t K(dot4)(int8x16_t w, int8x16_t x) {
#if TL_DOT
    return vdotq_s32(vdupq_n_s32(0), w, x);
#else
    const int16x8_t p0 = vmull_s8(vget_low_s8(w), vget_low_s8(x)), p1 = vmull_high_s8(w, x);
    return vpaddq_s32(vpaddlq_s16(p0), vpaddlq_s16(p1));   // [e0..3, e4..7, e8..11, e12..15]
#endif
}

// Rows [r0, r1) against positions j0 ..< j0+J (J <= 4: 16 accumulators of the 32 registers).
TL_T static inline __attribute__((always_inline))
void K(rows_group)(const int type, const int J, const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1,
                   int64_t j0, float *y, int64_t ldy) {
    const int64_t cols = w->cols, nb = cols / 32;
    const int qs8 = type == TL_Q8_S || type == TL_Q8_SM;      // transcoded blocks: d per half block
    const int hasm = type == TL_Q4_1 || type == TL_Q8_SM;     // an m term
    const int bs = type == TL_Q4_1 ? 20 : type == TL_Q4_0 ? 18 : type == TL_Q8_S ? 40 : type == TL_Q8_SM ? 44 : 34;
    const int off = type == TL_Q4_1 ? 4 : qs8 ? bs - 32 : 2;
    const int8_t *xq = a->q + j0 * cols;                      // [J, cols]
    const float *xd = a->d + j0 * nb, *xs = a->s + j0 * nb;   // [J, nb]
    float mrow[hasm ? nb : 1];                                // the row's m per block (Q4_1, TL_Q8_SM)
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w->data + r * w->row_bytes;
        float32x4_t acc[4][4];                                // [position, lanes/4]
        for (int jj = 0; jj < J; jj++)
            for (int i = 0; i < 4; i++) acc[jj][i] = vdupq_n_f32(0);
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = row + b * bs;
            float dw = 0, dw_hi = 0;                          // transcoded: d_lo, d_hi
            if (qs8) {
                memcpy(&dw, blk, 4); memcpy(&dw_hi, blk + 4, 4);
                if (type == TL_Q8_SM) memcpy(mrow + b, blk + 8, 4);
            } else {
                // d (and Q4_1's m) with the fp16 conversion instruction: exact, as every fp16 -> fp32 is.
                uint16x4_t hv = vdup_n_u16((uint16_t)(blk[0] | blk[1] << 8));
                if (type == TL_Q4_1) hv = vset_lane_u16((uint16_t)(blk[2] | blk[3] << 8), hv, 1);
                const float32x4_t dmf = vcvt_f32_f16(vreinterpret_f16_u16(hv));
                dw = vgetq_lane_f32(dmf, 0);
                if (type == TL_Q4_1) mrow[b] = vgetq_lane_f32(dmf, 1);
            }
            int8x16_t w0, w1;                                 // elements 0..15, 16..31 (signed)
            if (type == TL_Q8_0 || qs8) {
                w0 = vld1q_s8((const int8_t *)(blk + off)); w1 = vld1q_s8((const int8_t *)(blk + off + 16));
            } else {
                const uint8x16_t q = vld1q_u8(blk + off);
                w0 = vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0F)));
                w1 = vreinterpretq_s8_u8(vshrq_n_u8(q, 4));
                if (type == TL_Q4_0) { w0 = vsubq_s8(w0, vdupq_n_s8(8)); w1 = vsubq_s8(w1, vdupq_n_s8(8)); }
            }
            const int h = 2 * (int)(b % 2);
            for (int jj = 0; jj < J; jj++) {
                const int8_t *x = xq + jj * cols + 32 * b;
                // Q4/Q8: exact (two fp16 values); transcoded: d_half * d_x rounded once, as in matmul.c.
                const float32x4_t dwx = vdupq_n_f32(dw * xd[jj * nb + b]);
                const float32x4_t dwx_hi = qs8 ? vdupq_n_f32(dw_hi * xd[jj * nb + b]) : dwx;
                acc[jj][h] = vfmaq_f32(acc[jj][h], vcvtq_f32_s32(K(dot4)(w0, vld1q_s8(x))), dwx);
                acc[jj][h + 1] = vfmaq_f32(acc[jj][h + 1], vcvtq_f32_s32(K(dot4)(w1, vld1q_s8(x + 16))), dwx_hi);
            }
        }
        for (int jj = 0; jj < J; jj++) {
            float v = tl_neon_reduce16(acc[jj]);
            if (hasm) v += tl_neon_dot16(mrow, xs + jj * nb, nb);
            y[(j0 + jj) * ldy + r] = v;
        }
    }
}

#define TL_NEON_GROUPS(T)                                                                       \
    TL_T static void K(rows_##T)(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1,    \
                                 int64_t j0, int J, float *y, int64_t ldy) {                      \
        switch (J) {                                                                            \
        case 1: K(rows_group)(T, 1, w, a, r0, r1, j0, y, ldy); break;                           \
        case 2: K(rows_group)(T, 2, w, a, r0, r1, j0, y, ldy); break;                           \
        case 3: K(rows_group)(T, 3, w, a, r0, r1, j0, y, ldy); break;                           \
        default: K(rows_group)(T, 4, w, a, r0, r1, j0, y, ldy); break;                          \
        }                                                                                       \
    }
TL_NEON_GROUPS(TL_Q4_0)
TL_NEON_GROUPS(TL_Q4_1)
TL_NEON_GROUPS(TL_Q8_0)
TL_NEON_GROUPS(TL_Q8_S)
TL_NEON_GROUPS(TL_Q8_SM)
#undef TL_NEON_GROUPS

TL_T static void K(rows_q)(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy) {
    const int64_t rb = a->k <= 4 ? (r1 - r0) : 16;
    for (int64_t rs = r0; rs < r1; rs += rb) {
        const int64_t re = rs + rb < r1 ? rs + rb : r1;
        for (int64_t j0 = 0; j0 < a->k; j0 += 4) {
            const int J = (int)(a->k - j0 < 4 ? a->k - j0 : 4);
            if (w->type == TL_Q4_1) K(rows_TL_Q4_1)(w, a, rs, re, j0, J, y, ldy);
            else if (w->type == TL_Q4_0) K(rows_TL_Q4_0)(w, a, rs, re, j0, J, y, ldy);
            else if (w->type == TL_Q8_S) K(rows_TL_Q8_S)(w, a, rs, re, j0, J, y, ldy);
            else if (w->type == TL_Q8_SM) K(rows_TL_Q8_SM)(w, a, rs, re, j0, J, y, ldy);
            else K(rows_TL_Q8_0)(w, a, rs, re, j0, J, y, ldy);
        }
    }
}
