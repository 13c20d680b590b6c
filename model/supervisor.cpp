// The supervisor: a gen_server that traps exits, keeps its children in start order, and
// restarts them on EXIT according to its strategy and their restart type. Child specs
// reach it through the closure store (a spec holds a function).
#include "lockstep/supervisor.hpp"

#include <algorithm>
#include <deque>

#include "lockstep/exits.hpp"
#include "lockstep/process.hpp"
#include "model/closures.hpp"
#include "model/receive_within.hpp"

namespace lockstep::supervisor {

namespace {

using gen_server::Action;

bool is_shutdown(const Term& reason) {
  return reason.is_atom("shutdown") ||
         (reason.is_tuple() && reason.size() == 2 && reason[0].is_atom("shutdown"));
}

Term restart_atom(Restart r) {
  switch (r) {
    case Restart::permanent: return atom("permanent");
    case Restart::transient: return atom("transient");
    case Restart::temporary: return atom("temporary");
  }
  return Term();
}

Restart restart_of(const Term& t) {
  if (t.is_atom("transient")) return Restart::transient;
  if (t.is_atom("temporary")) return Restart::temporary;
  return Restart::permanent;
}

// Stops a child as OTP does: unlink, then :shutdown (or :kill), waiting for its DOWN.
void shutdown_child(Pid pid, std::int64_t shutdown_ms) {
  Ref m = monitor(pid);
  unlink(pid);
  receive(match(tuple(atom("EXIT"), pid, _)), 0);  // drop an EXIT that came before the unlink
  Term down = tuple(atom("DOWN"), m, _, _, _);
  if (shutdown_ms == kBrutalKill) {
    lockstep::exit(pid, atom("kill"));
    receive(match(down));
    return;
  }
  lockstep::exit(pid, atom("shutdown"));
  if (!model::receive_within(match(down), shutdown_ms)) {
    lockstep::exit(pid, atom("kill"));
    receive(match(down));
  }
}

class SupervisorServer : public gen_server::Server {
 public:
  SupervisorServer(std::vector<ChildSpec> specs, Flags flags) : flags_(flags) {
    for (auto& s : specs) children_.push_back(Running{std::move(s), std::nullopt});
  }

  gen_server::Init init() override {
    trap_exit(true);
    for (std::size_t i = 0; i < children_.size(); ++i) {
      auto started = start(children_[i]);
      if (!started) {
        stop_children(0, i);
        return gen_server::Init::stop(tuple(
            atom("shutdown"), tuple(atom("failed_to_start_child"), children_[i].spec.id, started.error)));
      }
    }
    return gen_server::Init::ok();
  }

  Action handle_call(const Term& req, const gen_server::From& from) override {
    const Term& op = req.is_tuple() ? req[0] : req;
    if (op.is_atom("which_children")) return Action::reply(which());
    if (op.is_atom("count_children")) return Action::reply(count());
    if (op.is_atom("start_child")) {
      ChildSpec spec = model::take_closure<ChildSpec>(req[1]);
      if (find(spec.id) != children_.end()) return Action::reply(tuple(atom("error"), atom("already_present")));
      children_.push_back(Running{std::move(spec), std::nullopt});
      auto started = start(children_.back());
      if (!started) children_.pop_back();
      return Action::reply(result(started));
    }
    auto it = find(req[1]);
    if (it == children_.end()) return Action::reply(tuple(atom("error"), atom("not_found")));
    if (op.is_atom("terminate_child")) {
      if (it->pid) shutdown_child(*std::exchange(it->pid, std::nullopt), it->spec.shutdown_ms);
      if (it->spec.restart == Restart::temporary) children_.erase(it);
      return Action::reply(atom("ok"));
    }
    if (op.is_atom("restart_child")) {
      if (it->pid) return Action::reply(tuple(atom("error"), atom("running")));
      return Action::reply(result(start(*it)));
    }
    if (op.is_atom("delete_child")) {
      if (it->pid) return Action::reply(tuple(atom("error"), atom("running")));
      children_.erase(it);
      return Action::reply(atom("ok"));
    }
    return gen_server::Server::handle_call(req, from);
  }

  Action handle_info(const Term& msg) override {
    if (!(msg.is_tuple() && msg.size() == 3 && msg[0].is_atom("EXIT") && msg[1].is_pid())) {
      return Action::noreply();
    }
    auto it = std::find_if(children_.begin(), children_.end(),
                           [&](const Running& c) { return c.pid && *c.pid == msg[1].as_pid(); });
    if (it == children_.end()) return Action::noreply();
    it->pid.reset();
    const Term& reason = msg[2];
    bool restart = it->spec.restart == Restart::permanent ||
                   (it->spec.restart == Restart::transient && !(reason.is_atom("normal") || is_shutdown(reason)));
    if (!restart) {
      if (it->spec.restart == Restart::temporary) children_.erase(it);
      return Action::noreply();
    }
    return restart_from(static_cast<std::size_t>(it - children_.begin()));
  }

  void terminate(const Term& /*reason*/) override { stop_children(0, children_.size()); }

 private:
  struct Running {
    ChildSpec spec;
    std::optional<Pid> pid;
  };

  std::vector<Running>::iterator find(const Term& id) {
    return std::find_if(children_.begin(), children_.end(), [&](const Running& c) { return c.spec.id == id; });
  }

  gen_server::Started start(Running& c) {
    auto started = c.spec.start();
    if (started) c.pid = started.pid;
    return started;
  }

  static Term result(const gen_server::Started& s) {
    return s ? tuple(atom("ok"), s.pid) : tuple(atom("error"), s.error);
  }

  // Children [from, to) in reverse start order.
  void stop_children(std::size_t from, std::size_t to) {
    for (std::size_t i = to; i > from; --i) {
      Running& c = children_[i - 1];
      if (c.pid) shutdown_child(*std::exchange(c.pid, std::nullopt), c.spec.shutdown_ms);
    }
  }

  // One more restart now; false if that exceeds the intensity.
  bool within_intensity() {
    std::int64_t t = now();
    restarts_.push_back(t);
    while (!restarts_.empty() && restarts_.front() <= t - flags_.period_ms) restarts_.pop_front();
    return static_cast<int>(restarts_.size()) <= flags_.max_restarts;
  }

  // Restarts child i (and, by strategy, its siblings) until it starts or the intensity runs out.
  Action restart_from(std::size_t i) {
    for (;;) {
      if (!within_intensity()) {
        stop_children(0, children_.size());
        return Action::stop(atom("shutdown"));
      }
      std::size_t first = i, last = i + 1;  // the children to (re)start, [first, last)
      if (flags_.strategy == Strategy::one_for_all) first = 0, last = children_.size();
      if (flags_.strategy == Strategy::rest_for_one) last = children_.size();
      stop_children(first, last);
      bool ok = true;
      for (std::size_t k = first; k < last && ok; ++k) {
        if (children_[k].pid) continue;
        ok = static_cast<bool>(start(children_[k]));
        if (!ok) i = k;
      }
      if (ok) return Action::noreply();
    }
  }

  Term which() const {
    std::vector<Term> out;
    for (const Running& c : children_) {
      out.push_back(tuple(c.spec.id, c.pid ? Term(*c.pid) : atom("undefined"), restart_atom(c.spec.restart)));
    }
    return list(std::move(out));
  }

  Term count() const {
    std::size_t active = std::count_if(children_.begin(), children_.end(), [](const Running& c) { return c.pid.has_value(); });
    return tuple(children_.size(), active);
  }

  Flags flags_;
  std::vector<Running> children_;
  std::deque<std::int64_t> restarts_;
};

gen_server::Started started_from(const Term& reply) {
  gen_server::Started s;
  if (reply[0].is_atom("ok")) {
    s.pid = reply[1].as_pid();
  } else {
    s.error = reply[1];
  }
  return s;
}

}  // namespace

gen_server::Started start_link(std::vector<ChildSpec> children, Flags flags, gen_server::StartOpts o) {
  return gen_server::start_link<SupervisorServer>(std::move(o), std::move(children), flags);
}

gen_server::Started start_child(const Term& sup, ChildSpec spec) {
  return started_from(gen_server::call(sup, tuple(atom("start_child"), model::stash_closure(std::move(spec))),
                                       gen_server::kInfinity));
}

bool terminate_child(const Term& sup, const Term& id) {
  return gen_server::call(sup, tuple(atom("terminate_child"), id), gen_server::kInfinity).is_atom("ok");
}

gen_server::Started restart_child(const Term& sup, const Term& id) {
  return started_from(gen_server::call(sup, tuple(atom("restart_child"), id), gen_server::kInfinity));
}

bool delete_child(const Term& sup, const Term& id) {
  return gen_server::call(sup, tuple(atom("delete_child"), id), gen_server::kInfinity).is_atom("ok");
}

std::vector<Child> which_children(const Term& sup) {
  std::vector<Child> out;
  Term children = gen_server::call(sup, atom("which_children"), gen_server::kInfinity);
  for (const Term& c : children.elements()) {
    out.push_back(Child{c[0], c[1].is_pid() ? std::optional<Pid>(c[1].as_pid()) : std::nullopt, restart_of(c[2])});
  }
  return out;
}

Counts count_children(const Term& sup) {
  Term c = gen_server::call(sup, atom("count_children"), gen_server::kInfinity);
  return Counts{static_cast<std::size_t>(c[0].as_int()), static_cast<std::size_t>(c[1].as_int())};
}

}  // namespace lockstep::supervisor
