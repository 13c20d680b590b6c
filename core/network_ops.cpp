// The controller's cluster side: routing of messages and signals between nodes, the
// cluster sync points (add_node, partition, heal, stop/start node, node monitors,
// ticktime, per-node lookups) and the net_ticktime checks. Semantics: docs/cluster.md.
#include <algorithm>

#include "core/controller.hpp"
#include "core/mix.hpp"

namespace lockstep::core {

namespace {
const Term& noconnection() {
  static const Term t = atom("noconnection");
  return t;
}
Term down_message(Ref ref, Pid from, Term reason) {
  return tuple(atom("DOWN"), ref, atom("process"), from, std::move(reason));
}
std::string node_list(const Network& net, const std::vector<std::uint32_t>& nodes) {
  std::vector<Term> names;
  for (std::uint32_t n : nodes) names.push_back(net.name(n));
  return list(std::move(names)).to_string();
}
}  // namespace

std::uint64_t Controller::name_key(std::uint32_t node, const Term& name) const {
  return node == Network::kLocal ? name.hash() : mix(node, name.hash());
}

std::uint32_t Controller::node_or_error(Process& p, const Term& node) {
  if (auto n = network_.find(node)) return *n;
  p.result.error = "unknown node " + node.to_string() + ": add it with cluster::add_node first";
  return UINT32_MAX;
}

bool Controller::route(std::uint32_t from_node, Pid to, Network::Held held,
                       std::optional<Consequences>& routed) {
  touch(ObjectKind::network, AccessMode::read, 0);
  std::uint32_t to_node = node_of(to);
  bool now = network_.up(to_node) && !network_.separated(from_node, to_node);
  // What the step does with this traffic depends on the network. No branch is a plain
  // alternative: an event that wrote the network need not have changed this route.
  routed.emplace(*this, ObjectKind::network, 0);
  if (now) return true;
  if (!network_.up(to_node)) return false;  // a stopped node: lost
  // Messages obey the partition's mode; signals always wait for a heal or the ticktime.
  if (held.kind == Network::Held::Kind::message && !network_.deferring(from_node, to_node)) return false;
  note(to, [&] { return "held by the partition: " + held.term.to_string(); });
  // Held traffic reaches `to` in sending order at the heal: ordered like sends to its mailbox.
  touch(ObjectKind::mailbox, AccessMode::append, to.id);
  network_.held.push_back(std::move(held));
  return false;
}

void Controller::send_message(std::uint32_t from_node, Pid to, Term&& msg) {
  if (from_node == node_of(to)) {
    deliver(to, std::move(msg));
    return;
  }
  Network::Held held{Network::Held::Kind::message, Pid{}, to, std::move(msg), Ref{}};
  std::optional<Consequences> routed;
  if (route(from_node, to, held, routed)) deliver(to, std::move(held.term));
}

void Controller::send_down(Pid from, Pid to, Ref ref, Term reason) {
  std::uint32_t from_node = node_of(from);
  if (from_node == node_of(to)) {
    deliver(to, down_message(ref, from, std::move(reason)));
    return;
  }
  if (from_node == stopping_node_) {
    deliver(to, down_message(ref, from, noconnection()));  // the watcher's node notices
    return;
  }
  std::optional<Consequences> routed;
  if (route(from_node, to, Network::Held{Network::Held::Kind::down, from, to, reason, ref}, routed)) {
    deliver(to, down_message(ref, from, std::move(reason)));
  }
}

void Controller::send_link_exit(Pid from, Process& to, Term reason) {
  std::uint32_t from_node = node_of(from);
  if (from_node == to.pid.node) {
    exit_signal(from, to, reason);
    return;
  }
  if (from_node == stopping_node_) {
    exit_signal(from, to, noconnection());
    return;
  }
  std::optional<Consequences> routed;
  if (route(from_node, to.pid, Network::Held{Network::Held::Kind::link_exit, from, to.pid, reason, Ref{}},
            routed)) {
    exit_signal(from, to, reason);
  }
}

void Controller::heal() {
  network_.heal();
  network_.ticks.clear();
  std::vector<Network::Held> held = std::move(network_.held);
  network_.held.clear();
  // Released destination by destination (in sending order for each): independent holds
  // commute, so which of two was held first must not change what the heal does.
  std::stable_sort(held.begin(), held.end(), [](const Network::Held& a, const Network::Held& b) { return a.to.id < b.to.id; });
  for (Network::Held& h : held) {
    Process* to = find(h.to);
    if (to == nullptr) continue;
    switch (h.kind) {
      case Network::Held::Kind::message: deliver(h.to, std::move(h.term)); break;
      case Network::Held::Kind::down: deliver(h.to, down_message(h.ref, h.from, std::move(h.term))); break;
      case Network::Held::Kind::link_exit: exit_signal(h.from, *to, h.term); break;
      case Network::Held::Kind::exit_signal:
        if (to->alive) signal_exit(h.from, *to, h.term);
        break;
    }
  }
}

void Controller::fire_tick(std::uint32_t partition) {
  if (!network_.active(partition)) return;  // healed (or replaced) in time
  note(Pid{}, [&] { return "net_ticktime elapsed at " + std::to_string(clock_) + " ms: partitioned connections are down"; });
  auto cut = [&](Pid a, Pid b) { return network_.separated(node_of(a), node_of(b)); };
  // Signals waiting at the partition: the connection is down now.
  std::vector<Network::Held> waiting;
  std::erase_if(network_.held, [&](Network::Held& h) {
    if (h.kind == Network::Held::Kind::message || !cut(h.from, h.to)) return false;
    waiting.push_back(std::move(h));
    return true;
  });
  std::stable_sort(waiting.begin(), waiting.end(), [](const Network::Held& a, const Network::Held& b) { return a.to.id < b.to.id; });
  for (Network::Held& h : waiting) {
    Process* to = find(h.to);
    if (to == nullptr || !to->alive) continue;
    if (h.kind == Network::Held::Kind::down) deliver(h.to, down_message(h.ref, h.from, noconnection()));
    if (h.kind == Network::Held::Kind::link_exit) exit_signal(h.from, *to, noconnection());
  }
  // Monitors across the cut fire :noconnection.
  std::vector<std::pair<Ref, Monitor>> severed;
  for (const auto& [ref, m] : monitors_) {
    if (cut(Pid{m.watcher, 0}, Pid{m.target, 0})) severed.emplace_back(ref, m);
  }
  for (const auto& [ref, m] : severed) {
    monitors_.erase(ref);
    Process* target = find(m.target);
    if (target != nullptr) std::erase(target->monitored_by, ref);
    deliver(Pid{m.watcher, 0}, down_message(ref, target ? target->pid : Pid{m.target, 0}, noconnection()));
  }
  // Links across the cut break, each end getting a :noconnection exit signal.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> broken;
  for (Process* p : procs_) {
    if (!p->alive) continue;
    for (std::uint32_t other : p->links) {
      if (p->pid.id < other && cut(p->pid, Pid{other, 0})) broken.emplace_back(p->pid.id, other);
    }
  }
  for (const auto& [a, b] : broken) {
    Process* pa = find(a);
    Process* pb = find(b);
    std::erase(pa->links, b);
    std::erase(pb->links, a);
    if (pa->alive) exit_signal(pb->pid, *pa, noconnection());
    if (pb->alive) exit_signal(pa->pid, *pb, noconnection());
  }
  // Node monitors across the cut fire {:nodedown, node} (once).
  std::erase_if(network_.node_monitors, [&](const Network::NodeMonitor& m) {
    Process* watcher = find(m.watcher);
    if (watcher == nullptr || !network_.separated(watcher->pid.node, m.node)) return false;
    deliver(watcher->pid, tuple(atom("nodedown"), network_.name(m.node)));
    return true;
  });
}

void Controller::stop_node(std::uint32_t node) {
  network_.set_up(node, false);
  stopping_node_ = node;
  for (Process* q : procs_) {
    if (q->pid.node != node) continue;
    // Whether the stop kills q depends on q still being alive (its own exit may come first).
    touch(ObjectKind::life, AccessMode::read, q->pid.id);
    if (!q->alive) continue;
    Consequences alive(*this, ObjectKind::life, q->pid.id);
    kill(*q, atom("killed"));
  }
  stopping_node_ = UINT32_MAX;
  std::erase_if(network_.held, [&](const Network::Held& h) { return node_of(h.from) == node || node_of(h.to) == node; });
  std::erase_if(network_.node_monitors, [&](const Network::NodeMonitor& m) {
    if (m.node != node) return false;
    deliver(Pid{m.watcher, 0}, tuple(atom("nodedown"), network_.name(node)));
    return true;
  });
  for (ExitObserver* o : exit_observers_) o->node_stopped(*this, node);
}

void Controller::execute_cluster(Process& p) {
  PendingOp& op = p.op;
  switch (op.kind) {
    case OpKind::add_node: {
      touch(ObjectKind::network, AccessMode::write, 0);
      bool fresh = !network_.find(op.name);
      std::uint32_t node = network_.add(op.name);
      note(p.pid, [&] { return "add_node " + op.name.to_string(); });
      if (fresh) add_fault_actors(node);
      break;
    }
    case OpKind::partition: {
      touch(ObjectKind::network, AccessMode::write, 0);
      std::vector<std::uint32_t> a, b;
      auto add = [&](const Term& n) {
        bool fresh = !network_.find(n);
        std::uint32_t node = network_.add(n);
        if (fresh) add_fault_actors(node);
        return node;
      };
      for (const Term& n : op.term.elements()) a.push_back(add(n));
      for (const Term& n : op.term2.elements()) b.push_back(add(n));
      note(p.pid, [&] {
        return "partition " + node_list(network_, a) + " | " + node_list(network_, b) + (op.flag ? " defer" : " drop");
      });
      std::uint32_t id = network_.partition(std::move(a), std::move(b), op.flag);
      network_.ticks.push_back(Network::Tick{clock_ + network_.ticktime, id});
      break;
    }
    case OpKind::heal:
      touch(ObjectKind::network, AccessMode::write, 0);
      note(p.pid, [&] { return "heal (" + std::to_string(network_.held.size()) + " held back)"; });
      heal();
      break;
    case OpKind::stop_node: {
      std::uint32_t node = node_or_error(p, op.name);
      if (node == UINT32_MAX) break;
      if (node == Network::kLocal) {
        p.result.error = "cluster::stop_node: :nonode@nohost (the root's node) cannot be stopped";
        break;
      }
      touch(ObjectKind::network, AccessMode::write, 0);
      note(p.pid, [&] { return "stop_node " + op.name.to_string(); });
      stop_node(node);
      break;
    }
    case OpKind::start_node: {
      std::uint32_t node = node_or_error(p, op.name);
      if (node == UINT32_MAX) break;
      touch(ObjectKind::network, AccessMode::write, 0);
      note(p.pid, [&] { return "start_node " + op.name.to_string(); });
      network_.set_up(node, true);
      break;
    }
    case OpKind::monitor_node: {
      touch(ObjectKind::network, AccessMode::read, 0);
      auto node = network_.find(op.name);
      bool reachable = node && network_.up(*node) && !network_.separated(p.pid.node, *node);
      note(p.pid, [&] { return "monitor_node " + op.name.to_string() + (reachable ? "" : " (down: nodedown now)"); });
      if (reachable) {
        network_.node_monitors.push_back(Network::NodeMonitor{p.pid.id, *node});
      } else {
        deliver(p.pid, tuple(atom("nodedown"), op.name));
      }
      break;
    }
    case OpKind::set_ticktime:
      touch(ObjectKind::network, AccessMode::write, 0);
      network_.ticktime = op.deadline;
      note(p.pid, [&] { return "set_ticktime " + std::to_string(op.deadline) + " ms"; });
      break;
    case OpKind::nodes: {
      touch(ObjectKind::network, AccessMode::read, 0);
      p.result.terms.clear();
      for (std::uint32_t n = 0; n < network_.size(); ++n) {
        if (op.flag && (n == Network::kLocal || !network_.up(n))) continue;
        p.result.terms.push_back(network_.name(n));
      }
      note(p.pid, [&] { return std::string(op.flag ? "nodes_up" : "nodes") + " -> " + list(p.result.terms).to_string(); });
      break;
    }
    case OpKind::whereis_on: {
      auto node = network_.find(op.term2);
      if (node) touch(ObjectKind::name, AccessMode::read, name_key(*node, op.name));
      auto it = node ? names_.find({*node, op.name}) : names_.end();
      p.result.has_value = it != names_.end();
      if (p.result.has_value) p.result.pid = find(it->second)->pid;
      note(p.pid, [&] {
        return "whereis_on " + op.term2.to_string() + " " + op.name.to_string() + " -> " +
               (p.result.has_value ? p.result.pid.to_string() : std::string("nil"));
      });
      break;
    }
    default: break;
  }
}

void Controller::add_fault_actors(std::uint32_t node) {
  const Faults& f = config_.faults;
  if (!f.any()) return;
  Term name = network_.name(node);
  // One actor per fault kind and node: it alternates the fault (costing one of the budget)
  // and its repair (free), each a sync point the strategy may schedule.
  for (const char* kind : {"partition", "defer", "stop"}) {
    bool on = (kind[0] == 'p' && f.partition) || (kind[0] == 'd' && f.defer) || (kind[0] == 's' && f.stop);
    if (!on) continue;
    Term kind_atom = atom(kind);
    touch(ObjectKind::pid_counter, AccessMode::write, 0);
    touch(ObjectKind::life, AccessMode::write, static_cast<std::uint64_t>(procs_.size() + 1));
    Process& actor = new_process(
        [kind_atom, name] {
          Process& me = Controller::current("fault");
          // Strike while the budget lasts (the result says whether it struck), repairing after each.
          while (perform(me, PendingOp{.kind = OpKind::fault, .term = kind_atom, .name = name, .flag = true}).flag) {
            perform(me, PendingOp{.kind = OpKind::fault, .term = kind_atom, .name = name, .flag = false});
          }
        },
        false, nullptr, Network::kLocal);
    actor.fault_actor = true;
    if (recording_) event_->spawned.push_back(actor.pid.id);
    note(actor.pid, [&] { return "fault actor: " + std::string(kind) + " " + name.to_string(); });
  }
}

void Controller::execute_fault(Process& p) {
  PendingOp& op = p.op;
  touch(ObjectKind::network, AccessMode::write, 0);
  std::uint32_t node = *network_.find(op.name);
  bool stop = op.term.is_atom("stop");
  p.result.flag = op.flag && fault_budget_ > 0;
  if (op.flag && fault_budget_ == 0) {
    note(p.pid, [&] { return "fault budget spent: no " + op.term.to_string() + " of " + op.name.to_string(); });
    return;
  }
  if (op.flag) --fault_budget_;
  if (stop) {
    if (op.flag && network_.up(node)) {
      note(p.pid, [&] { return "fault: stop_node " + op.name.to_string(); });
      stop_node(node);
    } else if (!op.flag) {
      note(p.pid, [&] { return "fault: start_node " + op.name.to_string(); });
      network_.set_up(node, true);
    }
    return;
  }
  if (!op.flag) {
    note(p.pid, [&] { return "fault: heal (" + std::to_string(network_.held.size()) + " held back)"; });
    heal();
    return;
  }
  std::vector<std::uint32_t> rest;
  for (std::uint32_t n = 0; n < network_.size(); ++n) {
    if (n != node) rest.push_back(n);
  }
  bool defer = op.term.is_atom("defer");
  note(p.pid, [&] {
    return "fault: partition " + node_list(network_, {node}) + " | " + node_list(network_, rest) + (defer ? " defer" : " drop");
  });
  std::uint32_t id = network_.partition({node}, std::move(rest), defer);
  network_.ticks.push_back(Network::Tick{clock_ + network_.ticktime, id});
}

}  // namespace lockstep::core
