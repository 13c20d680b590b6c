// The dependency relation's shortcuts: dependent() rules pairs out by their footprints, and
// skips the accesses of one event whose objects the other does not touch (with shared_any's
// reads, which footprints leave out, handled apart). Whatever the shortcuts decide must be
// what comparing every access with every access decides. Checked on the events of real
// executions: random programs, plain and with ETS tables, atomics and cluster operations.
#include <functional>
#include <utility>
#include <vector>

#include <lockstep/shared_sync.hpp>

#include "dpor_oracle.hpp"
#include "random_program.hpp"

namespace {

using lockstep::core::EventRecord;

// The same record with no footprints: dependent() then compares every access.
EventRecord without_footprints(EventRecord e) {
  e.footprint = e.write_footprint = e.member_write_footprint = e.read_footprint = 0;
  return e;
}

// Appends every event of (at most 50) executions of `body` to `all`.
void collect_events(const std::function<void()>& body, std::vector<EventRecord>& all) {
  lockstep::dpor::ExplorerConfig config;
  config.mode = ls::DporMode::optimal;
  config.max_executions = 50;
  lockstep::dpor::Explorer explorer(config);
  explorer.on_execution = [&](const std::vector<EventRecord>& events, const lockstep::core::ExecutionSummary&) {
    for (const EventRecord& e : events) {
      if (!e.barrier) all.push_back(e);
    }
  };
  lockstep::core::run_executions(body, explorer, lockstep_test::explorer_options());
}

// Every event of the explored executions of the first `count` random programs.
std::vector<EventRecord> events_of_random_programs(int count, lockstep_test::Family family) {
  std::vector<EventRecord> all;
  for (int seed = 1; seed <= count; ++seed) {
    auto program = lockstep_test::generate_program(static_cast<std::uint64_t>(seed), 2, 3, family);
    collect_events(lockstep_test::as_scenario(program), all);
  }
  return all;
}

// ... over a sample of pairs, of which at least `min_each` are dependent and as many not.
void require_shortcuts_agree(const std::vector<EventRecord>& events, std::size_t min_each) {
  std::vector<EventRecord> plain;
  for (const EventRecord& e : events) plain.push_back(without_footprints(e));
  std::size_t pairs = 0, dependent_pairs = 0, disagreements = 0;
  for (std::size_t i = 0; i < events.size(); i += 3) {  // a sample: the pairs grow fast
    for (std::size_t j = 0; j < events.size(); j += 5) {
      if (events[i].id.pid == events[j].id.pid) continue;
      bool slow = lockstep::dpor::dependent(plain[i], plain[j]);
      if (lockstep::dpor::dependent(events[i], events[j]) != slow) ++disagreements;
      ++pairs;
      if (slow) ++dependent_pairs;
    }
  }
  INFO(pairs << " pairs, " << dependent_pairs << " dependent");
  REQUIRE(disagreements == 0);
  // Both answers occur, many times: the check is not vacuous.
  REQUIRE(dependent_pairs >= min_each);
  REQUIRE(pairs - dependent_pairs >= min_each);
}

}  // namespace

TEST_CASE("footprint shortcuts decide dependency as comparing every access does", "[dpor]") {
  require_shortcuts_agree(events_of_random_programs(60, lockstep_test::Family::plain), 1000);
}

TEST_CASE("footprint shortcuts decide dependency as comparing every access does with ETS and cluster operations", "[dpor][cluster]") {
  auto events = events_of_random_programs(60, lockstep_test::Family::cluster);
  // shared_any: every ETS, atomics and persistent-term access member-reads it.
  bool any = false;
  for (const EventRecord& e : events) {
    for (const auto& a : e.accesses) any = any || a.kind == lockstep::core::ObjectKind::shared_any;
  }
  REQUIRE(any);
  require_shortcuts_agree(events, 1000);
}

TEST_CASE("footprint shortcuts decide dependency as comparing every access does with blind writes", "[dpor]") {
  auto events = events_of_random_programs(60, lockstep_test::Family::shared);
  bool commuting = false;
  for (const EventRecord& e : events) {
    for (const auto& a : e.accesses) commuting = commuting || a.commutes != 0;
  }
  REQUIRE(commuting);
  require_shortcuts_agree(events, 1000);
}

TEST_CASE("footprint shortcuts keep an access to an unknown shared object dependent with every shared access", "[dpor]") {
  // nif_sync with no object writes shared_any; every other nif access member-reads it, a
  // read that footprints leave out.
  std::vector<EventRecord> events;
  collect_events(
      [] {
        ls::spawn([] { ls::nif_sync(ls::atom("opaque")); });
        ls::spawn([] { ls::nif_sync(ls::atom("get"), {.object = 7, .key = 1, .whole_object = false, .write = false}); });
        ls::spawn([] { ls::nif_sync(ls::atom("size"), {.object = 8, .whole_object = true, .write = false}); });
      },
      events);
  auto touches_anything = [](const EventRecord& e, lockstep::core::AccessMode mode) {
    for (const auto& a : e.accesses) {
      if (a.kind == lockstep::core::ObjectKind::shared_any && a.mode == mode) return true;
    }
    return false;
  };
  std::size_t checked = 0;
  for (const EventRecord& w : events) {
    if (!touches_anything(w, lockstep::core::AccessMode::write)) continue;
    for (const EventRecord& r : events) {
      if (r.id.pid == w.id.pid || !touches_anything(r, lockstep::core::AccessMode::member_read)) continue;
      REQUIRE(lockstep::dpor::dependent(w, r));
      REQUIRE(lockstep::dpor::dependent(r, w));
      ++checked;
    }
  }
  REQUIRE(checked > 0);
  require_shortcuts_agree(events, 10);
}
