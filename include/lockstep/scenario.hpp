// Scenarios: LOCKSTEP_SCENARIO registers a named root-process body; a .so built from files
// holding scenarios exports all of them to lockstep-check. LOCKSTEP_ASSERT and fail() end
// the execution with a counterexample.
#pragma once

#include <source_location>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep {

struct ScenarioInfo {
  std::string name;
  void (*body)() = nullptr;
  std::string file;
  int line = 0;
};

// Every scenario registered in this process (the runtime and all loaded .so files), by name.
std::vector<ScenarioInfo> scenarios();
const ScenarioInfo* find_scenario(std::string_view name);

// Ends the execution with the counterexample "failure: why" (only inside a managed process).
[[noreturn]] void fail(std::string_view why,
                       std::source_location where = std::source_location::current());

namespace detail {
struct ScenarioRegistrar {
  ScenarioRegistrar(const char* name, void (*body)(), const char* file, int line);
  ~ScenarioRegistrar();
  ScenarioRegistrar(const ScenarioRegistrar&) = delete;
  ScenarioRegistrar& operator=(const ScenarioRegistrar&) = delete;

 private:
  const char* name_;
};
[[noreturn]] void assert_failed(const char* expr, const char* file, int line,
                                std::string_view message = {});
}  // namespace detail

}  // namespace lockstep

#define LOCKSTEP_SCENARIO(name)                                                      \
  static void lockstep_scenario_body_##name();                                       \
  static const ::lockstep::detail::ScenarioRegistrar lockstep_scenario_registrar_##name{ \
      #name, &lockstep_scenario_body_##name, __FILE__, __LINE__};                    \
  static void lockstep_scenario_body_##name()

// LOCKSTEP_ASSERT(cond) or LOCKSTEP_ASSERT(cond, "message"): a counterexample at file:line.
#define LOCKSTEP_ASSERT(cond, ...)                                                  \
  ((cond) ? static_cast<void>(0)                                                   \
          : ::lockstep::detail::assert_failed(#cond, __FILE__, __LINE__ __VA_OPT__(, ) \
                                                  __VA_ARGS__))
