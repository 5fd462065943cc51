#!/usr/bin/env bash
# Builds here what the GPU test machine runs, as one compressed archive: emnist and cuda_tests
# (Release, sm_90), the Debian shared libraries they load (not the driver, cuBLAS, cuBLASLt or
# cuDNN: that machine has its own; see tools/gpu-libraries.sh), and the Debian packages that a
# fallback build there needs should the carried binaries not start.
#
#   tools/gpu-bundle.sh [--build-dir DIR]     DIR: default build-bundle/ (CI passes its build/)
#
# Writes gpu-bundle/emnist-gpu.tar.xz (git-ignored, at most 40 MiB). Then, here,
# `tools/gpu-check.sh --rehearse` unpacks it as the GPU machine will and checks it; there, with the
# checkout and that archive copied over, `tools/gpu-check.sh COMMIT` runs the check (its header).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=gpu-libraries.sh
source "$root/tools/gpu-libraries.sh"
build=$root/build-bundle
while (($#)); do
  case "$1" in
    --build-dir) build=$(realpath -m "${2:?--build-dir needs a folder}"); shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "gpu-bundle.sh: unknown option '$1' (use --build-dir DIR or --help)" >&2; exit 2 ;;
  esac
done
limit_mib=40
dest=$root/gpu-bundle
archive=$dest/emnist-gpu.tar.xz
export PATH=/usr/local/cuda/bin:$PATH
command -v nvcc >/dev/null || { echo "gpu-bundle.sh: nvcc not found: the bundle needs the CUDA toolkit" >&2; exit 1; }

# Packages a fallback build on the GPU machine unpacks into a private prefix (it has no apt and
# none of our Debian packages). ocl-icd-libopencl1 is libdnnl2's own need.
packages=(
  libspdlog-dev libspdlog1.10 libfmt-dev libfmt9
  catch2 libcli11-dev libtomlplusplus-dev libtomlplusplus3 nlohmann-json3-dev
  zlib1g-dev libdnnl-dev libdnnl2 ocl-icd-libopencl1
  libpng-dev libpng16-16 libjpeg62-turbo-dev libjpeg62-turbo libstb-dev libstb0
  libcpp-httplib-dev libcpp-httplib0.11 libssl-dev libssl3 libbrotli-dev libbrotli1
  libonnx-dev libonnx1 libprotobuf-dev libprotobuf32
)

echo "gpu-bundle.sh: building emnist and cuda_tests (Release, sm_90) in $build"
mkdir -p "$build"
log=$build/gpu-bundle.log
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DEMNIST_CUDA=ON -DBUILD_TESTING=ON >"$log" 2>&1 || { cat "$log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target emnist cuda_tests >"$log" 2>&1 ||
  { grep -E "error|FAILED" "$log" | head -40; echo "gpu-bundle.sh: build failed (log: $log)" >&2; exit 1; }

stage_root=$(mktemp -d)
trap 'rm -rf "$stage_root"' EXIT
stage=$stage_root/emnist-gpu
chmod 755 "$stage_root"  # apt-get download writes as the _apt user
mkdir -p "$stage/bin" "$stage/lib" "$stage/debs"
cp "$build/emnist" "$build/cuda_tests" "$stage/bin/"
strip --strip-debug "$stage/bin/emnist" "$stage/bin/cuda_tests"

# Every library the binaries load, but the machine's own and the C/C++ runtime (resolved through
# symbolic links).
for binary in "$stage/bin/"*; do
  while read -r name path; do
    [[ $name =~ $gpu_machine_library_re || $name =~ $gpu_runtime_library_re ]] && continue
    if [ "$path" = not-found ]; then
      echo "gpu-bundle.sh: $(basename "$binary") needs $name, which is not found here" >&2
      exit 1
    fi
    [ -e "$stage/lib/$name" ] || cp -L "$path" "$stage/lib/$name"
  done < <(gpu_resolved_libraries "$binary" "")
done

(cd "$stage/debs" && apt-get download "${packages[@]}" >/dev/null) ||
  { echo "gpu-bundle.sh: apt-get download failed (run apt-get update first?)" >&2; exit 1; }

commit=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
dirty=""
[ -z "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ] || dirty=" (with uncommitted changes)"
{
  echo "emnist GPU bundle"
  echo "commit: $commit$dirty"
  echo "built: $(date -u '+%Y-%m-%d %H:%M UTC') on $(. /etc/os-release && echo "$PRETTY_NAME"), $(nvcc --version | tail -1)"
  echo "files:"
  (cd "$stage" && find bin lib debs -type f -printf '%P %s\n' | sort | sed 's/^/  /')
} >"$stage/MANIFEST"

mkdir -p "$dest"
rm -f "$archive"
XZ_OPT="-6 -T0" tar -C "$stage_root" -cJf "$archive" emnist-gpu
size=$(stat -c %s "$archive")
echo "gpu-bundle.sh: $archive: $((size / 1048576)) MiB ($(ls "$stage/lib" | wc -l) libraries, $(ls "$stage/debs" | wc -l) packages), commit $commit$dirty"
if ((size > limit_mib * 1048576)); then
  echo "gpu-bundle.sh: the archive is over $limit_mib MiB; with the checkout it must travel in 64 MiB" >&2
  exit 1
fi
