#!/usr/bin/env bash
# Installs what the build needs (Debian packages; only what is missing), then configures and builds
# Release into build/, leaving the command line at build/emnist. Safe to run again: quiet when there
# is nothing to install, incremental when the build is current.
#
#   tools/setup.sh              build with CUDA when nvcc is found
#   tools/setup.sh --cpu-only   build without CUDA
#   BUILD_DIR=dir tools/setup.sh  build somewhere else
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
cmake_args=()
for arg in "$@"; do
  case "$arg" in
    --cpu-only) cmake_args+=(-DEMNIST_CUDA=OFF) ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (use --cpu-only or --help)" >&2; exit 2 ;;
  esac
done

packages=(
  cmake ninja-build g++ pkg-config
  libspdlog-dev catch2 libcli11-dev libtomlplusplus-dev nlohmann-json3-dev zlib1g-dev
  libdnnl-dev libomp-dev libpng-dev libjpeg-dev libstb-dev libcpp-httplib-dev libssl-dev
  libonnx-dev libprotobuf-dev python3-venv
  dataset-fashion-mnist
  unzip curl ca-certificates
  python3-matplotlib python3-numpy python3-pil chromium chromium-driver python3-selenium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup.sh: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# nvcc lives outside PATH in a default CUDA install.
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi

# ONNX Runtime for the tests of `emnist export` (Debian has none): PyPI, into .venv, which also
# sees Debian's Python packages. Without a network the build goes on; those tests report skipped.
onnxruntime_version=1.32.0
if ! "$root/.venv/bin/python" -c "import onnxruntime" 2>/dev/null; then
  if /usr/bin/python3 -m venv --system-site-packages "$root/.venv" &&
     "$root/.venv/bin/pip" install -q "onnxruntime==$onnxruntime_version"; then
    echo "setup.sh: installed onnxruntime $onnxruntime_version into .venv (for the tests)"
  else
    echo "setup.sh: could not install onnxruntime into .venv (no network?): the ONNX tests will be skipped" >&2
  fi
fi

mkdir -p "$build_dir"
log="$build_dir/setup.log"
if [ ! -f "$build_dir/CMakeCache.txt" ] || ((${#cmake_args[@]})); then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cmake_args[@]}" >"$log" 2>&1 \
    || { cat "$log"; echo "setup.sh: configure failed (log: $log)" >&2; exit 1; }
  grep "emnist:" "$log" || true
fi
if ! cmake --build "$build_dir" -j "$(nproc)" >"$log" 2>&1; then
  grep -E "error|FAILED" "$log" | head -40
  echo "setup.sh: build failed (full log: $log)" >&2
  exit 1
fi
grep -q "no work to do" "$log" || echo "setup.sh: built $build_dir/emnist"
