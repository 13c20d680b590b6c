// lockstep::supervisor: OTP's supervisor as a gen_server that traps exits, written on the
// public primitives. Strategies one_for_one, one_for_all and rest_for_one; children
// permanent, transient or temporary; restart intensity over virtual time (more than
// max_restarts within period_ms and the supervisor shuts its children down and exits
// with :shutdown). Children are shut down in reverse start order: `exit(child, :shutdown)`,
// then `:kill` after shutdown_ms; a child that traps exits (a gen_server) runs terminate.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "lockstep/gen_server.hpp"
#include "lockstep/term.hpp"

namespace lockstep::supervisor {

enum class Strategy { one_for_one, one_for_all, rest_for_one };
enum class Restart { permanent, transient, temporary };
constexpr std::int64_t kBrutalKill = 0;  // shutdown_ms: kill at once

struct ChildSpec {
  Term id;
  // Runs in the supervisor and starts a process linked to it (e.g. gen_server::start_link).
  std::function<gen_server::Started()> start;
  Restart restart = Restart::permanent;
  std::int64_t shutdown_ms = 5000;  // or kBrutalKill, or gen_server::kInfinity
};

// A worker spec for a gen_server class: start_link<T>(opts, args...).
template <typename T, typename... Args>
ChildSpec worker(Term id, gen_server::StartOpts o = {}, Args... args) {
  return ChildSpec{std::move(id), [o, args...] { return gen_server::start_link<T>(o, args...); }};
}

struct Flags {
  Strategy strategy = Strategy::one_for_one;
  int max_restarts = 3;
  std::int64_t period_ms = 5000;
};

struct Child {
  Term id;
  std::optional<Pid> pid;  // nullopt: not running (terminated, or not restarted)
  Restart restart;
};

struct Counts {
  std::size_t specs = 0;
  std::size_t active = 0;
};

// Starts the supervisor and its children in order; a child that fails to start stops it
// with {:shutdown, {:failed_to_start_child, id, reason}}.
gen_server::Started start_link(std::vector<ChildSpec> children, Flags flags = {},
                               gen_server::StartOpts o = {});
// Adds and starts a child. Errors as Erlang's: :already_present (the id is taken), or the
// child's start error.
gen_server::Started start_child(const Term& sup, ChildSpec spec);
bool terminate_child(const Term& sup, const Term& id);             // false: no such child
gen_server::Started restart_child(const Term& sup, const Term& id);  // error :running / :not_found
bool delete_child(const Term& sup, const Term& id);                 // false: running or absent
std::vector<Child> which_children(const Term& sup);
Counts count_children(const Term& sup);

}  // namespace lockstep::supervisor
