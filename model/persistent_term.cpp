// persistent_term on the generic sync point, its store local to the execution.
#include "lockstep/persistent_term.hpp"

#include <map>

#include "core/controller.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/shared_sync.hpp"
#include "model/returned.hpp"

namespace lockstep::persistent_term {

namespace {
constexpr std::uint64_t kObject = 0x7065727369737421ULL;  // "persist!": the store's explorer id

using Store = std::map<Term, Term>;

Store& sync(const char* op, const Term& key, bool write) {
  Store& store = core::Controller::current("persistent_term").controller->execution_local<Store>();
  nif_sync(tuple(atom(op), key),
           SharedAccess{.object = kObject, .key = key.hash(), .whole_object = false, .write = write});
  return store;
}
}  // namespace

void put(Term key, Term value) { sync("persistent_term_put", key, true)[key] = std::move(value); }

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
