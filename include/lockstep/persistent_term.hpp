// lockstep::persistent_term: Erlang's persistent_term, a global key-value store. Every
// operation is a sync point (nif_sync) on its key, so the explorer orders a put or erase
// with the gets and puts of the same key only. The store belongs to the execution.
#pragma once

#include <optional>

#include "lockstep/term.hpp"

namespace lockstep::persistent_term {

void put(Term key, Term value);
Term get(Term key);                                 // BadArg (Erlang badarg) if absent
std::optional<Term> get(Term key, std::nullopt_t);  // nullopt if absent
Term get(Term key, Term default_value);
bool erase(Term key);                               // whether it existed

}  // namespace lockstep::persistent_term
