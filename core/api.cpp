// The scenario-facing functions of process.hpp, exits.hpp, names.hpp and shared_sync.hpp:
// each fills the caller's PendingOp and stops at the sync point.

#include "core/controller.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/exits.hpp"
#include "lockstep/names.hpp"
#include "lockstep/process.hpp"
#include "lockstep/scenario.hpp"
#include "lockstep/shared_sync.hpp"

namespace lockstep {

using core::Controller;
using core::OpKind;
using core::PendingOp;
using core::Process;

namespace {

core::OpResult& sync(Process& p, PendingOp&& op) { return Controller::perform(p, std::move(op)); }

Pid do_spawn(std::function<void()> f, const SpawnOpts& o, bool link, const char* api) {
  Process& p = Controller::current(api);
  if (!f) throw UsageError(std::string("lockstep::") + api + " needs a function to run");
  if (!o.node.is_atom()) throw BadArg(std::string(api) + ": node must be an atom, got " + o.node.to_string());
  // Filled in place (a temporary is zeroed and moved whole): the classic benchmarks spawn a
  // process per thread in every execution.
  PendingOp& op = p.op.reset(OpKind::spawn);
  op.term2 = o.node;
  op.spawn_body = &f;
  op.flag = link;
  Controller::sync(p);
  return p.result.pid;
}

// Inline into each receive: the sync point's switch is then one frame below the caller.
// True when a message came (in p.result.term), false when the receive timed out.
[[gnu::always_inline]] inline bool wait_receive(Process& p, const Matcher* m, bool has_timeout,
                                                std::int64_t timeout_ms) {
  if (has_timeout && timeout_ms < 0) throw UsageError("receive timeout must be >= 0 ms");
  PendingOp& op = p.op.reset(OpKind::receive);
  op.matcher = m;
  if (has_timeout) {
    op.has_timeout = true;
    op.timed_out = timeout_ms == 0;  // `after 0`: a poll
    op.deadline = p.controller->clock() + timeout_ms;
    op.deadline_seq = Controller::deadline_seq(p);
  }
  Controller::sync(p);
  return p.result.has_value;
}

}  // namespace

Pid self() { return Controller::current("self").pid; }

Ref make_ref() {
  Process& p = Controller::current("make_ref");
  return p.controller->make_ref(p);
}

Pid spawn(std::function<void()> f, SpawnOpts o) { return do_spawn(std::move(f), o, false, "spawn"); }

Pid spawn_link(std::function<void()> f, SpawnOpts o) {
  return do_spawn(std::move(f), o, true, "spawn_link");
}

void send(Pid to, Term msg) {
  Process& p = Controller::current("send");
  PendingOp& op = p.op.reset_scalars(OpKind::send);
  op.target = to;
  op.term = std::move(msg);
  op.term2 = Term{};
  op.name = Term{};
  Controller::sync(p);
}

void send(Term registered_name, Term msg) {
  Process& p = Controller::current("send");
  sync(p, PendingOp{.kind = OpKind::send_named, .term = std::move(msg), .name = std::move(registered_name)});
}

void send(Term name, Term node, Term msg) {
  Process& p = Controller::current("send");
  if (!node.is_atom()) throw BadArg("send to {name, node}: node must be an atom, got " + node.to_string());
  sync(p, PendingOp{.kind = OpKind::send_named,
                    .term = std::move(msg),
                    .term2 = std::move(node),
                    .name = std::move(name)});
}

// Without a timeout a receive returns only with a message.
Term receive() {
  Process& p = Controller::current("receive");
  wait_receive(p, nullptr, false, 0);
  return std::move(p.result.term);
}

Term receive(Matcher m) {
  Process& p = Controller::current("receive");
  wait_receive(p, &m, false, 0);
  return std::move(p.result.term);
}

std::optional<Term> receive(Matcher m, std::int64_t timeout_ms) {
  Process& p = Controller::current("receive");
  if (!wait_receive(p, &m, true, timeout_ms)) return std::nullopt;
  return std::move(p.result.term);
}

void sleep(std::int64_t ms) {
  Process& p = Controller::current("sleep");
  static const Matcher nothing(std::function<bool(const Term&)>([](const Term&) { return false; }),
                               "<sleep>");
  wait_receive(p, &nothing, true, ms);
}

TimerRef send_after(Pid to, Term msg, std::int64_t delay_ms) {
  Process& p = Controller::current("send_after");
  if (delay_ms < 0) throw UsageError("send_after delay must be >= 0 ms");
  return sync(p, PendingOp{.kind = OpKind::send_after, .target = to, .term = std::move(msg),
                           .deadline = delay_ms})
      .ref;
}

std::optional<std::int64_t> cancel_timer(TimerRef t) {
  Process& p = Controller::current("cancel_timer");
  auto& r = sync(p, PendingOp{.kind = OpKind::cancel_timer, .ref = t});
  if (!r.has_value) return std::nullopt;
  return r.number;
}

std::int64_t now() {
  Process& p = Controller::current("now");
  return sync(p, PendingOp{.kind = OpKind::now}).number;
}

void link(Pid target) {
  Process& p = Controller::current("link");
  sync(p, PendingOp{.kind = OpKind::link, .target = target});
}

void unlink(Pid target) {
  Process& p = Controller::current("unlink");
  sync(p, PendingOp{.kind = OpKind::unlink, .target = target});
}

Ref monitor(Pid target) {
  Process& p = Controller::current("monitor");
  return sync(p, PendingOp{.kind = OpKind::monitor, .target = target}).ref;
}

void demonitor(Ref r, bool flush) {
  Process& p = Controller::current("demonitor");
  sync(p, PendingOp{.kind = OpKind::demonitor, .flag = flush, .ref = r});
}

void exit(Pid target, Term reason) {
  Process& p = Controller::current("exit");
  sync(p, PendingOp{.kind = OpKind::exit_signal, .target = target, .term = std::move(reason)});
}

void exit(Term reason) {
  Controller::current("exit");
  throw core::ProcessUnwind{std::move(reason)};
}

bool trap_exit(bool on) {
  Process& p = Controller::current("trap_exit");
  return sync(p, PendingOp{.kind = OpKind::trap_exit, .flag = on}).flag;
}

bool alive(Pid target) {
  Process& p = Controller::current("alive");
  return sync(p, PendingOp{.kind = OpKind::alive, .target = target}).flag;
}

bool register_name(Term name, Pid target) {
  Process& p = Controller::current("register_name");
  return sync(p, PendingOp{.kind = OpKind::register_name, .target = target, .name = std::move(name)})
      .flag;
}

void unregister_name(Term name) {
  Process& p = Controller::current("unregister_name");
  sync(p, PendingOp{.kind = OpKind::unregister_name, .name = std::move(name)});
}

std::optional<Pid> whereis(Term name) {
  Process& p = Controller::current("whereis");
  auto& r = sync(p, PendingOp{.kind = OpKind::whereis, .name = std::move(name)});
  if (!r.has_value) return std::nullopt;
  return r.pid;
}

std::vector<Term> registered() {
  Process& p = Controller::current("registered");
  return std::move(sync(p, PendingOp{.kind = OpKind::registered}).terms);
}

void nif_sync(Term kind, SharedAccess access) { Controller::nif(access, 0, kind, Term{}, Term{}); }

namespace {
// "…/lockstep/examples/lost_update.cpp" -> "examples/lost_update.cpp": short and unambiguous.
std::string short_path(const char* file) {
  std::string_view f(file);
  auto last = f.rfind('/');
  if (last == std::string_view::npos || last == 0) return std::string(f);
  auto before = f.rfind('/', last - 1);
  return std::string(before == std::string_view::npos ? f : f.substr(before + 1));
}
}  // namespace

void fail(std::string_view why, std::source_location where) {
  Process& p = Controller::current("fail");
  p.controller->abort_execution(CounterexampleKind::assertion, "failure: " + std::string(why),
                                short_path(where.file_name()) + ":" + std::to_string(where.line()));
}

namespace detail {
void assert_failed(const char* expr, const char* file, int line, std::string_view message) {
  Process& p = Controller::current("LOCKSTEP_ASSERT");
  std::string text = message.empty() ? "assertion failed: " + std::string(expr)
                                     : "assertion failed: " + std::string(message) + " (" + expr + ")";
  p.controller->abort_execution(CounterexampleKind::assertion, std::move(text),
                                short_path(file) + ":" + std::to_string(line));
}
}  // namespace detail

}  // namespace lockstep
