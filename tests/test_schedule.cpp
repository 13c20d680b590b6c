// Schedule files: round trip, and every kind of corruption rejected with a clear message.
#include "support.hpp"

namespace {
ls::Schedule sample() {
  ls::Schedule s;
  s.scenario = "lost_update";
  s.max_steps = 1000;
  s.fingerprint = 0xabcdef0123456789ULL;
  for (std::uint32_t i = 0; i < 70; ++i) s.steps.push_back(1 + i % 4);
  return s;
}
}  // namespace

TEST_CASE("a schedule survives serialisation unchanged", "[schedule]") {
  ls::Schedule s = sample();
  ls::Schedule back = ls::Schedule::parse(s.serialize());
  REQUIRE(back.scenario == s.scenario);
  REQUIRE(back.max_steps == s.max_steps);
  REQUIRE(back.fingerprint == s.fingerprint);
  REQUIRE(back.steps == s.steps);
  ls::Schedule empty;
  empty.scenario = "x";
  REQUIRE(ls::Schedule::parse(empty.serialize()).steps.empty());
}

TEST_CASE("a schedule keeps the faults it ran with", "[schedule][cluster]") {
  ls::Schedule s = sample();
  s.faults = *ls::Faults::parse("partition,stop");
  s.faults.max = 2;
  std::string text = s.serialize();
  REQUIRE_THAT(text, Catch::Contains("\nfaults partition,stop 2\n"));
  ls::Schedule back = ls::Schedule::parse(text);
  REQUIRE(back.faults == s.faults);
  REQUIRE(back.steps == s.steps);
  REQUIRE_FALSE(ls::Schedule::parse(sample().serialize()).faults.any());  // no line, no faults
  REQUIRE_FALSE(ls::Faults::parse("partition,flood").has_value());
}

TEST_CASE("a corrupt schedule is rejected with a message", "[schedule]") {
  std::string text = sample().serialize();
  SECTION("a changed step") {
    auto pos = text.find("\n1 2 3 4");
    text[pos + 1] = '3';
    REQUIRE_THROWS_WITH(ls::Schedule::parse(text), Catch::Contains("checksum mismatch"));
  }
  SECTION("a truncated file") {
    text.resize(text.size() / 2);
    REQUIRE_THROWS_WITH(ls::Schedule::parse(text), Catch::Contains("corrupt schedule file"));
  }
  SECTION("not a schedule at all") {
    REQUIRE_THROWS_WITH(ls::Schedule::parse("\x7f" "ELF binary junk"),
                        Catch::Contains("not a lockstep schedule file"));
  }
  SECTION("garbage in a number") {
    auto pos = text.find("max-steps 1000");
    text.replace(pos, 14, "max-steps 1x00");
    REQUIRE_THROWS_WITH(ls::Schedule::parse(text), Catch::Contains("bad max-steps"));
  }
  SECTION("a missing file") {
    REQUIRE_THROWS_WITH(ls::Schedule::load("/nonexistent/x.schedule"), Catch::Contains("cannot read"));
  }
}
