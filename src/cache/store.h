// The in-core response cache (L1): a byte-bounded map from a 128-bit key to response bytes,
// with per-entry expiry in the host's virtual time and LRU or LFU eviction.
//
// Every operation is O(1) (configure() that switches policy is O(n log n)). The store never
// reads a clock: callers pass `now_ms` (the same time base as every other core event).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

namespace sy::cache {

struct Key {
  uint64_t hi = 0, lo = 0;
  friend bool operator==(const Key&, const Key&) = default;
};

enum class Policy {
  lru,  // evicts the least recently used entry
  lfu,  // evicts the least frequently used entry; ties go to the least recently used
};

struct StoreStats {
  uint64_t hits = 0, misses = 0, puts = 0, evictions = 0, expirations = 0;
  size_t entries = 0, bytes = 0;
};

class Store {
 public:
  // Fixed per-entry charge on top of sizeof(Key) and the value bytes: roughly the hash node,
  // bucket slot, list links and allocator headers of a 64-bit build. It is a constant (not
  // sizeof-derived) so that the same bound holds the same entries on every platform.
  static constexpr size_t kEntryOverhead = 160;

  explicit Store(size_t max_bytes = 64u << 20, Policy policy = Policy::lru);
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Sets the byte bound and the policy, evicting (per the new policy) down to the new bound.
  // Switching policy keeps every entry; its recency and hit count carry over.
  void configure(size_t max_bytes, Policy policy);

  // Returns the value or nullptr on a miss. An entry with expires_at_ms <= now_ms is removed
  // and counts as a miss and an expiration. A hit marks the entry used (recency, frequency).
  // The pointer stays valid until the next non-const call.
  const std::string* get(const Key& key, double now_ms);

  // Stores or replaces the value for key; a replace counts as a use of the entry. Returns
  // false, stores nothing and removes any old value for key when entry_bytes(value.size())
  // exceeds max_bytes. Otherwise evicts other entries per policy until the new one fits, so
  // stats().bytes <= max_bytes always holds afterwards. `now_ms` is accepted for symmetry
  // with get(); eviction does not look at expiry.
  bool put(const Key& key, std::string value, double expires_at_ms, double now_ms);

  // Removes key; returns whether it was present. Not counted as an eviction.
  bool erase(const Key& key);

  // Removes every entry; counters are kept.
  void clear();

  // Calls f(const Key&, const std::string& value, double expires_at_ms) for every entry, in
  // eviction order (the next victim first), so that put()-ing them back in this order into
  // an empty LRU store reproduces the recency order. Expired entries are included. f must not
  // modify the store.
  template <class F>
  void for_each(F&& f) const;

  StoreStats stats() const;
  size_t max_bytes() const { return max_bytes_; }
  Policy policy() const { return policy_; }

  // Bytes an entry is charged: sizeof(Key) + value_size + kEntryOverhead.
  static size_t entry_bytes(size_t value_size) { return sizeof(Key) + value_size + kEntryOverhead; }

 private:
  struct KeyHash {
    size_t operator()(const Key& k) const {
      uint64_t x = (k.hi ^ (k.lo * 0x9e3779b97f4a7c15ull));
      return static_cast<size_t>(x ^ (x >> 32));
    }
  };
  struct Node;
  // Entries of equal frequency (all entries under LRU), most recent at head.
  struct Bucket {
    uint64_t freq = 0;
    Node* head = nullptr;
    Node* tail = nullptr;
  };
  using BucketIter = std::list<Bucket>::iterator;
  struct Node {
    Key key;
    std::string value;
    double expires_at_ms = 0;
    uint64_t freq = 0;   // uses since stored; kept under both policies
    uint64_t tick = 0;   // store-wide use counter at last use (recency)
    Node* prev = nullptr;
    Node* next = nullptr;
    BucketIter bucket;
  };

  void link_new(Node& n);
  void touch(Node& n);
  void unlink(Node& n);
  void remove(Node& n);
  void evict_until(size_t bound, const Node* keep);
  void push_front(BucketIter b, Node& n);

  size_t max_bytes_;
  Policy policy_;
  std::unordered_map<Key, Node, KeyHash> map_;
  std::list<Bucket> buckets_;  // ascending freq; front().tail is the next victim
  size_t bytes_ = 0;
  uint64_t tick_ = 0;
  StoreStats stats_;
};

template <class F>
void Store::for_each(F&& f) const {
  for (const Bucket& b : buckets_)
    for (const Node* n = b.tail; n; n = n->prev) f(n->key, n->value, n->expires_at_ms);
}

}  // namespace sy::cache
