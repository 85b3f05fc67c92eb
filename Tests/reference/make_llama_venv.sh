#!/bin/sh
# Makes the llama-cpp-python venv that the live-server tests, RequantizedFileTests and the reference
# scripts use (llama-cpp-python with its server, gguf, numpy), unless VENV already holds one built this
# way. Used by .ci/run and by the tests that need it. Usage: make_llama_venv.sh VENV
#
# llama.cpp is compiled from source for this CPU (-march=native), but without AMX on x86-64: on a VM
# whose CPU reports AMX that the kernel does not let processes use, llama.cpp's AMX matmul dies with
# SIGILL (seen on an Intel Xeon VM: every llama.cpp server request crashed). The stamp file records
# how the venv was built, so a venv built otherwise (an earlier one, with AMX) is rebuilt. pip's wheel
# cache does not key on CMAKE_ARGS, so llama-cpp-python is built without it (about 10 minutes on 2
# cores).
set -eu
venv=${1:?usage: make_llama_venv.sh VENV}
package='llama-cpp-python[server]==0.3.36'
flags=""
case "$(uname -m)" in
x86_64 | amd64)
    if echo 'int main(void){return 0;}' | ${CC:-cc} -x c -mno-amx-tile -mno-amx-int8 -mno-amx-bf16 -fsyntax-only - 2>/dev/null; then
        flags="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
    fi
    ;;
esac
cmake_args=""
[ -n "$flags" ] && cmake_args="-DCMAKE_C_FLAGS=\"$flags\" -DCMAKE_CXX_FLAGS=\"$flags\""
stamp="$venv/tokenloom-llama-build"
want="$package gguf numpy; CMAKE_ARGS=$cmake_args"

if "$venv/bin/python" -c 'import llama_cpp.server, gguf, numpy' 2>/dev/null && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q gguf numpy
CMAKE_ARGS="$cmake_args" "$venv/bin/pip" install -q --no-cache-dir --force-reinstall "$package"
"$venv/bin/python" -c 'import llama_cpp.server, gguf, numpy'
printf '%s\n' "$want" > "$stamp"
