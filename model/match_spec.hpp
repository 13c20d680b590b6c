// Patterns and match specifications for ETS (match_object, match_delete, select).
//
// A pattern is a term in which `_` (the wildcard term or the atom :_) matches anything and
// the atoms :"$1", :"$2", ... are variables, bound on first use and compared after. A match
// specification is Erlang's list of {head, guards, body} clauses over such patterns; the
// subset it supports is listed in docs/api.md (ETS).
#pragma once

#include <optional>
#include <vector>

#include "lockstep/term.hpp"

namespace lockstep::model {

// Variable bindings by number: slot i holds :"$i" once bound.
using Bindings = std::vector<std::optional<Term>>;

bool is_ground(const Term& pattern);  // no wildcard and no variable anywhere in it
bool match_pattern(const Term& pattern, const Term& value, Bindings& bindings);

class MatchSpec {
 public:
  struct Clause {
    Term head;
    std::vector<Term> guards;
    std::vector<Term> body;
  };
  // BadArg, naming the offending part, for anything outside the supported subset.
  static MatchSpec parse(const Term& spec);
  // The body's value for the first clause whose head matches and whose guards hold.
  std::optional<Term> run(const Term& object, Pid self) const;
  const std::vector<Clause>& clauses() const { return clauses_; }

 private:
  std::vector<Clause> clauses_;
};

}  // namespace lockstep::model
