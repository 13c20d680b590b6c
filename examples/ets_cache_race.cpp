// ets_cache_race: two workers share an ETS cache and compute a value on a miss with
// check-then-insert. When both look up before either inserts, the expensive work runs
// twice (and the second insert overwrites the first).
#include <lockstep/lockstep.hpp>

namespace ls = lockstep;
namespace ets = ls::ets;

namespace {
ls::Term cached_or_compute(ets::Table cache, ets::Table stats, const ls::Term& key) {
  auto hit = cache.lookup(key);
  if (!hit.empty()) return hit.front()[1];
  stats.update_counter(ls::atom("computed"), 2, 1, ls::tuple(ls::atom("computed"), 0));
  ls::Term value = ls::tuple(ls::atom("report"), key);  // the expensive part
  cache.insert(ls::tuple(key, value));
  return value;
}
}  // namespace

LOCKSTEP_SCENARIO(ets_cache_race) {
  auto cache = ets::new_table(ls::atom("cache"), {.access = ets::Access::public_});
  auto stats = ets::new_table(ls::atom("stats"), {.access = ets::Access::public_});
  ls::Pid me = ls::self();
  for (int i = 0; i < 2; ++i) {
    ls::spawn([=] {
      cached_or_compute(cache, stats, ls::atom("q1"));
      ls::send(me, ls::atom("done"));
    });
  }
  ls::receive();
  ls::receive();
  std::int64_t computed = stats.lookup_element(ls::atom("computed"), 2).as_int();
  LOCKSTEP_ASSERT(computed == 1, "the report is computed once");
}
