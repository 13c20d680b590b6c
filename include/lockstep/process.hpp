// Processes and messages: the sync points a scenario's processes call.
//
// Every function here is a sync point unless marked (local): the calling process stops,
// the controller's strategy picks who runs next, and the operation takes effect when the
// caller is scheduled. Calling one outside a managed process throws UsageError.
// Semantics follow Erlang; see docs/api.md for the table against Lockstep.Controller.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "lockstep/term.hpp"

namespace lockstep {

struct SpawnOpts {
  Term node;  // cluster node to run on; nil (the default) means the spawner's node
};

Pid self();  // (local)
Ref make_ref();  // (local) a fresh reference, unique within the execution

Pid spawn(std::function<void()> f, SpawnOpts o = {});
Pid spawn_link(std::function<void()> f, SpawnOpts o = {});  // spawn and link atomically

void send(Pid to, Term msg);
void send(Term registered_name, Term msg);  // local name; badarg if unregistered
void send(Term name, Term node, Term msg);  // {name, node}; dropped if unregistered there

Term receive();                                               // first message, blocks
Term receive(Matcher m);                                      // first matching message
std::optional<Term> receive(Matcher m, std::int64_t timeout_ms);  // nullopt on timeout
void sleep(std::int64_t ms);

TimerRef send_after(Pid to, Term msg, std::int64_t delay_ms);
std::optional<std::int64_t> cancel_timer(TimerRef t);  // ms left, nullopt if fired/cancelled
std::int64_t now();                                     // virtual milliseconds

}  // namespace lockstep
