// deferred_duplicate: a client on a@host asks a server on b@host to apply operation 1 and
// retries after a :noconnection DOWN. When the network partitions in defer mode while the
// request or its ack is in flight, the monitor fires :noconnection after the ticktime, the
// client retries after the heal, and the deferred original is delivered too: operation 1
// is applied twice.
#include <lockstep/lockstep.hpp>

namespace ls = lockstep;
namespace cl = ls::cluster;

namespace {
void server() {
  std::int64_t applied = 0;
  for (;;) {
    ls::Term msg = ls::receive();
    if (msg[0].is_atom("apply")) {
      ++applied;
      ls::send(msg[2].as_pid(), ls::tuple(ls::atom("ack"), msg[1]));
    } else {
      ls::send(msg[1].as_pid(), ls::tuple(ls::atom("applied"), applied));
    }
  }
}

void client(ls::Pid srv, ls::Pid root) {
  for (;;) {
    ls::Ref m = ls::monitor(srv);
    ls::send(srv, ls::tuple(ls::atom("apply"), 1, ls::self()));
    ls::Term reply = ls::receive(ls::Matcher(
        [&](const ls::Term& t) {
          return t == ls::tuple(ls::atom("ack"), 1) || (t.is_tuple() && t.size() == 5 && t[1] == ls::Term(m));
        },
        "the ack or the DOWN"));
    if (reply[0].is_atom("ack")) break;
    ls::sleep(200);  // the server's node is unreachable: retry later
  }
  ls::send(root, ls::atom("done"));
}
}  // namespace

LOCKSTEP_SCENARIO(deferred_duplicate) {
  ls::Term a = ls::atom("a@host"), b = ls::atom("b@host");
  cl::add_node(a);
  cl::add_node(b);
  cl::set_ticktime(100);
  ls::Pid root = ls::self();
  ls::Pid srv = ls::spawn(server, {.node = b});
  ls::spawn([srv, root] { client(srv, root); }, {.node = a});
  ls::spawn([a, b] { cl::partition({a}, {b}, cl::Mode::defer); });
  ls::sleep(150);
  cl::heal();
  ls::receive(ls::match(ls::atom("done")));
  ls::send(srv, ls::tuple(ls::atom("count"), root));
  std::int64_t applied = ls::receive(ls::match(ls::tuple(ls::atom("applied"), ls::_)))[1].as_int();
  LOCKSTEP_ASSERT(applied == 1, "operation 1 is applied once");
}
