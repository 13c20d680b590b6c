// The registry LOCKSTEP_SCENARIO fills from static initialisers (of the runtime and of every
// loaded scenario .so); unloading a .so removes its scenarios.
#include <algorithm>
#include <mutex>

#include "lockstep/scenario.hpp"

namespace lockstep {

namespace {
struct Registry {
  std::mutex mutex;
  std::vector<ScenarioInfo> entries;
};
Registry& registry() {
  static Registry* r = new Registry();  // outlives every static registrar
  return *r;
}
}  // namespace

std::vector<ScenarioInfo> scenarios() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<ScenarioInfo> out = r.entries;
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

const ScenarioInfo* find_scenario(std::string_view name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  for (const ScenarioInfo& s : r.entries) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

namespace detail {
ScenarioRegistrar::ScenarioRegistrar(const char* name, void (*body)(), const char* file, int line)
    : name_(name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.entries.push_back(ScenarioInfo{name, body, file, line});
}

ScenarioRegistrar::~ScenarioRegistrar() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::string_view name(name_);
  auto it = std::find_if(r.entries.begin(), r.entries.end(),
                         [&](const ScenarioInfo& s) { return s.name == name; });
  if (it != r.entries.end()) r.entries.erase(it);
}
}  // namespace detail

}  // namespace lockstep
