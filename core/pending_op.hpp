// PendingOp: what a process is about to do at its sync point, known before it executes
// (this is what a Strategy and the DPOR explorer inspect), and OpResult, what the
// controller hands back when the operation has executed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lockstep/shared_sync.hpp"
#include "lockstep/term.hpp"

namespace lockstep::core {

enum class OpKind : std::uint8_t {
  none,
#define LOCKSTEP_SYNC_OP(name, verb) name,
#include "core/sync_ops.def"
#undef LOCKSTEP_SYNC_OP
};

std::string_view verb(OpKind k);

struct PendingOp {
  OpKind kind = OpKind::none;
  Pid target;                   // send, link, unlink, monitor, exit_signal, alive, register
  Term term;                    // message, exit reason, nif kind
  Term term2;                   // send_named, whereis_on, spawn: the node (nil: local / the
                                // spawner's); partition: group b (term: group a)
  Term name;                    // send_named, register_name, unregister_name, whereis
  const Matcher* matcher = nullptr;  // receive: nullptr takes any message; points into the
                                     // suspended process's stack, valid while it waits
  bool has_timeout = false;     // receive with `after`
  std::int64_t deadline = 0;    // receive: virtual time the timeout fires; send_after: delay
  std::uint64_t deadline_seq = 0;  // tie-break between equal deadlines (creation order)
  bool timed_out = false;       // receive: the deadline has passed
  std::size_t scan_from = 0;    // receive: mailbox prefix already known not to match
  std::size_t match_index = 0;  // receive: where the match is (valid when enabled by a message)
  std::function<void()>* spawn_body = nullptr;  // spawn: lives on the spawner's stack
  bool flag = false;            // spawn: link; trap_exit: value; demonitor: flush;
                                // partition: defer; nodes: up ones only
  Ref ref;                      // demonitor, cancel_timer
  SharedAccess access;          // nif
  std::uint8_t nif_parts = 0;   // nif: 0: term is the kind; 2 or 3: the kind is the tuple
                                // {term, term2[, name]}, made only if a trace prints it

  // Every field back to its default, for a new operation of kind `k`, in place. The hot
  // sync points (send, receive, nif) fill the process's op this way: building a temporary
  // and moving it in zeroes and copies the whole struct on every step. A new field must be
  // reset in reset_scalars, or here if it is a term (the static_assert below is the reminder).
  PendingOp& reset(OpKind k) noexcept {
    reset_scalars(k);
    term = Term{};
    term2 = Term{};
    name = Term{};
    return *this;
  }
  // Every field but the three terms, which the caller then assigns, all three (a send's
  // message, a nif's kind: storing nil first costs a check of what each held).
  PendingOp& reset_scalars(OpKind k) noexcept {
    kind = k;
    target = Pid{};
    matcher = nullptr;
    has_timeout = false;
    deadline = 0;
    deadline_seq = 0;
    timed_out = false;
    scan_from = 0;
    match_index = 0;
    spawn_body = nullptr;
    flag = false;
    ref = Ref{};
    access = SharedAccess{};
    nif_parts = 0;
    return *this;
  }
};
static_assert(sizeof(PendingOp) == 184, "PendingOp changed: update PendingOp::reset_scalars (or reset, for a term)");

struct OpResult {
  Term term;
  bool flag = false;
  std::int64_t number = 0;
  bool has_value = false;
  Pid pid;
  Ref ref;
  std::vector<Term> terms;
  std::string error;  // non-empty: raise BadArg(error) in the process

  // Every field back to its default, in place, keeping the buffers (a reused process record:
  // assigning a temporary zeroes and moves it whole). A new field must be cleared here too.
  void clear() noexcept {
    term = Term();
    flag = false;
    number = 0;
    has_value = false;
    pid = Pid{};
    ref = Ref{};
    terms.clear();
    error.clear();
  }
};
static_assert(sizeof(OpResult) == 112, "OpResult changed: update OpResult::clear");

}  // namespace lockstep::core
