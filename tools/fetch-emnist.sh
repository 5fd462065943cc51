#!/usr/bin/env bash
# Fetches NIST's official EMNIST archive (gzip.zip), or takes one already on disk, and unpacks its
# gzip IDX files and mappings into data/emnist/ after checking every .gz file against NIST's sizes
# and SHA-256 sums. Files reach the destination only once all of them have passed, so a failed or
# interrupted run never leaves a set that looks complete.
#
#   tools/fetch-emnist.sh                     download (needs a network) and unpack into data/emnist/
#   tools/fetch-emnist.sh --from gzip.zip     unpack an archive already on disk
#   --dest DIR         where to unpack (default data/emnist, from the current folder)
#   --checksums FILE   "name size sha256" lines to check against, instead of NIST's built-in figures
#
# Environment: EMNIST_URL overrides the download address; EMNIST_EXTRACTOR=unzip|python forces
# how the zip is opened (default: unzip when installed, else python3's zipfile).
set -euo pipefail

readonly URL="${EMNIST_URL:-https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip}"
me="fetch-emnist.sh"

die() {
  echo "$me: $*" >&2
  exit 1
}

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

# NIST's gzip.zip, as published: name, size in bytes, sha256.
official_checksums() {
  cat <<'SUMS'
emnist-balanced-test-images-idx3-ubyte.gz 4714707 117fc12b015e37ea98bfb2cbba3f77c3782c056cdbd219b87abfc8661d7135db
emnist-balanced-test-labels-idx1-ubyte.gz 13504 a67cac948379b67270b9a4d0a01c8ec661598accf2f2b1964340b7c83cb175cd
emnist-balanced-train-images-idx3-ubyte.gz 28207740 74295e75e4e9fa2c102147460ee7eb763653d5132d883a84fb88932bfb8d2db4
emnist-balanced-train-labels-idx1-ubyte.gz 80618 b46d41e5156a0a8aaaa4d18979fdd1588850fa8571018acffd5d93b325a7d6ed
emnist-byclass-test-images-idx3-ubyte.gz 28908322 5ec835bd5d5b1a66378a132e727fef20fe994b3cc666899befcca5ac766f50cd
emnist-byclass-test-labels-idx1-ubyte.gz 81839 501e305eeeacb093b162592d80e8a2632040872360fa6d85cfcb2200d91ca92a
emnist-byclass-train-images-idx3-ubyte.gz 173367313 9e21987f03a6eb8b870187e785883ddad96947299587908f1a7ec2ca0f4be5f0
emnist-byclass-train-labels-idx1-ubyte.gz 491603 f7ef403d48dc18a89dae0d83d11ee69cecb6e1c12c3a961d03712e495c02a8fa
emnist-bymerge-test-images-idx3-ubyte.gz 28905295 5e5815ec1b522089134435f7c55e75a00960b58414793593ffff23efc0821683
emnist-bymerge-test-labels-idx1-ubyte.gz 79351 8bda1516255683ba9071e141947ca0c91a911176065cdd6259b0b4d8dc5b5f35
emnist-bymerge-train-images-idx3-ubyte.gz 173375281 39bf8c68037dad40db35348895f7e4e056e8c0a005ab78869c9fbc2c96e947be
emnist-bymerge-train-labels-idx1-ubyte.gz 476444 2c47293b9e62d6abf6ad05fbf67e40baa32adfd380b8d7b44dcc35534b64e1f1
emnist-digits-test-images-idx3-ubyte.gz 9908519 20ebe43509264f7639d37c835a3f0b009e90b29e00a099a03101abe1644a3f63
emnist-digits-test-labels-idx1-ubyte.gz 19960 bad1834c45d5988e270b99d43b13edc3fd898f658ffbc2caf2846ef27f7b05b0
emnist-digits-train-images-idx3-ubyte.gz 59515779 f7c95004d14d81af89522e67d8f0c781dfb3bd544181c81bfe1eb6b41c35b726
emnist-digits-train-labels-idx1-ubyte.gz 113859 6638a6ff5fe2eefd9cca2471995b46c82986b8e4b2a70d2f5ce8e05d7edb319e
emnist-letters-test-images-idx3-ubyte.gz 5039157 50f0e93d75b99b463e9760b8345866f22587fa2c2fba472730a5ba09c693412d
emnist-letters-test-labels-idx1-ubyte.gz 144 924955c31fe7fd809b7303b5c0141282955f4b8390c74cdfd5d80435e0f4b4cb
emnist-letters-train-images-idx3-ubyte.gz 30804864 6288f418a917e007bf5fddb823a2dc7a5c6a35031401b93292a539cb12bd881f
emnist-letters-train-labels-idx1-ubyte.gz 79283 9759af91ea6bccdf07a6040fd085861f2ec88e37f7c3f5760f6feb57106fbe5c
emnist-mnist-test-images-idx3-ubyte.gz 2484884 b25640fa9e356c618132f5df347c95ef5bae6d9c2596be1de40f7e0ae1c3eac6
emnist-mnist-test-labels-idx1-ubyte.gz 5144 bcc5385d38f083dba046f5f756e99b32f5ea7fad122c6243c71c2239873065ca
emnist-mnist-train-images-idx3-ubyte.gz 14873795 5f9942f441031c0f1f2e4d162059fd6e19ea808b34c328b6d16cab0ed24c78f2
emnist-mnist-train-labels-idx1-ubyte.gz 29480 00c6d3c2342fdffb1711e0b5656cac4ce5862d2826399d383a9bac07d612e9f8
SUMS
}

from="" dest="data/emnist" checksums=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --from) [[ $# -ge 2 ]] || die "--from needs an archive path"; from="$2"; shift 2 ;;
    --dest) [[ $# -ge 2 ]] || die "--dest needs a folder"; dest="$2"; shift 2 ;;
    --checksums) [[ $# -ge 2 ]] || die "--checksums needs a file"; checksums="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

if [[ -n "$checksums" ]]; then
  [[ -r "$checksums" ]] || die "$checksums: no such checksums file"
  table="$(grep -v '^[[:space:]]*#' "$checksums" | grep -v '^[[:space:]]*$' || true)"
else
  table="$(official_checksums)"
fi
[[ -n "$table" ]] || die "${checksums:-the built-in table}: no 'name size sha256' lines"

# Work beside the destination, so the final moves stay on one file system (a rename, not a copy).
dest="${dest%/}"
parent="$(dirname "$dest")"
mkdir -p "$parent" || die "$parent: cannot create the folder"
work="$(mktemp -d "$parent/.fetch-emnist.XXXXXX")" || die "$parent: cannot write there"
trap 'rm -rf "$work"' EXIT

if [[ -z "$from" ]]; then
  from="$work/gzip.zip"
  # A stalled transfer (under 1 kB/s for a minute) fails instead of hanging forever.
  if ! err="$(curl -fL --connect-timeout 10 --speed-limit 1024 --speed-time 60 -sS -o "$from" "$URL" 2>&1)"; then
    die "cannot download $URL (${err//$'\n'/ }); fetch gzip.zip on a machine with a network and run $0 --from gzip.zip"
  fi
fi
[[ -f "$from" ]] || die "$from: no such archive"

extractor="${EMNIST_EXTRACTOR:-}"
if [[ -z "$extractor" ]]; then
  if command -v unzip >/dev/null 2>&1; then extractor=unzip; else extractor=python; fi
fi
mkdir "$work/x"
case "$extractor" in
  unzip)
    unzip -qq -o "$from" -d "$work/x" >/dev/null 2>&1 ||
      die "$from: not a readable zip archive (unzip failed); re-download it"
    ;;
  python)
    python3 - "$from" "$work/x" <<'PY' 2>/dev/null || die "$from: not a readable zip archive (python3 zipfile failed); re-download it"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive:
    archive.extractall(sys.argv[2])
PY
    ;;
  *) die "EMNIST_EXTRACTOR=$extractor: use unzip or python" ;;
esac

# NIST's archive keeps its files in a folder gzip/; take the data files wherever they are.
mkdir "$work/ok"
while IFS= read -r -d '' file; do
  mv -f "$file" "$work/ok/" || die "$file: cannot move it"
done < <(find "$work/x" -type f \( -name 'emnist-*.gz' -o -name 'emnist-*-mapping.txt' \) -print0)

count=0
while read -r name size sum _; do
  file="$work/ok/$name"
  [[ -f "$file" ]] || die "$name: missing from $from; the archive is incomplete, re-download it"
  actual_size="$(stat -c %s "$file")"
  [[ "$actual_size" == "$size" ]] ||
    die "$name: size $actual_size bytes, expected $size; the archive is damaged, re-download it"
  actual_sum="$(sha256sum "$file" | cut -d' ' -f1)"
  [[ "$actual_sum" == "$sum" ]] ||
    die "$name: sha256 $actual_sum, expected $sum; the archive is damaged, re-download it"
  count=$((count + 1))
done <<<"$table"

for file in "$work/ok"/*.gz; do
  name="$(basename "$file")"
  grep -q "^$name " <<<"$table" || die "$name: in the archive but not in the checksum table; refusing to install an unverified file"
done

mkdir -p "$dest" || die "$dest: cannot create the folder"
for file in "$work/ok"/*; do
  mv -f "$file" "$dest/" || die "$file: cannot move it into $dest"
done
echo "$me: $count gzip files verified and unpacked into $dest"
