// The AVX-512 VNNI integer matmul with one block per SIMD lane, so the float work per block is paid
// once per 8 integer instructions instead of once per instruction (issue 15: wide passes that pay).
//
// The pair kernel (matmul_simd.c rows_group) puts 2 blocks in one dpbusd, 8 lanes each, and converts,
// scales and accumulates every lane: 3 float ops per dpbusd. Here 16 blocks sit side by side, lane L
// holding block 16g + L, and 8 dpbusd chained into one integer accumulator each add 4 more products of
// every block, so after 8 instructions each lane holds its whole block's exact integer dot:
//
//   group g of 16 blocks, position j:   (W [16 blocks, 32], X [16 blocks, 32] viewed as 8 dword columns)
//     p = z_j                                       (Q4_0: -8 isum; Q8_0: -128 sum w; Q4_1: 0)
//     for v in 0 ..< 8:  p = dpbusd(p, W[:, 4v..4v+3], X_j[:, 4v..4v+3])     (exact int32 per block)
//     acc_j += float(p) * (d_w * d_x_j)             (16 lanes: one float multiply-add per block)
//   y_j = reduce(acc_j)  (+ sum_b m_w[b] s_x[j, b] for Q4_1)
//
// The weights' dword columns come from 16 loads of 16 bytes and a 4 x 4 dword transpose within 128-bit
// lanes, so lane L holds block 16g + blk(L), blk(L) = 4 (L % 4) + L / 4 (the activations' copy, laid out
// once per call by tl_q8_block_lanes, uses the same order); they are unpacked once per row and group
// and reused for up to 8 positions. Blocks past the last whole group of 16 (cols = 576: 2 of 18) take
// the pair kernel's way (2 blocks per dpbusd, every lane scaled) on tl_q8_lanes' copy. Every position
// runs the same lane-wise operations whatever the other positions of its group, so its result does not
// depend on k nor on the thread count.
#include "ckernels.h"
#include <string.h>

// Lane L of a group holds block blk(L) of it: the order a 4 x 4 transpose of 128-bit loads leaves.
static inline int64_t blk(int64_t L) { return 4 * (L % 4) + L / 4; }

int tl_simd_cpu_ok(void);

// The portable layout (what the SIMD version below must equal; the kernel itself needs AVX-512).
static void block_lanes_scalar(const int8_t *q, const float *d, const int32_t *isum, int64_t k, int64_t cols,
                               uint8_t *bt, uint8_t *btu, float *bd, int32_t *bz) {
    const int64_t nb = cols / 32, ng = nb / 16, groups8 = (k + 7) / 8;
    // Zero everything first: padded positions contribute nothing.
    memset(bt, 0, (size_t)(groups8 * ng * 8 * 512));
    memset(btu, 0, (size_t)(groups8 * ng * 8 * 512));
    memset(bd, 0, (size_t)(groups8 * ng * 8 * 16) * sizeof(float));
    memset(bz, 0, (size_t)(groups8 * ng * 8 * 16) * sizeof(int32_t));
    for (int64_t j = 0; j < k; j++)
        for (int64_t g = 0; g < ng; g++)
            for (int64_t L = 0; L < 16; L++) {
                const int64_t b = 16 * g + blk(L);
                const int64_t at = ((j / 8) * ng + g) * 8 + j % 8;   // slot of (position group, block group, position)
                const int8_t *src = q + j * cols + 32 * b;
                for (int64_t v = 0; v < 8; v++)
                    for (int64_t e = 0; e < 4; e++) {
                        bt[at * 512 + v * 64 + 4 * L + e] = (uint8_t)src[4 * v + e];
                        btu[at * 512 + v * 64 + 4 * L + e] = (uint8_t)src[4 * v + e] ^ 0x80;   // q + 128
                    }
                bd[at * 16 + L] = d[j * nb + b];
                bz[at * 16 + L] = -8 * isum[j * nb + b];
            }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define TL_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512vnni,avx512bw")))
#include "reduce_avx512.h"

// 4 x 4 transpose of dwords within each 128-bit lane of r[0..3]: t[i] lane c, element a = r[a] lane c, element i.
TL_TARGET static inline __attribute__((always_inline)) void transpose4(const __m512i *r, __m512i *t) {
    const __m512i t0 = _mm512_unpacklo_epi32(r[0], r[1]), t1 = _mm512_unpackhi_epi32(r[0], r[1]);
    const __m512i t2 = _mm512_unpacklo_epi32(r[2], r[3]), t3 = _mm512_unpackhi_epi32(r[2], r[3]);
    t[0] = _mm512_unpacklo_epi64(t0, t2); t[1] = _mm512_unpackhi_epi64(t0, t2);
    t[2] = _mm512_unpacklo_epi64(t1, t3); t[3] = _mm512_unpackhi_epi64(t1, t3);
}

// 16 bytes of each of the 16 blocks at p (stride bs), transposed: t[i] lane L = dword i of block blk(L).
TL_TARGET static inline __attribute__((always_inline)) void load16x16(const uint8_t *p, int bs, __m512i *t) {
    __m512i r[4];
    for (int a = 0; a < 4; a++) {   // r[a] 128-bit lane c: block 4a + c
        __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(p + (4 * a) * bs)));
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + (4 * a + 1) * bs)), 1);
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + (4 * a + 2) * bs)), 2);
        r[a] = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + (4 * a + 3) * bs)), 3);
    }
    transpose4(r, t);
}

// A pair of blocks as the pair kernel holds them (64 unsigned bytes, block b in bytes 0..31, b+1 in
// 32..63) and their d per lane (lanes 0..7: d_b, 8..15: d_b1); `two` = 0 for a last, unpaired block.
TL_TARGET static inline __attribute__((always_inline))
__m512i pair_weights(const int type, const uint8_t *blk0, const int two, __m512 *dw) {
    const int bs = type == TL_Q4_1 ? 20 : type == TL_Q4_0 ? 18 : 34;
    const float d0 = _cvtsh_ss((uint16_t)(blk0[0] | blk0[1] << 8));
    const float d1 = two ? _cvtsh_ss((uint16_t)(blk0[bs] | blk0[bs + 1] << 8)) : 0.f;
    *dw = _mm512_mask_blend_ps((__mmask16)0xFF00, _mm512_set1_ps(d0), _mm512_set1_ps(d1));
    if (type == TL_Q8_0) {
        const __m256i a = _mm256_loadu_si256((const __m256i *)(blk0 + 2));
        return two ? _mm512_inserti64x4(_mm512_castsi256_si512(a), _mm256_loadu_si256((const __m256i *)(blk0 + 36)), 1)
                   : _mm512_zextsi256_si512(a);
    }
    const int off = type == TL_Q4_1 ? 4 : 2;
    const __m256i a = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(blk0 + off)));
    const __m512i t = two ? _mm512_inserti64x4(_mm512_castsi256_si512(a),
                                               _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(blk0 + bs + off))), 1)
                          : _mm512_zextsi256_si512(a);
    // 128-bit lanes: [qs_b & 15, qs_b >> 4, qs_b1 & 15, qs_b1 >> 4]
    const __m512i sh = _mm512_set_epi64(4, 4, 0, 0, 4, 4, 0, 0);
    return _mm512_and_si512(_mm512_srlv_epi64(t, sh), _mm512_set1_epi8(0x0F));
}

// Rows [r0, r1) against positions j0 ..< j0+J (j0 a multiple of 8). type and J are constants after inlining.
TL_TARGET static inline __attribute__((always_inline))
void rows_blocks(const int type, const int J, const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1,
                 int64_t j0, float *y, int64_t ldy) {
    const int64_t cols = w->cols, nb = cols / 32, ng = nb / 16, np = (nb + 1) / 2;
    const int bs = type == TL_Q4_1 ? 20 : type == TL_Q4_0 ? 18 : 34;   // bytes per block
    const int off = type == TL_Q4_1 ? 4 : 2;                            // quants start here
    const __m512i nib = _mm512_set1_epi8(0x0F);
    const __m512i blkidx = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);   // blk(L)
    // This group of positions in both activation copies: whole groups of 16 blocks, then the pairs left.
    const uint8_t *gx = (type == TL_Q8_0 ? a->btu : a->bt) + (j0 / 8) * ng * 8 * 512;
    const float *gd = a->bd + (j0 / 8) * ng * 8 * 16;
    const int32_t *gz = a->bz + (j0 / 8) * ng * 8 * 16;
    const uint8_t *px = (type == TL_Q8_0 ? a->gu : a->gq) + (j0 / 8) * np * 512;
    const float *pd = a->gd + (j0 / 8) * np * 128;
    const int32_t *pn = a->gn + (j0 / 8) * np * 128;
    const float *xs = a->s + j0 * nb;
    float mrow[type == TL_Q4_1 ? nb + 16 : 1];   // the row's m per block (Q4_1)
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w->data + r * w->row_bytes;
        if (type == TL_Q4_1)   // blocks past the whole groups (the groups' m come with their d below)
            for (int64_t b = 16 * ng; b < nb; b++) mrow[b] = _cvtsh_ss((uint16_t)(row[b * bs + 2] | row[b * bs + 3] << 8));
        __m512 acc[8];
        for (int jj = 0; jj < J; jj++) acc[jj] = _mm512_setzero_ps();
        for (int64_t g = 0; g < ng; g++) {
            const uint8_t *base = row + 16 * g * bs;
            uint32_t h[16];   // lane L: the first 4 bytes of block blk(L): d (Q4_1: d and m)
            for (int L = 0; L < 16; L++) memcpy(h + L, base + (4 * (L % 4) + L / 4) * bs, 4);
            const __m512i hv = _mm512_loadu_si512((const void *)h);
            const __m512 dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(hv));
            if (type == TL_Q4_1)   // m back in block order: blk is its own inverse
                _mm512_storeu_ps(mrow + 16 * g, _mm512_permutexvar_ps(blkidx, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(hv, 16)))));
            // The 8 dword columns of the 16 blocks: column v holds elements 4v .. 4v+3 of each block.
            __m512i wv[8];
            if (type == TL_Q8_0) {
                load16x16(base + off, bs, wv);
                load16x16(base + off + 16, bs, wv + 4);
            } else {   // nibbles: byte e of the 16 holds element e (low) and e + 16 (high)
                __m512i t[4];
                load16x16(base + off, bs, t);
                for (int v = 0; v < 4; v++) {
                    wv[v] = _mm512_and_si512(t[v], nib);
                    wv[v + 4] = _mm512_and_si512(_mm512_srli_epi16(t[v], 4), nib);
                }
            }
            // Q8_0: (x + 128) . w = x . w + 128 sum(w); start each block at -128 sum(w).
            __m512i wcorr = _mm512_setzero_si512();
            if (type == TL_Q8_0) {
                __m512i sw = _mm512_setzero_si512();
                for (int v = 0; v < 8; v++) sw = _mm512_dpbusd_epi32(sw, _mm512_set1_epi8(1), wv[v]);
                wcorr = _mm512_slli_epi32(_mm512_sub_epi32(_mm512_setzero_si512(), sw), 7);
            }
            for (int jj = 0; jj < J; jj++) {
                const int64_t at = g * 8 + jj;   // slot within this group of positions
                const uint8_t *x = gx + at * 512;
                __m512i p = type == TL_Q8_0 ? wcorr
                          : type == TL_Q4_0 ? _mm512_loadu_si512((const void *)(gz + at * 16)) : _mm512_setzero_si512();
                for (int v = 0; v < 8; v++) {
                    const __m512i xv = _mm512_loadu_si512((const void *)(x + 64 * v));
                    p = type == TL_Q8_0 ? _mm512_dpbusd_epi32(p, xv, wv[v]) : _mm512_dpbusd_epi32(p, wv[v], xv);
                }
                acc[jj] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(dw, _mm512_loadu_ps(gd + at * 16)), acc[jj]);
            }
        }
        // The blocks past the whole groups, two per dpbusd, every lane scaled (the pair kernel's way).
        for (int64_t bp = 8 * ng; bp < np; bp++) {
            const int two = 2 * bp + 1 < nb;
            __m512 dw;
            const __m512i wv = pair_weights(type, row + 2 * bp * bs, two, &dw);
            __m512i wcorr = _mm512_setzero_si512();
            if (type == TL_Q8_0)
                wcorr = _mm512_slli_epi32(_mm512_sub_epi32(wcorr, _mm512_dpbusd_epi32(wcorr, _mm512_set1_epi8(1), wv)), 7);
            for (int jj = 0; jj < J; jj++) {
                __m512i src = wcorr, p;
                const __m512i x = _mm512_loadu_si512((const void *)(px + bp * 512 + jj * 64));
                if (type == TL_Q4_0) src = _mm512_slli_epi32(_mm512_loadu_si512((const void *)(pn + bp * 128 + jj * 16)), 3);
                if (type == TL_Q8_0) p = _mm512_dpbusd_epi32(src, x, wv);
                else p = _mm512_dpbusd_epi32(src, wv, x);
                acc[jj] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(dw, _mm512_loadu_ps(pd + bp * 128 + jj * 16)), acc[jj]);
            }
        }
        if (J == 8) {
            __m256 s = reduce8(acc);
            if (type == TL_Q4_1) {
                // dot_masked for the 8 positions at once (the same per-position order).
                __m512 m[8];
                for (int jj = 0; jj < 8; jj++) m[jj] = _mm512_setzero_ps();
                int64_t i = 0;
                for (; i + 16 <= nb; i += 16) {
                    const __m512 mv = _mm512_loadu_ps(mrow + i);
                    for (int jj = 0; jj < 8; jj++) m[jj] = _mm512_fmadd_ps(mv, _mm512_loadu_ps(xs + jj * nb + i), m[jj]);
                }
                if (i < nb) {
                    const __mmask16 mk = (__mmask16)((1u << (nb - i)) - 1);
                    const __m512 mv = _mm512_maskz_loadu_ps(mk, mrow + i);
                    for (int jj = 0; jj < 8; jj++) m[jj] = _mm512_fmadd_ps(mv, _mm512_maskz_loadu_ps(mk, xs + jj * nb + i), m[jj]);
                }
                s = _mm256_add_ps(s, reduce8(m));
            }
            float out[8];
            _mm256_storeu_ps(out, s);
            for (int jj = 0; jj < 8; jj++) y[(j0 + jj) * ldy + r] = out[jj];
        } else {
            for (int jj = 0; jj < J; jj++) {
                float v = reduce1(acc[jj]);
                if (type == TL_Q4_1) v += dot_masked(mrow, xs + jj * nb, nb);
                y[(j0 + jj) * ldy + r] = v;
            }
        }
    }
}

// tl_q8_block_lanes with the kernel's own transpose: per position and group, 2 x 16 loads of 16 bytes.
TL_TARGET static void block_lanes_simd(const int8_t *q, const float *d, const int32_t *isum, int64_t k, int64_t cols,
                                       uint8_t *bt, uint8_t *btu, float *bd, int32_t *bz) {
    const int64_t nb = cols / 32, ng = nb / 16, groups8 = (k + 7) / 8;
    const __m512i blkidx = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    for (int64_t j = 0; j < groups8 * 8; j++)
        for (int64_t g = 0; g < ng; g++) {
            const int64_t at = ((j / 8) * ng + g) * 8 + j % 8;
            if (j >= k) {   // padding positions: zero
                memset(bt + at * 512, 0, 512); memset(btu + at * 512, 0, 512);
                memset(bd + at * 16, 0, 16 * sizeof(float)); memset(bz + at * 16, 0, 16 * sizeof(int32_t));
                continue;
            }
            __m512i t[8];
            const uint8_t *src = (const uint8_t *)(q + j * cols + 512 * g);
            load16x16(src, 32, t);
            load16x16(src + 16, 32, t + 4);
            for (int v = 0; v < 8; v++) {
                _mm512_storeu_si512((void *)(bt + at * 512 + 64 * v), t[v]);
                _mm512_storeu_si512((void *)(btu + at * 512 + 64 * v), _mm512_xor_si512(t[v], flip));
            }
            _mm512_storeu_ps(bd + at * 16, _mm512_permutexvar_ps(blkidx, _mm512_loadu_ps(d + j * nb + 16 * g)));
            const __m512i is = _mm512_permutexvar_epi32(blkidx, _mm512_loadu_si512((const void *)(isum + j * nb + 16 * g)));
            _mm512_storeu_si512((void *)(bz + at * 16), _mm512_mullo_epi32(is, _mm512_set1_epi32(-8)));
        }
}

#define TL_BLOCK_GROUPS(T)                                                                    \
    TL_TARGET static void blocks_##T(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, \
                                     int64_t j0, int J, float *y, int64_t ldy) {                 \
        switch (J) {                                                                          \
        case 1: rows_blocks(T, 1, w, a, r0, r1, j0, y, ldy); break;                           \
        case 2: rows_blocks(T, 2, w, a, r0, r1, j0, y, ldy); break;                           \
        case 3: rows_blocks(T, 3, w, a, r0, r1, j0, y, ldy); break;                           \
        case 4: rows_blocks(T, 4, w, a, r0, r1, j0, y, ldy); break;                           \
        case 5: rows_blocks(T, 5, w, a, r0, r1, j0, y, ldy); break;                           \
        case 6: rows_blocks(T, 6, w, a, r0, r1, j0, y, ldy); break;                           \
        case 7: rows_blocks(T, 7, w, a, r0, r1, j0, y, ldy); break;                           \
        default: rows_blocks(T, 8, w, a, r0, r1, j0, y, ldy); break;                          \
        }                                                                                     \
    }
TL_BLOCK_GROUPS(TL_Q4_0)
TL_BLOCK_GROUPS(TL_Q4_1)
TL_BLOCK_GROUPS(TL_Q8_0)

// Rows [r0, r1), all positions: blocks of rows small enough to stay in L1/L2 while every group of 8
// positions passes over them (as tl_rows_q_simd does).
TL_TARGET void tl_rows_q_blocks(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy) {
    const int64_t rb = a->k <= 8 ? (r1 - r0) : 16;
    for (int64_t rs = r0; rs < r1; rs += rb) {
        const int64_t re = rs + rb < r1 ? rs + rb : r1;
        for (int64_t j0 = 0; j0 < a->k; j0 += 8) {
            const int J = (int)(a->k - j0 < 8 ? a->k - j0 : 8);
            if (w->type == TL_Q4_1) blocks_TL_Q4_1(w, a, rs, re, j0, J, y, ldy);
            else if (w->type == TL_Q4_0) blocks_TL_Q4_0(w, a, rs, re, j0, J, y, ldy);
            else blocks_TL_Q8_0(w, a, rs, re, j0, J, y, ldy);
        }
    }
}

void tl_q8_block_lanes(const int8_t *q, const float *d, const int32_t *isum, int64_t k, int64_t cols,
                       uint8_t *bt, uint8_t *btu, float *bd, int32_t *bz) {
    if (tl_simd_cpu_ok()) block_lanes_simd(q, d, isum, k, cols, bt, btu, bd, bz);
    else block_lanes_scalar(q, d, isum, k, cols, bt, btu, bd, bz);
}

#else  // not x86-64: never called (tl_simd_cpu_ok() is 0)

void tl_q8_block_lanes(const int8_t *q, const float *d, const int32_t *isum, int64_t k, int64_t cols,
                       uint8_t *bt, uint8_t *btu, float *bd, int32_t *bz) {
    block_lanes_scalar(q, d, isum, k, cols, bt, btu, bd, bz);
}

void tl_rows_q_blocks(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1, float *y, int64_t ldy) {
    (void)w; (void)a; (void)r0; (void)r1; (void)y; (void)ldy;
}

#endif
