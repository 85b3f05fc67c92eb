#!/usr/bin/env bash
# v2 (issue 14) on CPU: data, stage A and the SJD2 fine-tune, niced, with checkpoints; re-running resumes.
# Usage: nohup training/cpu_run_v2.sh > training/runs/v2/run.log 2>&1 &
# Budgets (wall seconds of training per stage; the LR schedule decays over them): A_SECONDS, S_SECONDS.
set -o pipefail
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1
OUT=runs/v2
MODEL=d=128,heads=4,ffn=512,enc_layers=2,dec_layers=5
mkdir -p "$OUT"
date -u +"%FT%TZ data"
[ -f data/emoji_v2.npz ] || nice -n 19 python3 data_v2.py > "$OUT/data.log" 2>&1 || exit 1
date -u +"%FT%TZ stage A"
[ -f "$OUT/stageA.npz" ] || nice -n 19 python3 train.py --stage A --data data/emoji_v2.npz --model "$MODEL" \
    --steps 100000 --batch 32 --lr 1e-3 --max-seconds "${A_SECONDS:-4800}" --ckpt-every 300 --resume --eval 0 \
    --out "$OUT/stageA.npz" >> "$OUT/A.log" 2>&1 || exit 1
date -u +"%FT%TZ SJD2 fine-tune"
[ -f "$OUT/stageS.npz" ] || nice -n 19 python3 train.py --stage sjd2 --init "$OUT/stageA.npz" --data data/emoji_v2.npz \
    --steps 100000 --batch 32 --lr 3e-4 --max-seconds "${S_SECONDS:-1500}" --ckpt-every 300 --resume --eval 0 \
    --out "$OUT/stageS.npz" >> "$OUT/S.log" 2>&1 || exit 1
date -u +"%FT%TZ done"
