// global_register_ok: the split_brain election done with the global registry: of the two
// electors' registrations the first wins, whatever the network does, so there is always
// exactly one leader. Exhaustive exploration proves it.
#include <lockstep/lockstep.hpp>

namespace ls = lockstep;
namespace cl = ls::cluster;

LOCKSTEP_SCENARIO(global_register_ok) {
  ls::Term a = ls::atom("a@host"), b = ls::atom("b@host");
  cl::add_node(a);
  cl::add_node(b);
  ls::Pid root = ls::self();
  auto elector = [root] {
    bool lead = ls::global::register_name(ls::atom("leader"), ls::self());
    ls::send(root, ls::tuple(ls::atom("lead"), lead));
    ls::receive();
  };
  ls::spawn(elector, {.node = a});
  ls::spawn(elector, {.node = b});
  ls::spawn([a, b] { cl::partition({a}, {b}); });
  int leaders = 0;
  for (int i = 0; i < 2; ++i) leaders += ls::receive()[1].as_bool() ? 1 : 0;
  cl::heal();
  LOCKSTEP_ASSERT(leaders == 1, "exactly one elector leads");
}
