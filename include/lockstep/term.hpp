// Term: the immutable Erlang-style value carried by messages, exit reasons, names and keys.
//
// A Term is an integer, atom, binary, pid, reference, tuple, list or map (plus the `_`
// wildcard used only inside match patterns). Copies are cheap: scalars are stored inline,
// compound values share one reference-counted node. Terms compare in Erlang term order,
// hash with a stable XXH3 (same value in every run and build), and print in Elixir syntax.
//
// Thread-safety: a Term may be copied and read from any thread (atomic reference counts;
// the atom table is internally synchronised).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace lockstep {

// A process identifier, numbered per execution (so a schedule replays to the same pids).
// Printed `#PID<node.id.0>`.
struct Pid {
  std::uint32_t id = 0;    // 0 is "no process"
  std::uint32_t node = 0;  // index of the cluster node the process runs on
  friend bool operator==(Pid a, Pid b) { return a.id == b.id; }
  friend auto operator<=>(Pid a, Pid b) { return a.id <=> b.id; }
  explicit operator bool() const { return id != 0; }
  std::string to_string() const;
};

// A unique reference (monitor refs, timer refs, make_ref). Numbered per creating process,
// so that refs made by independent processes do not depend on their interleaving.
struct Ref {
  std::uint32_t owner = 0;  // pid id of the creator
  std::uint32_t seq = 0;    // per-owner counter, from 1
  friend bool operator==(Ref a, Ref b) = default;
  friend auto operator<=>(Ref a, Ref b) = default;
  explicit operator bool() const { return seq != 0; }
  std::string to_string() const;
};
using TimerRef = Ref;

namespace detail {
struct TermNode;
}

class Term {
 public:
  // Declaration order is Erlang term order: number < atom < reference < pid < tuple < map
  // < list < binary. Wildcard only appears in patterns.
  enum class Type : std::uint8_t { integer, atom, ref, pid, tuple, map, list, binary, wildcard };

  Term() noexcept : type_(Type::atom), atom_(kNilAtomId) {}  // the atom `nil`
  template <typename I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>)
  Term(I i) noexcept : type_(Type::integer), int_(static_cast<std::int64_t>(i)) {}  // NOLINT
  template <typename B>
    requires std::is_same_v<B, bool>
  Term(B b) noexcept;  // NOLINT: the atoms `true` / `false`
  Term(Pid p) noexcept : type_(Type::pid), pid_(p) {}  // NOLINT
  Term(Ref r) noexcept : type_(Type::ref), ref_(r) {}  // NOLINT
  // Copies, moves and destruction are inline: scalars never touch the reference count.
  Term(const Term& o) noexcept : type_(o.type_), int_(o.int_) {
    if (boxed()) retain();
  }
  Term(Term&& o) noexcept : type_(o.type_), int_(o.int_) { o.type_ = Type::atom, o.atom_ = kNilAtomId; }
  Term& operator=(const Term& o) noexcept {
    if (o.boxed()) o.retain();
    if (boxed()) release();
    type_ = o.type_;
    int_ = o.int_;
    return *this;
  }
  Term& operator=(Term&& o) noexcept {
    if (this != &o) {
      if (boxed()) release();
      type_ = o.type_;
      int_ = o.int_;
      o.type_ = Type::atom;
      o.atom_ = kNilAtomId;
    }
    return *this;
  }
  ~Term() {
    if (boxed()) release();
  }

  Type type() const { return type_; }
  bool is_int() const { return type_ == Type::integer; }
  bool is_atom() const { return type_ == Type::atom; }
  bool is_atom(std::string_view name) const;
  bool is_binary() const { return type_ == Type::binary; }
  bool is_pid() const { return type_ == Type::pid; }
  bool is_ref() const { return type_ == Type::ref; }
  bool is_tuple() const { return type_ == Type::tuple; }
  bool is_list() const { return type_ == Type::list; }
  bool is_map() const { return type_ == Type::map; }
  bool is_wildcard() const { return type_ == Type::wildcard; }

  // Accessors throw lockstep::BadArg (an Erlang `badarg`) when the type does not fit.
  std::int64_t as_int() const;
  Pid as_pid() const;
  Ref as_ref() const;
  std::string_view as_atom() const;    // the atom's name
  std::string_view as_binary() const;  // the bytes
  bool as_bool() const;                // `true` / `false` atoms

  // Tuples and lists: element count and elements; maps: number of pairs.
  std::size_t size() const;
  const Term& operator[](std::size_t i) const;
  std::span<const Term> elements() const;  // tuple / list elements
  // Maps: the value under `key`, if any. Pairs are kept sorted by key.
  std::optional<Term> find(const Term& key) const;
  std::vector<std::pair<Term, Term>> pairs() const;

  std::uint64_t hash() const;      // stable XXH3 of the value
  std::string to_string() const;  // Elixir syntax

  friend bool operator==(const Term& a, const Term& b);
  friend std::strong_ordering operator<=>(const Term& a, const Term& b);

  // Factories (used by the free functions below).
  static Term make_atom(std::string_view name);
  static Term make_binary(std::string_view bytes);
  static Term make_tuple(std::vector<Term> items);
  static Term make_list(std::vector<Term> items);
  static Term make_map(std::vector<std::pair<Term, Term>> pairs);
  static Term make_wildcard();

 private:
  static constexpr std::uint32_t kNilAtomId = 0;  // `nil` is interned first
  Type type_;
  union {
    std::int64_t int_;
    std::uint32_t atom_;
    Pid pid_;
    Ref ref_;
    detail::TermNode* node_;
  };
  bool boxed() const {
    return type_ == Type::tuple || type_ == Type::map || type_ == Type::list ||
           type_ == Type::binary;
  }
  void retain() const noexcept;   // precondition: boxed()
  void release() noexcept;        // precondition: boxed()
  friend struct detail::TermNode;
};

template <typename B>
  requires std::is_same_v<B, bool>
Term::Term(B b) noexcept : Term(make_atom(b ? "true" : "false")) {}

Term atom(std::string_view name);
Term binary(std::string_view bytes);
Term list(std::initializer_list<Term> items);
Term list(std::vector<Term> items);
Term map(std::initializer_list<std::pair<Term, Term>> pairs);
template <typename... Ts>
Term tuple(Ts&&... items) {
  std::vector<Term> v;
  v.reserve(sizeof...(Ts));
  (v.emplace_back(std::forward<Ts>(items)), ...);
  return Term::make_tuple(std::move(v));
}
Term tuple_of(std::vector<Term> items);

// The wildcard `_` for match patterns: `match(tuple(atom("DOWN"), ref, _, _, _))`.
inline const Term _ = Term::make_wildcard();  // NOLINT(bugprone-reserved-identifier)

// A predicate over messages, used by selective receive. Any `bool(const Term&)` converts
// to it; `match(pattern)` builds one that also describes itself in deadlock reports.
class Matcher {
 public:
  template <typename F>
    requires std::is_invocable_r_v<bool, F&, const Term&> &&
                 (!std::is_same_v<std::decay_t<F>, Matcher>)
  Matcher(F f) : fn_(std::move(f)) {}  // NOLINT: implicit on purpose
  Matcher(std::function<bool(const Term&)> f, std::string description)
      : fn_(std::move(f)), description_(std::move(description)) {}
  bool operator()(const Term& t) const { return fn_(t); }
  const std::string& description() const { return description_; }

 private:
  std::function<bool(const Term&)> fn_;
  std::string description_;  // empty: an opaque predicate
};

// Structural match with `_` wildcards; a map pattern matches a map holding at least its keys.
bool matches(const Term& pattern, const Term& value);
Matcher match(Term pattern);

}  // namespace lockstep

template <>
struct std::hash<lockstep::Term> {
  std::size_t operator()(const lockstep::Term& t) const { return t.hash(); }
};
