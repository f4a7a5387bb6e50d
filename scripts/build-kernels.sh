#!/usr/bin/env bash
# Builds kernels/xnli-kernels.c into the WebAssembly modules the app ships (committed, so that building the app
# needs no C compiler): for tfjs's single-threaded wasm build (a plain memory) and its threaded build (a shared
# memory), each in plain SIMD and in relaxed SIMD (fused multiply-add in the matrix products; Chrome 114+, the
# loader falls back to plain SIMD elsewhere). Needs clang and wasm-ld 16 or later: apt-get install clang-16 lld-16
set -euo pipefail
cd "$(dirname "$0")/.."
src=kernels/xnli-kernels.c
out=src/backend/wasm/kernels
mkdir -p "$out"
llvm_bin=$(ls -d /usr/lib/llvm-1[6-9]/bin /usr/lib/llvm-2[0-9]/bin 2>/dev/null | tail -1 || true)
[ -n "$llvm_bin" ] && export PATH="$llvm_bin:$PATH"
flags=(--target=wasm32 -O3 -msimd128 -mbulk-memory -ffp-contract=off -fno-builtin -nostdlib -Wall -Werror)
link=(-Wl,--no-entry -Wl,--import-memory -Wl,--strip-all)
shared=(-matomics -Wl,--shared-memory -Wl,--max-memory=4294967296)
relaxed=(-mrelaxed-simd -DRELAXED)
clang "${flags[@]}" "${link[@]}" -o "$out/xnli-kernels.wasm" "$src"
clang "${flags[@]}" "${shared[@]}" "${link[@]}" -o "$out/xnli-kernels-shared.wasm" "$src"
clang "${flags[@]}" "${relaxed[@]}" "${link[@]}" -o "$out/xnli-kernels-relaxed.wasm" "$src"
clang "${flags[@]}" "${relaxed[@]}" "${shared[@]}" "${link[@]}" -o "$out/xnli-kernels-relaxed-shared.wasm" "$src"
# The kernels run on tfjs's memory: code that touches the shadow stack (global.get/set of __stack_pointer) would
# write into tfjs's heap. Refuse such a build.
objdump=$(command -v llvm-objdump || command -v llvm-objdump-14 || true)
for module in "$out"/*.wasm; do
  if [ -n "$objdump" ] && "$objdump" -d "$module" | grep -q 'global\.'; then
    echo "kernels/xnli-kernels.c uses the stack (a local array?) in $module: not allowed, see the top of the file" >&2
    exit 1
  fi
done
ls -l "$out"/*.wasm
