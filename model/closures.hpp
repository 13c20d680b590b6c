// Closures carried by messages: a message is a Term, so a process that hands a function to
// another (agent updates, ...) keeps it here under a fresh ref and sends the ref; the
// receiver takes it out. The store belongs to the execution.
#pragma once

#include <any>
#include <map>
#include <utility>

#include "core/controller.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/process.hpp"

namespace lockstep::model {

struct ClosureStore {
  std::map<Ref, std::any> closures;
  // A closure is stashed by a process and taken by the one that received its ref: what the
  // store holds follows from the processes' local states, except which refs are still in it.
  void fingerprint(core::Fingerprint& f) const {
    f.add(closures.size());
    for (const auto& [ref, closure] : closures) f.add((std::uint64_t{ref.owner} << 32) | ref.seq);
  }
};

inline ClosureStore& closure_store() {
  return core::Controller::current("closures").controller->execution_local<ClosureStore>();
}

template <typename F>
Term stash_closure(F f) {
  Ref ref = make_ref();
  closure_store().closures.emplace(ref, std::move(f));
  return ref;
}

template <typename F>
F take_closure(const Term& ref) {
  auto& store = closure_store().closures;
  auto it = ref.is_ref() ? store.find(ref.as_ref()) : store.end();
  if (it == store.end()) throw BadArg("no function stashed under " + ref.to_string());
  F f = std::any_cast<F>(std::move(it->second));
  store.erase(it);
  return f;
}

}  // namespace lockstep::model
