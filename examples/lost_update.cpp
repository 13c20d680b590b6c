// lost_update: two clients increment a counter server with get-then-set. When both get
// before either sets, one increment is lost.
#include <lockstep/lockstep.hpp>

namespace ls = lockstep;

namespace {
void counter_server(std::int64_t value) {
  for (;;) {
    ls::Term msg = ls::receive();
    if (msg[0].is_atom("get")) {
      ls::send(msg[1].as_pid(), ls::tuple(ls::atom("value"), value));
    } else if (msg[0].is_atom("set")) {
      value = msg[1].as_int();
    }
  }
}

void client(ls::Pid counter, ls::Pid done) {
  ls::send(counter, ls::tuple(ls::atom("get"), ls::self()));
  std::int64_t v = ls::receive(ls::match(ls::tuple(ls::atom("value"), ls::_)))[1].as_int();
  ls::send(counter, ls::tuple(ls::atom("set"), v + 1));
  ls::send(done, ls::atom("done"));
}
}  // namespace

LOCKSTEP_SCENARIO(lost_update) {
  ls::Pid counter = ls::spawn([] { counter_server(0); });
  ls::Pid me = ls::self();
  ls::spawn([=] { client(counter, me); });
  ls::spawn([=] { client(counter, me); });
  ls::receive(ls::match(ls::atom("done")));
  ls::receive(ls::match(ls::atom("done")));
  ls::send(counter, ls::tuple(ls::atom("get"), me));
  std::int64_t total = ls::receive(ls::match(ls::tuple(ls::atom("value"), ls::_)))[1].as_int();
  LOCKSTEP_ASSERT(total == 2, "both increments are counted");
}
