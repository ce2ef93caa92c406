#include "providers/echo_image.h"

#include <algorithm>
#include <vector>

#include "json/canonical.h"
#include "json/json.h"

namespace sy::providers::echo_image {

namespace {

constexpr int kDefaultSide = 1024, kMinSide = 16, kMaxSide = 4096;
constexpr int64_t kMaxImages = 10;
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

struct Size {
  int width = kDefaultSide;
  int height = kDefaultSide;
};

// One side of WIDTHxHEIGHT: 1 to 5 digits, clamped; the default otherwise.
int side(std::string_view digits) {
  double n = 0;
  if (digits.size() > 5 || !json::parse_digits(digits, n)) return kDefaultSide;
  return std::clamp(int(n), kMinSide, kMaxSide);
}

Size size_of(std::string_view size) {
  size_t x = size.find('x');
  if (x == std::string_view::npos) return {};
  return {side(size.substr(0, x)), side(size.substr(x + 1))};
}

size_t code_point_length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
}

size_t characters(std::string_view text) {
  return size_t(std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// The prompt's paragraphs: split at line breaks (\n, \r\n or \r).
std::vector<std::string_view> paragraphs(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != '\n' && text[i] != '\r') continue;
    out.push_back(text.substr(start, i - start));
    if (i + 1 < text.size() && text[i] == '\r' && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  return out;
}

// Greedy wrapping of one paragraph at `width` characters: at the last space of a line that
// would grow longer, else (a longer word) between characters.
void wrap(std::string_view p, size_t width, std::vector<std::string_view>& lines) {
  size_t start = 0, chars = 0, space = std::string_view::npos;
  for (size_t i = 0; i < p.size();) {
    size_t len = std::min(code_point_length(static_cast<unsigned char>(p[i])), p.size() - i);
    if (p[i] == ' ') space = i;
    if (++chars > width) {
      bool at_space = space != std::string_view::npos && space >= start;
      size_t end = at_space ? space : i;
      lines.push_back(p.substr(start, end - start));
      start = at_space ? space + 1 : i;
      space = std::string_view::npos;
      chars = characters(p.substr(start, i + len - start));
    }
    i += len;
  }
  lines.push_back(p.substr(start));
}

// U+FFFE and U+FFFF (EF BF BE, EF BF BF), which XML cannot hold.
bool is_noncharacter(std::string_view text, size_t at) {
  return text.substr(at, 2) == "\xEF\xBF" && at + 2 < text.size() &&
         (text[at + 2] == '\xBE' || text[at + 2] == '\xBF');
}

void append_escaped(std::string& out, std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '"') {
      out += "&quot;";
    } else if (c == '\'') {
      out += "&#39;";
    } else if (c < 0x20 && c != '\t') {
      out += kReplacement;
    } else if (is_noncharacter(text, i)) {
      out += kReplacement;
      i += 2;
    } else {
      out += char(c);
    }
  }
}

// The lines at the largest font that fits: wider lines until the text no longer needs more
// height than the picture has, or no paragraph is longer than a line.
std::vector<std::string_view> layout(std::string_view prompt, const Size& size, int& font) {
  std::vector<std::string_view> parts = paragraphs(prompt), lines;
  size_t longest = 1;
  for (std::string_view p : parts) longest = std::max(longest, characters(p));
  for (size_t width = 24;; width = width * 5 / 4 + 1) {
    lines.clear();
    for (std::string_view p : parts) wrap(p, width, lines);
    double by_width = 0.9 * size.width / (0.6 * double(width));
    double by_height = 0.9 * size.height / (1.25 * double(lines.size()));
    font = std::max(1, int(std::min(by_width, by_height)));
    if (by_height >= by_width || width >= longest) return lines;
  }
}

std::string colour_of(std::string_view prompt) {
  json::Hasher h;
  h.update(prompt);
  uint64_t bits = h.finish().lo;
  // "#rrggbb", each channel 40 + 7 bits of the hash (always two hex digits). Written by hand: a
  // printf would link libc's whole formatter (and its long double code) into the wasm.
  std::string colour = "#";
  for (int shift : {0, 8, 16}) {
    unsigned channel = 40 + unsigned(bits >> shift & 0x7f);
    colour += "0123456789abcdef"[channel >> 4];
    colour += "0123456789abcdef"[channel & 15];
  }
  return colour;
}

}  // namespace

std::string svg(std::string_view prompt, std::string_view size) {
  Size s = size_of(size);
  int font = 1;
  std::vector<std::string_view> lines = layout(prompt, s, font);
  int line_height = font * 5 / 4;
  int y = (s.height - int(lines.size()) * line_height) / 2 + font;
  std::string w = std::to_string(s.width), h = std::to_string(s.height), x = std::to_string(s.width / 2);
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + h + "\" viewBox=\"0 0 " +
                    w + " " + h + "\"><rect width=\"" + w + "\" height=\"" + h + "\" fill=\"" + colour_of(prompt) +
                    "\"/><text font-family=\"sans-serif\" font-size=\"" + std::to_string(font) +
                    "\" fill=\"#ffffff\" text-anchor=\"middle\">";
  out.reserve(out.size() + prompt.size() + lines.size() * 40 + 16);
  for (size_t i = 0; i < lines.size(); ++i) {
    out += "<tspan x=\"" + x + "\" y=\"" + std::to_string(y + int(i) * line_height) + "\">";
    append_escaped(out, lines[i]);
    out += "</tspan>";
  }
  return out + "</text></svg>";
}

std::string base64(std::string_view data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (size_t i = 0; i < data.size(); i += 3) {
    uint32_t n = uint32_t(uint8_t(data[i])) << 16;
    if (i + 1 < data.size()) n |= uint32_t(uint8_t(data[i + 1])) << 8;
    if (i + 2 < data.size()) n |= uint32_t(uint8_t(data[i + 2]));
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < data.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

void answer(const model::Request& request, model::Answer& answer) {
  model::Image image;
  image.media_type = "image/svg+xml";
  std::string data = base64(svg(request.prompt, request.size));
  if (request.image_urls) image.url = "data:" + image.media_type + ";base64," + data;
  else image.b64 = std::move(data);
  answer.images.assign(size_t(std::clamp<int64_t>(request.sampling.n, 1, kMaxImages)), image);
  answer.usage = {true, model::estimate_tokens(request.prompt), 0, -1, -1, 0};
}

}  // namespace sy::providers::echo_image
