// split_brain_unscripted: the split_brain election with no scripted failure. Without
// faults it always elects one leader (a fault may also leave none: unavailable, not
// split); `--faults partition --max-faults 1` lets the
// strategy cut a node off at any step, and finds the two-leader outcome.
#include <lockstep/lockstep.hpp>

namespace ls = lockstep;
namespace cl = ls::cluster;

namespace {
void elector(ls::Term me, ls::Term peer, ls::Pid root) {
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
}  // namespace

LOCKSTEP_SCENARIO(split_brain_unscripted) {
  ls::Term a = ls::atom("a@host"), b = ls::atom("b@host");
  cl::add_node(a);
  cl::add_node(b);
  ls::Pid root = ls::self();
  ls::Pid ea = ls::spawn([=] { elector(a, b, root); }, {.node = a});
  ls::Pid eb = ls::spawn([=] { elector(b, a, root); }, {.node = b});
  for (int i = 0; i < 2; ++i) ls::receive(ls::match(ls::atom("ready")), 50);  // a fault may lose one
  ls::send(ea, ls::atom("go"));
  ls::send(eb, ls::atom("go"));
  ls::sleep(200);
  int leaders = (cl::whereis_on(a, ls::atom("leader")) ? 1 : 0) + (cl::whereis_on(b, ls::atom("leader")) ? 1 : 0);
  LOCKSTEP_ASSERT(leaders <= 1, "at most one leader");
}
