// The local name registry (per cluster node): Erlang's register/unregister/whereis/registered.
// A name is freed when its process exits.
#pragma once

#include <optional>
#include <vector>

#include "lockstep/term.hpp"

namespace lockstep {

bool register_name(Term name, Pid p);  // false if the name is taken, p is named or p is dead
void unregister_name(Term name);       // no-op if not registered
std::optional<Pid> whereis(Term name);
std::vector<Term> registered();        // sorted in term order

}  // namespace lockstep
