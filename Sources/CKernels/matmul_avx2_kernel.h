// The AVX2 integer matmul, included twice by matmul_avx2.c: once with vpmaddubsw products (AVX2) and
// once with AVX-VNNI's vpdpbusd. Defines K(name) -> name##_suffix and TL_T (the target attribute)
// before the include; TL_VNNI is 1 for the AVX-VNNI copy.
//
// The AVX-512 kernel's 16 lanes are two 256-bit halves here: lo (lanes 0..7) takes the even blocks,
// hi (lanes 8..15) the odd ones, each lane in block order, so every float operation is the same.
// The transcoded TL_Q8_S / TL_Q8_SM blocks go as Q8_0 (signed weights), lanes 0..3 of a half scaled by
// d_lo, 4..7 by d_hi, TL_Q8_SM with Q4_1's m term.

// The 8 int32 sums of 4 u8 x s8 products (bytes 4L..4L+3 -> lane L), plus src. Exact: for Q4 weights
// (0..15) and for |w| <= 128 against activations in -127..127 a pair is at most 2 * 128 * 127 = 32512,
// under vpmaddubsw's int16 saturation.
TL_T static inline __attribute__((always_inline)) __m256i K(dot4)(__m256i src, __m256i u, __m256i s) {
#if TL_VNNI && defined(TL_AVXVNNI_AS_EVEX)
    return _mm256_dpbusd_epi32(src, u, s);       // test builds: the same operation, AVX512-VL encoding
#elif TL_VNNI
    return _mm256_dpbusd_avx_epi32(src, u, s);
#else
    return _mm256_add_epi32(src, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
#endif
}

// Rows [r0, r1) against positions j0 ..< j0+J (J <= 4: 8 accumulators in 16 ymm registers). type and
// J are constants after inlining.
TL_T static inline __attribute__((always_inline))
void K(rows_group)(const int type, const int J, const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1,
                   int64_t j0, float *y, int64_t ldy) {
    const int64_t cols = w->cols, nb = cols / 32, np = (nb + 1) / 2;
    const int qs8 = type == TL_Q8_S || type == TL_Q8_SM;      // transcoded blocks: d per half block
    const int sgn = type == TL_Q8_0 || qs8;                   // signed weights
    const int hasm = type == TL_Q4_1 || type == TL_Q8_SM;     // an m term
    const int bs = type == TL_Q4_1 ? 20 : type == TL_Q4_0 ? 18 : type == TL_Q8_S ? 40 : type == TL_Q8_SM ? 44 : 34;
    const int off = type == TL_Q4_1 ? 4 : qs8 ? bs - 32 : 2;
    const int8_t *xq = a->q + j0 * cols;               // [J, cols]
    const float *xd = a->d + j0 * nb, *xs = a->s + j0 * nb;   // [J, nb]
    float mrow[hasm ? nb : 1];                         // the row's m per block (Q4_1, TL_Q8_SM)
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w->data + r * w->row_bytes;
        if (j0 == 0) tl_prefetch_row_ahead(w, r);   // the first group of positions meets each row first
        __m256 lo[4], hi[4];
        for (int jj = 0; jj < J; jj++) { lo[jj] = _mm256_setzero_ps(); hi[jj] = _mm256_setzero_ps(); }
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = row + b * bs;
            float dw = 0;
            __m256 dwv = _mm256_setzero_ps();           // transcoded: d_lo in lanes 0..3, d_hi in 4..7
            if (qs8) {
                dwv = _mm256_set_m128(_mm_broadcast_ss((const float *)(const void *)(blk + 4)),
                                      _mm_broadcast_ss((const float *)(const void *)blk));
                if (type == TL_Q8_SM) memcpy(mrow + b, blk + 8, 4);
            } else {
                // d (and Q4_1's m) with F16C: exact, as every fp16 -> fp32 conversion is.
                uint32_t dm = (uint32_t)blk[0] | (uint32_t)blk[1] << 8;
                if (type == TL_Q4_1) dm |= ((uint32_t)blk[2] | (uint32_t)blk[3] << 8) << 16;
                const __m128 dmf = _mm_cvtph_ps(_mm_cvtsi32_si128((int)dm));
                dw = _mm_cvtss_f32(dmf);
                if (type == TL_Q4_1) mrow[b] = _mm_cvtss_f32(_mm_movehdup_ps(dmf));
            }
            __m256i wv;                                 // 32 weights in the activations' order
            if (sgn) {
                wv = _mm256_loadu_si256((const __m256i *)(const void *)(blk + off));
            } else {
                const __m128i q = _mm_loadu_si128((const __m128i *)(const void *)(blk + off));
                wv = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0F));
            }
            // Q8_0: |w| (0..128) as the unsigned operand, the sign moved onto the activations.
            const __m256i wu = sgn ? _mm256_sign_epi8(wv, wv) : wv;
            // Q4_0's zero point 8: start each lane at -8 * (sum of its 4 activations) (tl_q8_lanes' gn).
            const int32_t *gn = a->gn + (((j0 / 8) * np + b / 2) * 8) * 16 + 8 * (b % 2);
            for (int jj = 0; jj < J; jj++) {
                const __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(xq + jj * cols + 32 * b));
                __m256i src = _mm256_setzero_si256();
                if (type == TL_Q4_0)
                    src = _mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(gn + (j0 % 8 + jj) * 16)), 3);
                const __m256i p = K(dot4)(src, wu, sgn ? _mm256_sign_epi8(x, wv) : x);
                // Q4/Q8: exact (two fp16 values); transcoded: d_half * d_x rounded once, as in matmul.c.
                const __m256 dwx = qs8 ? _mm256_mul_ps(dwv, _mm256_set1_ps(xd[jj * nb + b]))
                                       : _mm256_set1_ps(dw * xd[jj * nb + b]);
                if (b % 2 == 0) lo[jj] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), dwx, lo[jj]);
                else hi[jj] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), dwx, hi[jj]);
            }
        }
        // The J positions' sums together (tl_avx2_reduce16x4: each one's order unchanged).
        for (int jj = J; jj < 4; jj++) { lo[jj] = _mm256_setzero_ps(); hi[jj] = _mm256_setzero_ps(); }
        __m128 v = tl_avx2_reduce16x4(lo, hi);
        if (hasm) v = _mm_add_ps(v, tl_avx2_dot16x4(mrow, xs, nb, nb, J));
        float out[4];
        _mm_storeu_ps(out, v);
        for (int jj = 0; jj < J; jj++) y[(j0 + jj) * ldy + r] = out[jj];
    }
}

#define TL_AVX2_GROUPS(T)                                                                       \
    TL_T static void K(rows_##T)(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1,    \
                                 int64_t j0, int J, float *y, int64_t ldy) {                      \
        switch (J) {                                                                            \
        case 1: K(rows_group)(T, 1, w, a, r0, r1, j0, y, ldy); break;                           \
        case 2: K(rows_group)(T, 2, w, a, r0, r1, j0, y, ldy); break;                           \
        case 3: K(rows_group)(T, 3, w, a, r0, r1, j0, y, ldy); break;                           \
        default: K(rows_group)(T, 4, w, a, r0, r1, j0, y, ldy); break;                          \
        }                                                                                       \
    }
TL_AVX2_GROUPS(TL_Q4_0)
TL_AVX2_GROUPS(TL_Q4_1)
TL_AVX2_GROUPS(TL_Q8_0)
TL_AVX2_GROUPS(TL_Q8_S)
TL_AVX2_GROUPS(TL_Q8_SM)
#undef TL_AVX2_GROUPS

TL_T static void K(rows_q)(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy) {
    // Blocks of rows whose weights stay in cache while every group of 4 positions passes over them.
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
