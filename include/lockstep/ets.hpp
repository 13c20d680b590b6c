// lockstep::ets: Erlang's ETS tables, shared between the processes of an execution.
//
// Every operation is a sync point (nif_sync) that names the table and, where it can, the
// one key it touches, so the explorer orders only operations on the same key (or on the
// whole table: size, to_list, traversal, match, drop). The operation then runs atomically.
// Semantics follow Erlang's `ets` module; the differences are listed in docs/api.md:
//  - keys compare by term order (no floats), and every table type traverses in key order;
//  - `select` takes a documented subset of match specifications;
//  - errors are BadArg (an Erlang `badarg`, ending the process unless caught).
// A table dies with its owner unless it has an heir, which then owns it and receives
// `{:"ETS-TRANSFER", tid, old_owner, heir_data}`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "lockstep/term.hpp"

namespace lockstep::ets {

enum class Type { set, ordered_set, bag, duplicate_bag };
// Who may read and write: public (everyone), protected (everyone reads, the owner writes),
// private (the owner only). A violation is badarg.
enum class Access { public_, protected_, private_ };

struct TableOpts {
  Type type = Type::set;
  Access access = Access::protected_;
  bool named = false;          // reachable by name through ets::whereis
  std::size_t keypos = 1;      // 1-based position of the key in each tuple
  std::optional<Pid> heir;     // inherits the table when the owner exits
  Term heir_data;              // sent along in the ETS-TRANSFER message
};

struct Info {
  std::size_t size;
  Type type;
  Access access;
  Pid owner;
  bool named;
  Term name;
  std::size_t keypos;
  std::optional<Pid> heir;
};

// A handle (Erlang's tid): cheap to copy, safe to send as `tid()`; its operations change
// the shared table, never the handle, so they are const. Operating on a table
// that was dropped, or whose owner exited without heir, is badarg.
class Table {
 public:
  bool insert(Term object) const;                       // always true (Erlang's insert/2)
  bool insert(const std::vector<Term>& objects) const;  // all or none, atomically
  bool insert_new(Term object) const;                   // false if the key is present
  bool insert_new(const std::vector<Term>& objects) const;  // false if any key is present
  std::vector<Term> lookup(const Term& key) const;
  Term lookup_element(const Term& key, std::size_t pos) const;  // a list for bags; badarg if absent
  bool member(const Term& key) const;
  void remove(const Term& key) const;                   // Erlang's delete/2
  void delete_object(const Term& object) const;
  std::vector<Term> take(const Term& key) const;
  // Adds incr to element pos of the object under key and returns the new value (sets only).
  std::int64_t update_counter(const Term& key, std::size_t pos, std::int64_t incr) const;
  // The same, inserting `default_object` first when the key is absent.
  std::int64_t update_counter(const Term& key, std::size_t pos, std::int64_t incr,
                              Term default_object) const;
  bool update_element(const Term& key, std::size_t pos, Term value) const;  // false if absent
  bool update_element(const Term& key, const std::vector<std::pair<std::size_t, Term>>& changes) const;
  std::size_t size() const;
  std::vector<Term> to_list() const;
  // Traversal in key order; nullopt is Erlang's :"$end_of_table".
  std::optional<Term> first() const;
  std::optional<Term> next(const Term& key) const;
  std::optional<Term> last() const;
  std::optional<Term> prev(const Term& key) const;
  std::vector<Term> match_object(const Term& pattern) const;  // `_` wildcards
  std::size_t match_delete(const Term& pattern) const;        // how many objects went
  // A match specification: a list of {head, guards, body} tuples (docs/api.md lists the
  // supported guards and body forms). Returns the body result for each matching object.
  std::vector<Term> select(const Term& match_spec) const;
  // Objects for which the specification's body gives `true`: counted, or deleted.
  std::size_t select_count(const Term& match_spec) const;
  std::size_t select_delete(const Term& match_spec) const;
  void delete_all_objects() const;
  std::optional<Info> info() const;  // nullopt if the table is gone
  void drop() const;                 // Erlang's delete/1
  // Makes `to` the owner and sends it {:"ETS-TRANSFER", tid, self(), data} (owner only).
  void give_away(Pid to, Term data) const;
  void set_heir(std::optional<Pid> heir, Term data = Term()) const;  // owner only

  Term tid() const { return Term(id_); }  // (local) the table as a term (a reference)
  friend bool operator==(const Table&, const Table&) = default;

 private:
  friend Table new_table(Term name, TableOpts o);
  friend std::optional<Table> whereis(const Term& name);
  friend Table from_tid(const Term& tid);
  explicit Table(Ref id) : id_(id) {}
  Ref id_;
};

// Creates a table owned by the caller; badarg if `named` and the name is taken.
Table new_table(Term name, TableOpts o = {});
std::optional<Table> whereis(const Term& name);  // named tables
Table from_tid(const Term& tid);                 // (local) the handle for a tid() term

}  // namespace lockstep::ets
