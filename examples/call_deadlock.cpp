// call_deadlock: two servers that, while handling a request, synchronously call each other.
// If both get a request at the same time, each waits for the other's reply forever.
#include <lockstep/lockstep.hpp>

namespace ls = lockstep;

namespace {
// Serve requests; handling {:work, from} needs a synchronous {:ask} call to the peer.
void server(ls::Term my_name, ls::Term peer_name) {
  ls::register_name(my_name, ls::self());
  for (;;) {
    ls::Term msg = ls::receive();
    if (msg[0].is_atom("ask")) {
      ls::send(msg[1].as_pid(), ls::atom("answer"));
    } else if (msg[0].is_atom("work")) {
      ls::send(peer_name, ls::tuple(ls::atom("ask"), ls::self()));
      ls::receive(ls::match(ls::atom("answer")));  // the call: blocks until the peer answers
      ls::send(msg[1].as_pid(), ls::atom("done"));
    }
  }
}
}  // namespace

LOCKSTEP_SCENARIO(call_deadlock) {
  ls::Pid me = ls::self();
  ls::Pid a = ls::spawn([] { server(ls::atom("a"), ls::atom("b")); });
  ls::Pid b = ls::spawn([] { server(ls::atom("b"), ls::atom("a")); });
  // Wait until both names are registered before sending work.
  while (!ls::whereis(ls::atom("a")) || !ls::whereis(ls::atom("b"))) ls::sleep(1);
  ls::send(a, ls::tuple(ls::atom("work"), me));
  ls::send(b, ls::tuple(ls::atom("work"), me));
  ls::receive(ls::match(ls::atom("done")));
  ls::receive(ls::match(ls::atom("done")));
}
