// The cluster sync points of lockstep::cluster (the network itself: core/network.hpp and
// core/network_ops.cpp, since every delivery is routed through it).
#include "lockstep/cluster.hpp"

#include "core/controller.hpp"
#include "lockstep/errors.hpp"

namespace lockstep::cluster {

using core::Controller;
using core::OpKind;
using core::PendingOp;

namespace {
core::OpResult& perform(const char* api, PendingOp&& op) {
  return Controller::perform(Controller::current(api), std::move(op));
}
Term node_term(const Term& node, const char* api) {
  if (!node.is_atom()) throw BadArg(std::string("cluster::") + api + ": a node is an atom, got " + node.to_string());
  return node;
}
}  // namespace

void add_node(Term node) { perform("cluster::add_node", PendingOp{.kind = OpKind::add_node, .name = node_term(node, "add_node")}); }

Term node() {
  core::Process& p = Controller::current("cluster::node");
  return p.controller->node_name(p.pid.node);
}

Term node_of(Pid pid) {
  core::Process& p = Controller::current("cluster::node_of");
  return p.controller->node_name(p.controller->node_of(pid));
}

std::vector<Term> nodes() { return std::move(perform("cluster::nodes", PendingOp{.kind = OpKind::nodes}).terms); }

std::vector<Term> nodes_up() {
  return std::move(perform("cluster::nodes_up", PendingOp{.kind = OpKind::nodes, .flag = true}).terms);
}

void partition(std::vector<Term> a, std::vector<Term> b, Mode m) {
  for (const Term& n : a) node_term(n, "partition");
  for (const Term& n : b) node_term(n, "partition");
  perform("cluster::partition", PendingOp{.kind = OpKind::partition,
                                          .term = list(std::move(a)),
                                          .term2 = list(std::move(b)),
                                          .flag = m == Mode::defer});
}

void heal() { perform("cluster::heal", PendingOp{.kind = OpKind::heal}); }

void stop_node(Term n) { perform("cluster::stop_node", PendingOp{.kind = OpKind::stop_node, .name = node_term(n, "stop_node")}); }

void start_node(Term n) {
  perform("cluster::start_node", PendingOp{.kind = OpKind::start_node, .name = node_term(n, "start_node")});
}

void monitor_node(Term n) {
  perform("cluster::monitor_node", PendingOp{.kind = OpKind::monitor_node, .name = node_term(n, "monitor_node")});
}

void set_ticktime(std::int64_t ms) {
  if (ms <= 0) throw UsageError("cluster::set_ticktime: the ticktime must be > 0 ms");
  perform("cluster::set_ticktime", PendingOp{.kind = OpKind::set_ticktime, .deadline = ms});
}

std::optional<Pid> whereis_on(Term node, Term name) {
  auto& r = perform("cluster::whereis_on", PendingOp{.kind = OpKind::whereis_on,
                                                     .term2 = node_term(node, "whereis_on"),
                                                     .name = std::move(name)});
  if (!r.has_value) return std::nullopt;
  return r.pid;
}

}  // namespace lockstep::cluster
