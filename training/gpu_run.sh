#!/usr/bin/env bash
# Stage A and the SJD2 fine-tune on an accelerator (the shipped run used one H100; see README.md).
# Usage: OUT=dir training/gpu_run.sh   (reads training/data/emoji.npz)
set -o pipefail
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1
python3 -c "import jax; print(jax.__version__, jax.devices())"
python3 train.py --stage A --steps 8000 --batch 128 --lr 1e-3 --eval 520 --max-seconds 200 \
    --out "$OUT/stageA.npz" 2>&1 | tee "$OUT/A.log" || exit 1
python3 train.py --stage sjd2 --init "$OUT/stageA.npz" --steps 5000 --batch 128 --lr 3e-4 --eval 520 \
    --max-seconds 150 --out "$OUT/stageS.npz" 2>&1 | tee "$OUT/S.log"
