// atomic_counter_ok: three processes count with atomics add_get; the increments are
// atomic, so the total is always right. Exhaustive exploration proves it.
#include <lockstep/lockstep.hpp>

namespace ls = lockstep;

LOCKSTEP_SCENARIO(atomic_counter_ok) {
  auto counter = ls::atomics::new_array(1);
  ls::Pid me = ls::self();
  for (int i = 0; i < 3; ++i) {
    ls::spawn([=]() {
      counter.add_get(0, 1);
      ls::send(me, ls::atom("done"));
    });
  }
  for (int i = 0; i < 3; ++i) ls::receive();
  LOCKSTEP_ASSERT(counter.get(0) == 3, "every increment is counted");
}
