// Helpers shared by the tests: run a root function once, deterministically, and read back
// what it observed. Values are captured into the test's locals (the root runs on this
// thread) and asserted with REQUIRE outside the scenario.
#pragma once

#include <catch2/catch.hpp>

#include <lockstep/lockstep.hpp>

namespace ls = lockstep;

namespace Catch {
template <>
struct StringMaker<lockstep::Term> {
  static std::string convert(const lockstep::Term& t) { return t.to_string(); }
};
}  // namespace Catch

namespace lockstep_test {

// One execution with the `first` strategy (lowest pid runs first): fully deterministic.
inline ls::Result run_once(std::function<void()> root, ls::Options o = {}) {
  o.strategy = ls::StrategyKind::first;
  o.iterations = 1;
  return ls::check(std::move(root), o);
}

inline ls::Options sampling(ls::StrategyKind k, std::uint64_t iterations, std::uint64_t seed = 1) {
  ls::Options o;
  o.strategy = k;
  o.iterations = iterations;
  o.seed = seed;
  return o;
}

// Options that replay a counterexample's schedule.
inline ls::Options replaying(const ls::Counterexample& cx) {
  ls::Options o;
  o.strategy = ls::StrategyKind::replay;
  o.replay = cx.schedule;
  return o;
}

// Inside a scenario: runs `body` in a fresh monitored process and returns its exit reason.
inline ls::Term exit_reason_of(std::function<void()> body) {
  ls::Pid p = ls::spawn(std::move(body));
  ls::Ref m = ls::monitor(p);
  return ls::receive(ls::match(ls::tuple(ls::atom("DOWN"), m, ls::_, ls::_, ls::_)))[4];
}

inline std::string trace_text(const ls::Result& r) {
  return r.ok() ? std::string() : r.counterexample().format_trace();
}

}  // namespace lockstep_test
