// Links, monitors and exit signals, with Erlang semantics:
// `:normal` does not kill a linked process; any other reason kills a non-trapping linked
// process; `:kill` kills even a trapping one (reason `:killed`); a trapping process gets
// `{:EXIT, from, reason}` messages instead; monitoring a dead process delivers a
// `{:DOWN, ref, :process, pid, :noproc}` at once; a killed process's stack is unwound
// (destructors run); an uncaught C++ exception is an abnormal exit.
#pragma once

#include "lockstep/term.hpp"

namespace lockstep {

void link(Pid p);    // linking a dead process sends the caller a `:noproc` exit signal
void unlink(Pid p);
Ref monitor(Pid p);  // delivers {:DOWN, ref, :process, pid, reason}
void demonitor(Ref r, bool flush = false);  // flush: also drop a DOWN already delivered
void exit(Pid p, Term reason);              // send an exit signal
[[noreturn]] void exit(Term reason);        // end the calling process with `reason`
bool trap_exit(bool on);                    // returns the previous value
bool alive(Pid p);

}  // namespace lockstep
