#!/usr/bin/env bash
# Builds kernels/xnli-kernels.c into the two WebAssembly modules the app ships (committed, so that building the
# app needs no C compiler): one importing a plain memory (tfjs's single-threaded wasm build), one importing a
# shared memory (its threaded build). Needs clang and wasm-ld: sudo apt-get install clang lld
set -euo pipefail
cd "$(dirname "$0")/.."
src=kernels/xnli-kernels.c
out=src/backend/kernels
mkdir -p "$out"
flags=(--target=wasm32 -O3 -msimd128 -mbulk-memory -ffp-contract=off -fno-builtin -nostdlib -Wall -Werror)
link=(-Wl,--no-entry -Wl,--import-memory -Wl,--strip-all)
clang "${flags[@]}" "${link[@]}" -o "$out/xnli-kernels.wasm" "$src"
clang "${flags[@]}" -matomics "${link[@]}" -Wl,--shared-memory -Wl,--max-memory=4294967296 -o "$out/xnli-kernels-shared.wasm" "$src"
# The kernels run on tfjs's memory: code that touches the shadow stack (global.get/set of __stack_pointer) would
# write into tfjs's heap. Refuse such a build.
objdump=$(command -v llvm-objdump || command -v llvm-objdump-14 || true)
if [ -n "$objdump" ] && "$objdump" -d "$out/xnli-kernels.wasm" | grep -q 'global\.'; then
  echo "kernels/xnli-kernels.c uses the stack (a local array?): not allowed, see the top of the file" >&2
  exit 1
fi
ls -l "$out"/*.wasm
