// Server names shared by the OTP behaviours (gen_server, gen_statem, agent, supervisor):
// a pid, a local name (atom), `{name, node}`, or `{:via, registry, key}`.
#pragma once

#include <optional>

#include "lockstep/term.hpp"

namespace lockstep::model {

std::optional<Pid> resolve_server(const Term& name);  // who holds the name now
// Registers `self` under `name`; the process holding it if it is taken (nullopt: done).
std::optional<Pid> register_server(const Term& name, Pid self);
void send_to_server(const Term& name, Term msg);  // dropped if nobody holds the name

}  // namespace lockstep::model
