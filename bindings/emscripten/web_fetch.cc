// The host piece behind the npm package's `transport: 'emscripten'` (web build only; the sans-IO
// core never sees it): performs one whole upstream request of a core FETCH action through the
// Emscripten Fetch API (XMLHttpRequest underneath) and hands its outcome to
// web/src/fetch_emscripten.js, which feeds the core exactly as the JS fetch() path does.
//
//   sy_web_fetch_start(fid, method, url, headers, headers_len, body, body_len) -> handle
//       method and url are NUL-terminated; headers are the action's "name: value\n" lines. The
//       body is copied before this returns. The outcome arrives once, through the module's
//       `syWebFetchDone(fid, status, headers_ptr, headers_len, body_ptr, body_len)` (status 0:
//       the request failed at the network level; pointers valid only during the call).
//   sy_web_fetch_abort(handle)
//       the request is cancelled and closed (emscripten_fetch_close); nothing is reported.
//
// Streaming fetches never come here: the Fetch API of Emscripten 3.1.6 does not stream.

#include <emscripten/em_js.h>
#include <emscripten/fetch.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

// Delivers one outcome to the JS side, which copies what it keeps before returning.
EM_JS(void, sy_web_fetch_report, (uint32_t fid, int status, const char* headers, uint32_t headers_len, const uint8_t* body, uint32_t body_len), {
  var done = Module['syWebFetchDone'];
  if (done) done(fid, status, headers, headers_len, body, body_len);
});

// emscripten_fetch_close of Emscripten 3.1.6 forgets a request in flight without aborting its
// XMLHttpRequest (newer releases abort it themselves, and hold it in a handle allocator): abort
// it here so that it releases its connection and never writes into the freed fetch.
EM_JS(void, sy_web_fetch_abort_xhr, (uint32_t id), {
  var xhrs = typeof Fetch != 'undefined' ? Fetch.xhrs : null;
  var xhr = xhrs ? (typeof xhrs.get == 'function' ? xhrs.get(id) : xhrs[id - 1]) : null;
  if (xhr) xhr.abort();
});

namespace {

// The fetch being cancelled: whatever its XMLHttpRequest reports while it is aborted is dropped.
emscripten_fetch_t* g_aborting = nullptr;

// Headers an XMLHttpRequest may not set (the browser sets them itself and logs a refusal).
bool forbidden(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "accept-charset", "accept-encoding", "connection", "content-length", "cookie", "date",
      "dnt", "expect", "host", "keep-alive", "origin", "referer", "te", "trailer",
      "transfer-encoding", "upgrade", "via"};
  for (std::string_view n : kNames) {
    if (name == n) return true;
  }
  return name.starts_with("proxy-") || name.starts_with("sec-");
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "name: value\n" lines as name/value strings (names lowercased, forbidden ones left out).
std::vector<std::string> header_pairs(std::string_view text) {
  std::vector<std::string> pairs;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string name(trim(line.substr(0, colon)));
    for (char& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (name.empty() || forbidden(name)) continue;
    pairs.push_back(std::move(name));
    pairs.emplace_back(trim(line.substr(colon + 1)));
  }
  return pairs;
}

// onsuccess (2xx) and onerror (any other status, or 0 for a network failure) alike: report,
// then close. Response headers come as "name: value\r\n" lines.
void finished(emscripten_fetch_t* fetch) {
  if (fetch == g_aborting) return;
  const auto fid = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(fetch->userData));
  const int status = fetch->status;
  std::string headers;
  if (status != 0) {
    size_t n = emscripten_fetch_get_response_headers_length(fetch);
    if (n > 0) {
      headers.resize(n);
      n = emscripten_fetch_get_response_headers(fetch, headers.data(), n);
      headers.resize(n > 0 ? n - 1 : 0);  // n counts the terminating NUL
    }
  }
  sy_web_fetch_report(fid, status, headers.data(), static_cast<uint32_t>(headers.size()),
                      reinterpret_cast<const uint8_t*>(fetch->data),
                      status != 0 ? static_cast<uint32_t>(fetch->numBytes) : 0);
  emscripten_fetch_close(fetch);
}

}  // namespace

extern "C" {

uintptr_t sy_web_fetch_start(uint32_t fid, const char* method, const char* url,
                             const char* headers, size_t headers_len,
                             const uint8_t* body, size_t body_len) {
  std::vector<std::string> pairs = header_pairs(std::string_view(headers, headers_len));
  std::vector<const char*> list;
  list.reserve(pairs.size() + 1);
  for (const std::string& s : pairs) list.push_back(s.c_str());
  list.push_back(nullptr);

  emscripten_fetch_attr_t attr;
  emscripten_fetch_attr_init(&attr);
  std::strncpy(attr.requestMethod, method, sizeof attr.requestMethod - 1);
  attr.attributes = EMSCRIPTEN_FETCH_LOAD_TO_MEMORY;  // no IndexedDB, no streaming
  attr.userData = reinterpret_cast<void*>(static_cast<uintptr_t>(fid));
  attr.onsuccess = finished;
  attr.onerror = finished;
  attr.requestHeaders = list.data();  // copied by emscripten_fetch
  if (body_len > 0) {
    attr.requestData = reinterpret_cast<const char*>(body);  // copied when the request is sent
    attr.requestDataSize = body_len;
  }
  return reinterpret_cast<uintptr_t>(emscripten_fetch(&attr, url));
}

void sy_web_fetch_abort(uintptr_t handle) {
  auto* fetch = reinterpret_cast<emscripten_fetch_t*>(handle);
  if (fetch == nullptr) return;
  g_aborting = fetch;
  sy_web_fetch_abort_xhr(fetch->id);
  fetch->__attributes.onerror = nullptr;  // closing a request in flight reports nothing
  emscripten_fetch_close(fetch);
  g_aborting = nullptr;
}

}  // extern "C"
