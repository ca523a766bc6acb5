#!/usr/bin/env bash
# The short GPU check run whenever a CUDA machine is at hand: the CUDA tests,
# the whole suite with device='auto' (so CUDA), and the GPU benchmark.
# Usage: bash benchmarks/gpu_check.sh [OUTDIR]
set -u
OUT=${1:-${OUT:-benchmarks/results}}
mkdir -p "$OUT"
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 MPLBACKEND=Agg
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch, sklearn, numpy; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'sklearn', sklearn.__version__, 'numpy', numpy.__version__)"
echo "== CUDA-specific tests"
timeout 120 python3 -m pytest tests/test_device.py tests/test_precision.py tests/test_engine.py \
  tests/test_memory.py tests/test_host_reads.py tests/test_input_layers.py \
  tests/test_embeddings.py -q -rs -p no:cacheprovider -o addopts="" 2>&1 | tail -25
echo "== GPU benchmark (50k x 100, batch 256, and digits batch 32)"
timeout 170 python3 benchmarks/bench_mlp.py --device cuda --reps 2 --epochs 3 \
  --only sknn,sklearn,torch-fused,sknn-cuda,torch-cuda,torch-fused-cuda,clf-b256,digits-b32 \
  --out "$OUT/bench_gpu.json" 2>&1 | tail -30
echo "== whole suite, device='auto' picks CUDA"
timeout 110 python3 -m pytest tests -q -p no:cacheprovider -o addopts="" \
  --ignore=tests/test_dask.py --deselect tests/test_memory.py 2>&1 | tail -25
