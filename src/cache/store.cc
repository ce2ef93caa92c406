#include "cache/store.h"

#include <algorithm>
#include <vector>

namespace sy::cache {

Store::Store(size_t max_bytes, Policy policy) : max_bytes_(max_bytes), policy_(policy) {}

void Store::push_front(BucketIter b, Node& n) {
  n.bucket = b;
  n.prev = nullptr;
  n.next = b->head;
  if (b->head) b->head->prev = &n;
  else b->tail = &n;
  b->head = &n;
}

void Store::unlink(Node& n) {
  Bucket& b = *n.bucket;
  (n.prev ? n.prev->next : b.head) = n.next;
  (n.next ? n.next->prev : b.tail) = n.prev;
  n.prev = n.next = nullptr;
}

// LRU keeps one bucket (freq 0); under LFU a new entry (freq 1) belongs to the lowest bucket.
void Store::link_new(Node& n) {
  uint64_t freq = policy_ == Policy::lfu ? n.freq : 0;
  if (buckets_.empty() || buckets_.front().freq != freq) buckets_.push_front(Bucket{freq});
  push_front(buckets_.begin(), n);
}

void Store::touch(Node& n) {
  ++n.freq;
  n.tick = ++tick_;
  BucketIter from = n.bucket;
  unlink(n);
  if (policy_ == Policy::lru) {
    push_front(from, n);
    return;
  }
  BucketIter to = std::next(from);
  if (to == buckets_.end() || to->freq != n.freq) to = buckets_.insert(to, Bucket{n.freq});
  push_front(to, n);
  if (!from->head) buckets_.erase(from);
}

void Store::remove(Node& n) {
  BucketIter b = n.bucket;
  unlink(n);
  if (!b->head) buckets_.erase(b);
  bytes_ -= entry_bytes(n.value.size());
  Key key = n.key;  // n dies during erase
  map_.erase(key);
}

// `keep` (a just-touched entry, so at the head of its bucket) is never chosen.
void Store::evict_until(size_t bound, const Node* keep) {
  while (bytes_ > bound && !buckets_.empty()) {
    Node* victim = buckets_.front().tail;
    if (victim == keep) victim = victim->prev;
    if (!victim) {  // keep is alone in the lowest bucket
      auto second = std::next(buckets_.begin());
      if (second == buckets_.end()) return;
      victim = second->tail;
    }
    remove(*victim);
    ++stats_.evictions;
  }
}

void Store::configure(size_t max_bytes, Policy policy) {
  max_bytes_ = max_bytes;
  if (policy != policy_) {
    policy_ = policy;
    std::vector<Node*> nodes;
    nodes.reserve(map_.size());
    for (auto& [key, n] : map_) nodes.push_back(&n);
    auto freq = [&](const Node* n) { return policy_ == Policy::lfu ? n->freq : 0; };
    std::sort(nodes.begin(), nodes.end(), [&](const Node* a, const Node* b) {
      return freq(a) != freq(b) ? freq(a) < freq(b) : a->tick < b->tick;
    });
    buckets_.clear();
    for (Node* n : nodes) {  // oldest first within a frequency, so the most recent ends at head
      if (buckets_.empty() || buckets_.back().freq != freq(n)) buckets_.push_back(Bucket{freq(n)});
      push_front(std::prev(buckets_.end()), *n);
    }
  }
  evict_until(max_bytes_, nullptr);
}

const std::string* Store::get(const Key& key, double now_ms) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  Node& n = it->second;
  if (n.expires_at_ms <= now_ms) {
    remove(n);
    ++stats_.expirations;
    ++stats_.misses;
    return nullptr;
  }
  touch(n);
  ++stats_.hits;
  return &n.value;
}

bool Store::put(const Key& key, std::string value, double expires_at_ms, double /*now_ms*/) {
  size_t need = entry_bytes(value.size());
  auto it = map_.find(key);
  if (need > max_bytes_) {
    if (it != map_.end()) remove(it->second);
    return false;
  }
  ++stats_.puts;
  if (it != map_.end()) {
    Node& n = it->second;
    bytes_ = bytes_ - entry_bytes(n.value.size()) + need;
    n.value = std::move(value);
    n.expires_at_ms = expires_at_ms;
    touch(n);
    evict_until(max_bytes_, &n);
    return true;
  }
  evict_until(max_bytes_ - need, nullptr);
  Node& n = map_.try_emplace(key).first->second;
  n.key = key;
  n.value = std::move(value);
  n.expires_at_ms = expires_at_ms;
  n.freq = 1;
  n.tick = ++tick_;
  link_new(n);
  bytes_ += need;
  return true;
}

bool Store::erase(const Key& key) {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  remove(it->second);
  return true;
}

void Store::clear() {
  map_.clear();
  buckets_.clear();
  bytes_ = 0;
}

StoreStats Store::stats() const {
  StoreStats s = stats_;
  s.entries = map_.size();
  s.bytes = bytes_;
  return s;
}

}  // namespace sy::cache
