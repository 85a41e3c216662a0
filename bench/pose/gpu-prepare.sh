#!/usr/bin/env bash
# The pose network's part of bench/gpu-prepare.sh: builds the engine's GPU
# checks in BUILD (a CUDA build) and packs what the device needs into CARRY:
#   CARRY/gpu/bin/    nn_bench, nn_run, test_nn_ops_gpu, test_nn_gpu
#   CARRY/gpu/lib/    libgomp (the OpenMP runtime of the CPU reference; CUDA images may lack it)
#   CARRY/pose/       the two networks (.dnm, gzipped: 11 MB instead of 25) and one
#                     real-image input per network (.npy)
#
#   bench/pose/gpu-prepare.sh BUILD CARRY
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1 carry=$2
cmake --build "$build" -j"$(nproc)" --target nn_bench nn_run test_nn_ops_gpu test_nn_gpu >/dev/null
mkdir -p "$carry/gpu/bin" "$carry/gpu/lib" "$carry/pose"
for t in bench/pose/nn_bench tests/pose/nn_run tests/pose/test_nn_ops_gpu tests/pose/test_nn_gpu; do
    cp "$build/$t" "$carry/gpu/bin/"
done
cp -L "$(ldconfig -p | awk '/libgomp.so.1 / {print $NF; exit}')" "$carry/gpu/lib/"
paths=$(models/fetch.sh)
for m in $paths; do
    gzip -c "$m" >"$carry/pose/$(basename "$m").gz"
done
py=${DANCER_PYTHON:-${DANCER_CACHE:-$HOME/.cache/dancer}/venv/bin/python}
"$py" - "$carry/pose" <<'PY'
import os, sys
sys.path.insert(0, "tests/pose"); sys.path.insert(0, "models")
import numpy as np
import test_nn_parity as p
for net, (side, (lo, hi), filters) in p.NETS.items():
    img = os.path.join(p.IMAGES, "messi5.jpg")
    x = p.image(img, filters[0], side, lo, hi) if os.path.exists(img) else p.inputs(net)[:1]
    np.save(os.path.join(sys.argv[1], net + ".npy"), x.astype(np.float32))
PY
du -sh "$carry/pose"
