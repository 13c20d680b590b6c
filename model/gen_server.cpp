// gen_server on the public primitives: the start handshake, the server loop and the
// call protocol (monitor, tagged request, selective receive of the reply or the DOWN).
#include "lockstep/gen_server.hpp"

#include <exception>

#include "lockstep/errors.hpp"
#include "lockstep/exits.hpp"
#include "lockstep/names.hpp"
#include "lockstep/process.hpp"
#include "lockstep/registry.hpp"
#include "model/receive_within.hpp"
#include "model/server_names.hpp"

namespace lockstep::gen_server {

namespace {

struct Atoms {
  Term gen_call = atom("$gen_call");
  Term gen_cast = atom("$gen_cast");
  Term gen_stop = atom("$gen_stop");
  Term exit = atom("EXIT");
  Term down = atom("DOWN");
  Term ok = atom("ok");
  Term error = atom("error");
  Term ignore = atom("ignore");
  Term gen_server = atom("gen_server");
  Term infinity = atom("infinity");
};
const Atoms& atoms() {
  static const Atoms a;
  return a;
}

Term timeout_term(std::int64_t ms) { return ms < 0 ? atoms().infinity : Term(ms); }

// Where a call or stop failed, for its exit reason: {:gen_server, fn, [server, arg, timeout]}.
Term mfa(const char* fn, const Term& server, const Term& arg, std::int64_t timeout_ms) {
  return tuple(atoms().gen_server, atom(fn), list({server, arg, timeout_term(timeout_ms)}));
}

// The pid `server` stands for, or the exit {:noproc, mfa} when nobody holds the name.
Pid running(const Term& server, const char* fn, const Term& arg, std::int64_t timeout_ms) {
  std::optional<Pid> pid = model::resolve_server(server);
  if (!pid) throw ErlangError(tuple(atom("noproc"), mfa(fn, server, arg, timeout_ms)));
  return *pid;
}

// The exit reason a failing callback gives the process (as fiber_entry would).
Term reason_of(const std::exception& e) {
  if (const auto* erl = dynamic_cast<const ErlangError*>(&e)) return erl->reason();
  return tuple(atom("exception"), binary(e.what()));
}

[[noreturn]] void stop_server(Server& s, const Term& reason) {
  s.terminate(reason);
  lockstep::exit(reason);
}

// Runs one callback; a raise runs terminate with its reason, then ends the process with it.
template <typename F>
Action guarded(Server& s, F&& callback) {
  try {
    return callback();
  } catch (const std::exception& e) {
    s.terminate(reason_of(e));
    throw;
  }
}

[[noreturn]] void loop(Server& s, Pid parent) {
  const Atoms& a = atoms();
  for (;;) {
    Term msg = receive();
    bool is_call = msg.is_tuple() && msg.size() == 3 && msg[0] == a.gen_call;
    Action action;
    if (is_call) {
      action = guarded(s, [&] { return s.handle_call(msg[2], msg[1]); });
    } else if (msg.is_tuple() && msg.size() == 2 && msg[0] == a.gen_cast) {
      action = guarded(s, [&] { return s.handle_cast(msg[1]); });
    } else if (msg.is_tuple() && msg.size() == 2 && msg[0] == a.gen_stop) {
      stop_server(s, msg[1]);
    } else if (msg.is_tuple() && msg.size() == 3 && msg[0] == a.exit && msg[1] == Term(parent)) {
      stop_server(s, msg[2]);  // trapping exits: the parent's exit stops the server
    } else {
      action = guarded(s, [&] { return s.handle_info(msg); });
    }
    if (action.replies && is_call) reply(msg[1], action.value);
    if (action.kind == Action::Kind::stop) stop_server(s, action.reason);
  }
}

}  // namespace

Action Server::handle_call(const Term& request, const From& /*from*/) {
  return Action::stop(tuple(atom("bad_call"), request));
}
Action Server::handle_cast(const Term& msg) { return Action::stop(tuple(atom("bad_cast"), msg)); }
Action Server::handle_info(const Term& /*msg*/) { return Action::noreply(); }

std::optional<Pid> whereis(const Term& server) { return model::resolve_server(server); }

Started detail::start(std::function<std::unique_ptr<Server>()> make, const StartOpts& o, bool link) {
  const Atoms& a = atoms();
  Pid parent = self();
  Ref tag = make_ref();
  Term name = o.name;
  auto body = [make = std::move(make), parent, tag, name] {
    const Atoms& at = atoms();
    if (!name.is_atom("nil")) {
      if (auto holder = model::register_server(name, self())) {
        send(parent, tuple(tag, tuple(at.error, tuple(atom("already_started"), *holder))));
        return;
      }
    }
    std::unique_ptr<Server> server;
    Init init;
    try {
      server = make();
      init = server->init();
    } catch (const std::exception& e) {
      send(parent, tuple(tag, tuple(at.error, reason_of(e))));
      throw;
    }
    switch (init.kind) {
      case Init::Kind::ok:
        send(parent, tuple(tag, at.ok));
        loop(*server, parent);
      case Init::Kind::stop:
        send(parent, tuple(tag, tuple(at.error, init.reason)));
        lockstep::exit(init.reason);
      case Init::Kind::ignore:
        send(parent, tuple(tag, at.ignore));
        return;
    }
  };
  Pid child = link ? spawn_link(std::move(body)) : spawn(std::move(body));
  Ref m = monitor(child);
  Term ack = receive(Matcher(
      [&](const Term& t) {
        return (t.is_tuple() && t.size() == 2 && t[0] == Term(tag)) ||
               (t.is_tuple() && t.size() == 5 && t[0] == a.down && t[1] == Term(m));
      },
      "the start acknowledgement of " + child.to_string()));
  demonitor(m, true);
  Started out;
  if (ack[0] == a.down) {
    out.error = ack[4];
  } else if (ack[1] == a.ok) {
    out.pid = child;
  } else if (ack[1] == a.ignore) {
    out.ignored = true;
    out.error = a.ignore;
  } else {
    out.error = ack[1][1];
  }
  return out;
}

Term call(const Term& server, Term request, std::int64_t timeout_ms) {
  const Atoms& a = atoms();
  Pid pid = running(server, "call", request, timeout_ms);
  Ref m = monitor(pid);
  Term tag = m;
  send(pid, tuple(a.gen_call, tuple(self(), tag), request));
  Matcher reply_or_down(
      [&](const Term& t) {
        return t.is_tuple() && ((t.size() == 2 && t[0] == tag) ||
                                (t.size() == 5 && t[0] == a.down && t[1] == tag));
      },
      "the reply of " + pid.to_string() + " to " + request.to_string());
  std::optional<Term> got = model::receive_within(std::move(reply_or_down), timeout_ms);
  if (!got) {
    demonitor(m, true);
    throw ErlangError(tuple(atom("timeout"), mfa("call", server, request, timeout_ms)));
  }
  if ((*got)[0] == a.down) throw ErlangError(tuple((*got)[4], mfa("call", server, request, timeout_ms)));
  demonitor(m, true);
  return (*got)[1];
}

void cast(const Term& server, Term msg) { model::send_to_server(server, tuple(atoms().gen_cast, std::move(msg))); }

void reply(const From& from, Term r) {
  if (!from.is_tuple() || from.size() != 2 || !from[0].is_pid()) {
    throw BadArg("gen_server::reply: " + from.to_string() + " is not a {pid, ref} from a call");
  }
  send(from[0].as_pid(), tuple(from[1], std::move(r)));
}

void stop(const Term& server, Term reason, std::int64_t timeout_ms) {
  const Atoms& a = atoms();
  Pid pid = running(server, "stop", reason, timeout_ms);
  Ref m = monitor(pid);
  send(pid, tuple(a.gen_stop, reason));
  std::optional<Term> down = model::receive_within(match(tuple(a.down, m, _, _, _)), timeout_ms);
  if (!down) {
    demonitor(m, true);
    throw ErlangError(tuple(atom("timeout"), mfa("stop", server, reason, timeout_ms)));
  }
  if (!((*down)[4] == reason)) throw ErlangError(tuple((*down)[4], mfa("stop", server, reason, timeout_ms)));
}

}  // namespace lockstep::gen_server
