#!/bin/sh
# Builds Sources/CKernels with test_kernels.c natively and for aarch64, and checks every kernel path
# against the scalar reference bit for bit: natively (AVX-512, AVX2, whatever this CPU has), then under
# qemu-aarch64 for NEON with and without the dot-product extension (built with and without
# -march=armv8.2-a+dotprod; the plain build run on a CPU model with and without it).
# Needs: a C compiler (CC, default cc); for aarch64, aarch64-linux-gnu-gcc and qemu-aarch64
# (Debian/Ubuntu: gcc-aarch64-linux-gnu, qemu-user). Without those the aarch64 part is skipped and
# says so (set TL_CROSS_REQUIRED=1 to make that a failure). Writes only in a temporary directory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../../Sources/CKernels"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ckernels-cross.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
files="$src/matmul.c $src/matmul_simd.c $src/matmul_q8_blocks.c $src/gemm_f32.c $src/silu_f32.c $src/swiglu_f32.c $src/matmul_avx2.c $src/matmul_neon.c $src/dequant.c $src/transcode_q8s.c $src/pool.c $src/attention.c $src/roofline.c $here/test_kernels.c"
# -ffp-contract=off: what exp_poly.h's, silu_f32.c's and swiglu_f32.c's `#pragma clang fp contract(off)` asks of clang, for gcc (which
# ignores that pragma and by default fuses a * b + c across statements).
flags="-O3 -std=gnu11 -I$src/include -I$src -Wall -Wno-unused-function -Wno-unknown-pragmas -ffp-contract=off"

echo "== native ($(uname -m), ${CC:-cc})"
# shellcheck disable=SC2086
${CC:-cc} $flags $files -o "$tmp/native" -pthread -lm
timeout 120 "$tmp/native"
if grep -q avx512_vnni /proc/cpuinfo 2>/dev/null && ! grep -q avx_vnni /proc/cpuinfo; then
    # No AVX-VNNI here (nor in qemu 7's x86 emulation): check that kernel with the AVX512-VL encoding
    # of the same instruction.
    echo "== native, the AVX-VNNI kernel built with the AVX512-VL vpdpbusd (TL_AVXVNNI_AS_EVEX)"
    # shellcheck disable=SC2086
    ${CC:-cc} $flags -DTL_AVXVNNI_AS_EVEX $files -o "$tmp/native-evex" -pthread -lm
    timeout 120 "$tmp/native-evex" avxvnni
fi

if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    echo "== aarch64: SKIPPED (aarch64-linux-gnu-gcc or qemu-aarch64 not installed)"
    [ "${TL_CROSS_REQUIRED:-0}" = 1 ] && exit 1
    exit 0
fi
sysroot=${TL_AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}
if command -v clang >/dev/null; then
    echo "== aarch64 with clang (the Swift toolchain's C compiler): compiles without warnings"
    for f in $files; do
        # shellcheck disable=SC2086
        clang --target=aarch64-linux-gnu --sysroot="$sysroot" -isystem "$sysroot/include" $flags -Werror -c "$f" -o "$tmp/clang.o"
    done
fi
echo "== aarch64, -march=armv8.2-a+dotprod, qemu -cpu max"
# shellcheck disable=SC2086
aarch64-linux-gnu-gcc $flags -march=armv8.2-a+dotprod $files -o "$tmp/arm-dot" -pthread -lm
timeout 300 qemu-aarch64 -L "$sysroot" -cpu max "$tmp/arm-dot" neon-dot neon-nodot
echo "== aarch64, -march=armv8-a (sdot chosen at run time), qemu -cpu max"
# shellcheck disable=SC2086
aarch64-linux-gnu-gcc $flags -march=armv8-a $files -o "$tmp/arm-plain" -pthread -lm
timeout 300 qemu-aarch64 -L "$sysroot" -cpu max "$tmp/arm-plain" neon-dot neon-nodot
echo "== aarch64, -march=armv8-a, qemu -cpu cortex-a57 (no dot product: the smull path only)"
timeout 300 qemu-aarch64 -L "$sysroot" -cpu cortex-a57 "$tmp/arm-plain" neon-nodot
