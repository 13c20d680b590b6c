// register_race: two clients each start the :service singleton if whereis finds none.
// Between one client's whereis and its register_name, the other can register first.
#include <lockstep/lockstep.hpp>

namespace ls = lockstep;

namespace {
void service() {
  for (;;) ls::receive();
}

void ensure_service(ls::Pid done) {
  if (!ls::whereis(ls::atom("service"))) {
    ls::Pid pid = ls::spawn(service);
    bool registered = ls::register_name(ls::atom("service"), pid);
    LOCKSTEP_ASSERT(registered, "only one client starts :service");
  }
  ls::send(done, ls::atom("done"));
}
}  // namespace

LOCKSTEP_SCENARIO(register_race) {
  ls::Pid me = ls::self();
  ls::spawn([=] { ensure_service(me); });
  ls::spawn([=] { ensure_service(me); });
  ls::receive(ls::match(ls::atom("done")));
  ls::receive(ls::match(ls::atom("done")));
}
