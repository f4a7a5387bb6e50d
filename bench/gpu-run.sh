#!/usr/bin/env bash
# On a GPU machine without a registry (this project's `device` machine): the app's trainer on WebGPU through Node +
# Dawn, and PyTorch on CUDA, for the same models. Expects, carried beside the checkout: .gpu/ from
# `node scripts/bundle-node-webgpu.mjs .gpu` (dawn.node may be xz-compressed to fit), .gpu/node.xz (`xz -c $(which node)`)
# when the machine has no Node, and .gl/*.deb (libvulkan1 and the libglvnd libraries the NVIDIA Vulkan driver loads).
# Writes ${OUT:-.}/torch-cuda.txt and ${OUT:-.}/webgpu-node.txt (the trainer, on the WebGPU engine, then the engine's
# GEMM beside the FMA ceiling, then the reference run projected at mBERT's shape beside PyTorch's; recorded in
# bench/results/).
for f in .gl/*.deb; do dpkg -x $f / ; done; ldconfig
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
N=$(command -v node || true)
if [ -z "$N" ]; then xz -dc .gpu/node.xz > /tmp/node && chmod +x /tmp/node && N=/tmp/node; fi
$N --version
xz -dk .gpu/node_modules/webgpu/dist/linux-x64/dawn.node.xz 2>/dev/null || true
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json; do [ -f $icd ] && export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd && break; done
echo "ICD: $VK_ICD_FILENAMES"; ldd $(ls /usr/local/nvidia/lib*/libGLX_nvidia.so.0 2>/dev/null | head -1) 2>&1 | grep -i "not found"
M='[{"name":"tiny","hidden":32,"layers":2,"heads":4,"intermediate":64,"vocab":1000,"batch":8,"seq":64,"warmup":3,"steps":30},{"name":"mini","hidden":256,"layers":4,"heads":4,"intermediate":1024,"vocab":8000,"batch":8,"seq":64,"warmup":3,"steps":30},{"name":"base","hidden":768,"layers":12,"heads":12,"intermediate":3072,"vocab":119547,"batch":8,"seq":128,"warmup":3,"steps":20}]'
B='[{"name":"base","hidden":768,"layers":12,"heads":12,"intermediate":3072,"vocab":119547,"batch":8,"seq":128,"warmup":3,"steps":10}]'
if [ -z "$SKIP_TORCH" ]; then
  BENCH_DEVICE=cuda BENCH_THREADS=8 python3 bench/torch_reference.py "$M" 2>&1 | tee ${OUT:-.}/torch-cuda.txt
  BENCH_DEVICE=cuda BENCH_THREADS=8 python3 bench/torch_reference.py --reference-run "$B" 2>&1 | tee -a ${OUT:-.}/torch-cuda.txt
fi
(cd .gpu && timeout 300 $N bench.mjs tiny mini base --steps 20 && timeout 60 $N bench.mjs --gemm \
  && timeout 200 $N bench.mjs --reference-run base --window 100 --torch-result "$(realpath ${OUT:-.})/torch-cuda.txt") 2>&1 | tee ${OUT:-.}/webgpu-node.txt
