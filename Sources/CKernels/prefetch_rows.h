// Software prefetch of the weight rows a kernel reads next (x86 kernels: matmul_simd.c, matmul_avx2.c).
// At k = 1 each weight is read once and the hardware prefetchers alone left the loads exposed: SmolLM2's
// matmuls (2 threads, this project's 2-core Xeon VM) took 9.3 ms on the AVX-512 path and 11.7 on AVX2
// without, 8.1 and 8.8 with (medians of 5 interleaved runs). Prefetches change no result.
#ifndef TOKENLOOM_PREFETCH_ROWS_H
#define TOKENLOOM_PREFETCH_ROWS_H

// How far ahead, in rows: a 576-column Q4_1 row is 360 bytes, so 16 rows are about 6 KB.
#define TL_PREFETCH_ROWS 16

// Every cache line of row r + TL_PREFETCH_ROWS of w (nothing past the last row).
static inline __attribute__((always_inline)) void tl_prefetch_row_ahead(const tl_matrix *w, int64_t r) {
    if (r + TL_PREFETCH_ROWS >= w->rows) return;
    const char *p = (const char *)w->data + (r + TL_PREFETCH_ROWS) * w->row_bytes;
    for (int64_t o = 0; o < w->row_bytes; o += 64) __builtin_prefetch(p + o, 0, 3);
}

#endif
