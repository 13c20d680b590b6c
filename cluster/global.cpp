// The global registry on the generic sync point: one store per execution, keyed by name;
// it hears of every process exit and drops the names of the dead.
#include "lockstep/global.hpp"

#include <map>

#include "core/controller.hpp"
#include "lockstep/shared_sync.hpp"
#include "model/returned.hpp"

namespace lockstep::global {

using core::Controller;

namespace {

constexpr std::uint64_t kObject = 0x676c6f62616c2121ULL;  // "global!!": the registry's explorer id

struct Store final : Controller::ExitObserver {
  std::map<Term, Pid> names;
  bool observing = false;

  void process_exited(Controller& c, Pid pid, const Term& /*reason*/) override {
    // Which names go depends on who held them: a consequence of the registry's state.
    Controller::Consequences held(c, core::ObjectKind::shared_object, kObject);
    std::erase_if(names, [&](const auto& entry) {
      if (!(entry.second == pid)) return false;
      c.touch_shared(SharedAccess{.object = kObject, .key = entry.first.hash(), .whole_object = false});
      return true;
    });
  }
  void fingerprint(core::Fingerprint& f) const {
    f.add(names.size());
    for (const auto& [name, pid] : names) f.add(name.hash()).add(pid.id);
  }
};

Store& sync(const char* op, const Term* name, bool write) {
  Controller& c = *Controller::current("global").controller;
  Store& s = c.execution_local<Store>();
  if (!s.observing) {
    c.add_exit_observer(s);
    c.hashes_contents_of(kObject);
    s.observing = true;
  }
  SharedAccess access{.object = kObject, .write = write};
  if (name != nullptr) {
    access.key = name->hash();
    access.whole_object = false;
    nif_sync(tuple(atom(op), *name), access);
  } else {
    nif_sync(atom(op), access);
  }
  return s;
}

}  // namespace

bool register_name(Term name, Pid p) {
  Store& s = sync("global_register_name", &name, true);
  Controller& c = *Controller::current("global").controller;
  bool ok = !s.names.contains(name) && c.alive(p);
  if (ok) s.names.emplace(std::move(name), p);
  return model::returned(ok);
}

void unregister_name(Term name) { sync("global_unregister_name", &name, true).names.erase(name); }

std::optional<Pid> whereis_name(Term name) {
  Store& s = sync("global_whereis_name", &name, false);
  auto it = s.names.find(name);
  if (it == s.names.end()) return model::returned(false), std::nullopt;
  return model::returned(Term(it->second)), std::optional<Pid>(it->second);
}

std::vector<Term> registered_names() {
  Store& s = sync("global_registered_names", nullptr, false);
  std::vector<Term> out;
  for (const auto& entry : s.names) out.push_back(entry.first);
  return model::returned(out);
}

}  // namespace lockstep::global
