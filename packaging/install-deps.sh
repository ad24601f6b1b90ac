#!/usr/bin/env bash
# Installs DeepSVM Studio's build (and, with --tests, test) dependencies from Debian's archive.
# Idempotent: only packages that are missing are installed; apt-get update runs only then.
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev libdnnl-dev
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libgl-dev qt6-svg-dev
  libopencv-dev libsvm-dev libsvm-tools liblinear-dev libarchive-dev libblas-dev liblapack-dev libopenblas0-pthread qt6-qpa-plugins
)
test_pkgs=(
  python3-torch python3-torchvision python3-sklearn python3-numpy
  xvfb xauth desktop-file-utils appstream file
)

want=("${build_pkgs[@]}")
if [[ "${1:-}" == "--tests" ]]; then
  want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#want[@]} packages already installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
