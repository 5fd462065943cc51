#!/usr/bin/env bash
# Everything that needs a GPU, for the lent GPU machine (shared/GPU.md): build, the whole test suite
# (CUDA tests included), compute-sanitizer over the tests tagged [sanitize], and the benchmarks
# against PyTorch. Each stage stays well under 10 minutes and appends to one Markdown results file.
#
# Before a lease, here:
#   tools/gpu-bundle.sh                                   # our Debian dependencies, as .deb files
#   mkdir -p gpu-data/data && cp -r ../shared/data/emnist gpu-data/data/   # real data (34 MB)
# On the GPU machine (the device tool; carry gpu-bundle and gpu-data):
#   bash tools/gpu-check.sh COMMIT build test            # one call
#   bash tools/gpu-check.sh COMMIT build sanitize bench  # another (the machine may be fresh)
# The copy there may have no .git, hence COMMIT as an argument. Results go to $OUT/gpu-results.md
# (OUT defaults to gpu-out/), logs beside it; commit the results file under tools/gpu-results/.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
commit=${1:?usage: tools/gpu-check.sh COMMIT [build] [test] [sanitize] [bench]}
shift
stages=("$@")
((${#stages[@]})) || stages=(build test sanitize bench)
out=${OUT:-$root/gpu-out}
mkdir -p "$out"
results=$out/gpu-results.md
build=$root/build-gpu
prefix=/tmp/emnist-deps
jobs=$(nproc)
failed=0

say() { echo "$*" | tee -a "$results"; }
section() { printf '\n## %s (%s)\n\n' "$1" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" | tee -a "$results"; }
# Runs a command with a time limit, logging it; appends a result line. Never stops the script.
step() {
  local name=$1 limit=$2
  shift 2
  local log=$out/$name.log start=$SECONDS rc
  timeout "$limit" "$@" >"$log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    say "- $name: passed ($((SECONDS - start)) s)"
  else
    failed=1
    say "- $name: FAILED with exit code $rc ($((SECONDS - start)) s); last lines:"
    tail -n 15 "$log" | sed 's/^/    /' | tee -a "$results"
  fi
  return $rc
}

if [ ! -f "$results" ]; then
  {
    echo "# GPU check"
    echo
    echo "- commit: $commit"
    echo "- date: $(date -u '+%Y-%m-%d')"
    echo "- GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -1)"
    echo "- nvcc: $(nvcc --version 2>&1 | tail -1)"
    echo "- cmake: $(cmake --version | head -1)"
    echo "- python: $(python3 -c 'import sys, torch; print(sys.version.split()[0], "torch", torch.__version__)' 2>&1 | tail -1)"
  } | tee "$results"
fi

# ---- our Debian dependencies, unpacked into a private prefix (never into /) --------------------------
if [ ! -d "$prefix/usr" ]; then
  ls gpu-bundle/*.deb >/dev/null 2>&1 || { say "- setup: FAILED: gpu-bundle/ is missing (run tools/gpu-bundle.sh here and carry gpu-bundle)"; exit 1; }
  mkdir -p "$prefix"
  for deb in gpu-bundle/*.deb; do dpkg -x "$deb" "$prefix"; done
fi
multiarch=$prefix/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH="$multiarch:$multiarch/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH=/usr/local/cuda/bin:$PATH

# ---- cuDNN: the toolkit's, else the one inside the Python packages ------------------------------------
cudnn_root=""
for candidate in /usr/local/cuda /usr/local/cuda/targets/x86_64-linux /usr \
  "$(python3 -c 'import nvidia.cudnn, os; print(os.path.dirname(nvidia.cudnn.__file__))' 2>/dev/null)"; do
  if [ -n "$candidate" ] && [ -f "$candidate/include/cudnn.h" ]; then cudnn_root=$candidate; break; fi
done
cudnn_lib=""
if [ -n "$cudnn_root" ]; then
  cudnn_lib=$(find "$cudnn_root" -maxdepth 3 \( -name 'libcudnn.so' -o -name 'libcudnn.so.9' \) 2>/dev/null | head -1)
  export LD_LIBRARY_PATH="$(dirname "$cudnn_lib"):$LD_LIBRARY_PATH"
fi

for stage in "${stages[@]}"; do
  case "$stage" in
    build)
      section "build"
      say "- cuDNN: ${cudnn_lib:-not found}"
      step configure 300 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$prefix/usr" \
        -DOPENBLAS_LIBRARY="$multiarch/openblas-pthread/libopenblas.so" \
        -DOPENBLAS_INCLUDE_DIR="$prefix/usr/include/x86_64-linux-gnu/openblas-pthread" \
        -DZLIB_INCLUDE_DIR="$prefix/usr/include" -DZLIB_LIBRARY="$multiarch/libz.a" \
        ${cudnn_root:+-DCUDNN_INCLUDE_DIR="$cudnn_root/include"} \
        ${cudnn_lib:+-DCUDNN_LIBRARY="$cudnn_lib"} \
        -DEMNIST_SHARED="$root/gpu-data" &&
        step compile 540 cmake --build "$build" -j "$jobs" &&
        "$build/emnist" info | sed 's/^/    /' | tee -a "$results"
      ;;
    test)
      section "tests (ctest, whole suite)"
      step ctest 540 ctest --test-dir "$build" -j "$jobs" --output-on-failure --timeout 300
      grep -E "tests passed|tests failed|Skipped|\*\*\*" "$out/ctest.log" | tail -n 12 | sed 's/^/    /' | tee -a "$results"
      step cuda_tests 300 "$build/cuda_tests" --durations yes
      grep -E "test cases|assertions" "$out/cuda_tests.log" | sed 's/^/    /' | tee -a "$results"
      ;;
    sanitize)
      section "compute-sanitizer over [sanitize]"
      for tool in memcheck racecheck initcheck synccheck; do
        step "sanitize-$tool" 300 compute-sanitizer --tool "$tool" --error-exitcode 9 \
          "$build/cuda_tests" "[sanitize]"
      done
      ;;
    bench)
      section "benchmarks (batch 128, Adam, data on the device; ours beside PyTorch in one run)"
      rate() { grep -m1 "training samples/s" "$1" 2>/dev/null | awk '{print $3}'; }
      for model in mlp cnn; do
        for precision in fp32 tf32; do
          step "bench-emnist-$model-$precision" 300 "$build/emnist" bench --device cuda \
            --model "$model" --precision "$precision" --steps 300
          grep -E "samples/s|per step|epoch time|peak engine" "$out/bench-emnist-$model-$precision.log" |
            sed "s/^/    emnist $model $precision: /" | tee -a "$results"
          ours=$(rate "$out/bench-emnist-$model-$precision.log")
          tf32=""
          [ "$precision" = tf32 ] && tf32=--tf32
          for mode in eager compile; do
            compile=""
            [ "$mode" = compile ] && compile=--compile
            log="bench-torch-$model-$precision-$mode"
            step "$log" 300 python3 tools/torch_peer.py --device cuda --model "$model" --steps 300 \
              $tf32 $compile
            grep -E "samples/s|per step" "$out/$log.log" |
              sed "s/^/    pytorch $model $precision $mode: /" | tee -a "$results"
            peer=$(rate "$out/$log.log")
            if [ -n "$ours" ] && [ -n "$peer" ]; then
              say "    ratio emnist / pytorch $mode ($model, $precision): $(awk -v a="$ours" -v b="$peer" 'BEGIN { printf "%.2f", a / b }')x"
            fi
          done
        done
      done
      # train.feeder's default on a GPU is chosen by this: the resident feeder (split on the
      # device) beside the pinned one (loader thread, page-locked ring, copy stream), same run.
      for model in mlp cnn; do
        for feeder in resident pinned; do
          step "bench-feeder-$model-$feeder" 300 "$build/emnist" bench --device cuda \
            --model "$model" --feeder "$feeder" --steps 300
          grep -E "samples/s" "$out/bench-feeder-$model-$feeder.log" |
            sed "s/^/    emnist $model feeder $feeder: /" | tee -a "$results"
        done
        resident=$(rate "$out/bench-feeder-$model-resident.log")
        pinned=$(rate "$out/bench-feeder-$model-pinned.log")
        if [ -n "$resident" ] && [ -n "$pinned" ]; then
          say "    ratio resident / pinned feeder ($model): $(awk -v a="$resident" -v b="$pinned" 'BEGIN { printf "%.2f", a / b }')x"
        fi
      done
      # The profiler window of `emnist bench --profile` (shared/GPU.md: ncu works there, nsys not).
      if command -v ncu >/dev/null; then
        step ncu-cnn 300 ncu --profile-from-start off --launch-count 300 --force-overwrite \
          --export "$out/ncu-cnn" "$build/emnist" bench --device cuda --model cnn --steps 3 --profile
      else
        say "- ncu: not found, --profile not checked"
      fi
      ;;
    *) say "- unknown stage '$stage' (build, test, sanitize, bench)"; failed=1 ;;
  esac
done
exit $failed
