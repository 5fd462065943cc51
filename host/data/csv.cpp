// The Kaggle EMNIST CSV form: one image per line, "label,p0,...,p783", pixels in NIST's
// (transposed) order. The balanced train file alone is ~113k lines of 785 fields, so the parser
// walks the buffer once with a hand-rolled integer reader instead of going through iostreams.
#include <algorithm>
#include <climits>
#include <cstring>

#include "data/data_error.hpp"
#include "data/file_bytes.hpp"
#include "emnist/data.hpp"

namespace emnist {
namespace {

constexpr int kSide = 28;
constexpr int kPixels = kSide * kSide;
constexpr int kFields = 1 + kPixels;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string field_text(const char* p, const char* stop) {
  const char* e = std::find(p, stop, ',');
  std::string text(p, std::min<size_t>(static_cast<size_t>(e - p), 24));
  if (e - p > 24) text += "...";
  return text;
}

std::string wrong_count(int64_t fields) {
  return std::to_string(fields) + (fields == 1 ? " field" : " fields") + ", expected " +
         std::to_string(kFields) + " (the label, then 28x28 = 784 pixels)";
}

struct LineError {
  const std::filesystem::path& path;
  int64_t line;
  [[noreturn]] void operator()(const std::string& problem) const {
    data::fail(path, "line " + std::to_string(line) + ": " + problem);
  }
};

}  // namespace

CsvImages read_kaggle_csv(const std::filesystem::path& path) {
  const data::FileBytes bytes(path);
  const char* p = reinterpret_cast<const char*>(bytes.data());
  const char* const end = p + bytes.size();
  if (end - p >= 3 && std::memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;  // a UTF-8 byte-order mark

  // One pass to count lines lets the pixels be written in place with no regrowing.
  const auto max_rows = static_cast<size_t>(std::count(p, end, '\n') + 1);
  CsvImages out;
  out.images.rows = kSide;
  out.images.cols = kSide;
  out.images.pixels.resize(max_rows * kPixels);
  out.labels.reserve(max_rows);
  uint8_t* pixels = out.images.pixels.data();

  int64_t line = 0;
  bool first = true;
  while (p < end) {
    ++line;
    const char* eol = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (eol == nullptr) eol = end;
    const char* stop = eol;
    if (stop > p && stop[-1] == '\r') --stop;
    const char* next = eol < end ? eol + 1 : end;
    if (stop == p) {  // blank lines (a trailing one above all) carry nothing
      p = next;
      continue;
    }
    if (first) {
      first = false;
      if (!is_digit(*p)) {  // a header row ("label,1x1,1x2,...")
        p = next;
        continue;
      }
    }
    const LineError error{path, line};
    const char* q = p;
    for (int field = 0; field < kFields; ++field) {
      if (field > 0) {
        if (q == stop) {
          error(wrong_count(field));
        }
        ++q;  // the comma
      }
      const char* start = q;
      uint64_t value = 0;
      while (q < stop && is_digit(*q) && q - start < 12) value = value * 10 + uint64_t(*q++ - '0');
      if (q == start && (q == stop || *q == ','))
        error("field " + std::to_string(field + 1) + " is empty");
      if (q == start || (q < stop && *q != ',')) {
        error("field " + std::to_string(field + 1) + ": '" + field_text(start, stop) +
              "' is not a non-negative integer");
      }
      if (field == 0) {
        if (value > INT_MAX) error("label " + field_text(start, stop) + " is out of range");
        out.labels.push_back(static_cast<int>(value));
      } else {
        if (value > 255) {
          error("field " + std::to_string(field + 1) + ": pixel value " + field_text(start, stop) +
                " is out of range 0..255");
        }
        *pixels++ = static_cast<uint8_t>(value);
      }
    }
    if (q != stop) {
      error(wrong_count(kFields + std::count(q, stop, ',')));
    }
    p = next;
  }
  if (out.labels.empty()) data::fail(path, "empty: no data rows");
  out.images.count = static_cast<int64_t>(out.labels.size());
  out.images.pixels.resize(static_cast<size_t>(out.images.count) * kPixels);
  return out;
}

}  // namespace emnist
