#!/bin/bash
# Launch every config of configs.jsonl as its own process; stop all at DEADLINE seconds.
cd "$(dirname "$0")"; DEADLINE=${DEADLINE:-500}; RES=${OUT:-/tmp}/results.jsonl
nvidia-smi --query-gpu=name,memory.used --format=csv 2>&1 | tail -1
pids=()
while IFS= read -r line; do [ -z "$line" ] && continue
  PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 python3 search.py "$line" "$RES" 2>>${OUT:-/tmp}/errors.log & pids+=($!)
done < configs.jsonl
( sleep $DEADLINE; kill ${pids[@]} 2>/dev/null ) & killer=$!
for p in ${pids[@]}; do wait $p; done; kill $killer 2>/dev/null
python3 - "$RES" <<'PY'
import json, sys
last = {}
for l in open(sys.argv[1]):
    r = json.loads(l); last[r['name']] = r
for n, r in sorted(last.items()):
    print(f"{n:10s} ep {r['epoch']:3d}/{r['epochs']} params {r['params']:8d} train {r['trainAcc']:.3f} acc {r['acc']:.4f} best {r['best']:.4f} flip {r['acc_flip']:.4f} ten {r['acc_tencrop']:.4f} {r['sec']}s")
PY
