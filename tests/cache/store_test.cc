#include "cache/store.h"

#include <gtest/gtest.h>

#include <list>
#include <map>
#include <random>
#include <vector>

namespace sy::cache {
namespace {

constexpr double kNever = 1e300;

Key k(uint64_t i) { return Key{i * 7919, i}; }
size_t eb(size_t n) { return Store::entry_bytes(n); }

std::vector<uint64_t> keys_in_eviction_order(const Store& s) {
  std::vector<uint64_t> out;
  s.for_each([&](const Key& key, const std::string&, double) { out.push_back(key.lo); });
  return out;
}

size_t sum_entry_bytes(const Store& s) {
  size_t sum = 0;
  s.for_each([&](const Key&, const std::string& v, double) { sum += eb(v.size()); });
  return sum;
}

TEST(StoreTest, GetReturnsStoredValue) {
  Store s;
  EXPECT_EQ(s.get(k(1), 0), nullptr);
  EXPECT_TRUE(s.put(k(1), "one", kNever, 0));
  ASSERT_NE(s.get(k(1), 0), nullptr);
  EXPECT_EQ(*s.get(k(1), 0), "one");
  EXPECT_EQ(s.get(Key{k(1).hi, 2}, 0), nullptr);
}

TEST(StoreTest, LruEvictsLeastRecentlyUsed) {
  Store s(3 * eb(1), Policy::lru);
  s.put(k(1), "a", kNever, 0);
  s.put(k(2), "b", kNever, 0);
  s.put(k(3), "c", kNever, 0);
  ASSERT_NE(s.get(k(1), 0), nullptr);  // order now 2, 3, 1
  s.put(k(4), "d", kNever, 0);         // evicts 2
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{3, 1, 4}));
  EXPECT_EQ(s.get(k(2), 0), nullptr);
  s.put(k(5), "e", kNever, 0);  // evicts 3
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{1, 4, 5}));
  EXPECT_EQ(s.stats().evictions, 2u);
}

TEST(StoreTest, LfuEvictsLeastFrequentlyUsedWithRecencyTieBreak) {
  Store s(3 * eb(1), Policy::lfu);
  s.put(k(1), "a", kNever, 0);
  s.put(k(2), "b", kNever, 0);
  s.put(k(3), "c", kNever, 0);
  s.get(k(1), 0);
  s.get(k(1), 0);  // 1: freq 3
  s.get(k(3), 0);  // 3: freq 2
  s.get(k(2), 0);  // 2: freq 2, more recent than 3
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{3, 2, 1}));
  s.put(k(4), "d", kNever, 0);  // evicts 3 (freq 2, least recent of the tie)
  EXPECT_EQ(s.get(k(3), 0), nullptr);
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{4, 2, 1}));
  s.put(k(5), "e", kNever, 0);  // evicts 4 (freq 1)
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{5, 2, 1}));
  s.put(k(6), "f", kNever, 0);  // new entries displace each other before frequent ones
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{6, 2, 1}));
}

TEST(StoreTest, LfuTieAmongNewEntriesEvictsOldest) {
  Store s(2 * eb(1), Policy::lfu);
  s.put(k(1), "a", kNever, 0);
  s.put(k(2), "b", kNever, 0);
  s.put(k(3), "c", kNever, 0);
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{2, 3}));
}

TEST(StoreTest, ByteBoundNeverExceededAndAccountingExact) {
  Store s(10000, Policy::lru);
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    size_t len = rng() % 3000;
    EXPECT_TRUE(s.put(k(rng() % 50), std::string(len, 'x'), kNever, 0));
    StoreStats st = s.stats();
    ASSERT_LE(st.bytes, 10000u);
    ASSERT_EQ(st.bytes, sum_entry_bytes(s));
  }
}

TEST(StoreTest, EntryBytesFormula) {
  EXPECT_EQ(Store::entry_bytes(0), sizeof(Key) + Store::kEntryOverhead);
  EXPECT_EQ(Store::entry_bytes(100) - Store::entry_bytes(0), 100u);
  Store s;
  s.put(k(1), std::string(100, 'a'), kNever, 0);
  s.put(k(2), "", kNever, 0);
  EXPECT_EQ(s.stats().bytes, eb(100) + eb(0));
}

TEST(StoreTest, TtlExpiresAtExactlyExpiresAt) {
  Store s;
  s.put(k(1), "v", 1000, 0);
  EXPECT_NE(s.get(k(1), 999.999), nullptr);
  EXPECT_EQ(s.get(k(1), 1000), nullptr);
  StoreStats st = s.stats();
  EXPECT_EQ(st.expirations, 1u);
  EXPECT_EQ(st.misses, 1u);
  EXPECT_EQ(st.hits, 1u);
  EXPECT_EQ(st.entries, 0u);
  EXPECT_EQ(st.bytes, 0u);
  EXPECT_EQ(s.get(k(1), 0), nullptr);  // gone, even at an earlier time
  EXPECT_EQ(s.stats().expirations, 1u);
}

TEST(StoreTest, OversizeValueRefusedAndOldValueRemoved) {
  Store s(eb(10));
  EXPECT_TRUE(s.put(k(1), std::string(10, 'a'), kNever, 0));
  EXPECT_FALSE(s.put(k(2), std::string(11, 'b'), kNever, 0));
  EXPECT_NE(s.get(k(1), 0), nullptr);  // refusing did not evict others
  EXPECT_FALSE(s.put(k(1), std::string(11, 'c'), kNever, 0));
  EXPECT_EQ(s.get(k(1), 0), nullptr);
  EXPECT_EQ(s.stats().bytes, 0u);
  EXPECT_EQ(s.stats().puts, 1u);
}

TEST(StoreTest, ReplaceUpdatesBytesValueAndExpiry) {
  Store s;
  s.put(k(1), std::string(10, 'a'), 100, 0);
  s.put(k(1), std::string(500, 'b'), 200, 0);
  EXPECT_EQ(s.stats().entries, 1u);
  EXPECT_EQ(s.stats().bytes, eb(500));
  ASSERT_NE(s.get(k(1), 150), nullptr);
  EXPECT_EQ(*s.get(k(1), 150), std::string(500, 'b'));
  s.put(k(1), "c", 300, 0);
  EXPECT_EQ(s.stats().bytes, eb(1));
}

TEST(StoreTest, ReplaceGrowingEvictsOthersNotItself) {
  Store s(3 * eb(1));
  s.put(k(1), "a", kNever, 0);
  s.put(k(2), "b", kNever, 0);
  s.put(k(3), "c", kNever, 0);
  EXPECT_TRUE(s.put(k(1), std::string(2 * eb(1), 'x'), kNever, 0));  // needs almost everything
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{1}));
  EXPECT_LE(s.stats().bytes, s.max_bytes());
}

TEST(StoreTest, ConfigureShrinkingEvicts) {
  Store s(10 * eb(1));
  for (uint64_t i = 1; i <= 10; ++i) s.put(k(i), "v", kNever, 0);
  s.get(k(1), 0);
  s.configure(3 * eb(1), Policy::lru);
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{9, 10, 1}));
  EXPECT_EQ(s.stats().evictions, 7u);
  EXPECT_EQ(s.stats().bytes, 3 * eb(1));
}

TEST(StoreTest, PolicySwitchKeepsEntriesAndHistory) {
  Store s(10 * eb(1), Policy::lru);
  for (uint64_t i = 1; i <= 4; ++i) s.put(k(i), "v", kNever, 0);
  s.get(k(1), 0);
  s.get(k(1), 0);
  s.get(k(2), 0);
  // recency: 3 4 1 2; frequencies: 1:3 2:2 3:1 4:1
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{3, 4, 1, 2}));
  s.configure(10 * eb(1), Policy::lfu);
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{3, 4, 2, 1}));
  s.get(k(3), 0);
  s.get(k(3), 0);
  s.get(k(3), 0);  // 3: freq 4
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{4, 2, 1, 3}));
  s.configure(10 * eb(1), Policy::lru);  // back to pure recency
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{4, 1, 2, 3}));
  s.get(k(4), 0);
  EXPECT_EQ(keys_in_eviction_order(s), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(s.stats().entries, 4u);
}

TEST(StoreTest, StatsCounters) {
  Store s(2 * eb(1));
  s.put(k(1), "a", 50, 0);
  s.put(k(2), "b", kNever, 0);
  s.get(k(1), 10);       // hit
  s.get(k(3), 10);       // miss
  s.put(k(3), "c", kNever, 10);  // evicts 2
  s.get(k(1), 60);       // expired: miss
  EXPECT_TRUE(s.erase(k(3)));
  EXPECT_FALSE(s.erase(k(3)));
  StoreStats st = s.stats();
  EXPECT_EQ(st.hits, 1u);
  EXPECT_EQ(st.misses, 2u);
  EXPECT_EQ(st.puts, 3u);
  EXPECT_EQ(st.evictions, 1u);
  EXPECT_EQ(st.expirations, 1u);
  EXPECT_EQ(st.entries, 0u);
  EXPECT_EQ(st.bytes, 0u);
  s.put(k(4), "d", kNever, 0);
  s.clear();
  EXPECT_EQ(s.stats().entries, 0u);
  EXPECT_EQ(s.stats().bytes, 0u);
  EXPECT_EQ(s.stats().puts, 4u);
  EXPECT_EQ(s.get(k(4), 0), nullptr);
}

TEST(StoreTest, ForEachReportsExpiry) {
  Store s;
  s.put(k(1), "a", 123.5, 0);
  int calls = 0;
  s.for_each([&](const Key& key, const std::string& v, double exp) {
    ++calls;
    EXPECT_EQ(key, k(1));
    EXPECT_EQ(v, "a");
    EXPECT_EQ(exp, 123.5);
  });
  EXPECT_EQ(calls, 1);
}

// A list-based LRU with the same contract, checked against the store op by op.
class ReferenceLru {
 public:
  explicit ReferenceLru(size_t max) : max_(max) {}
  const std::string* get(uint64_t key, double now, StoreStats& st) {
    auto it = find(key);
    if (it == order_.end()) return ++st.misses, nullptr;
    if (it->expires <= now) {
      bytes_ -= eb(it->value.size());
      order_.erase(it);
      ++st.misses, ++st.expirations;
      return nullptr;
    }
    order_.splice(order_.begin(), order_, it);
    ++st.hits;
    return &order_.front().value;
  }
  bool put(uint64_t key, std::string value, double expires, StoreStats& st) {
    size_t need = eb(value.size());
    auto it = find(key);
    if (it != order_.end()) {
      bytes_ -= eb(it->value.size());
      order_.erase(it);
    }
    if (need > max_) return false;
    ++st.puts;
    while (bytes_ + need > max_) {
      bytes_ -= eb(order_.back().value.size());
      order_.pop_back();
      ++st.evictions;
    }
    order_.push_front({key, std::move(value), expires});
    bytes_ += need;
    return true;
  }
  bool erase(uint64_t key) {
    auto it = find(key);
    if (it == order_.end()) return false;
    bytes_ -= eb(it->value.size());
    order_.erase(it);
    return true;
  }
  std::vector<uint64_t> eviction_order() const {
    std::vector<uint64_t> out;
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) out.push_back(it->key);
    return out;
  }
  size_t bytes() const { return bytes_; }

 private:
  struct Entry {
    uint64_t key;
    std::string value;
    double expires;
  };
  std::list<Entry>::iterator find(uint64_t key) {
    for (auto it = order_.begin(); it != order_.end(); ++it)
      if (it->key == key) return it;
    return order_.end();
  }
  size_t max_;
  size_t bytes_ = 0;
  std::list<Entry> order_;
};

TEST(StoreTest, RandomizedAgainstReferenceLru) {
  const size_t max = 20 * eb(40);
  Store s(max, Policy::lru);
  ReferenceLru ref(max);
  StoreStats ref_stats;
  std::mt19937 rng(12345);
  double now = 0;
  for (int op = 0; op < 10000; ++op) {
    now += rng() % 3;
    uint64_t key = rng() % 64;
    switch (rng() % 10) {
      case 0:
      case 1:
      case 2:
      case 3: {
        size_t len = rng() % 7 == 0 ? max : rng() % 80;  // occasionally oversize
        std::string value(len, static_cast<char>('a' + op % 26));
        double expires = now + 1 + rng() % 200;
        bool want = ref.put(key, value, expires, ref_stats);
        ASSERT_EQ(s.put(k(key), std::move(value), expires, now), want) << "op " << op;
        break;
      }
      case 4:
        ASSERT_EQ(s.erase(k(key)), ref.erase(key)) << "op " << op;
        break;
      default: {
        const std::string* want = ref.get(key, now, ref_stats);
        const std::string* got = s.get(k(key), now);
        ASSERT_EQ(got == nullptr, want == nullptr) << "op " << op;
        if (got) {
          ASSERT_EQ(*got, *want) << "op " << op;
        }
      }
    }
    StoreStats st = s.stats();
    ASSERT_LE(st.bytes, max);
    ASSERT_EQ(st.bytes, ref.bytes()) << "op " << op;
    ASSERT_EQ(st.bytes, sum_entry_bytes(s));
    ASSERT_EQ(st.hits, ref_stats.hits);
    ASSERT_EQ(st.misses, ref_stats.misses);
    ASSERT_EQ(st.evictions, ref_stats.evictions);
    ASSERT_EQ(st.expirations, ref_stats.expirations);
    ASSERT_EQ(st.puts, ref_stats.puts);
    if (op % 97 == 0) {
      ASSERT_EQ(keys_in_eviction_order(s), ref.eviction_order()) << "op " << op;
    }
  }
  EXPECT_EQ(keys_in_eviction_order(s), ref.eviction_order());
}

TEST(StoreTest, RandomizedLfuKeepsInvariants) {
  const size_t max = 30 * eb(20);
  Store s(max, Policy::lfu);
  std::mt19937 rng(99);
  for (int op = 0; op < 10000; ++op) {
    uint64_t key = rng() % 100;
    if (rng() % 3 == 0) s.put(k(key), std::string(rng() % 60, 'z'), kNever, op);
    else s.get(k(key), op);
    if (op == 5000) s.configure(max / 2, Policy::lru);
    if (op == 7000) s.configure(max, Policy::lfu);
    StoreStats st = s.stats();
    ASSERT_LE(st.bytes, s.max_bytes());
    ASSERT_EQ(st.bytes, sum_entry_bytes(s));
    ASSERT_EQ(keys_in_eviction_order(s).size(), st.entries);
  }
}

}  // namespace
}  // namespace sy::cache
