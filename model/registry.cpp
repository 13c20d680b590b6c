// lockstep::registry on the public primitives: a registry process owns a public named ETS
// table {key, pid, value} (a set for unique keys, a duplicate_bag otherwise), traps exits,
// and deletes the entries of each linked process whose EXIT reaches it.
#include "lockstep/registry.hpp"

#include "lockstep/errors.hpp"
#include "lockstep/ets.hpp"
#include "lockstep/exits.hpp"
#include "lockstep/names.hpp"
#include "lockstep/process.hpp"

namespace lockstep::registry {

namespace {

Term table_name(const Term& registry) { return tuple(atom("lockstep.registry"), registry); }

ets::Table table_of(const Term& registry) {
  auto t = ets::whereis(table_name(registry));
  if (!t) {
    throw BadArg("unknown registry " + registry.to_string() + " (start it with registry::start_link)");
  }
  return *t;
}

std::vector<std::pair<Pid, Term>> entries(const std::vector<Term>& rows) {
  std::vector<std::pair<Pid, Term>> out;
  out.reserve(rows.size());
  for (const Term& row : rows) out.emplace_back(row[1].as_pid(), row[2]);
  return out;
}

}  // namespace

Pid start_link(Term name, Keys keys) {
  Pid parent = self();
  Ref tag = make_ref();
  Pid pid = spawn_link([=] {
    trap_exit(true);
    ets::Table t = ets::new_table(table_name(name),
                                  {.type = keys == Keys::unique ? ets::Type::set : ets::Type::duplicate_bag,
                                   .access = ets::Access::public_,
                                   .named = true});
    if (!register_name(name, self())) {
      throw BadArg("registry::start_link: the name " + name.to_string() + " is taken");
    }
    send(parent, tuple(tag, atom("ok")));
    for (;;) {
      Term msg = receive(match(tuple(atom("EXIT"), _, _)));
      if (msg[1] == Term(parent)) lockstep::exit(msg[2]);
      t.match_delete(tuple(_, msg[1], _));
    }
  });
  receive(match(tuple(tag, atom("ok"))));
  return pid;
}

bool register_key(const Term& registry, Term key, Term value) {
  ets::Table t = table_of(registry);
  auto info = t.info();
  if (!info) throw BadArg("registry " + registry.to_string() + " has exited");
  link(info->owner);  // its EXIT lets the registry remove our entries
  Term row = tuple(std::move(key), self(), std::move(value));
  if (info->type == ets::Type::set) return t.insert_new(row);
  t.insert(row);
  return true;
}

void unregister(const Term& registry, const Term& key) {
  table_of(registry).match_delete(tuple(key, self(), _));
}

std::vector<std::pair<Pid, Term>> lookup(const Term& registry, const Term& key) {
  return entries(table_of(registry).lookup(key));
}

void dispatch(const Term& registry, const Term& key,
              const std::function<void(const std::vector<std::pair<Pid, Term>>&)>& f) {
  auto found = lookup(registry, key);
  if (!found.empty()) f(found);
}

std::vector<Term> keys(const Term& registry, Pid pid) {
  std::vector<Term> out;
  for (const Term& row : table_of(registry).match_object(tuple(_, pid, _))) out.push_back(row[0]);
  return out;
}

std::optional<Pid> whereis_name(const Term& registry, const Term& key) {
  auto found = lookup(registry, key);
  if (found.empty()) return std::nullopt;
  return found.front().first;
}

}  // namespace lockstep::registry
