#!/usr/bin/env bash
# Downloads (never installs) the Debian packages that the build needs and the GPU machine lacks, into
# gpu-bundle/ (git-ignored), for tools/gpu-check.sh to unpack there with dpkg -x into a private
# prefix. Run here, before a lease; name gpu-bundle in the device tool's `carry`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=$root/gpu-bundle
packages=(
  libspdlog-dev libspdlog1.10 libfmt-dev libfmt9
  catch2 libcli11-dev libtomlplusplus-dev libtomlplusplus3 nlohmann-json3-dev
  zlib1g-dev libopenblas-dev libopenblas-pthread-dev libopenblas0-pthread libopenblas0 libgfortran5
)
mkdir -p "$dest"
cd "$dest"
rm -f ./*.deb
apt-get download "${packages[@]}" >/dev/null
echo "gpu-bundle.sh: $(ls ./*.deb | wc -l) packages, $(du -sh . | cut -f1) in $dest"
