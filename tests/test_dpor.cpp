// Exhaustive exploration is complete and reduced: source DPOR reaches every Mazurkiewicz
// trace that plain enumeration of all schedules (--dpor none) reaches, with the same end
// states and bugs; optimal DPOR (the default) does too and explores each trace exactly once.
// Checked on a hand-written corpus and on seeded random programs (docs/exploration.md has
// the larger offline runs).
#include <cstdio>
#include <cstdlib>

#include <lockstep/explore.hpp>

#include "dpor_corpus.hpp"
#include "dpor_oracle.hpp"
#include "random_program.hpp"

using lockstep_test::corpus;
using lockstep_test::Exploration;
using lockstep_test::Named;
using lockstep_test::explore_with;
using lockstep_test::Family;
using lockstep_test::for_random_programs;
using ls::atom;
using ls::DporMode;
using ls::tuple;

namespace {


// Source DPOR: every trace, every end state, every bug; at least one execution per trace.
void require_sound(const std::function<void()>& body, const Exploration& none) {
  Exploration source = explore_with(body, DporMode::source);
  REQUIRE(source.traces == none.traces);
  REQUIRE(source.executions >= none.traces.size());
  REQUIRE(source.final_states == none.final_states);
  REQUIRE(source.bugs == none.bugs);
}

// Optimal DPOR reaches every trace, end state and bug.
Exploration require_optimal_sound(const std::function<void()>& body, const Exploration& none) {
  Exploration optimal = explore_with(body, DporMode::optimal);
  REQUIRE(optimal.traces == none.traces);
  REQUIRE(optimal.final_states == none.final_states);
  REQUIRE(optimal.bugs == none.bugs);
  return optimal;
}

// ... and explores each trace exactly once, never sleep-set blocked.
void require_optimal(const std::function<void()>& body, const Exploration& none) {
  Exploration optimal = require_optimal_sound(body, none);
  REQUIRE(optimal.executions == none.traces.size());
  REQUIRE(optimal.blocked == 0);
}

}  // namespace

TEST_CASE("DPOR reaches every trace of the corpus and optimal explores each exactly once", "[dpor]") {
  auto scenarios = corpus();
  REQUIRE(scenarios.size() >= 25);
  for (const Named& s : scenarios) {
    INFO("scenario: " << s.name);
    Exploration none = explore_with(s.body, DporMode::none);
    REQUIRE(none.complete);
    REQUIRE(none.executions >= none.traces.size());
    require_sound(s.body, none);
    require_optimal(s.body, none);
  }
}

TEST_CASE("source DPOR reaches every trace, state and bug of random programs", "[dpor]") {
  for_random_programs(300, Family::plain, require_sound);
}

TEST_CASE("optimal DPOR reaches every trace, state and bug of random programs each once", "[dpor]") {
  for_random_programs(300, Family::plain, require_optimal);
}

// The same oracles over programs that also use ETS and the cluster (partitions, heals,
// node stops and restarts, workers on two nodes).
TEST_CASE("source DPOR reaches every trace, state and bug of random ETS and cluster programs", "[dpor][cluster]") {
  for_random_programs(200, Family::cluster, require_sound);
}

TEST_CASE("optimal DPOR reaches every trace, state and bug of random ETS and cluster programs each once", "[dpor][cluster]") {
  for_random_programs(200, Family::cluster, require_optimal);
}

// And over programs of shared state only, where blind writes (ETS inserts and deletes,
// atomics puts and adds, a user's object with SharedAccess::commutes) commute with their
// like: the traces are fewer, the end states and bugs the same as plain enumeration's.
TEST_CASE("source DPOR reaches every trace, state and bug of random shared-state programs", "[dpor]") {
  for_random_programs(150, Family::shared, require_sound);
}

TEST_CASE("optimal DPOR reaches every trace, state and bug of random shared-state programs each once", "[dpor]") {
  for_random_programs(150, Family::shared, require_optimal);
}

// Programs (found by this oracle over thousands of seeds) where exit signals, links and
// monitors made a moved event do something its record did not show: optimal DPOR missed
// or repeated traces until such events were probed (docs/exploration.md).
TEST_CASE("optimal DPOR is exact on programs that once defeated it", "[dpor]") {
  for (std::uint64_t seed : {462, 1440, 2338, 3277, 3280}) {
    auto program = lockstep_test::generate_program(seed);
    auto body = lockstep_test::as_scenario(program);
    Exploration none = explore_with(body, DporMode::none);
    INFO("seed " << seed << "\n" << program.describe());
    require_sound(body, none);
    require_optimal(body, none);
  }
}

// Larger programs where a reversal's footprint changed the outcome: seed 1013 (4 operations
// each: a link that a sleeping process made to a live process would cascade after the death
// that the reversal puts first); with ETS and the cluster, 1902 (source DPOR cut notdep at
// the race), 722 (a cross-node link to a dead process is not a plain alternative across a
// cut), 1042, 1138, 1585 and 1667 (a network write need not change a route). Each missed
// traces before its fix (docs/exploration.md). And 518 (4 operations), where a race inside
// the prefix an execution repeats must be reversed again: its notdep has new events, and
// reversing each race only in the first execution that has it lost 4 of 27 traces
// (docs/exploration.md, "Why every execution's races are reversed"). And 758 (ETS and the
// cluster), where a sequence must be inserted again although it was before: the first time,
// a leaf whose record was a moved `stop_node` (predicted to kill nobody) took it for
// commuting; run, that event killed a process, and only the second insertion reached the
// trace (dpor/sequence_key.hpp, docs/exploration.md, "Repeated insertions").
TEST_CASE("DPOR is exact on larger programs that once defeated it", "[dpor][cluster]") {
  struct Case {
    std::uint64_t seed;
    int ops;
    Family family;
  };
  for (Case c : {Case{1013, 4, Family::plain}, Case{518, 4, Family::plain}, Case{1902, 3, Family::cluster},
                 Case{722, 3, Family::cluster}, Case{1042, 3, Family::cluster}, Case{1138, 3, Family::cluster},
                 Case{1585, 3, Family::cluster}, Case{1667, 3, Family::cluster}, Case{758, 3, Family::cluster}}) {
    auto [program, body, none] = lockstep_test::generated_case(c.seed, c.ops, c.family, 0);
    INFO("seed " << c.seed << "\n" << program.describe());
    require_sound(body, none);
    require_optimal(body, none);
  }
}

TEST_CASE("commuting operations give one trace", "[dpor]") {
  auto mode = GENERATE(DporMode::source, DporMode::optimal);
  auto o = explore_with(
      [] {
        for (std::uint64_t k = 0; k < 4; ++k) {
          ls::spawn([k] { ls::nif_sync(atom("put"), {.object = 1, .key = k, .whole_object = false, .write = true}); });
        }
      },
      mode);
  REQUIRE(o.executions == 1);
  auto n = explore_with(
      [] {
        for (std::uint64_t k = 0; k < 4; ++k) {
          ls::spawn([k] { ls::nif_sync(atom("put"), {.object = 1, .key = k, .whole_object = false, .write = true}); });
        }
      },
      DporMode::none);
  REQUIRE(n.executions > 1);
  REQUIRE(n.traces.size() == 1);
}

// Blind writes that carry one value (SharedAccess::commutes) commute with each other; a
// write of another value, a read, or a write that returns what it met stays ordered with
// them. Each count is checked against plain enumeration's traces and end states.
TEST_CASE("blind writes of one value commute, and stay ordered with everything else", "[dpor]") {
  using ls::ets::Table;
  auto table = [] { return ls::ets::new_table(atom("t"), {.access = ls::ets::Access::public_}); };
  // The root (the table's owner) outlives the writers: a timer fires only when no one else
  // can run, so its death, which deletes the table, comes after all of them.
  auto outlive = [] { ls::sleep(10); };
  struct Case {
    const char* name;
    std::function<void()> body;
    std::size_t traces;
  };
  std::vector<Case> cases = {
      {"three inserts of {k, 1}", [table, outlive] {
         Table t = table();
         for (int i = 0; i < 3; ++i) ls::spawn([t] { t.insert(tuple(atom("k"), 1)); });
         outlive();
       }, 1},
      // {k, 2} goes before both, after both, or between them (in two ways).
      {"two inserts of {k, 1} and one of {k, 2}", [table, outlive] {
         Table t = table();
         for (int v : {1, 1, 2}) ls::spawn([t, v] { t.insert(tuple(atom("k"), v)); });
         outlive();
       }, 4},
      // The lookup sees neither, one of the two (in two ways), or both.
      {"two inserts of {k, 1} and a lookup", [table, outlive] {
         Table t = table();
         for (int i = 0; i < 2; ++i) ls::spawn([t] { t.insert(tuple(atom("k"), 1)); });
         ls::spawn([t] { (void)t.lookup(atom("k")); });
         outlive();
       }, 4},
      {"three deletes of one key", [table, outlive] {
         Table t = table();
         t.insert(tuple(atom("k"), 1));
         for (int i = 0; i < 3; ++i) ls::spawn([t] { t.remove(atom("k")); });
         outlive();
       }, 1},
      {"an insert and a delete of one key", [table, outlive] {
         Table t = table();
         ls::spawn([t] { t.insert(tuple(atom("k"), 1)); });
         ls::spawn([t] { t.remove(atom("k")); });
         outlive();
       }, 2},
      {"three atomics adds of different amounts", [] {
         ls::atomics::Array a = ls::atomics::new_array(1);
         for (int d = 1; d <= 3; ++d) ls::spawn([a, d] { a.add(0, d); });
       }, 1},
      {"an atomics add and a sub", [] {
         ls::atomics::Array a = ls::atomics::new_array(1);
         ls::spawn([a] { a.add(0, 2); });
         ls::spawn([a] { a.sub(0, 1); });
       }, 1},
      {"two atomics add_gets", [] {  // each returns what it met
         ls::atomics::Array a = ls::atomics::new_array(1);
         for (int i = 0; i < 2; ++i) ls::spawn([a] { (void)a.add_get(0, 1); });
       }, 2},
      {"three atomics puts of one value", [] {
         ls::atomics::Array a = ls::atomics::new_array(1);
         for (int i = 0; i < 3; ++i) ls::spawn([a] { a.put(0, 5); });
       }, 1},
      {"an atomics put and an add", [] {
         ls::atomics::Array a = ls::atomics::new_array(1);
         ls::spawn([a] { a.put(0, 5); });
         ls::spawn([a] { a.add(0, 1); });
       }, 2},
      {"two persistent_term puts of one value and one of another", [] {
         for (int v : {1, 1, 2}) ls::spawn([v] { ls::persistent_term::put(atom("k"), v); });
       }, 4},
      {"a user's blind writes of one value", [] {
         for (int i = 0; i < 3; ++i) {
           ls::spawn([] {
             ls::nif_sync(atom("set"), {.object = 9, .key = 1, .whole_object = false, .write = true, .commutes = 77});
           });
         }
       }, 1},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Exploration none = explore_with(c.body, DporMode::none);
    REQUIRE(none.traces.size() == c.traces);
    require_sound(c.body, none);
    require_optimal(c.body, none);
  }
}

TEST_CASE("n senders to one mailbox give n! traces", "[dpor]") {
  auto mode = GENERATE(DporMode::source, DporMode::optimal);
  for (int n = 1; n <= 4; ++n) {
    auto body = [n] {
      ls::Pid me = ls::self();
      for (int i = 0; i < n; ++i) ls::spawn([me, i] { ls::send(me, i); });
      for (int i = 0; i < n; ++i) ls::receive();
    };
    std::uint64_t factorial = 1;
    for (int i = 2; i <= n; ++i) factorial *= static_cast<std::uint64_t>(i);
    INFO("n = " << n);
    REQUIRE(explore_with(body, mode).executions == factorial);
  }
}

TEST_CASE("explore finds the bug and reports statistics", "[dpor]") {
  auto buggy = [] {
    ls::Pid me = ls::self();
    ls::spawn([me] { ls::send(me, 1); });
    ls::spawn([me] { ls::send(me, 2); });
    LOCKSTEP_ASSERT(ls::receive() == ls::Term(1), "1 arrives first");
    ls::receive();
  };
  for (auto mode : {DporMode::none, DporMode::source, DporMode::optimal}) {
    ls::Options o;
    o.dpor = mode;
    auto r = ls::explore(buggy, o);
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.counterexample().message == "assertion failed: 1 arrives first (ls::receive() == ls::Term(1))");
    REQUIRE_THAT(r.counterexample().format_trace(), Catch::Contains("receive 2"));
  }
  ls::Options o;
  auto clean = ls::explore(
      [] {
        ls::Pid me = ls::self();
        ls::spawn([me] { ls::send(me, 1); });
        ls::receive();
      },
      o);
  REQUIRE(clean.ok());
  REQUIRE(clean.complete());
  REQUIRE(clean.executions == 1);
}

TEST_CASE("exhaustive exploration reports a scenario whose re-run prefix takes another course", "[dpor]") {
  // The controller re-runs each execution's prefix without the explorer's say
  // (Strategy::replayed_prefix): a process that cannot run there again must be reported.
  static int runs = 0;
  auto drifting = [] {
    ++runs;
    ls::Pid me = ls::self();
    ls::spawn([me] { ls::send(me, 1); });
    ls::spawn([me] { ls::send(me, 2); });
    if (runs == 1) ls::spawn([me] { ls::send(me, 3); });  // only in the first execution
    ls::receive();
    ls::receive();
  };
  for (auto mode : {DporMode::source, DporMode::optimal}) {
    runs = 0;
    ls::Options o;
    o.dpor = mode;
    o.workers = 1;
    REQUIRE_THROWS_WITH(ls::explore(drifting, o), Catch::Contains("nondeterministic scenario"));
  }
}

TEST_CASE("bounds make the result incomplete, never a pass", "[dpor]") {
  auto three = [] {
    ls::Pid me = ls::self();
    for (int i = 0; i < 3; ++i) ls::spawn([me, i] { ls::send(me, i); });
    for (int i = 0; i < 3; ++i) ls::receive();
  };
  ls::Options o;
  o.max_executions = 2;
  auto r = ls::explore(three, o);
  REQUIRE(r.ok());
  REQUIRE_FALSE(r.complete());
  REQUIRE_THAT(r.incomplete, Catch::Contains("--max-executions"));
  o = ls::Options{};
  o.max_depth = 3;
  r = ls::explore(three, o);
  REQUIRE_FALSE(r.complete());
  REQUIRE_THAT(r.incomplete, Catch::Contains("--max-depth"));
}

TEST_CASE("keep_going collects every distinct bug exhaustively", "[dpor]") {
  ls::Options o;
  o.keep_going = true;
  auto r = ls::explore(
      [] {
        ls::Pid me = ls::self();
        ls::spawn([me] { ls::send(me, 1); });
        ls::spawn([me] { ls::send(me, 2); });
        ls::Term first = ls::receive();
        LOCKSTEP_ASSERT(first != ls::Term(1), "1 first");
        LOCKSTEP_ASSERT(first != ls::Term(2), "2 first");
      },
      o);
  REQUIRE(r.counterexamples.size() == 2);
  REQUIRE(r.complete());
}

TEST_CASE("each counterexample of an exhaustive run replays to its failure", "[dpor]") {
  // A re-run prefix keeps the last run's choice points (Controller::kept_prefix): the schedule
  // of a bug found deep in the tree must still name every choice, or its replay would take
  // another course (reported as nondeterminism) or fail elsewhere.
  auto orders = [] {
    ls::Pid me = ls::self();
    for (int i = 1; i <= 3; ++i) ls::spawn([me, i] { ls::send(me, i); });
    std::int64_t a = ls::receive().as_int(), b = ls::receive().as_int(), c = ls::receive().as_int();
    LOCKSTEP_ASSERT(!(a == 3 && b == 1 && c == 2), "not 3, 1, 2");
    LOCKSTEP_ASSERT(!(a == 2 && b == 3 && c == 1), "not 2, 3, 1");
  };
  for (auto mode : {DporMode::none, DporMode::source, DporMode::optimal}) {
    ls::Options o;
    o.dpor = mode;
    o.workers = 1;
    o.keep_going = true;
    ls::Result r = ls::explore(orders, o);
    REQUIRE(r.counterexamples.size() == 2);
    for (const ls::Counterexample& cx : r.counterexamples) {
      REQUIRE(cx.kind == ls::CounterexampleKind::assertion);
      REQUIRE(cx.iteration > 1);  // found after other executions: its prefix was re-run
      ls::Options replay;
      replay.strategy = ls::StrategyKind::replay;
      replay.replay = cx.schedule;
      ls::Result again = ls::check(orders, replay);
      REQUIRE(again.counterexamples.size() == 1);
      REQUIRE(again.counterexample().signature() == cx.signature());
    }
  }
}

// Parallel exploration: workers share one tree (dpor/explorer.hpp). Whatever the number of
// workers, the same traces, end states and bugs; possibly a few more executions than
// sequential optimal DPOR (a branch started while an earlier sibling is still running).
TEST_CASE("parallel exploration on 2 and 3 workers reaches every trace, state and bug of the corpus", "[dpor][parallel]") {
  for (const Named& s : corpus()) {
    INFO("scenario: " << s.name);
    Exploration none = explore_with(s.body, DporMode::none);
    for (auto mode : {DporMode::source, DporMode::optimal}) {
      for (unsigned workers : {2u, 3u}) {
        INFO(ls::to_string(mode) << " on " << workers << " workers");
        Exploration p = lockstep_test::explore_parallel_with(s.body, mode, workers);
        REQUIRE(p.complete);
        REQUIRE(p.traces == none.traces);
        REQUIRE(p.final_states == none.final_states);
        REQUIRE(p.bugs == none.bugs);
        REQUIRE(p.executions >= none.traces.size());
      }
    }
  }
}

TEST_CASE("parallel exploration reaches every trace, state and bug of random programs", "[dpor][parallel]") {
  for (Family family : {Family::plain, Family::cluster, Family::shared}) {
    for_random_programs(50, family, [](const std::function<void()>& body, const Exploration& none) {
      Exploration p = lockstep_test::explore_parallel_with(body, DporMode::optimal, 2);
      REQUIRE(p.traces == none.traces);
      REQUIRE(p.final_states == none.final_states);
      REQUIRE(p.bugs == none.bugs);
    });
  }
}

TEST_CASE("parallel exploration reports the same distinct counterexamples as one worker", "[dpor][parallel]") {
  auto three_bugs = [] {
    ls::Pid me = ls::self();
    for (int i = 1; i <= 3; ++i) ls::spawn([me, i] { ls::send(me, i); });
    ls::Term first = ls::receive();
    LOCKSTEP_ASSERT(first != ls::Term(1), "1 first");
    LOCKSTEP_ASSERT(first != ls::Term(2), "2 first");
    ls::Term second = ls::receive();
    LOCKSTEP_ASSERT(!(first == ls::Term(3) && second == ls::Term(1)), "3 then 1");
  };
  auto signatures = [](const ls::Result& r) {
    std::vector<std::string> out;
    for (const auto& c : r.counterexamples) out.push_back(c.signature());
    std::sort(out.begin(), out.end());
    return out;
  };
  ls::Options o;
  o.keep_going = true;
  o.workers = 1;
  auto one = ls::explore(three_bugs, o);
  REQUIRE(one.counterexamples.size() == 3);
  for (unsigned workers : {2u, 3u}) {
    o.workers = workers;
    auto many = ls::explore(three_bugs, o);
    REQUIRE(signatures(many) == signatures(one));
    REQUIRE(many.complete());
  }
  // Without keep_going every worker stops at the first bug found: one is reported.
  o.keep_going = false;
  o.workers = 2;
  auto first = ls::explore(three_bugs, o);
  REQUIRE(first.counterexamples.size() == 1);
}

TEST_CASE("exhaustive exploration uses every core by default and falls back to one worker if the parallel engine fails", "[dpor][parallel]") {
  auto three_senders = [] {
    ls::Pid me = ls::self();
    for (int i = 1; i <= 3; ++i) ls::spawn([me, i] { ls::send(me, i); });
    for (int i = 0; i < 3; ++i) ls::receive();
  };
  ls::Options o;
  REQUIRE(o.effective_workers() >= 1);
  ls::Result all = ls::explore(three_senders, o);
  REQUIRE(all.executions >= 6);  // every core: at least one execution per trace
  REQUIRE(all.complete());
  o.workers = 1;
  REQUIRE(o.effective_workers() == 1);
  ls::Result one = ls::explore(three_senders, o);
  REQUIRE(one.executions == 6);  // exactly one per trace: the sequential explorer
  // The engine's one failure of its own was a std::bad_array_new_length in a worker: such a
  // failure (injected here through the progress callback, on the parallel run only) leaves
  // the answer to a sequential exploration, with a warning.
  o.workers = 2;
  o.progress_every = 1;
  bool thrown = false;
  o.progress = [&](std::uint64_t) {
    if (!thrown) {
      thrown = true;
      throw std::bad_array_new_length();
    }
  };
  ls::Result fallback = ls::explore(three_senders, o);
  REQUIRE(thrown);
  REQUIRE(fallback.executions == 6);
  REQUIRE(fallback.complete());
  REQUIRE(fallback.warnings.size() == 1);
  REQUIRE_THAT(fallback.warnings.front().message, Catch::Contains("this result is from one worker"));
}

// Offline: the oracles over many more programs (not run by ctest; hidden by its tag):
//   LOCKSTEP_ORACLE_SEEDS=3000 build/tests/test_dpor "[.oracle]"
TEST_CASE("offline oracle: source and optimal DPOR over thousands of random programs", "[.oracle]") {
  for (int ops : {3, 4}) {
    for (Family family : {Family::plain, Family::cluster, Family::shared}) {
      std::uint64_t traces = 0, optimal = 0, blocked = 0;
      std::uint64_t programs = lockstep_test::for_oracle_programs(3000, ops, family, [&](const auto& body, const Exploration& none) {
        require_sound(body, none);
        Exploration o = require_optimal_sound(body, none);
        traces += none.traces.size();
        optimal += o.executions;
        blocked += o.blocked;
      });
      std::printf("ops <= %d%s: %llu programs, %llu traces, optimal %llu executions (%llu blocked)\n", ops,
                  lockstep_test::describe(family), (unsigned long long)programs, (unsigned long long)traces,
                  (unsigned long long)optimal, (unsigned long long)blocked);
    }
  }
}

// Offline: parallel exploration on 2 and 3 workers over the same programs.
//   LOCKSTEP_ORACLE_SEEDS=1500 build/tests/test_dpor "offline oracle: parallel*"
TEST_CASE("offline oracle: parallel exploration over thousands of random programs", "[.oracle]") {
  for (int ops : {3, 4}) {
    for (Family family : {Family::plain, Family::cluster, Family::shared}) {
      std::uint64_t traces = 0, executions[4] = {};
      std::uint64_t programs = lockstep_test::for_oracle_programs(3000, ops, family, [&](const auto& body, const Exploration& none) {
        traces += none.traces.size();
        for (unsigned workers : {2u, 3u}) {
          Exploration p = lockstep_test::explore_parallel_with(body, DporMode::optimal, workers);
          REQUIRE(p.traces == none.traces);
          REQUIRE(p.final_states == none.final_states);
          REQUIRE(p.bugs == none.bugs);
          executions[workers] += p.executions;
        }
        // And with the workers' interleaving shaken up (see explore_parallel_jittered).
        Exploration j = lockstep_test::explore_parallel_jittered(body, DporMode::optimal, 2, traces);
        REQUIRE(j.traces == none.traces);
        REQUIRE(j.final_states == none.final_states);
      });
      std::printf("ops <= %d%s: %llu programs, %llu traces, optimal on 2 workers %llu executions, on 3 %llu\n", ops,
                  lockstep_test::describe(family), (unsigned long long)programs, (unsigned long long)traces,
                  (unsigned long long)executions[2], (unsigned long long)executions[3]);
    }
  }
}

// A regression test for a lost trace (docs/exploration.md, "Parallel exploration"): a
// sequence inserted into a branch another worker had claimed became a wakeup leaf with a
// sleeper among its weak initials, absorbed a later insertion, and its exploration dropped
// the race that led there. Generated programs 68, 36 and 43 each lost a trace in about 1%
// of explorations on 2 workers; the interleavings of the workers vary from run to run, so
// two of them are explored many times, plainly and jittered.
TEST_CASE("parallel optimal DPOR finds every trace however its workers interleave", "[dpor][parallel]") {
  for (int seed : {68, 36}) {
    auto [program, body, none] = lockstep_test::generated_case(seed, 3, Family::plain, 20000);
    INFO("program " << seed << ": " << program.describe());
    int misses = 0;
    for (int i = 0; i < lockstep_test::scaled(300); ++i) {
      if (lockstep_test::explore_parallel_with(body, DporMode::optimal, 2).traces != none.traces) ++misses;
      if (lockstep_test::explore_parallel_jittered(body, DporMode::optimal, 2, i).traces != none.traces) ++misses;
    }
    REQUIRE(misses == 0);
  }
}

// A worker builds and explores the nodes below its region's root without the tree's lock;
// an insertion by another worker that reaches them is deferred until that worker next
// takes the lock (docs/exploration.md, "Own regions"). Generated program 24 loses a trace
// in some runs if the deferred insertions are dropped; the runs must defer some, or this
// checks nothing.
TEST_CASE("parallel optimal DPOR applies the insertions deferred to another worker's own region",
          "[dpor][parallel]") {
  for (int seed : {24, 68}) {
    auto [program, body, none] = lockstep_test::generated_case(seed, 3, Family::plain, 20000);
    INFO("program " << seed << ": " << program.describe());
    int misses = 0;
    std::uint64_t deferred = 0;
    for (int i = 0; i < lockstep_test::scaled(300); ++i) {
      Exploration j = lockstep_test::explore_parallel_jittered(body, DporMode::optimal, 2, 1000 + i);
      if (j.traces != none.traces) ++misses;
      deferred += j.deferred;
    }
    CHECK(deferred > 0);
    REQUIRE(misses == 0);
  }
}

// A region's root claim is finished under the lock, with the claims below it: applied in
// between, a deferred insertion took the root's explored branch, childless by then, for a
// leaf still to be explored, and stopped there. Generated program 842 (ETS and cluster)
// lost 1 or 2 of its 9 traces in about one exploration in 150 on 3 workers.
TEST_CASE("parallel optimal DPOR finishes a region's root with the claims below it", "[dpor][parallel]") {
  auto [program, body, none] = lockstep_test::generated_case(842, 3, Family::cluster, 20000);
  INFO("program 842: " << program.describe());
  int misses = 0;
  for (int i = 0; i < lockstep_test::scaled(1000); ++i) {
    if (lockstep_test::explore_parallel_with(body, DporMode::optimal, 3).traces != none.traces) ++misses;
  }
  REQUIRE(misses == 0);
}
