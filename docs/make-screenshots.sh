#!/bin/bash
# Makes docs/screenshots/*.png: the real window, driven through the whole workflow on the
# offline demo set (demo -> features -> grid search -> evaluation -> classify -> runs), under
# a virtual X server. Needs a build (see the README) and xvfb (installed by the test setup).
#   bash docs/make-screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
samples=()
if [ -d ../shared/data/cifar10-sample ]; then
  samples=(--samples ../shared/data/cifar10-sample)
fi
mkdir -p docs/screenshots
xvfb-run -a -s "-screen 0 1280x900x24" ./build/app/deepsvm --screenshot-tour docs/screenshots "${samples[@]}"
