#include "ledger/objects.h"

#include "ledger/op.h"

namespace sy::ledger {

Answer Objects::apply(std::string_view object, const Op& op, double now) {
  auto it = objects_.find(object);
  if (it == objects_.end()) it = objects_.emplace(std::string(object), std::map<std::string, Pool, std::less<>>()).first;
  auto pool = it->second.find(op.pool);
  if (pool == it->second.end()) pool = it->second.emplace(op.pool, Pool()).first;
  return op.kind == Op::Kind::get ? pool->second.get(op, now) : pool->second.lease(op, now);
}

bool Objects::apply(std::string_view object, std::string_view op_text, double now, std::string& out) {
  Op op;
  out.clear();
  if (!decode(op_text, op, out)) return false;
  out = encode(apply(object, op, now), op.kind);
  return true;
}

const Pool* Objects::find(std::string_view object, std::string_view pool) const {
  auto it = objects_.find(object);
  if (it == objects_.end()) return nullptr;
  auto p = it->second.find(pool);
  return p == it->second.end() ? nullptr : &p->second;
}

}  // namespace sy::ledger
