// returned(): a shared-state operation's result becomes part of the caller's step, so that
// the explorer's states tell apart executions in which the same operation read different
// values (see Controller::record_result). Free unless an explorer observes states.
#pragma once

#include <cassert>
#include <type_traits>
#include <vector>

#include "core/controller.hpp"
#include "lockstep/process.hpp"

namespace lockstep::model {

inline std::uint64_t result_hash(const Term& t) { return t.hash(); }
inline std::uint64_t result_hash(bool b) { return b ? 2 : 1; }
inline std::uint64_t result_hash(std::int64_t v) { return Term(v).hash(); }
inline std::uint64_t result_hash(std::size_t v) { return Term(v).hash(); }
inline std::uint64_t result_hash(const std::vector<Term>& v) {
  std::uint64_t h = v.size();
  for (const Term& t : v) h = h * 0x100000001b3ULL ^ t.hash();
  return h;
}
inline std::uint64_t result_hash(const std::optional<Term>& t) { return t ? t->hash() : 0; }

template <typename T>
const T& returned(const T& value) {
  // Called by a process right after its sync point returned: its controller is this thread's.
  assert(core::tl_controller != nullptr && core::tl_process != nullptr);
  core::Controller& c = *core::tl_controller;
  if (c.tracking_states()) c.record_result(result_hash(value));
  return value;
}

}  // namespace lockstep::model
