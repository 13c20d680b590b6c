// split_brain_unscripted: the split_brain election with no scripted failure. Without
// faults it always elects one leader (a fault may also leave none: unavailable, not
// split); `--faults partition --max-faults 1` lets the strategy cut a node off at any
// step, and finds the two-leader outcome.
#include "elector.hpp"

namespace ls = lockstep;
namespace cl = ls::cluster;

LOCKSTEP_SCENARIO(split_brain_unscripted) {
  ls::Term a = ls::atom("a@host"), b = ls::atom("b@host");
  cl::add_node(a);
  cl::add_node(b);
  split_brain::start_election(a, b);
  ls::sleep(200);
  LOCKSTEP_ASSERT(split_brain::leaders(a, b) <= 1, "at most one leader");
}
