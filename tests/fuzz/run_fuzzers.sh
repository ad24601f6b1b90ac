#!/bin/bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and runs each for
# SECONDS (default 60), keeping its corpus in build-fuzz/corpus/<target>. Any crash input is
# left as build-fuzz/crash-* and the script fails.
#   apt-get install clang   # once
#   bash tests/fuzz/run_fuzzers.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
command -v clang++ > /dev/null || { echo "clang++ not found: apt-get install clang"; exit 1; }
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DDEEPSVM_FUZZ=ON -DDEEPSVM_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
# FUZZ_TARGETS="fuzz_npy fuzz_folds" runs a subset.
targets=(${FUZZ_TARGETS:-fuzz_pth fuzz_npy fuzz_image fuzz_folds fuzz_stl10 fuzz_experiment})
cmake --build build-fuzz -j2 --target "${targets[@]}"
mkdir -p build-fuzz/corpus
# Seeds: a valid file of each kind, made here (nothing binary is checked in).
seed() { mkdir -p "build-fuzz/corpus/$1"; }
for t in "${targets[@]}"; do seed "$t"; done
printf '\x93NUMPY\x01\x00v\x00{'"'"'descr'"'"': '"'"'<f4'"'"', '"'"'fortran_order'"'"': False, '"'"'shape'"'"': (2, 3), }          \n' \
  > build-fuzz/corpus/fuzz_npy/seed.npy
printf '0 1 2 3\n4 5 6\n' > build-fuzz/corpus/fuzz_folds/seed.txt
# STL-10: 3 train and 2 test images, all four files present, parts split at 0xFF.
printf '\x03\x02\x00\x0fcat\ndog\n\xff\x01\x02\x01\xff\x02\x01\xff0 1\n2\n' > build-fuzz/corpus/fuzz_stl10/seed.bin
printf '{"format": "deepsvm-experiment", "version": 1, "dataset": "/data/stl10", "features": {"backbone": "resnet50"}, "svm": {"C": "0.1,1"}, "runs": [{"id": "run-1", "dir": "/w/run-1"}], "current_run": "run-1"}' \
  > build-fuzz/corpus/fuzz_experiment/seed.json
if /usr/bin/python3 -c "import torch" 2> /dev/null; then
  /usr/bin/python3 -c "import torch; torch.save({'w': torch.ones(2, 3), 'b': torch.zeros(3, dtype=torch.int64)}, 'build-fuzz/corpus/fuzz_pth/seed.pth')"
fi
if command -v convert > /dev/null; then
  convert -size 8x6 xc:red build-fuzz/corpus/fuzz_image/seed.png
  convert -size 8x6 xc:blue build-fuzz/corpus/fuzz_image/seed.jpg
  convert -size 8x6 xc:green build-fuzz/corpus/fuzz_image/seed.bmp
fi
status=0
for t in "${targets[@]}"; do
  echo "== $t ($seconds s)"
  (cd build-fuzz && "./tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
      "corpus/$t" 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done|==[0-9]+==ERROR|SUMMARY)" ) || status=1
  ls build-fuzz/crash-* 2> /dev/null && status=1
done
exit $status
