// The packed scales and code books that dequant.c and transcode_q8s.c both read (one definition).
#ifndef TOKENLOOM_KQUANT_SCALES_H
#define TOKENLOOM_KQUANT_SCALES_H
#include <stdint.h>

// Q4_K / Q5_K: sub-block j's 6-bit scale and min from the 12 packed bytes.
static inline void q4k_scale_min(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
    if (j < 4) { *sc = q[j] & 63; *m = q[j + 4] & 63; }
    else {
        *sc = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

// Q3_K's 16 signed 6-bit scales: low 4 bits in the nibbles of bytes 0..7 (low nibbles first), high
// 2 bits in bytes 8..11, two bits per sub-block (scale i: byte 8 + i % 4, bits 2 (i / 4)).
static inline int q3k_scale(const uint8_t *sp, int i) {
    int lo = i < 8 ? sp[i] & 0xF : sp[i - 8] >> 4;
    int hi = (sp[8 + i % 4] >> (2 * (i / 4))) & 3;
    return (lo | (hi << 4)) - 32;
}

// IQ4_NL's non-linear 4-bit code book (ggml's kvalues_iq4nl): denser near zero, where weights cluster.
static const int8_t iq4nl_table[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

#endif
