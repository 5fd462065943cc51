#!/usr/bin/env bash
# The GPU check: one command of at most 9.5 minutes, by its own clock, that runs on a GPU machine
# what no CPU can prove: every CUDA test, compute-sanitizer, and the benchmarks beside PyTorch.
#
# Here (CUDA toolkit, no GPU needed):
#   tools/gpu-bundle.sh                  # gpu-bundle/emnist-gpu.tar.xz: binaries, libraries, .debs
#   tools/gpu-check.sh --rehearse        # unpacks it as the GPU machine will and checks it (< 1 min)
#   tools/gpu-check.sh --plan            # the steps and their time budgets
# On the GPU machine, from a copy of the checkout with gpu-bundle/emnist-gpu.tar.xz in it:
#   OUT=RESULTS_FOLDER tools/gpu-check.sh COMMIT [--bundle ARCHIVE]
# COMMIT names the checkout (the copy may have no .git). RESULTS_FOLDER receives two files, also
# when the run is cut short: gpu-results.md (commit them as tools/gpu-results/DATE-COMMIT.md) and
# gpu-logs.tar.gz. Give the command a limit of 590 s or more; it ends itself by 570 s.
#
# The steps run in the order of the table below (most important first); a step whose budget no
# longer fits before the deadline is skipped, with a line in the results. The carried binaries run
# with the bundle's libraries and the machine's cuBLAS/cuDNN (toolkit or Python wheels); only if
# they cannot start does the script build there (warnings not errors: a newer compiler), taking
# that time from the end of the plan. The PyTorch peer runs with the machine's own environment.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=gpu-libraries.sh
source "$root/tools/gpu-libraries.sh"
SECONDS=0
deadline=570         # seconds from the start: the run's limit is 590 s
reserve=8            # kept for the closing archive
fallback_budget=240  # the build on the GPU machine, only when the carried binaries cannot start
bundle_limit_mib=40

# name | budget (s) | what
plan=(
  "facts|10|GPU, driver, runtime, toolkit, cuBLAS/cuDNN found, tools, glibc, ldd of the binaries"
  "tests-ops|60|cuda_tests: every op against the CPU backend (all but the groups below)"
  "tests-model|40|cuda_tests [model] [graph] [determinism] [readback]: whole steps, captured graphs"
  "tests-feeder|20|cuda_tests [feeder]: resident and pinned feeders against the CPU, bit for bit"
  "tests-cli|30|cuda_tests [train] [resume]: training runs through the CLI, resume bit-identical"
  "memcheck|60|compute-sanitizer memcheck over cuda_tests [sanitize]"
  "bench-mlp-fp32|25|emnist bench beside the PyTorch peer (eager): MLP, strict fp32"
  "bench-cnn-fp32|25|emnist bench beside the PyTorch peer (eager): CNN, strict fp32"
  "bench-mlp-tf32|25|emnist bench beside the PyTorch peer (eager): MLP, TF32"
  "bench-cnn-tf32|25|emnist bench beside the PyTorch peer (eager): CNN, TF32"
  "bench-resnet-tf32|25|emnist bench beside the PyTorch peer (eager, channels_last): ResNet, TF32"
  "feeder-mlp|10|emnist bench --feeder pinned, MLP (resident: bench-mlp-fp32)"
  "feeder-cnn|10|emnist bench --feeder pinned, CNN (resident: bench-cnn-fp32)"
  "racecheck|25|compute-sanitizer racecheck over [sanitize]"
  "synccheck|25|compute-sanitizer synccheck over [sanitize]"
  "initcheck|25|compute-sanitizer initcheck over [sanitize]"
  "compile-mlp|40|PyTorch peer under torch.compile (reduce-overhead), MLP fp32"
  "compile-cnn|40|PyTorch peer under torch.compile (reduce-overhead), CNN fp32"
  "ncu|40|ncu --clock-control none over bench --profile: a per-kernel summary of one CNN step"
)

usage() { sed -n '2,19p' "$0"; }

print_plan() {
  local row name budget what total=0
  echo "| step | budget | what |"
  echo "|---|---:|---|"
  for row in "${plan[@]}"; do
    IFS='|' read -r name budget what <<<"$row"
    echo "| $name | ${budget} s | $what |"
    total=$((total + budget))
  done
  echo
  echo "Budgets: $total s of a $((deadline - reserve)) s deadline ($reserve s kept for the archive)." \
    "Only if the carried binaries cannot start: a build there ($fallback_budget s), taken from the end."
  plan_total=$total
}

# ---- the machine's cuBLAS and cuDNN: the toolkit's, else the Python wheels' -----------------------
# The wheels are namespace packages (no __init__.py, __file__ is None): their folders come from
# __path__.
machine_library_dirs() {
  local dirs=() d lib
  local wheel_dirs
  wheel_dirs=$(python3 - 2>/dev/null <<'EOF'
import importlib
for name in ("nvidia", "nvidia.cudnn", "nvidia.cublas", "nvidia.cu13"):
    try:
        module = importlib.import_module(name)
    except Exception:
        continue
    for path in getattr(module, "__path__", []):
        print(path)
EOF
  )
  for lib in libcublas.so.13 libcublasLt.so.13 libcudnn.so.9; do
    local found=""
    [ -n "$wheel_dirs" ] && found=$(find $wheel_dirs -maxdepth 3 -name "$lib" -printf '%h\n' 2>/dev/null | sort -u)
    for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda/lib $found; do
      if [ -e "$d/$lib" ]; then
        [[ " ${dirs[*]} " == *" $d "* ]] || dirs+=("$d")
        break
      fi
    done
  done
  local IFS=:
  echo "${dirs[*]}"
}

unpack_bundle() {  # archive, destination
  mkdir -p "$2" && tar -C "$2" -xf "$1" && [ -x "$2/emnist-gpu/bin/emnist" ]
}

# Every library of every carried binary resolved from the bundle, the machine's CUDA libraries or
# the C/C++ runtime; prints one line per library, returns non-zero on any other.
check_libraries() {  # bundle folder, machine library path
  local bundle=$1 machine=$2 binary name path bad=0 where
  for binary in "$bundle"/bin/*; do
    while read -r name path; do
      if [ "$path" = not-found ]; then
        where="NOT FOUND"; bad=1
      elif [[ $path == "$bundle/lib/"* ]]; then
        where="bundle"
      elif [[ $name =~ $gpu_machine_library_re ]]; then
        where="machine ($path)"
      elif [[ $name =~ $gpu_runtime_library_re ]]; then
        where="C/C++ runtime ($path)"
      else
        where="OUTSIDE THE BUNDLE ($path): the GPU machine does not have it"; bad=1
      fi
      echo "  $(basename "$binary"): $name: $where"
    done < <(gpu_resolved_libraries "$binary" "$bundle/lib${machine:+:$machine}")
  done
  return $bad
}

# Starts each binary: emnist --version must succeed, cuda_tests must run its main (0 with a GPU,
# 77 without).
check_start() {  # bin folder, library path
  local bin=$1 path=$2 rc
  LD_LIBRARY_PATH=$path "$bin/emnist" --version >/dev/null 2>&1 || { echo "  emnist --version failed"; return 1; }
  LD_LIBRARY_PATH=$path "$bin/cuda_tests" --help >/dev/null 2>&1
  rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then echo "  cuda_tests exited $rc"; return 1; fi
  echo "  emnist --version: $(LD_LIBRARY_PATH=$path "$bin/emnist" --version); cuda_tests: exit $rc"
}

bundle=$root/gpu-bundle/emnist-gpu.tar.xz
mode=check
commit=""
while (($#)); do
  case "$1" in
    --rehearse) mode=rehearse; shift ;;
    --plan) mode=plan; shift ;;
    --bundle) bundle=$(realpath -m "${2:?--bundle needs an archive}"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "gpu-check.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) commit=$1; shift ;;
  esac
done

if [ "$mode" = plan ]; then
  print_plan
  exit 0
fi

if [ "$mode" = rehearse ]; then
  # As the GPU machine will: unpack into a scratch folder, resolve, start, size, plan.
  failed=0
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  echo "rehearsal: $bundle"
  [ -f "$bundle" ] || { echo "rehearsal FAILED: no archive (run tools/gpu-bundle.sh)"; exit 1; }
  size=$(stat -c %s "$bundle")
  if ((size > bundle_limit_mib * 1048576)); then
    echo "rehearsal: the archive is $((size / 1048576)) MiB, over $bundle_limit_mib MiB"; failed=1
  else
    echo "rehearsal: archive $((size / 1048576)) MiB (limit $bundle_limit_mib MiB)"
  fi
  unpack_bundle "$bundle" "$scratch" || { echo "rehearsal FAILED: the archive does not unpack to emnist-gpu/bin/emnist"; exit 1; }
  sed -n '2,3p' "$scratch/emnist-gpu/MANIFEST" | sed 's/^/rehearsal: bundle /'
  machine=$(machine_library_dirs)
  echo "rehearsal: cuBLAS/cuDNN from ${machine:-nowhere}"
  echo "rehearsal: libraries"
  check_libraries "$scratch/emnist-gpu" "$machine" || failed=1
  echo "rehearsal: starting the binaries"
  check_start "$scratch/emnist-gpu/bin" "$scratch/emnist-gpu/lib${machine:+:$machine}" || failed=1
  ls "$scratch/emnist-gpu/debs/"*.deb >/dev/null 2>&1 || { echo "rehearsal: no .deb files for a fallback build"; failed=1; }
  echo "rehearsal: the plan"
  print_plan
  if ((plan_total > deadline - reserve)); then
    echo "rehearsal: the budgets add up to $plan_total s, over $((deadline - reserve)) s"; failed=1
  fi
  if [ $failed -ne 0 ]; then echo "rehearsal FAILED"; exit 1; fi
  echo "rehearsal passed ($SECONDS s)"
  exit 0
fi

# ---- the check itself, on the GPU machine --------------------------------------------------------
[ -n "$commit" ] || { echo "gpu-check.sh: give the checkout's commit (usage below)" >&2; usage >&2; exit 2; }
out=${OUT:-$root/gpu-out}
export PYTHONUNBUFFERED=1  # a peer stopped at its limit still leaves what it printed
for d in /usr/local/cuda/bin /opt/nvidia/nsight-compute/*/ /usr/local/cuda/nsight-compute*/; do
  [ -d "$d" ] && PATH=$PATH:${d%/}  # nvcc, compute-sanitizer, ncu
done
export PATH
work=/tmp/emnist-gpu-check
logs=$work/logs
rm -rf "$work"
mkdir -p "$out" "$logs"
results=$out/gpu-results.md
failed=0

say() { echo "$*" | tee -a "$results"; }
archive_logs() { tar -C "$work" -czf "$out/gpu-logs.tar.gz" logs 2>/dev/null; }
finish() {
  say ""
  say "Ended after $SECONDS s; $([ $failed -eq 0 ] && echo "every step that ran passed" || echo "some steps FAILED")."
  archive_logs
}
trap finish EXIT

{
  echo "# GPU check: commit $commit, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Produced by \`tools/gpu-check.sh $commit\`; logs in gpu-logs.tar.gz. Ratios are single pairs"
  echo "(one emnist run beside one PyTorch run, same machine, same command), not medians."
  echo
  echo "## Plan"
  echo
} >"$results"
print_plan >>"$results"
echo >>"$results"
echo "## Results" >>"$results"

# The binaries: unpacked from the bundle; the library path for them alone (never exported, so the
# PyTorch peer loads its own cuDNN).
machine=$(machine_library_dirs)
bin=$work/emnist-gpu/bin
ours_path=$work/emnist-gpu/lib${machine:+:$machine}
built_here=0
ours() { LD_LIBRARY_PATH=$ours_path EMNIST_CLI=$bin/emnist EMNIST_PYTHON=/bin/false \
  EMNIST_PLOT_SCRIPT=$root/share/emnist/plot_run.py "$@"; }

# Runs one command into a log with a time limit; 0 or its exit code (124: the limit).
logged() {  # log name, limit, command...
  local log=$logs/$1.log limit=$2
  shift 2
  echo "\$ $*" >>"$log"
  timeout --kill-after=5 "$limit" "$@" >>"$log" 2>&1
}
rate() { grep -m1 "training samples/s" "$1" 2>/dev/null | awk '{print $3}'; }
# "ratio LABEL: A/Bx" from the samples/s of two runs' logs (nothing when either has none).
ratio_line() {  # label, numerator log, denominator log
  local a b
  a=$(rate "$2")
  b=$(rate "$3")
  if [ -n "$a" ] && [ -n "$b" ]; then
    echo "    ratio $1: $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')x"
  fi
}
figures() {  # log, prefix: the lines of a bench or peer run worth keeping
  grep -hE "^bench:|^peer:|samples/s|time per step|epoch time|peak engine|cuda graphs" "$1" | sed "s/^/    $2: /"
}

fallback_build() {
  local prefix=$work/deps build=$work/build deb multiarch
  multiarch=$prefix/usr/lib/x86_64-linux-gnu
  mkdir -p "$prefix"
  for deb in "$work"/emnist-gpu/debs/*.deb; do dpkg -x "$deb" "$prefix" || return 1; done
  # cuDNN's headers beside its library (toolkit or wheel), should CMake not find them itself.
  local cudnn_args=() d
  for d in ${machine//:/ }; do
    if [ -e "$d/libcudnn.so.9" ] && [ -f "$d/../include/cudnn.h" ]; then
      cudnn_args=(-DCUDNN_INCLUDE_DIR="$(realpath "$d/../include")" -DCUDNN_LIBRARY="$d/libcudnn.so.9")
    fi
  done
  logged fallback-build 100 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cudnn_args[@]}" \
    -DEMNIST_WERROR=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$prefix/usr" \
    -DDNNL_LIBRARY="$multiarch/libdnnl.so" -DDNNL_INCLUDE_DIR="$prefix/usr/include" \
    -DZLIB_INCLUDE_DIR="$prefix/usr/include" -DZLIB_LIBRARY="$multiarch/libz.a" || return 1
  logged fallback-build $((fallback_budget - 30)) cmake --build "$build" -j "$(nproc)" \
    --target emnist cuda_tests || return 1
  bin=$build
  ours_path=$multiarch${machine:+:$machine}
  built_here=1
}

cuda_tests_group() {  # log name, limit, test spec
  ours logged "$1" "$2" "$bin/cuda_tests" --durations yes "$3"
  local rc=$?
  {
    grep -E "^(All tests passed|test cases:)|assertions" "$logs/$1.log" | tail -2 | sed 's/^/    /'
    # Per test case: Catch's "--durations yes" lines, "0.123 s: name".
    grep -E "^[0-9]+\.[0-9]+ s: " "$logs/$1.log" | sed 's/^/    /'
    grep -E -B2 -A12 "FAILED:|^-{5,}$" "$logs/$1.log" | grep -v "^--$" | head -60 | sed 's/^/    /'
  } >>"$results"
  return $rc
}

sanitizer() {  # tool, limit
  ours logged "$1" "$2" compute-sanitizer --tool "$1" --error-exitcode 9 "$bin/cuda_tests" "[sanitize]"
  local rc=$?
  grep -E "ERROR SUMMARY|Device not supported|not supported|test cases:|All tests passed" "$logs/$1.log" |
    tail -4 | sed 's/^/    /' >>"$results"
  return $rc
}

bench_pair() {  # step name, model, precision
  local name=$1 model=$2 precision=$3 rc=0 peer_options=()
  ours logged "$name-emnist" 12 "$bin/emnist" bench --device cuda --model "$model" \
    --precision "$precision" --steps 300 || rc=$?
  [ "$precision" = tf32 ] && peer_options+=(--tf32)
  # The peer at its best setting for the network, as tools/cpu_speed.py gives it on the CPU.
  [ "$model" = resnet ] && peer_options+=(--channels-last)
  logged "$name-pytorch" 13 python3 "$root/tools/torch_peer.py" --device cuda --model "$model" \
    --steps 300 "${peer_options[@]}" || rc=$?
  {
    figures "$logs/$name-emnist.log" emnist
    figures "$logs/$name-pytorch.log" "pytorch eager"
    ratio_line "emnist / pytorch eager ($model, $precision, one pair)" "$logs/$name-emnist.log" \
      "$logs/$name-pytorch.log"
  } >>"$results"
  return $rc
}

run_step() {  # name, budget
  local name=$1 budget=$2
  case "$name" in
    facts)
      {
        echo "- commit: $commit; bundle: $(sed -n 2,3p "$work/emnist-gpu/MANIFEST" 2>/dev/null | paste -sd ';' -)"
        echo "- GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader 2>&1 | head -1)"
        echo "- CUDA (driver): $(nvidia-smi 2>/dev/null | grep -o 'CUDA Version: [0-9.]*' | head -1)"
        echo "- host: $(uname -srm); $(nproc) cores; $(ldd --version 2>&1 | head -1)"
        echo "- nvcc: $(nvcc --version 2>&1 | tail -1); cmake: $(cmake --version 2>&1 | head -1)"
        echo "- cuBLAS/cuDNN for emnist from: ${machine:-NOT FOUND}"
        echo "- python: $(python3 -c 'import sys, torch; print(sys.version.split()[0], "torch", torch.__version__, "cuDNN", torch.backends.cudnn.version())' 2>&1 | tail -1)"
        echo "- compute-sanitizer: $(compute-sanitizer --version 2>&1 | grep -i version | head -1)"
        echo "- ncu: $(ncu --version 2>&1 | tail -1)"
        echo "- binaries: $([ $built_here = 1 ] && echo "built here (the carried ones could not start)" || echo "carried from the bundle")"
        echo "- emnist info:"
        ours "$bin/emnist" info 2>&1 | sed 's/^/    /'
        echo "- libraries:"
        check_libraries "$work/emnist-gpu" "$machine" 2>&1 | sed 's/^/  /'
      } >>"$results"
      ;;
    tests-ops) cuda_tests_group "$name" "$budget" "~[model]~[graph]~[determinism]~[readback]~[feeder]~[train]~[resume]" ;;
    tests-model) cuda_tests_group "$name" "$budget" "[model],[graph],[determinism],[readback]" ;;
    tests-feeder) cuda_tests_group "$name" "$budget" "[feeder]" ;;
    tests-cli) cuda_tests_group "$name" "$budget" "[train],[resume]" ;;
    memcheck | racecheck | synccheck | initcheck) sanitizer "$name" "$budget" ;;
    bench-*) IFS=- read -r _ model precision <<<"$name"; bench_pair "$name" "$model" "$precision" ;;
    feeder-*)
      local model=${name#feeder-} rc
      ours logged "$name" "$budget" "$bin/emnist" bench --device cuda --model "$model" --feeder pinned --steps 300
      rc=$?
      {
        figures "$logs/$name.log" "emnist pinned"
        ratio_line "resident / pinned feeder ($model, fp32, one pair)" \
          "$logs/bench-$model-fp32-emnist.log" "$logs/$name.log"
      } >>"$results"
      return $rc
      ;;
    compile-*)
      local model=${name#compile-} rc
      logged "$name" "$budget" python3 "$root/tools/torch_peer.py" --device cuda --model "$model" --steps 300 --compile
      rc=$?
      {
        figures "$logs/$name.log" "pytorch compiled"
        ratio_line "emnist / pytorch compiled ($model, fp32, one pair; emnist from bench-$model-fp32)" \
          "$logs/bench-$model-fp32-emnist.log" "$logs/$name.log"
      } >>"$results"
      return $rc
      ;;
    ncu)
      # The profiler window of bench --profile holds the timed step only; 40 kernels bound the time.
      ours logged ncu "$budget" ncu --clock-control none --profile-from-start off --launch-count 40 \
        --print-summary per-kernel "$bin/emnist" bench --device cuda --model cnn --steps 1 --profile
      local rc=$?
      {
        grep -E "==ERR==|==WARNING==|LibraryNotLoaded|ERR_NVGPUCTRPERM" "$logs/ncu.log" | head -5
        grep -E "^  [A-Za-z_].*\(" "$logs/ncu.log" | head -40
      } | sed 's/^/    /' >>"$results"
      return $rc
      ;;
    *) echo "    unknown step" >>"$results"; return 2 ;;
  esac
}

# ---- the binaries ----------------------------------------------------------------------------------
if ! unpack_bundle "$bundle" "$work"; then
  say "- bundle: FAILED to unpack $bundle (build it with tools/gpu-bundle.sh and copy it with the checkout)"
  failed=1
  exit 1
fi
if ! check_start "$bin" "$ours_path" >"$logs/start.log" 2>&1; then
  say "- the carried binaries could not start ($(tr '\n' ' ' <"$logs/start.log")); building here"
  start=$SECONDS
  if fallback_build; then
    say "- fallback build: done in $((SECONDS - start)) s"
  else
    failed=1
    say "- fallback build: FAILED after $((SECONDS - start)) s; last lines:"
    tail -n 20 "$logs/fallback-build.log" | sed 's/^/    /' >>"$results"
    exit 1
  fi
fi

for row in "${plan[@]}"; do
  IFS='|' read -r name budget _ <<<"$row"
  left=$((deadline - reserve - SECONDS))
  if ((budget > left)); then
    say ""
    say "### $name: skipped (budget $budget s, $left s left)"
    continue
  fi
  echo "" >>"$results"
  echo "### $name" >>"$results"
  start=$SECONDS
  run_step "$name" "$budget"
  rc=$?
  if [ $rc -eq 0 ]; then
    verdict="passed"
  elif [ $rc -eq 77 ]; then
    verdict="SKIPPED by cuda_tests (no GPU visible)"; failed=1
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    verdict="TIMED OUT at its budget"; failed=1
  else
    verdict="FAILED (exit $rc)"; failed=1
  fi
  if [ $rc -ne 0 ]; then
    for log in "$logs/$name".log "$logs/$name"-*.log; do
      [ -f "$log" ] || continue
      echo "    last lines of $(basename "$log"):" >>"$results"
      tail -n 12 "$log" | cut -c1-300 | sed 's/^/      /' >>"$results"
    done
  fi
  say "- $name: $verdict in $((SECONDS - start)) s (budget $budget s)"
  archive_logs
done
