// split_brain: an elector on each of two nodes claims leadership to its peer and takes
// the lead, registered locally, unless the peer's claim arrives in time and wins (a@host
// beats b@host). A partition that cuts the claims off makes both time out: after the
// heal there are two leaders.
#include "elector.hpp"

namespace ls = lockstep;
namespace cl = ls::cluster;

LOCKSTEP_SCENARIO(split_brain) {
  ls::Term a = ls::atom("a@host"), b = ls::atom("b@host");
  cl::add_node(a);
  cl::add_node(b);
  split_brain::start_election(a, b);
  ls::spawn([a, b] { cl::partition({a}, {b}); });  // the network fails at some point
  ls::sleep(200);
  cl::heal();
  ls::sleep(1);  // let the leaders register
  LOCKSTEP_ASSERT(split_brain::leaders(a, b) == 1, "exactly one leader after the heal");
}
