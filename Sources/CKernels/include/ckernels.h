// ckernels: the hot loops of tokenloom's CPU engine in C, so they can use AVX-512 VNNI, AVX2 or NEON
// intrinsics (chosen at run time) with a portable scalar path that the tests hold them equal to, bit for bit.
#ifndef TOKENLOOM_CKERNELS_H
#define TOKENLOOM_CKERNELS_H

#include <stdint.h>

/// ggml tensor type codes (the GGUF file's numbers).
enum {
    TL_F32 = 0, TL_F16 = 1, TL_Q4_0 = 2, TL_Q4_1 = 3, TL_Q5_0 = 6, TL_Q5_1 = 7, TL_Q8_0 = 8,
    TL_Q2_K = 10, TL_Q3_K = 11, TL_Q4_K = 12, TL_Q5_K = 13, TL_Q6_K = 14, TL_IQ4_NL = 20, TL_BF16 = 30
};

/// Internal block types of the integer path, made at load by tl_transcode_q8s (transcode_q8s.c) from
/// Q5_0, Q5_1, IQ4_NL, Q3_K, Q4_K, Q5_K and Q6_K. Negative: a file's type is an unsigned number, so no
/// GGUF tensor can claim one. 32 weights per block, floats little-endian as in memory:
///   TL_Q8_S  {float d[2]; int8 q[32]}           40 bytes   w[i] = d[i / 16] * q[i]
///   TL_Q8_SM {float d[2]; float m; int8 q[32]}  44 bytes   w[i] = d[i / 16] * q[i] + m
enum { TL_Q8_S = -2, TL_Q8_SM = -3 };

/// The internal type `type` transcodes to (TL_Q8_S or TL_Q8_SM), or 0 when it has none (Q4_0, Q4_1 and
/// Q8_0 have their own integer kernels; Q2_K's min per 16 weights has no place in a block of 32; the
/// float types stay floats).
int tl_q8s_type(int type);
/// Bytes of one block of 32 of an internal type (40 or 44), 0 for any other type.
int tl_q8s_block_bytes(int itype);
/// Transcodes n elements (whole source blocks) of `type` at src into tl_q8s_type(type)'s blocks at dst
/// (n / 32 * tl_q8s_block_bytes). Exact: tl_dequantize of the result equals tl_dequantize of the source
/// bit for bit (Q5_0: value for value, see transcode_q8s.c). Returns 0, or -1 for a type without one.
int tl_transcode_q8s(int type, const void *src, void *dst, int64_t n);

/// Kernel paths (instruction sets). Every path gives bit for bit the same y as TL_ISA_SCALAR, the
/// portable reference, for any number of positions and threads: they all keep the 16-lane order of
/// the AVX-512 kernel (see matmul.c). TL_ISA_BEST: TOKENLOOM_ISA's path, else the best this CPU has.
enum {
    TL_ISA_BEST = 0, TL_ISA_SCALAR = 1,
    TL_ISA_AVX2 = 2,        // AVX2 + FMA + F16C, u8 x s8 products with vpmaddubsw
    TL_ISA_AVXVNNI = 3,     // the AVX2 path with AVX-VNNI's vpdpbusd (256-bit)
    TL_ISA_AVX512 = 4,      // AVX-512 F/BW/VL + VNNI
    TL_ISA_NEON = 5,        // aarch64 NEON, vmull_s8 products
    TL_ISA_NEON_DOT = 6,    // NEON with the dot-product extension (sdot)
    TL_ISA_COUNT = 7
};
/// Kernel implementation for the `impl` arguments: a TL_ISA_* value (these two are the old names).
enum { TL_IMPL_BEST = TL_ISA_BEST, TL_IMPL_SCALAR = TL_ISA_SCALAR };

/// 1 when this CPU (and this build) can run path `isa`.
int tl_isa_supported(int isa);
/// The best path this CPU has.
int tl_isa_best(void);
/// The path TL_ISA_BEST runs: TOKENLOOM_ISA's (read once; see tl_isa_parse), or the best one; -1 when
/// TOKENLOOM_ISA names no path or one this CPU lacks (then every matmul with TL_ISA_BEST fails with
/// -2 and tl_isa_error says why; there is no silent fallback).
int tl_isa_active(void);
/// 1 when the active path was forced (TOKENLOOM_ISA or tl_isa_force).
int tl_isa_forced(void);
/// Forces the active path (a TL_ISA_* value, or TL_ISA_BEST to go back to TOKENLOOM_ISA / the best).
/// Returns 0, or -1 when this CPU cannot run it (nothing changes).
int tl_isa_force(int isa);
/// A path's name as TOKENLOOM_ISA takes it (tl_isa_parse(tl_isa_name(p)) == p): "scalar", "avx512",
/// "avxvnni", "neon-dot", and "avx2" / "neon" for the plain AVX2 / NEON paths on CPUs without AVX-VNNI /
/// sdot, else "avx2-novnni" / "neon-nodot". NULL if unknown.
const char *tl_isa_name(int isa);
/// What the path uses, for people: "avx2+fma+f16c (vpmaddubsw)".
const char *tl_isa_description(int isa);
/// A name -> a path: "avx2" is the best AVX2 path (AVX-VNNI where the CPU has it), "neon" the best
/// NEON one; the others are exact. -1 for an unknown name.
int tl_isa_parse(const char *name);
/// NULL, or one line saying why TOKENLOOM_ISA cannot be honoured.
const char *tl_isa_error(void);

/// 1 when the active path is a SIMD one.
int tl_simd_available(void);

float tl_fp16_to_fp32(uint16_t h);
/// Round-to-nearest-even conversion, as the F16C instruction does.
uint16_t tl_fp32_to_fp16(float f);

/// Decodes n elements (a whole number of blocks) of `type` at src into dst (the internal TL_Q8_S /
/// TL_Q8_SM too). Returns 0, or -1 for a type it does not know.
int tl_dequantize(int type, const void *src, float *dst, int64_t n);

/// Quantises activations the way llama.cpp does before an integer dot product (Q8_0 / Q8_1 on x86):
/// per block of 32, d = amax / 127, q = round-half-even(x * 127 / amax).
///   x [n] -> q [n], d [n/32] (rounded to fp16), isum [n/32] (sum of q), s [n/32] (fp16(d * isum)),
///   dexp [n/32 * 8] (d repeated 8 times, one per SIMD lane), dxs [n/32] (d * isum)
void tl_quantize_q8(const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                    float *dexp, float *dxs);
/// The portable reference of tl_quantize_q8 (which uses the active path's SIMD, bit for bit the same).
void tl_quantize_q8_scalar(const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                           float *dexp, float *dxs);
/// tl_quantize_q8 on path `isa` (0 ok, -2 when this CPU cannot run it). For tests.
int tl_quantize_q8_isa(int isa, const float *x, int64_t n, int8_t *q, float *d, int32_t *isum, float *s,
                       float *dexp, float *dxs);

/// fmaf(a, b, c) (one rounding) in portable code: the product is exact in double, the sum rounded to
/// odd in double and then to float (Boldo & Melquiond), so it is correct on CPUs without FMA.
float tl_fmaf_ref(float a, float b, float c);

/// The SIMD kernel's copy of k quantised rows [k, cols], interleaved so that the 8 positions of a
/// group sit side by side for each pair of blocks (zero-padded past the last block); G = ceil(k/8),
/// P = ceil(cols/64):
///   gq [G, P, 8, 64] q as bytes            gu [G, P, 8, 64] q + 128 (unsigned, against Q8_0 weights)
///   gd [G, P, 8, 16] d per SIMD lane        gn [G, P, 8, 16] -(sum of 4 q) per lane (Q4_0's zero point)
void tl_q8_lanes(const int8_t *q, const float *dexp, int64_t k, int64_t cols,
                 uint8_t *gq, uint8_t *gu, float *gd, int32_t *gn);

/// A weight matrix W [rows, cols] in its stored type; row r starts at data + r * row_bytes.
typedef struct {
    int type;
    const uint8_t *data;
    int64_t rows, cols, row_bytes;
} tl_matrix;

/// k activation rows [k, cols]: floats, plus (for the integer path) their Q8 quantisation.
typedef struct {
    int64_t k, cols;
    const float *x;        // [k, cols]
    const int8_t *q;       // [k, cols]
    const float *d;        // [k, cols/32]
    const int32_t *isum;   // [k, cols/32]
    const float *s;        // [k, cols/32]
    const float *dexp;     // [k, cols/32 * 8]
    const float *dxs;      // [k, cols/32]
    const uint8_t *gq, *gu;     // [ceil(k/8), ceil(cols/64), 8, 64]  (tl_q8_lanes)
    const float *gd;            // [ceil(k/8), ceil(cols/64), 8, 16]
    const int32_t *gn;          // [ceil(k/8), ceil(cols/64), 8, 16]
    // Wide passes (issue 15): the block-per-lane copy of tl_q8_block_lanes; set, the AVX-512 path
    // takes the block-per-lane kernel (other numerics, see MatMul.swift); NULL, the pair kernel.
    const uint8_t *bt, *btu;    // [ceil(k/8), floor(cols/512), 8, 8, 64]
    const float *bd;            // [ceil(k/8), floor(cols/512), 8, 16]
    const int32_t *bz;          // [ceil(k/8), floor(cols/512), 8, 16]
} tl_acts;

/// 1 when `type` uses the quantised-activation integer path (then `acts.q/d/isum/s` must be set):
/// Q4_0, Q4_1, Q8_0 and the internal TL_Q8_S / TL_Q8_SM.
int tl_uses_q8(int type);

/// y[j * ldy + r] = W[r, :] . x[j, :] for rows r in [r0, r1) and all k positions. Each weight
/// block is read once and dotted against every position. `impl` is a TL_ISA_* path. Returns 0, -1 for
/// an unknown type, or -2 when the path cannot run on this CPU (or TOKENLOOM_ISA is unusable).
int tl_matmul_rows(const tl_matrix *w, const tl_acts *a, int64_t r0, int64_t r1,
                   float *y, int64_t ldy, int impl);

/// Every job's W [rows_i, cols] against the same activations: y_i [k, rows_i] (ldy = rows_i), split
/// into chunks of rows run on `threads` threads (the caller's included). Returns 0, -1 for an unknown
/// type, or -2 for a path this CPU cannot run.
int tl_matmul_jobs(const tl_matrix *w, float *const *y, int njobs, const tl_acts *a, int threads, int impl);

/// A task of a parallel run: does chunk `chunk` of the work described by ctx.
typedef void (*tl_task_fn)(void *ctx, int64_t chunk);

/// Runs fn(ctx, c) for c in 0 ..< nchunks on a persistent pool of `threads` threads (the caller takes
/// chunks too; chunks are claimed dynamically) and returns when all are done. Safe to call from
/// several threads: a call that finds the pool busy runs its chunks alone.
void tl_parallel_run(int threads, tl_task_fn fn, void *ctx, int64_t nchunks);

/// How the pool's idle workers sleep: on a futex (Linux) or a condition variable (elsewhere; on Linux
/// when built with -DTL_POOL_CONDVAR or run with TOKENLOOM_POOL_WAIT=condvar).
enum { TL_POOL_WAIT_FUTEX = 0, TL_POOL_WAIT_CONDVAR = 1 };

/// Sets the wait kind of pools created after the call (-1: back to the default); existing pools keep
/// theirs. Returns the kind new pools will use (always TL_POOL_WAIT_CONDVAR without a futex). For tests.
int tl_pool_set_wait(int kind);

/// The wait kind of the pool of `threads` threads, and in *sleepers how many of its workers are
/// asleep (or about to be); -1 when that pool does not exist yet. For tests.
int tl_pool_probe(int threads, int *sleepers);

/// tl_attention for all heads, the heads split over `threads` threads.
void tl_attention_mt(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                     int64_t H, int64_t Hkv, int64_t hd, float scale, float *out, int threads);

/// tl_attention for all heads, split over `threads` threads by (head, block of new positions): for
/// few heads and many new positions. A row's bits do not depend on the split or the thread count.
/// poly = 0: tl_attention's softmax; 1: its e^x by exp_poly.h's polynomial, vectorised, summed in float
/// in 16 lanes (attention.c), for models whose references allow it (the image model's).
void tl_attention_rows_mt(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                          int64_t H, int64_t Hkv, int64_t hd, float scale, float *out, int threads, int poly);

/// Roofline probes: the best read bandwidth (GB/s) of `threads` threads streaming `bytes` (make it
/// larger than the caches), and the peak rate of the 512-bit VNNI multiply-add (G u8 x s8 multiply-adds
/// per second; 0 without VNNI). Each is the best of `reps` runs.
double tl_measure_read_bandwidth(int threads, int64_t bytes, int reps);
double tl_measure_vnni_peak(int threads, int reps);

/// Causal grouped-query attention for heads [h0, h1) of k new positions at n0 ..< n0+k:
///   q [k, H*hd] (roped), K, V [n0+k, Hkv*hd] (cache rows), out [k, H*hd];
/// position j attends to cache rows 0 ... n0+j. scratch holds n0+k floats.
void tl_attention(const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                  int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                  float *scratch, int64_t h0, int64_t h1);
/// tl_attention on path `isa` (0 ok, -2 when this CPU cannot run it). For tests: every path gives the
/// same bits (heads of a multiple of 16 have SIMD code; others take the scalar code on every path).
int tl_attention_isa(int isa, const float *q, const float *K, const float *V, int64_t n0, int64_t k,
                     int64_t H, int64_t Hkv, int64_t hd, float scale, float *out,
                     float *scratch, int64_t h0, int64_t h1);

// ---- Wide passes (issue 15): the batched F32 GEMM of gemm_f32.c ----

/// Implementations of tl_gemm_f32; all give the same bits (one FMA chain per output, in the order of n).
enum { TL_GEMM_BEST = 0, TL_GEMM_SCALAR = 1, TL_GEMM_AVX2 = 2, TL_GEMM_AVX512 = 3 };

/// 1 when this CPU runs `impl` (TL_GEMM_BEST and TL_GEMM_SCALAR always).
int tl_gemm_f32_available(int impl);
/// The path an F32 kernel (GEMM, SiLU, SwiGLU) runs for `impl`: TL_GEMM_BEST's choice on this CPU, else
/// impl itself when this CPU runs it, else -1.
int tl_f32_impl(int impl);

/// Floats of W [m, n] packed for tl_gemm_f32: [ceil(m/32), n, 32].
int64_t tl_gemm_f32_packed_floats(int64_t m, int64_t n);
/// Packs W [m, n] (row-major, rows of n) into `packed` (tl_gemm_f32_packed_floats(m, n) floats).
void tl_gemm_f32_pack(const float *w, int64_t m, int64_t n, float *packed);

/// y [k, m] = x [k, n] . W [m, n]^T with W packed; every weight read once for all k positions.
/// y[j, o] = fma(x[j, n-1], W[o, n-1], ... fma(x[j, 0], W[o, 0], +0)): the same bits whatever k, the
/// other positions, `threads` or `impl`. Returns 0, or -1 when `impl` is not available here.
int tl_gemm_f32(const float *x, const float *packed, float *y, int64_t k, int64_t n, int64_t m,
                int threads, int impl);

/// SiLU in place, x[i] <- x[i] / (1 + e^-x[i]) with exp_poly.h's polynomial e^t (tested within 4 ulp of float64):
/// the same IEEE operations on every path, so the bits do not depend on `impl`, n or a value's place.
/// `impl` is a TL_GEMM_* path. Returns 0, or -1 when `impl` is not available here.
int tl_silu_f32(float *x, int64_t n, int impl);
/// 1 when this CPU runs tl_silu_f32's `impl`.
int tl_silu_f32_available(int impl);

/// g[i] <- g[i] / (1 + e^-g[i]) * u[i] over n values (the Llama MLP's SwiGLU), e^x by tl_expf_d; impl as
/// tl_silu_f32 (TL_GEMM_*). Every path gives the same bits. Returns 0, or -1 for a path this CPU lacks.
int tl_swiglu_f32(float *g, const float *u, int64_t n, int impl);
/// 1 when this CPU runs tl_swiglu_f32's `impl`.
int tl_swiglu_f32_available(int impl);
/// e^x rounded to float as swiglu_f32.c computes it (in double, rounded once): for tests.
float tl_expf_d(float x);
/// Tests only: tl_expf_d with its polynomial two terms short (a wrong variant SwiGLUTests must catch).
float tl_expf_d_short2(float x);

// ---- Wide passes (issue 15): the block-per-lane integer kernel of matmul_q8_blocks.c ----

/// The block-per-lane copy of k quantised rows [k, cols] (tl_quantize_q8's q, d, isum) for the AVX-512
/// kernel that holds one block per SIMD lane: whole groups of 16 blocks (NG = floor(cols/512); the
/// blocks after them are read from tl_q8_lanes' copy), lane L holding block blk(L) = 4 (L % 4) + L / 4
/// of its group, positions in groups of 8 (G = ceil(k/8), zero past the last position):
///   bt  [G, NG, 8, 8, 64]  bt[g8, g, jj, v, 4L + e] = q[8 g8 + jj, 32 (16 g + blk(L)) + 4 v + e]
///   btu                    the same + 128 (unsigned, against Q8_0 weights)
///   bd  [G, NG, 8, 16]     d of block 16 g + blk(L)       bz: -8 isum of it (Q4_0's zero point)
void tl_q8_block_lanes(const int8_t *q, const float *d, const int32_t *isum, int64_t k, int64_t cols,
                       uint8_t *bt, uint8_t *btu, float *bd, int32_t *bz);

/// Roofline probe: the peak 512-bit F32 FMA rate of `threads` threads (G multiply-adds per second; 0
/// without AVX-512), the best of `reps` runs.
double tl_measure_fma_peak(int threads, int reps);

#endif
