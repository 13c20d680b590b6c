// Process: the controller's record of one managed process (private to core).
// Invariant: while a process is not running, its fiber is suspended at a sync point with
// `op` describing what it will do, or is finished.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "core/event.hpp"
#include "core/fiber.hpp"
#include "core/mailbox.hpp"
#include "core/pending_op.hpp"
#include "lockstep/term.hpp"

namespace lockstep::core {

class Controller;

struct Process {
  Controller* controller = nullptr;
  Pid pid;
  std::function<void()> body;  // destroyed before the fiber ends
  Fiber fiber;
  PendingOp op;
  OpResult result;
  Mailbox mailbox;
  std::vector<std::uint32_t> links;  // pid ids, both directions kept in sync
  std::vector<Ref> monitored_by;     // active monitors whose target is this process
  std::optional<Term> name;          // local registry name
  Term exit_reason;
  std::uint32_t ref_seq = 0;         // refs this process made
  std::uint32_t events = 0;          // events executed so far (the next EventId index)
  // Its local state: a hash chain of what each of its operations returned (and of the shared
  // objects it read). A deterministic process with the same chain is in the same local state.
  std::uint64_t local = 0;
  bool alive = true;
  bool trap_exit = false;
  bool unwinding = false;  // resumed only so that its stack unwinds (killed, or teardown)
  bool root = false;
  bool fault_actor = false;  // the environment's: see lockstep/faults.hpp

  void reset(Controller* c, Pid p, std::function<void()> f, bool is_root) {
    controller = c;
    pid = p;
    body = std::move(f);
    op.reset(OpKind::none);  // in place: a temporary would be zeroed and moved whole
    result.clear();
    mailbox.clear();
    links.clear();
    monitored_by.clear();
    name.reset();
    exit_reason = Term();
    ref_seq = 0;
    events = 0;
    local = 0;
    alive = true;
    trap_exit = false;
    unwinding = false;
    root = is_root;
    fault_actor = false;
  }
};

}  // namespace lockstep::core
