// Whole data files, gunzipped when they are gzip. Files are read whole because every check (sizes
// against headers, label ranges) needs all of it anyway; mapping a raw file and inflating a gzip
// one in a single pass are the fastest ways to get there.
#include "data/file_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <new>

#include "data/data_error.hpp"
#include "emnist/data.hpp"

namespace emnist {
namespace data {
namespace {

bool is_gzip(const uint8_t* p, size_t n) { return n >= 2 && p[0] == 0x1f && p[1] == 0x8b; }

struct Fd {
  int fd;
  ~Fd() { ::close(fd); }
};

// For a regular file that cannot be mapped: read until the end.
std::vector<uint8_t> read_all(const std::filesystem::path& path, int fd) {
  std::vector<uint8_t> bytes(1 << 16);
  size_t filled = 0;
  for (;;) {
    if (filled == bytes.size()) bytes.resize(bytes.size() * 2);
    const ssize_t n = ::read(fd, bytes.data() + filled, bytes.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, std::string("read error: ") + std::strerror(errno));
    if (n == 0) break;
    filled += static_cast<size_t>(n);
  }
  bytes.resize(filled);
  return bytes;
}

struct Inflater {
  z_stream zs{};
  Inflater() {
    // 15 + 32: the largest window, and accept a gzip (or zlib) header.
    if (inflateInit2(&zs, 15 + 32) != Z_OK) throw std::bad_alloc();
  }
  ~Inflater() { inflateEnd(&zs); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
};

// Inflates `in`. With `expected`, the output stops at `limit` bytes: first at the head, then, once
// the head has told the expected total, one byte past it (so that a longer file shows as such).
std::vector<uint8_t> gunzip(const std::filesystem::path& path, const uint8_t* in, size_t in_size,
                            const ExpectedSize* expected, bool& cut_short) {
  // The gzip trailer's ISIZE is the uncompressed size modulo 2^32: a good first guess that saves
  // regrowing the output for every file under 4 GiB. A truncated file's last bytes are no trailer,
  // so the guess is capped at deflate's best ratio (1032:1) lest garbage cost gigabytes.
  size_t guess = 0;
  if (in_size >= 18) {
    const uint8_t* t = in + in_size - 4;
    guess = uint32_t{t[0]} | uint32_t{t[1]} << 8 | uint32_t{t[2]} << 16 | uint32_t{t[3]} << 24;
  }
  guess = std::min(guess, in_size * 1032);
  size_t limit = expected != nullptr ? expected->head : SIZE_MAX;
  bool head_read = expected == nullptr;
  std::vector<uint8_t> out(std::min(std::max(guess, in_size * 2) + 1, limit));
  Inflater inf;
  size_t consumed = 0, produced = 0;
  for (;;) {
    if (!head_read && produced == limit) {
      head_read = true;
      const uint64_t total = expected->total(out.data(), produced);
      limit =
          total == 0 ? produced : static_cast<size_t>(std::min<uint64_t>(total, SIZE_MAX - 1) + 1);
      out.resize(std::min(std::max(guess, in_size * 2) + 1, limit));
    }
    if (head_read && produced == limit) {
      cut_short = expected != nullptr && produced > expected->head;
      break;
    }
    if (produced == out.size()) out.resize(std::min(out.size() * 2, limit));
    inf.zs.next_in = const_cast<Bytef*>(in + consumed);
    inf.zs.avail_in = static_cast<uInt>(std::min<size_t>(in_size - consumed, UINT_MAX));
    inf.zs.next_out = out.data() + produced;
    inf.zs.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, UINT_MAX));
    const uInt avail_in = inf.zs.avail_in, avail_out = inf.zs.avail_out;
    const int rc = inflate(&inf.zs, Z_NO_FLUSH);
    consumed += avail_in - inf.zs.avail_in;
    produced += avail_out - inf.zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (consumed == in_size) break;
      if (!is_gzip(in + consumed, in_size - consumed)) {
        fail(path, std::to_string(in_size - consumed) +
                       " bytes of unexpected data after the gzip stream; " + kRedownload);
      }
      // Another gzip member follows (as `cat a.gz b.gz` makes): gunzip reads on, and so do we.
      inflateReset(&inf.zs);
      continue;
    }
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
      fail(path, std::string("corrupt gzip data (zlib: ") +
                     (inf.zs.msg != nullptr ? inf.zs.msg : "invalid data") + "); " + kRedownload);
    }
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      fail(path, "gzip: zlib error " + std::to_string(rc) + "; " + kRedownload);
    }
    // inflate stops short of a full output buffer only when its input has run out.
    if (consumed == in_size && produced < out.size()) {
      fail(path, "truncated gzip: the compressed data ends before the end of the stream (" +
                     std::to_string(in_size) + " bytes); " + kRedownload);
    }
  }
  out.resize(produced);
  return out;
}

}  // namespace

FileBytes::FileBytes(const std::filesystem::path& path, const ExpectedSize* expected) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a folder, not a data file");
  const Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    const int err = errno;
    if (err == ENOENT) fail(path, "no such file");
    fail(path, std::string("cannot open it: ") + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0)
    fail(path, std::string("cannot stat it: ") + std::strerror(errno));
  // A device, pipe or socket has no size to check against and may never end (/dev/zero).
  if (!S_ISREG(st.st_mode))
    fail(path, "is not a regular file (a device, pipe or socket); give the data file itself");
  if (st.st_size > 0) {
    void* map =
        ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, file.fd, 0);
    if (map != MAP_FAILED) {
      map_ = map;
      map_size_ = static_cast<size_t>(st.st_size);
      data_ = static_cast<const uint8_t*>(map);
      size_ = map_size_;
      // The whole file is about to be read: fault it in at once, unless its size already says it
      // is not what its header promises (the reader refuses it without reading it in).
      const bool gzip = is_gzip(data_, size_);
      if (gzip || expected == nullptr ||
          expected->total(data_, std::min(size_, expected->head)) == size_)
        ::madvise(map_, map_size_, MADV_WILLNEED);
    }
  }
  if (map_ == nullptr) {
    owned_ = read_all(path, file.fd);
    data_ = owned_.data();
    size_ = owned_.size();
  }
  if (is_gzip(data_, size_)) {
    owned_ = gunzip(path, data_, size_, expected, cut_short_);
    if (map_ != nullptr) ::munmap(map_, map_size_);
    map_ = nullptr;
    data_ = owned_.data();
    size_ = owned_.size();
  }
}

FileBytes::~FileBytes() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

std::vector<uint8_t> FileBytes::take_from(size_t offset) && {
  offset = std::min(offset, size_);
  if (map_ != nullptr) return std::vector<uint8_t>(data_ + offset, data_ + size_);
  // Dropping a header in place reuses the (possibly ~100 MB) buffer instead of copying it.
  owned_.erase(owned_.begin(), owned_.begin() + static_cast<std::ptrdiff_t>(offset));
  data_ = owned_.data();
  size_ = owned_.size();
  return std::move(owned_);
}

}  // namespace data

std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path) {
  return data::FileBytes(path).take_from(0);
}

}  // namespace emnist
