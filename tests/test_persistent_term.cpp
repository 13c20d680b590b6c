// lockstep::persistent_term: each function's semantics, and its races explored per key.
#include <lockstep/explore.hpp>

#include "dpor_oracle.hpp"

using lockstep_test::run_once;
namespace pt = lockstep::persistent_term;

TEST_CASE("persistent_term put, get, get with default and erase", "[persistent_term]") {
  std::vector<ls::Term> seen;
  bool erased = false, erased_again = true;
  auto r = run_once([&] {
    pt::put(ls::atom("config"), ls::tuple(1, 2));
    seen.push_back(pt::get(ls::atom("config")));
    seen.push_back(pt::get(ls::atom("missing"), ls::atom("fallback")));
    seen.push_back(pt::get(ls::atom("missing"), std::nullopt).value_or(ls::atom("none")));
    pt::put(ls::atom("config"), 3);  // overwrite
    seen.push_back(pt::get(ls::atom("config")));
    erased = pt::erase(ls::atom("config"));
    erased_again = pt::erase(ls::atom("config"));
  });
  REQUIRE(r.ok());
  REQUIRE(seen == std::vector<ls::Term>{ls::tuple(1, 2), ls::atom("fallback"), ls::atom("none"), 3});
  REQUIRE(erased);
  REQUIRE_FALSE(erased_again);
}

TEST_CASE("persistent_term get of an absent key is badarg", "[persistent_term]") {
  ls::Term reason;
  auto r = run_once([&] {
    reason = lockstep_test::exit_reason_of([] { (void)pt::get(ls::atom("nope")); });
  });
  REQUIRE(r.ok());
  REQUIRE(reason[0] == ls::atom("badarg"));
}

TEST_CASE("persistent terms belong to one execution", "[persistent_term]") {
  int found_stale = 0;
  ls::Options o = lockstep_test::sampling(ls::StrategyKind::random, 5);
  auto r = ls::check(
      [&] {
        if (pt::get(ls::atom("k"), std::nullopt)) ++found_stale;
        pt::put(ls::atom("k"), 1);
      },
      o);
  REQUIRE(r.ok());
  REQUIRE(r.executions == 5);
  REQUIRE(found_stale == 0);
}

TEST_CASE("the explorer orders persistent_term operations on one key only", "[persistent_term][dpor]") {
  auto same_key = [] {
    ls::spawn([] { pt::put(ls::atom("k"), 1); });
    ls::spawn([] { (void)pt::get(ls::atom("k"), std::nullopt); });
  };
  auto other_keys = [] {
    ls::spawn([] { pt::put(ls::atom("a"), 1); });
    ls::spawn([] { (void)pt::get(ls::atom("b"), std::nullopt); });
  };
  REQUIRE(lockstep_test::explore_with(same_key, ls::DporMode::optimal).executions == 2);
  REQUIRE(lockstep_test::explore_with(other_keys, ls::DporMode::optimal).executions == 1);
  REQUIRE(lockstep_test::explore_with(other_keys, ls::DporMode::none).traces.size() == 1);
}
