// The election shared by the split_brain examples: an elector registers as :elector on its
// node, reports ready to the root, waits for :go, claims leadership to its peer's elector,
// and leads (a process registered :leader on its node) unless the peer's claim arrives
// within 100 ms and wins (the smaller node name wins).
#pragma once

#include <lockstep/lockstep.hpp>

namespace split_brain {

inline void elector(lockstep::Term me, lockstep::Term peer, lockstep::Pid root) {
  namespace ls = lockstep;
  ls::register_name(ls::atom("elector"), ls::self());
  ls::send(root, ls::atom("ready"));
  ls::receive(ls::match(ls::atom("go")));
  ls::send(ls::atom("elector"), peer, ls::tuple(ls::atom("claim"), me));
  auto claim = ls::receive(ls::match(ls::tuple(ls::atom("claim"), ls::_)), 100);
  if (!claim || me < (*claim)[1]) {
    ls::spawn([] {
      ls::register_name(ls::atom("leader"), ls::self());
      ls::receive();
    });
  }
}

// Starts an elector on each node and tells both to go once both are ready (a lost
// readiness report is waited for 50 ms only).
inline void start_election(const lockstep::Term& a, const lockstep::Term& b) {
  namespace ls = lockstep;
  ls::Pid root = ls::self();
  ls::Pid ea = ls::spawn([=] { elector(a, b, root); }, {.node = a});
  ls::Pid eb = ls::spawn([=] { elector(b, a, root); }, {.node = b});
  for (int i = 0; i < 2; ++i) ls::receive(ls::match(ls::atom("ready")), 50);
  ls::send(ea, ls::atom("go"));
  ls::send(eb, ls::atom("go"));
}

inline int leaders(const lockstep::Term& a, const lockstep::Term& b) {
  namespace ls = lockstep;
  return (ls::cluster::whereis_on(a, ls::atom("leader")) ? 1 : 0) +
         (ls::cluster::whereis_on(b, ls::atom("leader")) ? 1 : 0);
}

}  // namespace split_brain
