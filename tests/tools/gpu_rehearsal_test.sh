#!/usr/bin/env bash
# The rehearsal of the GPU check must pass on the bundle as built and fail on one with a library
# taken out (the GPU machine would not start the binaries). Needs gpu-bundle/emnist-gpu.tar.xz
# (tools/gpu-bundle.sh); run by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
archive=${1:-$root/gpu-bundle/emnist-gpu.tar.xz}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

fail() { echo "gpu_rehearsal_test: FAILED: $*"; exit 1; }

"$root/tools/gpu-check.sh" --rehearse --bundle "$archive" >"$scratch/good.log" 2>&1 ||
  { cat "$scratch/good.log"; fail "the rehearsal fails on the bundle as built"; }
grep -q "emnist: libspdlog.so.[0-9.]*: bundle" "$scratch/good.log" ||
  { cat "$scratch/good.log"; fail "the rehearsal did not resolve libspdlog from the bundle"; }

# The same bundle without spdlog: the loader then finds Debian's copy here, outside the bundle, which
# the GPU machine does not have.
tar -C "$scratch" -xf "$archive"
removed=$(cd "$scratch/emnist-gpu/lib" && ls libspdlog.so.*)
rm "$scratch/emnist-gpu/lib/$removed"
XZ_OPT="-0 -T0" tar -C "$scratch" -cJf "$scratch/broken.tar.xz" emnist-gpu
if "$root/tools/gpu-check.sh" --rehearse --bundle "$scratch/broken.tar.xz" >"$scratch/broken.log" 2>&1; then
  cat "$scratch/broken.log"
  fail "the rehearsal passed on a bundle without $removed"
fi
grep -q "$removed: \(OUTSIDE THE BUNDLE\|NOT FOUND\)" "$scratch/broken.log" ||
  { cat "$scratch/broken.log"; fail "the rehearsal failed without naming $removed"; }
grep -q "^rehearsal FAILED" "$scratch/broken.log" || fail "no failure verdict"
echo "gpu_rehearsal_test: passed (the bundle as built passes; without $removed it fails naming it)"
