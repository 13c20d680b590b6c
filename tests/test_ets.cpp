// lockstep::ets: each function's semantics (after Erlang's ets docs), its error cases, table
// ownership and heirs, and the races the explorer orders per key.
#include <lockstep/explore.hpp>

#include "dpor_oracle.hpp"

using lockstep_test::exit_reason_of;
using lockstep_test::run_once;
using ls::atom;
using ls::list;
using ls::Term;
using ls::tuple;
namespace ets = ls::ets;

namespace {
bool is_badarg(const Term& reason) { return reason.is_tuple() && reason[0] == atom("badarg"); }
std::string text(const std::vector<Term>& v) { return list(v).to_string(); }
}  // namespace

TEST_CASE("ets set: insert replaces, lookup, member, remove, size, to_list", "[ets]") {
  std::vector<std::string> seen;
  auto r = run_once([&] {
    auto t = ets::new_table(atom("t"));
    seen.push_back(text(t.lookup(1)));
    REQUIRE(t.insert(tuple(1, atom("a"))));
    t.insert(tuple(1, atom("b")));
    t.insert({tuple(3, atom("c")), tuple(2, atom("d"))});
    seen.push_back(text(t.lookup(1)));
    seen.push_back(std::to_string(t.size()));
    seen.push_back(text(t.to_list()));
    seen.push_back(t.member(2) ? "member" : "absent");
    t.remove(2);
    t.remove(42);  // absent: no error
    seen.push_back(t.member(2) ? "member" : "absent");
    seen.push_back(std::to_string(t.size()));
  });
  REQUIRE(r.ok());
  REQUIRE(seen == std::vector<std::string>{"[]", "[{1, :b}]", "3", "[{1, :b}, {2, :d}, {3, :c}]",
                                           "member", "absent", "2"});
}

TEST_CASE("ets bag keeps distinct objects and duplicate_bag keeps them all", "[ets]") {
  std::size_t bag = 0, dup = 0;
  Term elements;
  auto r = run_once([&] {
    auto b = ets::new_table(atom("b"), {.type = ets::Type::bag});
    auto d = ets::new_table(atom("d"), {.type = ets::Type::duplicate_bag});
    for (auto* t : {&b, &d}) {
      t->insert(tuple(1, atom("x")));
      t->insert(tuple(1, atom("x")));
      t->insert(tuple(1, atom("y")));
    }
    bag = b.lookup(1).size();
    dup = d.lookup(1).size();
    elements = b.lookup_element(1, 2);
    d.delete_object(tuple(1, atom("x")));  // every copy goes
    dup = dup * 10 + d.size();
  });
  REQUIRE(r.ok());
  REQUIRE(bag == 2);
  REQUIRE(dup == 31);
  REQUIRE(elements == list({atom("x"), atom("y")}));
}

TEST_CASE("ets insert_new inserts nothing if any key is present", "[ets]") {
  std::vector<bool> seen;
  std::size_t size = 0;
  auto r = run_once([&] {
    auto t = ets::new_table(atom("t"), {.type = ets::Type::ordered_set});
    seen.push_back(t.insert_new(tuple(1, 1)));
    seen.push_back(t.insert_new(tuple(1, 2)));
    seen.push_back(t.insert_new({tuple(2, 2), tuple(1, 3)}));
    seen.push_back(t.insert_new({tuple(2, 2), tuple(3, 3)}));
    size = t.size();
  });
  REQUIRE(r.ok());
  REQUIRE(seen == std::vector<bool>{true, false, false, true});
  REQUIRE(size == 3);
}

TEST_CASE("ets lookup_element, take and their error cases", "[ets]") {
  Term element, missing, outside;
  std::string taken, after;
  auto r = run_once([&] {
    auto t = ets::new_table(atom("t"), {.access = ets::Access::public_});
    t.insert(tuple(atom("k"), 1, 2));
    element = t.lookup_element(atom("k"), 3);
    taken = text(t.take(atom("k")));
    after = text(t.take(atom("k")));
    missing = exit_reason_of([t]() { (void)t.lookup_element(atom("k"), 2); });
    t.insert(tuple(atom("k"), 1));
    outside = exit_reason_of([t]() { (void)t.lookup_element(atom("k"), 5); });
  });
  REQUIRE(r.ok());
  REQUIRE(element == Term(2));
  REQUIRE(taken == "[{:k, 1, 2}]");
  REQUIRE(after == "[]");
  REQUIRE(is_badarg(missing));
  REQUIRE(is_badarg(outside));
}

TEST_CASE("ets update_counter with and without a default object", "[ets]") {
  std::vector<std::int64_t> values;
  Term stored, absent, on_key, not_int, on_bag;
  auto r = run_once([&] {
    auto t = ets::new_table(atom("t"), {.access = ets::Access::public_});
    t.insert(tuple(atom("hits"), 10, atom("label")));
    values.push_back(t.update_counter(atom("hits"), 2, 5));
    values.push_back(t.update_counter(atom("hits"), 2, -20));
    values.push_back(t.update_counter(atom("new"), 2, 1, tuple(atom("ignored"), 100)));
    stored = t.lookup(atom("new")).front();
    absent = exit_reason_of([t]() { (void)t.update_counter(atom("nope"), 2, 1); });
    on_key = exit_reason_of([t]() { (void)t.update_counter(atom("hits"), 1, 1); });
    not_int = exit_reason_of([t]() { (void)t.update_counter(atom("hits"), 3, 1); });
    on_bag = exit_reason_of([] {
      auto b = ets::new_table(atom("b"), {.type = ets::Type::bag});
      b.insert(tuple(1, 1));
      (void)b.update_counter(1, 2, 1);
    });
  });
  REQUIRE(r.ok());
  REQUIRE(values == std::vector<std::int64_t>{15, -5, 101});
  REQUIRE(stored == tuple(atom("new"), 101));  // the default's key is replaced
  REQUIRE(is_badarg(absent));
  REQUIRE(is_badarg(on_key));
  REQUIRE(is_badarg(not_int));
  REQUIRE(is_badarg(on_bag));
}

TEST_CASE("ets update_element changes positions and reports a missing key", "[ets]") {
  bool updated = false, missing = true;
  Term object, on_key;
  auto r = run_once([&] {
    auto t = ets::new_table(atom("t"), {.access = ets::Access::public_});
    t.insert(tuple(1, atom("a"), atom("b")));
    updated = t.update_element(1, {{2, atom("x")}, {3, atom("y")}});
    missing = t.update_element(2, 2, atom("z"));
    object = t.lookup(1).front();
    on_key = exit_reason_of([t]() { (void)t.update_element(1, 1, 7); });
  });
  REQUIRE(r.ok());
  REQUIRE(updated);
  REQUIRE_FALSE(missing);
  REQUIRE(object == tuple(1, atom("x"), atom("y")));
  REQUIRE(is_badarg(on_key));
}

TEST_CASE("ets traversal: first, next, last, prev", "[ets]") {
  std::vector<std::string> seen;
  auto show = [](const std::optional<Term>& k) { return k ? k->to_string() : std::string("end"); };
  Term absent_next;
  auto r = run_once([&] {
    auto o = ets::new_table(atom("o"), {.type = ets::Type::ordered_set, .access = ets::Access::public_});
    auto s = ets::new_table(atom("s"), {.access = ets::Access::public_});
    seen.push_back(show(o.first()));
    for (int k : {5, 1, 3}) {
      o.insert(tuple(k));
      s.insert(tuple(k));
    }
    seen.push_back(show(o.first()));
    seen.push_back(show(o.next(1)));
    seen.push_back(show(o.next(2)));  // ordered_set: the next key after an absent one
    seen.push_back(show(o.next(5)));
    seen.push_back(show(o.last()));
    seen.push_back(show(o.prev(5)));
    seen.push_back(show(o.prev(1)));
    seen.push_back(show(s.last()));  // a set's last is its first
    absent_next = exit_reason_of([s]() { (void)s.next(2); });
  });
  REQUIRE(r.ok());
  REQUIRE(seen == std::vector<std::string>{"end", "1", "3", "3", "end", "5", "3", "end", "1"});
  REQUIRE(is_badarg(absent_next));
}

TEST_CASE("ets match_object and match_delete with wildcards and variables", "[ets]") {
  std::string matched, by_key, repeated;
  std::size_t deleted = 0, left = 0;
  auto r = run_once([&] {
    auto t = ets::new_table(atom("t"), {.type = ets::Type::bag});
    t.insert({tuple(1, atom("red"), 1), tuple(2, atom("blue"), 2), tuple(3, atom("red"), 4)});
    matched = text(t.match_object(tuple(ls::_, atom("red"), ls::_)));
    by_key = text(t.match_object(tuple(2, atom("_"), atom("_"))));
    repeated = text(t.match_object(tuple(atom("$1"), ls::_, atom("$1"))));  // key == third
    deleted = t.match_delete(tuple(ls::_, atom("red"), ls::_));
    left = t.size();
  });
  REQUIRE(r.ok());
  REQUIRE(matched == "[{1, :red, 1}, {3, :red, 4}]");
  REQUIRE(by_key == "[{2, :blue, 2}]");
  REQUIRE(repeated == "[{1, :red, 1}, {2, :blue, 2}]");
  REQUIRE(deleted == 2);
  REQUIRE(left == 1);
}

TEST_CASE("ets select runs match specifications with guards and bodies", "[ets]") {
  std::string names, whole, built;
  Term bad;
  auto r = run_once([&] {
    auto t = ets::new_table(atom("people"), {.access = ets::Access::public_});
    t.insert({tuple(atom("ann"), 34), tuple(atom("bob"), 17), tuple(atom("cy"), 51)});
    // [{{:"$1", :"$2"}, [{:>, :"$2", 18}], [:"$1"]}]
    names = text(t.select(list({tuple(tuple(atom("$1"), atom("$2")),
                                      list({tuple(atom(">"), atom("$2"), 18)}), list({atom("$1")}))})));
    whole = text(t.select(list({tuple(tuple(atom("bob"), ls::_), list({}), list({atom("$_")}))})));
    built = text(t.select(list({tuple(tuple(atom("$1"), atom("$2")),
                                      list({tuple(atom("andalso"), tuple(atom("is_integer"), atom("$2")),
                                                  tuple(atom("<"), atom("$2"), 40))}),
                                      list({tuple(tuple(atom("$2"), atom("$1")))}))})));
    bad = exit_reason_of([t]() {
      (void)t.select(list({tuple(ls::_, list({tuple(atom("os_cmd"), 1)}), list({atom("$_")}))}));
    });
  });
  REQUIRE(r.ok());
  REQUIRE(names == "[:ann, :cy]");
  REQUIRE(whole == "[{:bob, 17}]");
  REQUIRE(built == "[{34, :ann}, {17, :bob}]");
  REQUIRE(is_badarg(bad));
}

TEST_CASE("ets select_count and select_delete act where the body gives true", "[ets]") {
  std::size_t adults = 0, removed = 0, left = 0;
  Term bad;
  auto r = run_once([&] {
    auto t = ets::new_table(atom("people"), {.access = ets::Access::public_});
    t.insert({tuple(atom("ann"), 34), tuple(atom("bob"), 17), tuple(atom("cy"), 51)});
    Term adult = list({tuple(tuple(ls::_, atom("$1")), list({tuple(atom(">="), atom("$1"), 18)}), list({Term(true)}))});
    adults = t.select_count(adult);
    removed = t.select_delete(adult);
    left = t.size();
    bad = exit_reason_of([t] { (void)t.select_count(atom("not_a_spec")); });
  });
  REQUIRE(r.ok());
  REQUIRE(adults == 2);
  REQUIRE(removed == 2);
  REQUIRE(left == 1);
  REQUIRE(is_badarg(bad));
}

TEST_CASE("ets delete_all_objects, info and drop", "[ets]") {
  std::optional<ets::Info> before, after;
  std::size_t emptied = 1;
  bool name_free = false;
  Term used_after_drop;
  ls::Pid me;
  auto r = run_once([&] {
    me = ls::self();
    auto t = ets::new_table(atom("t"), {.type = ets::Type::ordered_set, .named = true});
    t.insert(tuple(1));
    before = t.info();
    t.delete_all_objects();
    emptied = t.size();
    t.drop();
    after = t.info();
    used_after_drop = exit_reason_of([t]() { (void)t.lookup(1); });
    name_free = !ets::whereis(atom("t")).has_value();
    ets::new_table(atom("t"), {.named = true});  // the name can be taken again
  });
  REQUIRE(r.ok());
  REQUIRE(before.has_value());
  REQUIRE(before->size == 1);
  REQUIRE(before->type == ets::Type::ordered_set);
  REQUIRE(before->owner == me);
  REQUIRE(before->named);
  REQUIRE(before->name == atom("t"));
  REQUIRE(emptied == 0);
  REQUIRE_FALSE(after.has_value());
  REQUIRE(is_badarg(used_after_drop));
  REQUIRE(name_free);
}

TEST_CASE("ets named tables: whereis, and a taken name is badarg", "[ets]") {
  bool found = false, same = false;
  Term taken;
  auto r = run_once([&] {
    auto t = ets::new_table(atom("cache"), {.named = true});
    auto w = ets::whereis(atom("cache"));
    found = w.has_value();
    same = w && *w == t && ets::from_tid(t.tid()) == t;
    taken = exit_reason_of([] { ets::new_table(atom("cache"), {.named = true}); });
    found = found && !ets::whereis(atom("other")).has_value();
  });
  REQUIRE(r.ok());
  REQUIRE(found);
  REQUIRE(same);
  REQUIRE(is_badarg(taken));
}

TEST_CASE("ets access rights: private, protected and public against the owner", "[ets]") {
  Term private_read, protected_write;
  bool protected_read = false, public_write = false;
  auto r = run_once([&] {
    auto priv = ets::new_table(atom("p"), {.access = ets::Access::private_});
    auto prot = ets::new_table(atom("q"));
    auto pub = ets::new_table(atom("r"), {.access = ets::Access::public_});
    prot.insert(tuple(1));
    private_read = exit_reason_of([priv]() { (void)priv.lookup(1); });
    protected_write = exit_reason_of([prot]() { prot.insert(tuple(2)); });
    ls::Pid me = ls::self();
    ls::spawn([=]() {
      bool read = prot.member(1);
      pub.insert(tuple(7));
      ls::send(me, tuple(atom("done"), read));
    });
    protected_read = ls::receive()[1].as_bool();
    public_write = pub.member(7);
  });
  REQUIRE(r.ok());
  REQUIRE(is_badarg(private_read));
  REQUIRE(is_badarg(protected_write));
  REQUIRE(protected_read);
  REQUIRE(public_write);
}

TEST_CASE("an ets table dies with its owner", "[ets]") {
  Term after;
  bool before = false;
  bool name_free = false;
  auto r = run_once([&] {
    ls::Pid me = ls::self();
    ls::Pid owner = ls::spawn([me] {
      auto t = ets::new_table(atom("mine"), {.access = ets::Access::public_, .named = true});
      t.insert(tuple(1));
      ls::send(me, t.tid());
      ls::receive();  // until told to exit
    });
    auto t = ets::from_tid(ls::receive());
    before = t.member(1);
    ls::Ref m = ls::monitor(owner);
    ls::send(owner, atom("go"));
    ls::receive(ls::match(tuple(atom("DOWN"), m, ls::_, ls::_, ls::_)));
    after = exit_reason_of([t]() { (void)t.member(1); });
    name_free = !ets::whereis(atom("mine")).has_value();
  });
  REQUIRE(r.ok());
  REQUIRE(before);
  REQUIRE(is_badarg(after));
  REQUIRE(name_free);
}

TEST_CASE("an ets heir inherits the table with an ETS-TRANSFER message", "[ets]") {
  Term transfer;
  ls::Pid owner_pid, new_owner;
  bool kept = false;
  auto r = run_once([&] {
    ls::Pid me = ls::self();
    owner_pid = ls::spawn([me] {
      auto t = ets::new_table(atom("t"), {.heir = me, .heir_data = atom("gift")});
      t.insert(tuple(1));
      ls::exit(atom("crash"));
    });
    transfer = ls::receive();
    auto t = ets::from_tid(transfer[1]);
    kept = t.member(1);
    new_owner = t.info()->owner;
    t.insert(tuple(2));  // protected: the heir is the owner now
  });
  REQUIRE(r.ok());
  REQUIRE(transfer[0] == atom("ETS-TRANSFER"));
  REQUIRE(transfer[2] == Term(owner_pid));
  REQUIRE(transfer[3] == atom("gift"));
  REQUIRE(kept);
  REQUIRE(new_owner == ls::Pid{1, 0});
}

TEST_CASE("ets give_away and set_heir are for the owner only", "[ets]") {
  Term transfer, not_owner, returned;
  bool back_home = false;
  auto r = run_once([&] {
    ls::Pid me = ls::self();
    auto t = ets::new_table(atom("t"));
    not_owner = exit_reason_of([t]() { t.give_away(ls::self(), atom("x")); });
    ls::Pid other = ls::spawn([me] {
      Term msg = ls::receive();
      ets::from_tid(msg[1]).set_heir(me, atom("back"));
      ls::send(me, msg);
    });
    t.give_away(other, atom("data"));
    transfer = ls::receive(ls::match(tuple(atom("ETS-TRANSFER"), ls::_, ls::_, atom("data"))));
    // `other` made us the heir and exited: the table comes back.
    returned = ls::receive(ls::match(tuple(atom("ETS-TRANSFER"), ls::_, other, ls::_)));
    back_home = t.info()->owner == me;
  });
  REQUIRE(r.ok());
  REQUIRE(is_badarg(not_owner));
  REQUIRE(transfer[2] == Term(ls::Pid{1, 0}));
  REQUIRE(returned[3] == atom("back"));
  REQUIRE(back_home);
}

TEST_CASE("ets give_away to a dead process is badarg", "[ets]") {
  Term reason;
  auto r = run_once([&] {
    ls::Pid dead = ls::spawn([] {});
    ls::Ref m = ls::monitor(dead);
    ls::receive(ls::match(tuple(atom("DOWN"), m, ls::_, ls::_, ls::_)));
    reason = exit_reason_of([dead] { ets::new_table(atom("t")).give_away(dead, 1); });
  });
  REQUIRE(r.ok());
  REQUIRE(is_badarg(reason));
}

TEST_CASE("the explorer orders ets operations on one key only", "[ets][dpor]") {
  auto scenario = [](int other_key) {
    return [other_key] {
      // The root owns the table and waits: its exit would delete the table.
      auto t = ets::new_table(atom("t"), {.access = ets::Access::public_});
      ls::Pid me = ls::self();
      ls::spawn([t, me]() {
        t.insert(tuple(1, atom("w")));
        ls::send(me, atom("done"));
      });
      ls::spawn([t, me, other_key]() {
        (void)t.lookup(other_key);
        ls::send(me, atom("done"));
      });
      ls::receive();
      ls::receive();
    };
  };
  // The two `done` messages race at the root in either case (x2); the same key adds x2.
  REQUIRE(lockstep_test::explore_with(scenario(1), ls::DporMode::optimal).executions == 4);
  REQUIRE(lockstep_test::explore_with(scenario(2), ls::DporMode::optimal).executions == 2);
  REQUIRE(lockstep_test::explore_with(scenario(2), ls::DporMode::none).traces.size() == 2);
  // size reads the whole table: it races with the insert whatever the key.
  auto with_size = [] {
    auto t = ets::new_table(atom("t"), {.access = ets::Access::public_});
    ls::Pid me = ls::self();
    ls::spawn([t, me]() {
      t.insert(tuple(1, atom("w")));
      ls::send(me, atom("done"));
    });
    ls::spawn([t, me]() {
      (void)t.size();
      ls::send(me, atom("done"));
    });
    ls::receive();
    ls::receive();
  };
  REQUIRE(lockstep_test::explore_with(with_size, ls::DporMode::optimal).executions == 4);
}

TEST_CASE("ets races: every mode reaches the check-then-insert bug and the same traces", "[ets][dpor]") {
  // Two processes check the cache and compute on a miss: both may compute.
  auto cache = [] {
    auto t = ets::new_table(atom("cache"), {.access = ets::Access::public_});
    auto work = ets::new_table(atom("work"), {.access = ets::Access::public_});
    ls::Pid me = ls::self();
    for (int i = 0; i < 2; ++i) {
      ls::spawn([=]() {
        if (t.lookup(atom("k")).empty()) {
          work.update_counter(atom("computed"), 2, 1, tuple(atom("computed"), 0));
          t.insert(tuple(atom("k"), 42));
        }
        ls::send(me, atom("done"));
      });
    }
    ls::receive();
    ls::receive();
    LOCKSTEP_ASSERT(work.lookup_element(atom("computed"), 2).as_int() == 1, "computed once");
  };
  auto none = lockstep_test::explore_with(cache, ls::DporMode::none);
  auto source = lockstep_test::explore_with(cache, ls::DporMode::source);
  auto optimal = lockstep_test::explore_with(cache, ls::DporMode::optimal);
  REQUIRE(none.bugs.size() == 1);
  REQUIRE(source.bugs == none.bugs);
  REQUIRE(optimal.bugs == none.bugs);
  REQUIRE(source.traces == none.traces);
  REQUIRE(optimal.traces == none.traces);
  REQUIRE(optimal.executions == none.traces.size());
  REQUIRE(source.final_states == none.final_states);
}

TEST_CASE("ets owner death races with a reader: both outcomes are explored", "[ets][dpor]") {
  auto scenario = [] {
    auto t = ets::new_table(atom("t"), {.access = ets::Access::public_});
    ls::Pid me = ls::self();
    ls::Pid owner = ls::spawn([me] {
      auto mine = ets::new_table(atom("mine"), {.access = ets::Access::public_});
      ls::send(me, mine.tid());
    });
    (void)owner;
    auto mine = ets::from_tid(ls::receive());
    ls::spawn([mine, me]() {
      try {
        (void)mine.member(1);
        ls::send(me, atom("found"));
      } catch (const ls::BadArg&) {
        ls::send(me, atom("gone"));
      }
    });
    t.insert(tuple(atom("seen"), ls::receive()));
  };
  auto none = lockstep_test::explore_with(scenario, ls::DporMode::none);
  auto optimal = lockstep_test::explore_with(scenario, ls::DporMode::optimal);
  REQUIRE(none.final_states.size() == 2);  // the reader ran before or after the owner's exit
  REQUIRE(optimal.final_states == none.final_states);
  REQUIRE(optimal.executions == none.traces.size());
}
