// split_brain: an elector on each of two nodes claims leadership to its peer and takes
// the lead, registered locally, unless the peer's claim arrives in time and wins (a@host
// beats b@host). A partition that cuts the claims off makes both time out: after the
// heal there are two leaders.
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
  bool lead = !claim || me < (*claim)[1];
  if (lead) {
    ls::spawn([] {  // the leader's work runs on this node under the name :leader
      ls::register_name(ls::atom("leader"), ls::self());
      ls::receive();
    });
  }
}
}  // namespace

LOCKSTEP_SCENARIO(split_brain) {
  ls::Term a = ls::atom("a@host"), b = ls::atom("b@host");
  cl::add_node(a);
  cl::add_node(b);
  ls::Pid root = ls::self();
  ls::Pid ea = ls::spawn([=] { elector(a, b, root); }, {.node = a});
  ls::Pid eb = ls::spawn([=] { elector(b, a, root); }, {.node = b});
  ls::receive(ls::match(ls::atom("ready")));
  ls::receive(ls::match(ls::atom("ready")));
  ls::send(ea, ls::atom("go"));
  ls::send(eb, ls::atom("go"));
  ls::spawn([a, b] { cl::partition({a}, {b}); });  // the network fails at some point
  ls::sleep(200);
  cl::heal();
  ls::sleep(1);  // let the leaders register
  int leaders = (cl::whereis_on(a, ls::atom("leader")) ? 1 : 0) + (cl::whereis_on(b, ls::atom("leader")) ? 1 : 0);
  LOCKSTEP_ASSERT(leaders == 1, "exactly one leader after the heal");
}
