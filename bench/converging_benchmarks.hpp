// Scenarios whose interleavings converge on the same states: different traces (so optimal
// DPOR explores each), equal end states (so a state cache cuts them). Used by the bench
// harness and the state cache tests.
#pragma once

#include <cstdint>
#include <functional>

#include <lockstep/lockstep.hpp>

namespace lockstep_converging {

// n clients each send :inc to a counter server, which adds them up and sends the total to
// the root: the server's mailbox and history are the same whichever client came first.
inline std::function<void()> counter_server(int clients) {
  return [clients] {
    lockstep::Pid me = lockstep::self();
    lockstep::Pid server = lockstep::spawn([me, clients] {
      std::int64_t total = 0;
      for (int i = 0; i < clients; ++i) {
        lockstep::receive(lockstep::match(lockstep::atom("inc")));
        ++total;
      }
      lockstep::send(me, total);
    });
    for (int i = 0; i < clients; ++i) lockstep::spawn([server] { lockstep::send(server, lockstep::atom("inc")); });
    LOCKSTEP_ASSERT(lockstep::receive() == lockstep::Term(clients), "every increment is counted");
  };
}

// n writers each put {:k, 1} into one public ETS table `inserts` times, then tell the root:
// the table ends the same in every order. The inserts are blind writes of one object, which
// commute (docs/dependencies.md): only the orders of the messages to the root are traces.
inline std::function<void()> idempotent_writes(int writers, int inserts) {
  return [writers, inserts] {
    lockstep::Pid me = lockstep::self();
    lockstep::ets::Table t =
        lockstep::ets::new_table(lockstep::atom("t"), {.access = lockstep::ets::Access::public_});
    for (int i = 0; i < writers; ++i) {
      lockstep::spawn([t, me, inserts] {
        for (int k = 0; k < inserts; ++k) t.insert(lockstep::tuple(lockstep::atom("k"), 1));
        lockstep::send(me, lockstep::atom("done"));
      });
    }
    for (int i = 0; i < writers; ++i) lockstep::receive();
  };
}

}  // namespace lockstep_converging
