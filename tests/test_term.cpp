// Terms: construction, Erlang term order, stable hashing, Elixir printing, patterns.
#include "support.hpp"

using ls::atom;
using ls::binary;
using ls::list;
using ls::Term;
using ls::tuple;

TEST_CASE("terms compare equal by value and carry their type", "[term]") {
  REQUIRE(Term(42) == Term(42));
  REQUIRE_FALSE(Term(42) == atom("42"));
  REQUIRE(tuple(atom("ok"), 1) == tuple(atom("ok"), 1));
  REQUIRE_FALSE(tuple(atom("ok"), 1) == list({atom("ok"), 1}));
  REQUIRE(binary("abc") == binary("abc"));
  REQUIRE(Term(true) == atom("true"));
  REQUIRE(Term() == atom("nil"));
  REQUIRE(tuple(1, 2).size() == 2);
  REQUIRE(tuple(1, 2)[1].as_int() == 2);
  REQUIRE(atom("ok").as_atom() == "ok");
  REQUIRE(binary("xy").as_binary() == "xy");
}

TEST_CASE("terms follow Erlang term order", "[term]") {
  // number < atom < reference < pid < tuple < map < list < binary
  std::vector<Term> ascending = {
      Term(-5), Term(7), atom("a"), atom("b"), Term(ls::Ref{1, 1}), Term(ls::Pid{3, 0}),
      tuple(9, 9), tuple(1, 1, 1), ls::map({{1, 2}}), list({}), list({1}), list({1, 2}), list({2}),
      binary(""), binary("a")};
  for (std::size_t i = 0; i + 1 < ascending.size(); ++i) {
    INFO(ascending[i].to_string() << " < " << ascending[i + 1].to_string());
    REQUIRE(ascending[i] < ascending[i + 1]);
    REQUIRE(ascending[i + 1] > ascending[i]);
  }
}

TEST_CASE("maps are keyed by value and compare by size, keys, then values", "[term]") {
  Term m = ls::map({{atom("b"), 2}, {atom("a"), 1}, {atom("b"), 3}});
  REQUIRE(m.size() == 2);
  REQUIRE(m.find(atom("b"))->as_int() == 3);  // the later duplicate wins
  REQUIRE_FALSE(m.find(atom("c")).has_value());
  REQUIRE(ls::map({{1, 9}}) < ls::map({{2, 0}}));
  REQUIRE(ls::map({{1, 1}}) < ls::map({{1, 2}}));
}

TEST_CASE("term hashes are stable across runs and builds", "[term]") {
  // Fixed values: a change here changes every fingerprint and schedule users have stored.
  REQUIRE(Term(1).hash() == Term(1).hash());
  REQUIRE(tuple(atom("ok"), binary("x")).hash() == tuple(atom("ok"), binary("x")).hash());
  REQUIRE(Term(1).hash() != Term(2).hash());
  REQUIRE(atom("a").hash() != binary("a").hash());
  REQUIRE(tuple(1, 2).hash() != list({1, 2}).hash());
  CHECK(Term(42).hash() == 0x1f9c6cafa914ba98ULL);
  CHECK(tuple(atom("ok"), binary("text"), list({1, 2})).hash() == 0x1a2322e541e58658ULL);
}

TEST_CASE("terms print in Elixir syntax", "[term]") {
  REQUIRE(tuple(atom("ok"), ls::Pid{3, 0}, binary("text"), list({1, 2})).to_string() ==
          "{:ok, #PID<0.3.0>, \"text\", [1, 2]}");
  REQUIRE(atom("foo bar").to_string() == ":\"foo bar\"");
  REQUIRE(atom("nil").to_string() == "nil");
  REQUIRE(Term(true).to_string() == "true");
  REQUIRE(atom("DOWN").to_string() == ":DOWN");
  REQUIRE(binary(std::string("\x01\x02", 2)).to_string() == "<<1, 2>>");
  REQUIRE(binary("a\"b").to_string() == "\"a\\\"b\"");
  REQUIRE(ls::map({{atom("a"), 1}}).to_string() == "%{a: 1}");
  REQUIRE(ls::map({{binary("k"), 1}}).to_string() == "%{\"k\" => 1}");
  REQUIRE(Term(ls::Ref{2, 5}).to_string() == "#Reference<0.0.2.5>");
  REQUIRE(tuple().to_string() == "{}");
  REQUIRE(Term(-3).to_string() == "-3");
}

TEST_CASE("match patterns use _ as a wildcard", "[term]") {
  using ls::_;
  auto down = ls::match(tuple(atom("DOWN"), ls::Ref{1, 1}, _, _, _));
  REQUIRE(down(tuple(atom("DOWN"), ls::Ref{1, 1}, atom("process"), ls::Pid{2, 0}, atom("normal"))));
  REQUIRE_FALSE(down(tuple(atom("DOWN"), ls::Ref{1, 2}, atom("process"), ls::Pid{2, 0}, 1)));
  REQUIRE_FALSE(down(tuple(atom("DOWN"), ls::Ref{1, 1})));
  REQUIRE(down.description() == "{:DOWN, #Reference<0.0.1.1>, _, _, _}");
  REQUIRE(ls::matches(list({1, _}), list({1, 5})));
  REQUIRE_FALSE(ls::matches(list({1, _}), list({1, 5, 6})));
  REQUIRE(ls::matches(ls::map({{atom("a"), _}}), ls::map({{atom("a"), 1}, {atom("b"), 2}})));
  REQUIRE_FALSE(ls::matches(ls::map({{atom("c"), _}}), ls::map({{atom("a"), 1}})));
  REQUIRE(ls::matches(_, Term(3)));
}

TEST_CASE("accessors on the wrong type raise badarg", "[term]") {
  REQUIRE_THROWS_AS(atom("x").as_int(), ls::BadArg);
  REQUIRE_THROWS_AS(Term(1).as_pid(), ls::BadArg);
  REQUIRE_THROWS_AS(Term(1)[0], ls::BadArg);
  REQUIRE_THROWS_AS(tuple(1)[3], ls::BadArg);
  try {
    (void)Term(7).as_atom();
    FAIL("expected badarg");
  } catch (const ls::BadArg& e) {
    REQUIRE(e.reason()[0] == atom("badarg"));
  }
}

TEST_CASE("terms are cheap to copy and safe to move", "[term]") {
  Term big = tuple(list({1, 2, 3}), binary("payload"));
  Term copy = big;
  Term moved = std::move(copy);
  REQUIRE(moved == big);
  REQUIRE(copy == Term());  // NOLINT(bugprone-use-after-move): a moved-from term is nil
  copy = moved;
  REQUIRE(copy == big);
}
