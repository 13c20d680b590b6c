// lockstep::global: the cluster-wide name registry (Erlang's :global). Registration is
// atomic: of concurrent registrations of one name the first wins and the others get
// false. A name goes when its process exits or its node stops.
#pragma once

#include <optional>
#include <vector>

#include "lockstep/term.hpp"

namespace lockstep::global {

bool register_name(Term name, Pid p);  // false if the name is taken or p is not alive
void unregister_name(Term name);
std::optional<Pid> whereis_name(Term name);
std::vector<Term> registered_names();  // term order

}  // namespace lockstep::global
