// lockstep::gen_server: Erlang's generic server, written on lockstep's public primitives
// (spawn, send, selective receive, monitors), so every message it exchanges is explored.
//
// A server is a class deriving from gen_server::Server; its state is its members. It is
// constructed and runs inside its own process:
//
//   struct Counter : gen_server::Server {
//     int n = 0;
//     Action handle_call(const Term& req, const From&) override { return Action::reply(++n); }
//   };
//   Pid p = gen_server::start_link<Counter>().pid;
//   Term one = gen_server::call(p, atom("inc"));
//
// A server is named by a `Term`: a pid, a local name (atom), `{name, node}`, or
// `{:via, registry, key}` (lockstep::registry). Protocol messages are Erlang's:
// `{:"$gen_call", {pid, ref}, request}` and `{:"$gen_cast", msg}`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "lockstep/term.hpp"

namespace lockstep::gen_server {

// Who called: `{pid, ref}`; the reply is sent to pid as `{ref, reply}`.
using From = Term;

// What a callback returns.
struct Action {
  enum class Kind { reply, noreply, stop };
  Kind kind = Kind::noreply;
  Term value;                  // the reply (reply, or stop with a reply)
  Term reason;                 // stop
  bool replies = false;        // stop: also replies `value`
  static Action reply(Term r) { return Action{Kind::reply, std::move(r), Term(), true}; }
  static Action noreply() { return Action{}; }  // handle_call: reply later with reply()
  static Action stop(Term reason) { return Action{Kind::stop, Term(), std::move(reason), false}; }
  static Action stop(Term reason, Term reply) {
    return Action{Kind::stop, std::move(reply), std::move(reason), true};
  }
};

// What init returns: ok, stop(reason) (start returns the error, the process exits with
// reason) or ignore (start returns :ignore, the process exits normally).
struct Init {
  enum class Kind { ok, stop, ignore };
  Kind kind = Kind::ok;
  Term reason;
  static Init ok() { return Init{}; }
  static Init stop(Term reason) { return Init{Kind::stop, std::move(reason)}; }
  static Init ignore() { return Init{Kind::ignore, Term()}; }
};

class Server {
 public:
  virtual ~Server() = default;
  virtual Init init() { return Init::ok(); }
  // Default: a call the server does not handle stops it, as OTP's default does.
  virtual Action handle_call(const Term& request, const From& from);
  virtual Action handle_cast(const Term& msg);
  virtual Action handle_info(const Term& msg);
  // Runs when a callback returns stop, raises, or (trapping exits) the parent exits.
  virtual void terminate(const Term& reason) { (void)reason; }
};

struct StartOpts {
  Term name;  // nil: unnamed; an atom: local; `{:via, registry, key}`
};

// The result of start: `pid` on success; otherwise `error` is Erlang's error reason, e.g.
// `{:already_started, pid}` or the reason init stopped with, and `ignored` for ignore.
struct Started {
  Pid pid;
  Term error;
  bool ignored = false;
  explicit operator bool() const { return static_cast<bool>(pid); }
};

namespace detail {
Started start(std::function<std::unique_ptr<Server>()> make, const StartOpts& o, bool link);
}

// Starts a server process running T(args...) and waits until its init has returned.
template <typename T, typename... Args>
Started start(StartOpts o = {}, Args... args) {
  return detail::start([args...] { return std::unique_ptr<Server>(new T(args...)); }, o, false);
}
template <typename T, typename... Args>
Started start_link(StartOpts o = {}, Args... args) {
  return detail::start([args...] { return std::unique_ptr<Server>(new T(args...)); }, o, true);
}

constexpr std::int64_t kInfinity = -1;  // a timeout that never fires

// Sends `request` and waits for the reply (timeouts here: kInfinity waits forever). Raises ErlangError (an exit, as on the BEAM;
// uncaught, the caller exits with it) with `{:timeout, {:gen_server, :call, [server,
// request, timeout]}}` if no reply comes in time (a late reply stays in the mailbox), or
// `{reason, {...}}` if the server is not running (:noproc) or exits before replying.
Term call(const Term& server, Term request, std::int64_t timeout_ms = 5000);
void cast(const Term& server, Term msg);  // never fails; dropped if there is no server
void reply(const From& from, Term reply);  // the deferred reply of a noreply handle_call
// Stops the server with `reason`, running its terminate, and waits until it has exited.
void stop(const Term& server, Term reason = atom("normal"), std::int64_t timeout_ms = kInfinity);

// The pid a server name stands for now, if any (a name lookup: a sync point).
std::optional<Pid> whereis(const Term& server);

}  // namespace lockstep::gen_server
