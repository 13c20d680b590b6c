// lockstep::cluster: notional cluster nodes. Processes run on a node (spawn with
// SpawnOpts{.node = n}); messages and signals between nodes go through the simulated
// network, which partitions (dropping or deferring messages), node stops and restarts,
// and the virtual net_ticktime act on. Every function is a sync point unless marked
// (local). Semantics: docs/cluster.md.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "lockstep/term.hpp"

namespace lockstep::cluster {

enum class Mode { drop, defer };

void add_node(Term node);  // idempotent; :nonode@nohost always exists
Term node();               // (local) the caller's node
Term node_of(Pid p);       // (local) p's node
std::vector<Term> nodes();     // every node added, :nonode@nohost first
std::vector<Term> nodes_up();  // the nodes up, without :nonode@nohost
// While active, a message between the groups is dropped, or deferred until heal();
// monitors and links across it fire :noconnection once the ticktime elapses.
void partition(std::vector<Term> a, std::vector<Term> b, Mode m = Mode::drop);
void heal();  // removes every partition and delivers what was deferred, in order
// Kills the node's processes (:killed; remote watchers see :noconnection), frees their
// names, tables and persistent terms, sends {:nodedown, n} to node monitors.
void stop_node(Term n);
void start_node(Term n);  // up again, with fresh state
void monitor_node(Term n);  // one {:nodedown, n} when n stops or is cut off (at once if it is)
void set_ticktime(std::int64_t ms);  // default 15000 virtual ms
std::optional<Pid> whereis_on(Term node, Term name);

}  // namespace lockstep::cluster
