// Process: the controller's record of one managed process (private to core).
// Invariant: while a process is not running, its fiber is suspended at a sync point with
// `op` describing what it will do, or is finished.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "core/fiber.hpp"
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
  std::deque<Term> mailbox;
  std::vector<std::uint32_t> links;  // pid ids, both directions kept in sync
  std::vector<Ref> monitored_by;     // active monitors whose target is this process
  std::optional<Term> name;          // local registry name
  Term exit_reason;
  std::uint32_t ref_seq = 0;         // refs this process made
  bool alive = true;
  bool trap_exit = false;
  bool unwinding = false;  // resumed only so that its stack unwinds (killed, or teardown)
  bool root = false;

  void reset(Controller* c, Pid p, std::function<void()> f, bool is_root) {
    controller = c;
    pid = p;
    body = std::move(f);
    op = PendingOp{};
    result = OpResult{};
    mailbox.clear();
    links.clear();
    monitored_by.clear();
    name.reset();
    exit_reason = Term();
    ref_seq = 0;
    alive = true;
    trap_exit = false;
    unwinding = false;
    root = is_root;
  }
};

}  // namespace lockstep::core
