// Cache snapshots (docs/host-interface.md, "Cache snapshots"): exporting the core's cache merged
// with the host's persistent tier, importing a snapshot all or nothing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "cache/store.h"
#include "exchange/actions.h"

namespace sy::gateway {

// The L1 entries alive at `now`, merged with `tier_lines` (the host tier's entry lines, one per
// line; may be empty): one entry per key, the newest expires_at winning; expired or unreadable
// tier lines are left out. One JSON document {"format":"switchyard.cache","version":1,
// "entries":[…]}, or NDJSON (that header without entries, then one entry per line).
std::string export_snapshot(const cache::Store& store, std::string_view tier_lines, bool ndjson, double now);

struct Imported {
  size_t imported = 0;
  size_t expired = 0;
};

// Checks a snapshot (either form) whole; only when every entry is valid does it store each live
// one in L1, handing it to the host's tier too (CACHE_PUT into `tier`) when `tier` is not null.
// Returns false with `error` ("entries[3]: …") and changes nothing otherwise.
bool import_snapshot(std::string_view body, cache::Store& store, exchange::ActionBatch* tier, double now,
                     Imported& result, std::string& error);

}  // namespace sy::gateway
