#include "engine/simulator.h"

#include <algorithm>
#include <cstdio>

#include "json/json.h"

namespace sy::sim {

using exchange::Action;
using exchange::ActionKind;

namespace {

constexpr size_t kLivelockEvents = 200000;  // events at one instant before a run is called stuck

std::string header_value(std::string_view headers, std::string_view name) {
  size_t at = 0;
  while (at < headers.size()) {
    size_t end = headers.find('\n', at);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(at, end - at);
    if (line.size() > name.size() + 1 && line.substr(0, name.size()) == name && line[name.size()] == ':') {
      std::string_view value = line.substr(name.size() + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return std::string(value);
    }
    at = end + 1;
  }
  return {};
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

bool heap_after(const std::pair<double, uint64_t>& a, const std::pair<double, uint64_t>& b) { return a > b; }

}  // namespace

std::string RequestRecord::header(std::string_view name) const { return header_value(headers, name); }

int RequestRecord::attempts_header() const {
  std::string v = header("x-switchyard-attempts");
  return v.empty() ? -1 : std::atoi(v.c_str());
}

Simulator::Simulator(uint64_t seed) : engine_(seed), rng_(seed ^ 0x5eed5eed5eed5eedull) {}

bool Simulator::configure(std::string_view config_json) {
  if (!engine_.configure(config_json, "{}")) return false;
  echo_providers_.clear();
  json::Document doc;
  std::string error;
  if (json::parse(config_json, doc, error) && doc.IsObject()) {
    if (const json::Value* providers = json::find(doc, "providers"); providers && providers->IsObject())
      for (auto& p : providers->GetObject())
        if (const json::Value* type = json::find(p.value, "type"); type && json::view(*type) == "echo")
          echo_providers_.insert(std::string(json::view(p.name)));
  }
  return true;
}

const std::string& Simulator::last_error() const { return engine_.last_error(); }

Profile& Simulator::profile(const std::string& key) { return profiles_[key]; }

void Simulator::schedule(double at_ms, std::function<void()> fn) {
  events_.push_back({std::max(at_ms, now_), next_seq_++, std::move(fn)});
  std::push_heap(events_.begin(), events_.end(),
                 [](const Event& a, const Event& b) { return heap_after({a.at, a.seq}, {b.at, b.seq}); });
}

void Simulator::at(double at_ms, std::function<void()> fn) { schedule(at_ms, std::move(fn)); }

uint32_t Simulator::submit_at(double at_ms, std::string body, std::string headers, std::string path,
                              std::string method) {
  uint32_t id = next_request_id_++;
  RequestRecord& r = requests_[id];
  r.id = id;
  r.submitted = at_ms;
  json::Document doc;
  std::string error;
  if (json::parse(body, doc, error) && doc.IsObject()) {
    if (const json::Value* s = json::find(doc, "stream")) r.stream_requested = s->IsTrue();
    if (const json::Value* sy = json::find(doc, "switchyard"))
      if (const json::Value* p = json::find(*sy, "priority"); p && p->IsInt()) r.priority = p->GetInt();
  }
  schedule(at_ms, [this, id, body = std::move(body), headers = std::move(headers), path = std::move(path),
                   method = std::move(method)] {
    engine_.submit(id, method, path, headers, body, now_);
    perform();
  });
  return id;
}

std::vector<uint32_t> Simulator::submit_every(double start_ms, double gap_ms, int count, const std::string& body,
                                              const std::string& headers) {
  std::vector<uint32_t> ids;
  ids.reserve(size_t(count));
  for (int i = 0; i < count; ++i) ids.push_back(submit_at(start_ms + i * gap_ms, body, headers));
  return ids;
}

void Simulator::cancel_at(double at_ms, uint32_t request_id) {
  schedule(at_ms, [this, request_id] {
    auto it = requests_.find(request_id);
    if (it != requests_.end() && !it->second.cancelled && it->second.ended < 0) {
      it->second.cancelled = true;
      it->second.cancelled_at = now_;
    }
    engine_.cancel(request_id, now_);
    perform();
  });
}

void Simulator::run(double until_ms) {
  auto later = [](const Event& a, const Event& b) { return heap_after({a.at, a.seq}, {b.at, b.seq}); };
  size_t same_instant = 0;
  while (!events_.empty() && events_.front().at <= until_ms) {
    std::pop_heap(events_.begin(), events_.end(), later);
    Event e = std::move(events_.back());
    events_.pop_back();
    same_instant = e.at == now_ ? same_instant + 1 : 0;
    if (same_instant > kLivelockEvents) {
      violation("livelock: more than " + std::to_string(kLivelockEvents) + " events at t=" + fmt(now_));
      events_.clear();
      return;
    }
    now_ = e.at;
    e.fn();
  }
  if (until_ms != kForever && until_ms > now_) now_ = until_ms;
}

std::string Simulator::get(std::string_view path, std::string_view headers) {
  uint32_t id = next_control_id_++;
  control_body_.clear();
  engine_.submit(id, "GET", path, headers, "", now_);
  perform(id);
  return control_body_;
}

std::string Simulator::breaker(const std::string& target) {
  json::Document doc;
  std::string error;
  if (!json::parse(get("/v1/stats"), doc, error)) return {};
  const json::Value* targets = json::find(doc, "targets");
  if (!targets || !targets->IsArray()) return {};
  for (const auto& t : targets->GetArray()) {
    const json::Value* name = json::find(t, "target");
    const json::Value* state = json::find(t, "breaker");
    if (name && state && json::view(*name) == target) return std::string(json::view(*state));
  }
  return {};
}

void Simulator::violation(std::string what) {
  if (violations_.size() < 100) violations_.push_back("t=" + fmt(now_) + ": " + std::move(what));
}

// Performs the batch the last engine call left: the host's half of the contract.
void Simulator::perform(uint32_t control_id) {
  std::vector<Action> actions = exchange::decode(engine_.batch().data());
  for (const Action& a : actions) {
    switch (a.kind) {
      case ActionKind::fetch:
        on_fetch(a);
        break;
      case ActionKind::fetch_abort: {
        auto it = fetch_index_.find(a.id);
        if (it == fetch_index_.end()) {
          violation("FETCH_ABORT for unknown fetch " + std::to_string(a.id));
          break;
        }
        Attempt& at = attempts_[it->second];
        if (!at.delivered && !at.aborted) {
          at.aborted = true;
          end_attempt(at, now_);
        }
        break;
      }
      case ActionKind::respond: {
        if (a.id == control_id && control_id != 0) {
          control_body_ = a.body;
          break;
        }
        auto it = requests_.find(a.id);
        if (it == requests_.end()) {
          violation("RESPOND for unknown request " + std::to_string(a.id));
          break;
        }
        RequestRecord& r = it->second;
        if (++r.responds > 1) violation("request " + std::to_string(a.id) + ": RESPOND #" + std::to_string(r.responds));
        if (r.cancelled) violation("request " + std::to_string(a.id) + ": RESPOND after cancel");
        if (r.responds > 1) break;
        r.status = int(a.status);
        r.headers = a.headers;
        r.body = a.body;
        r.streaming = (a.flags & 1) != 0;
        if (!r.streaming) r.ended = now_;
        break;
      }
      case ActionKind::stream_chunk:
      case ActionKind::stream_end: {
        auto it = requests_.find(a.id);
        if (it == requests_.end()) {
          violation("STREAM_* for unknown request " + std::to_string(a.id));
          break;
        }
        RequestRecord& r = it->second;
        const char* what = a.kind == ActionKind::stream_end ? "STREAM_END" : "STREAM_CHUNK";
        if (r.responds != 1 || !r.streaming || r.stream_ends != 0 || r.cancelled) {
          violation("request " + std::to_string(a.id) + ": " + what + " out of place (responds=" +
                    std::to_string(r.responds) + ", streaming=" + std::to_string(r.streaming) +
                    ", ends=" + std::to_string(r.stream_ends) + ", cancelled=" + std::to_string(r.cancelled) + ")");
        }
        if (a.kind == ActionKind::stream_chunk) {
          ++r.stream_chunks;
          if (r.stream_text.size() < 4096) r.stream_text += a.body;
        } else {
          ++r.stream_ends;
          r.ended = now_;
        }
        break;
      }
      case ActionKind::log:
        break;
      default:
        violation("unknown action kind " + std::to_string(uint32_t(a.kind)));
    }
  }
  arm();
}

// The host's one timer, at the engine's next deadline: a timer set earlier becomes stale.
void Simulator::arm() {
  double next = engine_.next_deadline();
  if (next == armed_at_) return;
  armed_at_ = next;
  uint64_t generation = ++timer_generation_;
  if (next == kForever) return;
  schedule(next, [this, generation] {
    if (generation != timer_generation_) return;
    armed_at_ = kForever;
    engine_.timer(now_);
    perform();
  });
}

void Simulator::on_fetch(const Action& a) {
  uint32_t rid = a.status;
  auto rit = requests_.find(rid);
  if (rit == requests_.end()) {
    violation("FETCH " + std::to_string(a.id) + " for unknown request " + std::to_string(rid));
  } else if (rit->second.cancelled) {
    violation("request " + std::to_string(rid) + ": FETCH after cancel");
  } else if (rit->second.ended >= 0) {
    violation("request " + std::to_string(rid) + ": FETCH after it ended");
  }
  if (fetch_index_.count(a.id)) violation("FETCH id " + std::to_string(a.id) + " reused");

  Attempt at;
  at.fetch_id = a.id;
  at.request_id = rid;
  at.start = now_;
  at.start_tick = ++tick_;
  at.stream = (a.flags & 1) != 0;
  constexpr std::string_view scheme = "http://", suffix = ".test", path = "/v1/chat/completions";
  std::string_view url = a.url;
  size_t host_end = url.find('/', scheme.size());
  std::string_view host = url.substr(0, host_end).substr(std::min(scheme.size(), url.size()));
  if (url.substr(0, scheme.size()) != scheme || host.size() <= suffix.size() ||
      host.substr(host.size() - suffix.size()) != suffix || host_end == std::string_view::npos ||
      url.substr(host_end) != path) {
    violation("FETCH to unexpected url " + std::string(url));
  } else {
    at.provider = std::string(host.substr(0, host.size() - suffix.size()));
  }
  json::Document doc;
  std::string error;
  std::string model;
  if (json::parse(a.body, doc, error) && doc.IsObject()) {
    if (const json::Value* m = json::find(doc, "model")) model = std::string(json::view(*m));
  } else {
    violation("FETCH " + std::to_string(a.id) + " body is not JSON: " + error);
  }
  at.target = at.provider + "/" + model;

  const Profile* p = &profile_of(at);
  double latency = p->latency_min_ms + rng_.uniform() * (p->latency_max_ms - p->latency_min_ms);
  double u = rng_.uniform();
  if (now_ >= p->down_from && now_ < p->down_until) {
    at.fate = p->down_fate;
    at.status = p->down_fate == Fate::status ? p->down_status : 0;
  } else if ((u -= p->p_network_error) < 0) {
    at.fate = Fate::network_error;
  } else if ((u -= p->p_timeout) < 0) {
    at.fate = Fate::timeout;
  } else if ((u -= p->p_status) < 0) {
    at.fate = Fate::status;
    at.status = p->status;
  } else if ((u -= p->p_rate_limited) < 0) {
    at.fate = Fate::rate_limited;
  } else {
    at.fate = Fate::ok;
  }
  if (at.fate == Fate::rate_limited) {
    at.status = 429;
    at.retry_after_s = p->retry_after_s;
  } else if (at.fate == Fate::ok) {
    at.status = 200;
  }

  size_t index = attempts_.size();
  attempts_.push_back(at);
  fetch_index_[a.id] = index;
  if (rit != requests_.end()) rit->second.attempts.push_back(index);
  for (const std::string& key : {at.target, at.provider}) {
    UpstreamRecord& u2 = upstreams_[key];
    ++u2.attempts;
    u2.max_in_flight = std::max(u2.max_in_flight, ++u2.in_flight);
    u2.starts.push_back(now_);
  }
  if (at.fate != Fate::timeout) schedule(now_ + latency, [this, index] { deliver(index); });
}

void Simulator::end_attempt(Attempt& at, double when) {
  if (at.end != kForever) return;
  at.end = when;
  at.end_tick = ++tick_;
  for (const std::string& key : {at.target, at.provider}) --upstreams_[key].in_flight;
}

std::string Simulator::completion_body(const Attempt& at, const Profile& p) const {
  std::string model = at.target.substr(at.target.find('/') + 1);
  return R"({"id":"chatcmpl-sim)" + std::to_string(at.fetch_id) +
         R"(","object":"chat.completion","created":1,"model":")" + model +
         R"(","choices":[{"index":0,"message":{"role":"assistant","content":"ok from )" + at.target +
         R"("},"finish_reason":"stop"}],"usage":{"prompt_tokens":)" + std::to_string(p.prompt_tokens) +
         ",\"completion_tokens\":" + std::to_string(p.completion_tokens) +
         ",\"total_tokens\":" + std::to_string(p.prompt_tokens + p.completion_tokens) + "}}";
}

std::string Simulator::stream_body(const Attempt& at, const Profile& p) const {
  std::string model = at.target.substr(at.target.find('/') + 1);
  std::string head = R"(data: {"id":"chatcmpl-sim)" + std::to_string(at.fetch_id) +
                     R"(","object":"chat.completion.chunk","created":1,"model":")" + model + R"(","choices":)";
  return head + R"([{"index":0,"delta":{"role":"assistant","content":"ok "}}]})" + "\n\n" + head +
         R"([{"index":0,"delta":{"content":"from )" + at.target + R"("},"finish_reason":"stop"}]})" + "\n\n" +
         head + R"([],"usage":{"prompt_tokens":)" + std::to_string(p.prompt_tokens) +
         ",\"completion_tokens\":" + std::to_string(p.completion_tokens) +
         ",\"total_tokens\":" + std::to_string(p.prompt_tokens + p.completion_tokens) + "}}\n\ndata: [DONE]\n\n";
}

const Profile& Simulator::profile_of(const Attempt& at) const {
  static const Profile kDefault;
  if (auto it = profiles_.find(at.target); it != profiles_.end()) return it->second;
  if (auto it = profiles_.find(at.provider); it != profiles_.end()) return it->second;
  return kDefault;
}

// Delivers the answer of attempt `index` (its latency has passed): piece 0 is
// the status line and headers, then body pieces, then the end (or the error).
void Simulator::deliver(size_t index) { deliver_piece(index, 0); }

void Simulator::deliver_piece(size_t index, size_t piece) {
  if (attempts_[index].aborted && !late_answers_) return;
  const bool late = attempts_[index].aborted;
  const Attempt at = attempts_[index];
  const Profile& p = profile_of(at);
  const uint32_t fid = at.fetch_id;

  // After each engine call: perform its actions, or, for a late answer to an
  // aborted fetch, require that the engine ignored it.
  auto after = [&](const char* event) {
    if (!late) return perform();
    if (!exchange::decode(engine_.batch().data()).empty())
      violation(std::string(event) + " for aborted fetch " + std::to_string(fid) + " caused actions");
  };
  // Whether delivery stops here: the engine aborted the fetch meanwhile.
  auto stopped = [&] { return !late && attempts_[index].aborted; };
  auto finishing = [&] {
    if (!late) {
      attempts_[index].delivered = true;
      end_attempt(attempts_[index], now_);
    }
  };

  if (at.fate == Fate::timeout) return;
  if (at.fate == Fate::network_error) {
    finishing();
    engine_.fetch_error(fid, "connection reset by peer", now_);
    return after("fetch_error");
  }
  std::string headers = kJsonHeaders, body;
  if (at.fate == Fate::ok) {
    body = at.stream ? stream_body(at, p) : completion_body(at, p);
    if (at.stream) headers = "content-type: text/event-stream\n";
  } else {
    if (at.fate == Fate::rate_limited) {
      char ra[32];
      std::snprintf(ra, sizeof ra, "%g", at.retry_after_s);
      headers += "retry-after: " + std::string(ra) + "\n";
    }
    body = R"({"error":{"message":"simulated )" + std::to_string(at.status) + R"(","type":")" +
           (at.fate == Fate::rate_limited ? "rate_limit_error" : "server_error") + "\"}}";
  }
  size_t pieces = at.fate == Fate::ok && at.stream ? size_t(std::max(1, p.stream_pieces)) : 1;
  size_t step = (body.size() + pieces - 1) / pieces;
  size_t count = (body.size() + step - 1) / step;
  for (; piece <= count + 1; ++piece) {
    if (piece == 0) {
      engine_.fetch_response(fid, at.status, headers, now_);
      after("fetch_response");
    } else if (piece <= count) {
      engine_.fetch_body(fid, std::string_view(body).substr((piece - 1) * step, step), now_);
      after("fetch_body");
    } else {
      finishing();
      engine_.fetch_end(fid, now_);
      return after("fetch_end");
    }
    if (stopped()) return;
    if (at.stream && p.stream_gap_ms > 0) {
      schedule(now_ + p.stream_gap_ms, [this, index, piece] { deliver_piece(index, piece + 1); });
      return;
    }
  }
}

const RequestRecord& Simulator::request(uint32_t id) const {
  static const RequestRecord kNone;
  auto it = requests_.find(id);
  return it == requests_.end() ? kNone : it->second;
}

const UpstreamRecord& Simulator::upstream(const std::string& key) const {
  static const UpstreamRecord kNone;
  auto it = upstreams_.find(key);
  return it == upstreams_.end() ? kNone : it->second;
}

int Simulator::starts_between(const std::string& key, double from_ms, double to_ms) const {
  const auto& s = upstream(key).starts;
  return int(std::lower_bound(s.begin(), s.end(), to_ms) - std::lower_bound(s.begin(), s.end(), from_ms));
}

int Simulator::max_starts_in_window(const std::string& key, double window_ms) const {
  const auto& s = upstream(key).starts;
  int best = 0;
  size_t lo = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    while (s[lo] <= s[i] - window_ms) ++lo;
    best = std::max(best, int(i - lo + 1));
  }
  return best;
}

std::map<std::string, int> Simulator::answered_by(int status) const {
  std::map<std::string, int> out;
  for (const auto& [id, r] : requests_)
    if (r.responds == 1 && r.status == status) ++out[r.target()];
  return out;
}

std::map<int, int> Simulator::statuses() const {
  std::map<int, int> out;
  for (const auto& [id, r] : requests_)
    if (r.responds == 1) ++out[r.status];
  return out;
}

std::vector<std::string> Simulator::check() const {
  std::vector<std::string> out = violations_;
  auto add = [&](std::string s) {
    if (out.size() < 100) out.push_back(std::move(s));
  };
  if (engine_.in_flight() != 0) add("engine still holds " + std::to_string(engine_.in_flight()) + " request(s)");
  for (const auto& [id, r] : requests_) {
    std::string who = "request " + std::to_string(id) + ": ";
    if (!r.cancelled && r.responds != 1) add(who + std::to_string(r.responds) + " RESPONDs");
    if (r.cancelled && r.responds > 1) add(who + std::to_string(r.responds) + " RESPONDs (cancelled)");
    if (r.responds == 1 && r.streaming && !r.cancelled && r.stream_ends != 1)
      add(who + "streamed RESPOND with " + std::to_string(r.stream_ends) + " STREAM_ENDs");
    if (r.responds == 1 && !r.streaming && (r.stream_chunks || r.stream_ends))
      add(who + "plain RESPOND followed by stream actions");
    for (size_t i : r.attempts) {
      const Attempt& at = attempts_[i];
      if (at.end == kForever)
        add(who + "fetch " + std::to_string(at.fetch_id) + " to " + at.target + " never answered nor aborted");
    }
    if (r.cancelled || r.responds != 1 || r.header("x-switchyard-cache") == "HIT") continue;
    std::string target = r.target();
    bool echo = !target.empty() && echo_providers_.count(target.substr(0, target.find('/')));
    int expected = int(r.attempts.size()) + (echo ? 1 : 0);
    if (r.attempts_header() != expected)
      add(who + "x-switchyard-attempts " + std::to_string(r.attempts_header()) + " but " +
          std::to_string(r.attempts.size()) + " FETCH(es)" + (echo ? " + 1 echo" : ""));
    if (!r.attempts.empty() && !echo) {
      const Attempt& last = attempts_[r.attempts.back()];
      if (target != last.target) add(who + "x-switchyard-target " + target + " but the last FETCH went to " + last.target);
      if (r.status == 200 && last.fate != Fate::ok)
        add(who + "answered 200 but its last attempt (" + last.target + ") failed");
    }
  }
  return out;
}

std::string Simulator::chat(std::string_view model, std::string_view extra) {
  std::string body = R"({"model":")";
  body.append(model);
  body += R"(","messages":[{"role":"user","content":"hello"}])";
  body.append(extra);
  body += '}';
  return body;
}

}  // namespace sy::sim
