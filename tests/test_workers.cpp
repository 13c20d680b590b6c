// Sampled runs on several workers: iterations run in fixed chunks, each a function of the
// seed and its index, merged in order, so the result does not depend on the worker count.
#include <mutex>
#include <set>

#include "support.hpp"

using ls::atom;
using ls::StrategyKind;

namespace {
// Four senders to one collector: the assertion fails only when their messages arrive in
// reverse spawn order, which random scheduling rarely gives, so a run finds it past the
// first chunk of 64.
void reverse_order() {
  ls::Pid me = ls::self();
  for (std::int64_t i = 0; i < 4; ++i) {
    ls::spawn([me, i] { ls::send(me, i); });
  }
  bool reversed = true;
  for (std::int64_t i = 3; i >= 0; --i) reversed = reversed && ls::receive().as_int() == i;
  LOCKSTEP_ASSERT(!reversed, "messages in reverse spawn order");
}

// Two distinct bugs, each on some schedules: keep_going collects both.
void two_bugs() {
  ls::Pid me = ls::self();
  ls::spawn([me] { ls::send(me, atom("a")); });
  ls::spawn([me] { ls::send(me, atom("b")); });
  ls::spawn([me] { ls::send(me, atom("c")); });
  ls::Term first = ls::receive();
  LOCKSTEP_ASSERT(!first.is_atom("c"), "c came first");
  ls::Term second = ls::receive();
  LOCKSTEP_ASSERT(!(first.is_atom("b") && second.is_atom("a")), "b before a");
}

ls::Options with_workers(ls::Options o, unsigned workers) {
  o.workers = workers;
  return o;
}
}  // namespace

TEST_CASE("a sampled run finds the same counterexample on 1, 2 and 3 workers", "[workers]") {
  auto kind = GENERATE(StrategyKind::random, StrategyKind::pct, StrategyKind::pos);
  INFO("strategy " << ls::to_string(kind));
  auto base = lockstep_test::sampling(kind, 5000, 1);
  auto one = ls::check(reverse_order, with_workers(base, 1));
  REQUIRE_FALSE(one.ok());
  // Random needs several chunks to find it, so merging matters; PCT and POS are quicker.
  if (kind == StrategyKind::random) REQUIRE(one.counterexample().iteration > 64);
  REQUIRE(one.executions == one.counterexample().iteration);
  for (unsigned workers : {2u, 3u}) {
    INFO(workers << " workers");
    auto many = ls::check(reverse_order, with_workers(base, workers));
    REQUIRE_FALSE(many.ok());
    REQUIRE(many.executions == one.executions);
    REQUIRE(many.counterexample().iteration == one.counterexample().iteration);
    REQUIRE(many.counterexample().seed == one.counterexample().seed);
    REQUIRE(many.counterexample().schedule.steps == one.counterexample().schedule.steps);
    REQUIRE(many.counterexample().format_trace() == one.counterexample().format_trace());
  }
}

TEST_CASE("keep_going collects the same counterexamples on any number of workers", "[workers]") {
  auto base = lockstep_test::sampling(StrategyKind::random, 1000, 5);
  base.keep_going = true;
  auto one = ls::check(two_bugs, with_workers(base, 1));
  REQUIRE(one.executions == 1000);
  REQUIRE(one.counterexamples.size() == 2);
  auto two = ls::check(two_bugs, with_workers(base, 2));
  REQUIRE(two.executions == 1000);
  REQUIRE(two.counterexamples.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    REQUIRE(two.counterexamples[i].signature() == one.counterexamples[i].signature());
    REQUIRE(two.counterexamples[i].iteration == one.counterexamples[i].iteration);
    REQUIRE(two.counterexamples[i].schedule.steps == one.counterexamples[i].schedule.steps);
  }
}

TEST_CASE("a passing sampled run on several workers runs every iteration and reports progress", "[workers]") {
  auto o = with_workers(lockstep_test::sampling(StrategyKind::random, 300, 1), 2);
  std::mutex m;
  std::set<std::uint64_t> reported;
  o.progress_every = 100;
  o.progress = [&](std::uint64_t n) {
    std::lock_guard lock(m);
    reported.insert(n);
  };
  auto r = ls::check([] {
    ls::Pid me = ls::self();
    ls::spawn([me] { ls::send(me, 1); });
    ls::spawn([me] { ls::send(me, 2); });
    (void)ls::receive();
    (void)ls::receive();
  }, o);
  REQUIRE(r.ok());
  REQUIRE(r.executions == 300);
  REQUIRE(reported == std::set<std::uint64_t>{100, 200, 300});
}
