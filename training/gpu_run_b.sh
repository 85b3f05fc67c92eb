#!/usr/bin/env bash
# Stage B (fused model) on an accelerator, from the SJD2 checkpoint and the engine's SmolLM2 features.
# Usage: OUT=dir training/gpu_run_b.sh   (reads training/runs/stageS.npz, training/data/{emoji,features}.npz)
set -o pipefail
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1
python3 train.py --stage B --init runs/stageS.npz --features data/features.npz --steps 5000 --batch 128 \
    --lr 3e-4 --eval 520 --max-seconds 150 --out "$OUT/stageB.npz" 2>&1 | tee "$OUT/B.log"
