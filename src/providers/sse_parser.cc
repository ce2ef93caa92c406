#include "providers/sse_parser.h"

#include <cstring>

namespace sy::sse {
namespace {

size_t find_byte(const char* p, size_t from, size_t size, char c) {
  const void* hit = std::memchr(p + from, c, size - from);
  return hit ? static_cast<size_t>(static_cast<const char*>(hit) - p) : size;
}

}  // namespace

bool Parser::line(std::string_view text, Sink sink, void* ctx) {
  if (text.size() + data_.size() + event_.size() > max_event_bytes_) return false;
  if (text.empty()) {
    if (!data_.empty()) {
      Event e{event_, std::string_view(data_.data(), data_.size() - 1), id_};
      sink(ctx, e);
    }
    data_.clear();
    event_.clear();
    return true;
  }
  if (text[0] == ':') return true;
  size_t colon = text.find(':');
  std::string_view field = text.substr(0, colon), value;
  if (colon != std::string_view::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    data_.append(value);
    data_ += '\n';
  } else if (field == "event") {
    event_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) id_.assign(value);
  }
  return true;
}

bool Parser::feed_impl(std::string_view bytes, Sink sink, void* ctx) {
  if (failed_) return false;
  const char* p = bytes.data();
  size_t size = bytes.size(), pos = 0;
  if (after_cr_ && size) {
    after_cr_ = false;
    if (p[0] == '\n') pos = 1;
  }
  // Next \n and \r at or after pos; each is searched again only once passed, so a chunk costs
  // two memchr passes in total however many lines it holds.
  size_t lf = size, cr = size;
  if (pos < size) lf = find_byte(p, pos, size, '\n'), cr = find_byte(p, pos, size, '\r');
  bool ok = true;
  while (pos < size) {
    if (lf < pos) lf = find_byte(p, pos, size, '\n');
    if (cr < pos) cr = find_byte(p, pos, size, '\r');
    size_t end = lf < cr ? lf : cr;
    if (end == size) {
      ok = partial_.size() + (size - pos) + data_.size() + event_.size() <= max_event_bytes_;
      if (ok) partial_.append(p + pos, size - pos);
      break;
    }
    if (partial_.empty()) {
      ok = line(std::string_view(p + pos, end - pos), sink, ctx);
    } else {
      partial_.append(p + pos, end - pos);
      ok = line(partial_, sink, ctx);
      partial_.clear();
    }
    if (!ok) break;
    pos = end + 1;
    if (p[end] == '\r') {
      if (pos == size) after_cr_ = true;
      else if (p[pos] == '\n') ++pos;
    }
  }
  if (!ok) {
    failed_ = true;
    partial_.clear();
    data_.clear();
    event_.clear();
  }
  return ok;
}

bool Parser::finish() {
  bool clean = !failed_ && partial_.empty() && data_.empty() && event_.empty();
  partial_.clear();
  data_.clear();
  event_.clear();
  after_cr_ = false;
  return clean;
}

void Parser::reset() {
  finish();
  id_.clear();
  failed_ = false;
}

}  // namespace sy::sse
