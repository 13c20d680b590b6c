// The typed errors lockstep raises. Four channels, never mixed:
//  - ConfigError: bad options or input files (the CLI exits 2 with its message);
//  - UsageError: the API used wrongly, e.g. `receive()` outside a managed process;
//  - ErlangError: an Erlang-level error raised inside a process (e.g. `badarg`); uncaught,
//    it ends the process abnormally with its reason, exactly like an Erlang exception;
//  - a bug found in the scenario is never an exception: it is a Counterexample in the Result.
#pragma once

#include <stdexcept>
#include <string>

#include "lockstep/term.hpp"

namespace lockstep {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class UsageError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class ErlangError : public std::runtime_error {
 public:
  explicit ErlangError(Term reason);
  const Term& reason() const { return reason_; }

 private:
  Term reason_;
};

// `badarg`, with what went wrong for the trace: the exit reason is `{:badarg, "detail"}`.
class BadArg : public ErlangError {
 public:
  explicit BadArg(const std::string& detail);
};

}  // namespace lockstep
