# shellcheck shell=bash
# Sourced by tools/gpu-bundle.sh and tools/gpu-check.sh: which shared libraries of the carried
# binaries the GPU test machine provides itself, and which travel in the bundle.
#
# The machine's own: the driver, cuBLAS, cuBLASLt and cuDNN (same major versions as ours: CUDA 13,
# cuDNN 9), from its CUDA toolkit or its Python wheels. The C and C++ runtime: glibc's libraries,
# the loader, libstdc++ and libgcc_s, which are newer there than here and backward compatible.
# Everything else (spdlog, fmt, toml++, oneDNN with the OpenCL loader it links, libgomp, zlib)
# travels in the bundle's lib/.

gpu_machine_library_re='^(libcuda|libcublas|libcublasLt|libcudnn[a-z_]*|libnvidia-[a-z_-]*)\.so'
gpu_runtime_library_re='^(linux-vdso|ld-linux-x86-64|libc|libm|libmvec|libpthread|libdl|librt|libresolv|libutil|libstdc\+\+|libgcc_s)\.so'

# "NAME PATH" for every library the binary loads at start, PATH "not-found" where the loader finds
# none; the library path given is searched first, as LD_LIBRARY_PATH would be.
gpu_resolved_libraries() {
  local binary=$1 library_path=$2
  LD_LIBRARY_PATH=$library_path ldd "$binary" | awk '
    $2 == "=>" && $3 == "not" { print $1, "not-found"; next }
    $2 == "=>" { print $1, $3; next }
    $1 ~ /^\// { n = split($1, part, "/"); print part[n], $1; next }
    $1 ~ /^linux-vdso/ { print $1, "(kernel)" }'
}
