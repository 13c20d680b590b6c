// persistent_term on the generic sync point, its store local to the execution.
#include "lockstep/persistent_term.hpp"

#include <map>

#include "core/controller.hpp"
#include "core/mix.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/shared_sync.hpp"
#include "model/returned.hpp"

namespace lockstep::persistent_term {

namespace {
constexpr std::uint64_t kObject = 0x7065727369737421ULL;  // "persist!": the store's explorer id

// One map per node: a key put on one node is not visible on another, and a stopped node's
// keys are wiped.
struct Stores final : core::Controller::ExitObserver {
  std::map<std::uint32_t, std::map<Term, Term>> by_node;
  bool observing = false;
  void process_exited(core::Controller&, Pid, const Term&) override {}
  void node_stopped(core::Controller& c, std::uint32_t node) override {
    c.touch_shared(SharedAccess{.object = kObject});  // every key of the node
    by_node.erase(node);
  }
  void fingerprint(core::Fingerprint& f) const {
    f.add(by_node.size());
    for (const auto& [node, store] : by_node) {
      f.add(node).add(store.size());
      for (const auto& [key, value] : store) f.add(key.hash()).add(value.hash());
    }
  }
};
using Store = std::map<Term, Term>;

// `commutes`: SharedAccess::commutes, for a blind write.
Store& sync(const char* op, const Term& key, bool write, std::uint64_t commutes = 0) {
  core::Process& p = core::Controller::current("persistent_term");
  Stores& stores = p.controller->execution_local<Stores>();
  if (!stores.observing) {
    p.controller->add_exit_observer(stores);
    p.controller->hashes_contents_of(kObject);
    stores.observing = true;
  }
  core::shared_sync(atom(op), key,
                    SharedAccess{.object = kObject, .key = core::mix(p.pid.node, key.hash()), .whole_object = false,
                                 .write = write, .commutes = commutes});
  return stores.by_node[p.pid.node];
}
}  // namespace

// Puts of one value to a key commute (put returns nothing).
void put(Term key, Term value) {
  std::uint64_t commutes = core::mix(0x7074707574707431ULL, value.hash()) | 1;
  sync("persistent_term_put", key, true, commutes)[key] = std::move(value);
}

Term get(Term key) {
  Store& store = sync("persistent_term_get", key, false);
  auto it = store.find(key);
  if (it == store.end()) throw BadArg("persistent_term::get of absent key " + key.to_string());
  return model::returned(it->second);
}

std::optional<Term> get(Term key, std::nullopt_t) {
  Store& store = sync("persistent_term_get", key, false);
  auto it = store.find(key);
  if (it == store.end()) return model::returned(false), std::nullopt;
  return model::returned(it->second);
}

Term get(Term key, Term default_value) {
  auto found = get(std::move(key), std::nullopt);
  return found ? *found : default_value;
}

bool erase(Term key) { return model::returned(sync("persistent_term_erase", key, true).erase(key) > 0); }

}  // namespace lockstep::persistent_term
