// ETS tables on the generic sync point. The tables of an execution live in one store local
// to it; each operation declares its table and key at its sync point, then runs atomically
// (the caller holds the turn), checking existence and access rights against the state it
// finds. The store hears of process exits, to delete or hand over the tables of the dead.
#include "lockstep/ets.hpp"

#include <algorithm>
#include <map>
#include <string>

#include "core/controller.hpp"
#include "core/mix.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/process.hpp"
#include "lockstep/shared_sync.hpp"
#include "model/match_spec.hpp"
#include "model/returned.hpp"

namespace lockstep::ets {

using core::Controller;

namespace {

constexpr std::uint64_t kNamesObject = 0x6574732d6e616d65ULL;  // "ets-name": the name registry

std::uint64_t name_key(std::uint32_t node, const Term& name) { return core::mix(node, name.hash()); }
std::uint32_t my_node() { return Controller::current("ets").pid.node; }

std::uint64_t table_object(Ref id) {
  return ((std::uint64_t{id.owner} << 32 | id.seq) ^ 0x455453ULL) * 0x9e3779b97f4a7c15ULL | 1;
}

struct TableState {
  Term name;
  std::uint32_t node = 0;  // named tables are visible by name on their node only
  TableOpts opts;
  Pid owner;
  std::map<Term, std::vector<Term>> rows;  // key -> objects (one for sets), key order
  std::size_t count = 0;
};

struct Store final : Controller::ExitObserver {
  std::map<Ref, TableState> tables;
  std::map<std::pair<std::uint32_t, Term>, Ref> names;  // (node, name)
  bool observing = false;

  void process_exited(Controller& c, Pid pid, const Term& reason) override;
  // Every table's options, owner and rows, and the name registry.
  void fingerprint(core::Fingerprint& f) const {
    f.add(tables.size()).add(names.size());
    for (const auto& [id, t] : tables) {
      f.add((std::uint64_t{id.owner} << 32) | id.seq).add(t.name.hash()).add(t.node);
      f.add(static_cast<std::uint64_t>(t.opts.type)).add(static_cast<std::uint64_t>(t.opts.access));
      f.add(t.opts.named).add(t.opts.keypos).add(t.opts.heir ? t.opts.heir->id : 0).add(t.opts.heir_data.hash());
      f.add(t.owner.id).add(t.count).add(t.rows.size());
      for (const auto& [key, objects] : t.rows) {
        f.add(key.hash()).add(objects.size());
        for (const Term& o : objects) f.add(o.hash());
      }
    }
    for (const auto& [name, id] : names) f.add(core::mix(name.first, name.second.hash())).add((std::uint64_t{id.owner} << 32) | id.seq);
  }
};

Controller& controller(const char* api) { return *Controller::current(api).controller; }

Store& store(Controller& c) {
  Store& s = c.execution_local<Store>();
  if (!s.observing) {
    c.add_exit_observer(s);
    c.hashes_contents_of(kNamesObject);
    s.observing = true;
  }
  return s;
}

void Store::process_exited(Controller& c, Pid pid, const Term& /*reason*/) {
  static const Term transfer = atom("ETS-TRANSFER");
  for (auto it = tables.begin(); it != tables.end();) {
    TableState& t = it->second;
    if (!(t.owner == pid)) {
      ++it;
      continue;
    }
    std::uint64_t object = table_object(it->first);
    // Which tables die here depends on who owned them when the owner exited.
    Controller::Consequences owned(c, core::ObjectKind::shared_object, object);
    c.touch_shared(SharedAccess{.object = object});
    if (t.opts.heir && !(*t.opts.heir == pid)) {
      Controller::Consequences heir_alive(c, core::ObjectKind::life, t.opts.heir->id);
      if (c.alive(*t.opts.heir)) {
        t.owner = *t.opts.heir;
        c.deliver(t.owner, tuple(transfer, Term(it->first), pid, t.opts.heir_data));
        ++it;
        continue;
      }
    }
    if (t.opts.named) {
      c.touch_shared(SharedAccess{.object = kNamesObject, .key = name_key(t.node, t.name), .whole_object = false});
      names.erase({t.node, t.name});
    }
    it = tables.erase(it);
  }
}

std::string describe(Ref id) { return Term(id).to_string(); }

// What an operation touches: the whole table, or one key of it.
struct Touch {
  const Term* key = nullptr;  // null: the whole table
  bool write = false;
  std::uint64_t commutes = 0;  // a blind write of the key: SharedAccess::commutes
};

// SharedAccess::commutes of the blind write `op` of `what` (never 0).
std::uint64_t blind(const Term& op, std::uint64_t what) { return core::mix(op.hash(), what) | 1; }

// The sync point of an operation, then the table it finds there (badarg if gone or the
// caller lacks the access right).
[[gnu::always_inline]] inline TableState& enter(Ref id, const Term& kind, Touch touch) {
  Controller& c = controller("ets");
  Store& s = store(c);
  auto before = s.tables.find(id);
  Term label = before == s.tables.end() ? Term(id) : before->second.name;
  SharedAccess access{.object = table_object(id), .write = touch.write};
  if (touch.key != nullptr) {
    access.key = touch.key->hash();
    access.whole_object = false;
    access.commutes = touch.commutes;
    core::shared_sync(kind, std::move(label), *touch.key, access);
  } else {
    core::shared_sync(kind, std::move(label), access);
  }
  auto it = s.tables.find(id);
  if (it == s.tables.end()) {
    throw BadArg("ets table " + describe(id) + " does not exist (dropped, or its owner exited)");
  }
  TableState& t = it->second;
  Pid me = self();
  bool allowed = t.owner == me || t.opts.access == Access::public_ ||
                 (t.opts.access == Access::protected_ && !touch.write);
  if (!allowed) {
    throw BadArg("ets table " + t.name.to_string() + " is " +
                 (t.opts.access == Access::private_ ? "private" : "protected") + " to " +
                 t.owner.to_string() + ": " + me.to_string() + " may not " +
                 (touch.write ? "write" : "read") + " it");
  }
  return t;
}

bool is_set(const TableState& t) { return t.opts.type == Type::set || t.opts.type == Type::ordered_set; }

// The key of `object` for a table with this keypos (badarg unless a big enough tuple).
const Term& key_of(const Term& object, std::size_t keypos) {
  if (!object.is_tuple() || object.size() < keypos) {
    throw BadArg("ets: " + object.to_string() + " is not a tuple with a key at position " +
                 std::to_string(keypos));
  }
  return object[keypos - 1];
}

std::size_t keypos_of(Ref id) {
  Store& s = store(controller("ets"));
  auto it = s.tables.find(id);
  return it == s.tables.end() ? 1 : it->second.opts.keypos;  // gone: badarg at the sync point
}

void put(TableState& t, const Term& object) {
  const Term& key = object[t.opts.keypos - 1];
  auto& objects = t.rows[key];
  switch (t.opts.type) {
    case Type::set:
    case Type::ordered_set:
      t.count += objects.empty() ? 1 : 0;
      objects.assign(1, object);
      return;
    case Type::bag:
      if (std::find(objects.begin(), objects.end(), object) != objects.end()) return;
      break;
    case Type::duplicate_bag: break;
  }
  objects.push_back(object);
  ++t.count;
}

void erase_key(TableState& t, const Term& key) {
  auto it = t.rows.find(key);
  if (it == t.rows.end()) return;
  t.count -= it->second.size();
  t.rows.erase(it);
}

Term with_element(const Term& tuple, std::size_t pos, Term value) {
  std::vector<Term> items(tuple.elements().begin(), tuple.elements().end());
  items[pos - 1] = std::move(value);
  return tuple_of(std::move(items));
}

// The single object under `key` of a set table, for update_counter/update_element.
void check_update(const TableState& t, std::size_t pos, const char* op) {
  if (!is_set(t)) throw BadArg(std::string("ets ") + op + " needs a set or ordered_set table");
  if (pos == t.opts.keypos) throw BadArg(std::string("ets ") + op + " cannot change the key");
  if (pos == 0) throw BadArg(std::string("ets ") + op + ": positions start at 1");
}

void check_pos(const Term& object, std::size_t pos, const char* op) {
  if (pos == 0 || pos > object.size()) {
    throw BadArg(std::string("ets ") + op + ": position " + std::to_string(pos) + " is outside " +
                 object.to_string());
  }
}

// The key a pattern pins down (no wildcard or variable in it), if any: such a match
// touches that key only.
std::optional<Term> pinned_key(const Term& pattern, std::size_t keypos) {
  if (!pattern.is_tuple() || pattern.size() < keypos) return std::nullopt;
  const Term& key = pattern[keypos - 1];
  if (!model::is_ground(key)) return std::nullopt;
  return key;
}

Touch touch_for_pattern(const std::optional<Term>& key, bool write) {
  return Touch{key ? &*key : nullptr, write};
}

std::vector<std::pair<const Term*, std::vector<Term>*>> candidates(TableState& t,
                                                                    const std::optional<Term>& key) {
  std::vector<std::pair<const Term*, std::vector<Term>*>> out;
  if (key) {
    if (auto it = t.rows.find(*key); it != t.rows.end()) out.emplace_back(&it->first, &it->second);
  } else {
    for (auto& [k, objects] : t.rows) out.emplace_back(&k, &objects);
  }
  return out;
}


// Deletes the objects (under `key`, or anywhere) that `doomed` picks; how many went.
template <typename Pred>
std::size_t erase_where(TableState& t, const std::optional<Term>& key, Pred doomed) {
  std::size_t removed = 0;
  for (auto [k, objects] : candidates(t, key)) removed += std::erase_if(*objects, doomed);
  t.count -= removed;
  std::erase_if(t.rows, [](const auto& row) { return row.second.empty(); });
  return removed;
}

}  // namespace

Table new_table(Term name, TableOpts o) {
  static const Term kind = atom("ets_new");
  if (o.keypos == 0) throw BadArg("ets new_table: keypos starts at 1");
  Controller& c = controller("ets::new_table");
  Store& s = store(c);
  Ref id = make_ref();
  std::uint32_t node = my_node();
  SharedAccess access{.object = table_object(id)};
  c.hashes_contents_of(access.object);
  if (o.named) access = SharedAccess{.object = kNamesObject, .key = name_key(node, name), .whole_object = false};
  nif_sync(tuple(kind, name), access);
  if (o.named) {
    if (s.names.contains({node, name})) {
      throw BadArg("ets new_table: a table named " + name.to_string() + " already exists");
    }
    s.names.emplace(std::pair{node, name}, id);
  }
  s.tables.emplace(id, TableState{.name = std::move(name), .node = node, .opts = std::move(o), .owner = self()});
  return Table(id);
}

std::optional<Table> whereis(const Term& name) {
  static const Term kind = atom("ets_whereis");
  Store& s = store(controller("ets::whereis"));
  std::uint32_t node = my_node();
  nif_sync(tuple(kind, name),
           SharedAccess{.object = kNamesObject, .key = name_key(node, name), .whole_object = false, .write = false});
  auto it = s.names.find({node, name});
  if (it == s.names.end()) return model::returned(false), std::nullopt;
  return model::returned(Term(it->second)), Table(it->second);
}

Table from_tid(const Term& tid) {
  if (!tid.is_ref()) throw BadArg("ets from_tid: " + tid.to_string() + " is not a table id");
  return Table(tid.as_ref());
}

bool Table::insert(Term object) const { return insert(std::vector<Term>{std::move(object)}); }

namespace {
// What an insert of `objects` touches: their one key, or the whole table (badarg for a
// non-tuple before the sync point).
Touch insert_touch(Ref id, const std::vector<Term>& objects) {
  std::size_t keypos = keypos_of(id);
  for (const Term& o : objects) key_of(o, keypos);
  bool one_key = !objects.empty() && std::all_of(objects.begin(), objects.end(), [&](const Term& o) {
    return o[keypos - 1] == objects.front()[keypos - 1];
  });
  return Touch{one_key ? &objects.front()[keypos - 1] : nullptr, true};
}
}  // namespace

bool Table::insert(const std::vector<Term>& objects) const {
  static const Term kind = atom("ets_insert");
  // Inserts of the same objects commute: in either order the key ends with them (a set
  // replaces, a bag keeps one copy, a duplicate bag two alike), and insert returns true.
  Touch touch = insert_touch(id_, objects);
  std::uint64_t what = objects.size();
  for (const Term& o : objects) what = core::mix(what, o.hash());
  touch.commutes = blind(kind, what);
  TableState& t = enter(id_, kind, touch);
  for (const Term& o : objects) put(t, o);
  return true;
}


bool Table::insert_new(Term object) const { return insert_new(std::vector<Term>{std::move(object)}); }

bool Table::insert_new(const std::vector<Term>& objects) const {
  static const Term kind = atom("ets_insert_new");
  TableState& t = enter(id_, kind, insert_touch(id_, objects));
  for (const Term& o : objects) {
    if (t.rows.contains(o[t.opts.keypos - 1])) return model::returned(false);
  }
  for (const Term& o : objects) put(t, o);
  return model::returned(true);
}

std::vector<Term> Table::lookup(const Term& key) const {
  static const Term kind = atom("ets_lookup");
  TableState& t = enter(id_, kind, Touch{&key, false});
  auto it = t.rows.find(key);
  return model::returned(it == t.rows.end() ? std::vector<Term>{} : it->second);
}

Term Table::lookup_element(const Term& key, std::size_t pos) const {
  static const Term kind = atom("ets_lookup_element");
  TableState& t = enter(id_, kind, Touch{&key, false});
  auto it = t.rows.find(key);
  if (it == t.rows.end()) {
    throw BadArg("ets lookup_element: no object with key " + key.to_string() + " in " + t.name.to_string());
  }
  std::vector<Term> elements;
  for (const Term& o : it->second) {
    check_pos(o, pos, "lookup_element");
    elements.push_back(o[pos - 1]);
  }
  return model::returned(is_set(t) ? elements.front() : list(std::move(elements)));
}

bool Table::member(const Term& key) const {
  static const Term kind = atom("ets_member");
  return model::returned(enter(id_, kind, Touch{&key, false}).rows.contains(key));
}

void Table::remove(const Term& key) const {
  static const Term kind = atom("ets_delete");
  erase_key(enter(id_, kind, Touch{&key, true, blind(kind, 0)}), key);  // deletes of a key commute
}

void Table::delete_object(const Term& object) const {
  static const Term kind = atom("ets_delete_object");
  const Term& key = key_of(object, keypos_of(id_));
  TableState& t = enter(id_, kind, Touch{&key, true, blind(kind, object.hash())});  // as insert
  auto it = t.rows.find(key);
  if (it == t.rows.end()) return;
  std::size_t before = it->second.size();
  std::erase(it->second, object);
  t.count -= before - it->second.size();
  if (it->second.empty()) t.rows.erase(it);
}

std::vector<Term> Table::take(const Term& key) const {
  static const Term kind = atom("ets_take");
  TableState& t = enter(id_, kind, Touch{&key, true});
  auto it = t.rows.find(key);
  if (it == t.rows.end()) return model::returned(std::vector<Term>{});
  std::vector<Term> out = std::move(it->second);
  t.count -= out.size();
  t.rows.erase(it);
  return model::returned(out);
}

namespace {
std::int64_t update_counter_in(TableState& t, const Term& key, std::size_t pos, std::int64_t incr,
                               const Term* default_object) {
  check_update(t, pos, "update_counter");
  auto it = t.rows.find(key);
  Term object;
  if (it != t.rows.end()) {
    object = it->second.front();
  } else if (default_object != nullptr) {
    key_of(*default_object, t.opts.keypos);
    object = with_element(*default_object, t.opts.keypos, key);
  } else {
    throw BadArg("ets update_counter: no object with key " + key.to_string() + " in " +
                 t.name.to_string() + " (pass a default object to create it)");
  }
  check_pos(object, pos, "update_counter");
  if (!object[pos - 1].is_int()) {
    throw BadArg("ets update_counter: element " + std::to_string(pos) + " of " + object.to_string() +
                 " is not an integer");
  }
  std::int64_t value = object[pos - 1].as_int() + incr;
  put(t, with_element(object, pos, value));
  return model::returned(value);
}
}  // namespace

std::int64_t Table::update_counter(const Term& key, std::size_t pos, std::int64_t incr) const {
  static const Term kind = atom("ets_update_counter");
  return update_counter_in(enter(id_, kind, Touch{&key, true}), key, pos, incr, nullptr);
}

std::int64_t Table::update_counter(const Term& key, std::size_t pos, std::int64_t incr,
                                   Term default_object) const {
  static const Term kind = atom("ets_update_counter");
  return update_counter_in(enter(id_, kind, Touch{&key, true}), key, pos, incr, &default_object);
}

bool Table::update_element(const Term& key, std::size_t pos, Term value) const {
  return update_element(key, {{pos, std::move(value)}});
}

bool Table::update_element(const Term& key, const std::vector<std::pair<std::size_t, Term>>& changes) const {
  static const Term kind = atom("ets_update_element");
  TableState& t = enter(id_, kind, Touch{&key, true});
  for (const auto& change : changes) check_update(t, change.first, "update_element");
  auto it = t.rows.find(key);
  if (it == t.rows.end()) return model::returned(false);
  Term object = it->second.front();
  for (const auto& [pos, value] : changes) {
    check_pos(object, pos, "update_element");
    object = with_element(object, pos, value);
  }
  it->second.front() = std::move(object);
  return model::returned(true);
}

std::size_t Table::size() const {
  static const Term kind = atom("ets_size");
  return model::returned(enter(id_, kind, Touch{}).count);
}

std::vector<Term> Table::to_list() const {
  static const Term kind = atom("ets_to_list");
  TableState& t = enter(id_, kind, Touch{});
  std::vector<Term> out;
  out.reserve(t.count);
  for (const auto& [key, objects] : t.rows) out.insert(out.end(), objects.begin(), objects.end());
  return model::returned(out);
}

namespace {
// Erlang's last/prev on unordered tables behave as first/next.
bool ordered(const TableState& t) { return t.opts.type == Type::ordered_set; }

std::optional<Term> step_from(TableState& t, const Term& key, bool forward, const char* op) {
  if (!ordered(t) && !t.rows.contains(key)) {
    throw BadArg(std::string("ets ") + op + ": key " + key.to_string() + " is not in " + t.name.to_string() +
                 " (only ordered_set tables step from absent keys)");
  }
  if (forward || !ordered(t)) {
    auto it = t.rows.upper_bound(key);
    if (it == t.rows.end()) return std::nullopt;
    return it->first;
  }
  auto it = t.rows.lower_bound(key);
  if (it == t.rows.begin()) return std::nullopt;
  return std::prev(it)->first;
}
}  // namespace

std::optional<Term> Table::first() const {
  static const Term kind = atom("ets_first");
  TableState& t = enter(id_, kind, Touch{});
  return model::returned(t.rows.empty() ? std::nullopt : std::optional<Term>(t.rows.begin()->first));
}

std::optional<Term> Table::last() const {
  static const Term kind = atom("ets_last");
  TableState& t = enter(id_, kind, Touch{});
  if (t.rows.empty()) return model::returned(std::optional<Term>());
  return model::returned(std::optional<Term>(ordered(t) ? t.rows.rbegin()->first : t.rows.begin()->first));
}

std::optional<Term> Table::next(const Term& key) const {
  static const Term kind = atom("ets_next");
  return model::returned(step_from(enter(id_, kind, Touch{}), key, true, "next"));
}

std::optional<Term> Table::prev(const Term& key) const {
  static const Term kind = atom("ets_prev");
  return model::returned(step_from(enter(id_, kind, Touch{}), key, false, "prev"));
}

std::vector<Term> Table::match_object(const Term& pattern) const {
  static const Term kind = atom("ets_match_object");
  auto key = pinned_key(pattern, keypos_of(id_));
  TableState& t = enter(id_, kind, touch_for_pattern(key, false));
  std::vector<Term> out;
  model::Bindings bindings;
  for (auto [k, objects] : candidates(t, key)) {
    for (const Term& o : *objects) {
      bindings.clear();
      if (model::match_pattern(pattern, o, bindings)) out.push_back(o);
    }
  }
  return model::returned(out);
}

std::size_t Table::match_delete(const Term& pattern) const {
  static const Term kind = atom("ets_match_delete");
  auto key = pinned_key(pattern, keypos_of(id_));
  TableState& t = enter(id_, kind, touch_for_pattern(key, true));
  model::Bindings bindings;
  return model::returned(erase_where(t, key, [&](const Term& o) {
    bindings.clear();
    return model::match_pattern(pattern, o, bindings);
  }));
}

namespace {
// The parsed specification, and the key it pins (one clause whose head pins the key touches
// that key only); badarg before the sync point.
std::pair<model::MatchSpec, std::optional<Term>> parse_spec(Ref id, const Term& match_spec) {
  model::MatchSpec spec = model::MatchSpec::parse(match_spec);
  std::optional<Term> key;
  if (spec.clauses().size() == 1) key = pinned_key(spec.clauses().front().head, keypos_of(id));
  return {std::move(spec), std::move(key)};
}
}  // namespace

std::vector<Term> Table::select(const Term& match_spec) const {
  static const Term kind = atom("ets_select");
  auto [spec, key] = parse_spec(id_, match_spec);
  TableState& t = enter(id_, kind, touch_for_pattern(key, false));
  std::vector<Term> out;
  for (auto [k, objects] : candidates(t, key)) {
    for (const Term& o : *objects) {
      if (auto result = spec.run(o, self())) out.push_back(std::move(*result));
    }
  }
  return model::returned(out);
}

std::size_t Table::select_count(const Term& match_spec) const {
  static const Term kind = atom("ets_select_count");
  auto [spec, key] = parse_spec(id_, match_spec);
  TableState& t = enter(id_, kind, touch_for_pattern(key, false));
  std::size_t count = 0;
  for (auto [k, objects] : candidates(t, key)) {
    for (const Term& o : *objects) count += spec.run(o, self()) == Term(true) ? 1 : 0;
  }
  return model::returned(count);
}

std::size_t Table::select_delete(const Term& match_spec) const {
  static const Term kind = atom("ets_select_delete");
  auto [spec, key] = parse_spec(id_, match_spec);
  TableState& t = enter(id_, kind, touch_for_pattern(key, true));
  Pid me = self();
  return model::returned(erase_where(t, key, [&](const Term& o) { return spec.run(o, me) == Term(true); }));
}

void Table::delete_all_objects() const {
  static const Term kind = atom("ets_delete_all_objects");
  TableState& t = enter(id_, kind, Touch{nullptr, true});
  t.rows.clear();
  t.count = 0;
}

std::optional<Info> Table::info() const {
  static const Term kind = atom("ets_info");
  Store& s = store(controller("ets::info"));
  nif_sync(tuple(kind, Term(id_)), SharedAccess{.object = table_object(id_), .write = false});
  auto it = s.tables.find(id_);
  if (it == s.tables.end()) return model::returned(false), std::nullopt;  // Erlang: :undefined
  const TableState& t = it->second;
  model::returned(tuple(t.count, t.owner, Term(t.opts.heir ? *t.opts.heir : Pid{})));
  return Info{.size = t.count, .type = t.opts.type, .access = t.opts.access, .owner = t.owner,
              .named = t.opts.named, .name = t.name, .keypos = t.opts.keypos, .heir = t.opts.heir};
}

void Table::drop() const {
  static const Term kind = atom("ets_drop");
  Controller& c = controller("ets::drop");
  TableState& t = enter(id_, kind, Touch{nullptr, true});
  Store& s = store(c);
  if (t.opts.named) {
    c.touch_shared(SharedAccess{.object = kNamesObject, .key = name_key(t.node, t.name), .whole_object = false});
    s.names.erase({t.node, t.name});
  }
  s.tables.erase(id_);
}

void Table::give_away(Pid to, Term data) const {
  static const Term kind = atom("ets_give_away");
  static const Term transfer = atom("ETS-TRANSFER");
  Controller& c = controller("ets::give_away");
  TableState& t = enter(id_, kind, Touch{nullptr, true});
  Pid me = self();
  if (!(t.owner == me)) {
    throw BadArg("ets give_away: only the owner " + t.owner.to_string() + " may give " +
                 t.name.to_string() + " away");
  }
  if (to == me || !c.alive(to)) {
    throw BadArg("ets give_away: the new owner " + to.to_string() + " must be another, live process");
  }
  t.owner = to;
  c.deliver(to, tuple(transfer, Term(id_), me, std::move(data)));
}

void Table::set_heir(std::optional<Pid> heir, Term data) const {
  static const Term kind = atom("ets_setopts");
  TableState& t = enter(id_, kind, Touch{nullptr, true});
  if (!(t.owner == self())) {
    throw BadArg("ets set_heir: only the owner " + t.owner.to_string() + " may set the heir of " +
                 t.name.to_string());
  }
  t.opts.heir = heir;
  t.opts.heir_data = std::move(data);
}

}  // namespace lockstep::ets
