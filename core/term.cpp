// Term representation, atom table, Erlang term order, stable hashing and Elixir printing.
#include "lockstep/term.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "lockstep/errors.hpp"

namespace lockstep {

namespace detail {
// One shared node for every boxed type. Maps keep `items` as key0, value0, key1, ...
// sorted by key; binaries use `bytes`.
struct TermNode {
  std::atomic<std::uint32_t> refs{1};
  std::string bytes;
  std::vector<Term> items;
};
}  // namespace detail

namespace {

// Interned atoms. Ids are process-local (never printed or hashed): order and hash use the
// name, so they are stable across runs and builds.
class AtomTable {
 public:
  std::uint32_t intern(std::string_view name) {
    {
      std::shared_lock lock(mutex_);
      auto it = ids_.find(name);
      if (it != ids_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
    auto id = size_;
    if (id / kChunk >= kChunks) {
      throw std::length_error("more than " + std::to_string(kChunk * kChunks) +
                              " distinct atoms: a scenario that makes atoms from data should use binaries");
    }
    Entry* chunk = chunks_[id / kChunk].load(std::memory_order_relaxed);
    if (chunk == nullptr) {
      chunk = new Entry[kChunk];
      chunks_[id / kChunk].store(chunk, std::memory_order_release);
    }
    Entry& e = chunk[id % kChunk];
    e.name = std::string(name);
    e.hash = XXH3_64bits(name.data(), name.size());
    ids_.emplace(e.name, id);
    ++size_;
    return id;
  }
  // Lock-free: every step hashes or names some atom, and a lock here was a cache line that
  // parallel workers took turns to own. An id is only known after intern() wrote its entry,
  // and entries never move or change.
  std::string_view name(std::uint32_t id) const { return entry(id).name; }
  std::uint64_t hash(std::uint32_t id) const { return entry(id).hash; }

 private:
  struct Entry {
    std::string name;
    std::uint64_t hash = 0;
  };
  static constexpr std::uint32_t kChunk = 4096, kChunks = 4096;
  const Entry& entry(std::uint32_t id) const {
    return chunks_[id / kChunk].load(std::memory_order_acquire)[id % kChunk];
  }
  std::shared_mutex mutex_;  // intern's: the index and the next id
  std::array<std::atomic<Entry*>, kChunks> chunks_{};
  std::uint32_t size_ = 0;
  std::unordered_map<std::string_view, std::uint32_t> ids_;
};

AtomTable& atoms() {
  // Never destroyed: terms may outlive statics. `nil` is interned first, so it is id 0,
  // the id Term's default constructor uses.
  static AtomTable* table = [] {
    auto* t = new AtomTable();
    t->intern("nil");
    return t;
  }();
  return *table;
}

}  // namespace

std::string Pid::to_string() const {
  return "#PID<" + std::to_string(node) + "." + std::to_string(id) + ".0>";
}

std::string Ref::to_string() const {
  return "#Reference<0.0." + std::to_string(owner) + "." + std::to_string(seq) + ">";
}

void Term::retain() const noexcept { node_->refs.fetch_add(1, std::memory_order_relaxed); }

void Term::release() noexcept {
  if (node_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete node_;
}

static_assert(sizeof(std::int64_t) >= sizeof(void*) && sizeof(std::int64_t) >= sizeof(Pid));

Term Term::make_atom(std::string_view name) {
  Term t;
  t.atom_ = atoms().intern(name);
  return t;
}

Term Term::make_binary(std::string_view bytes) {
  Term t;
  t.type_ = Type::binary;
  t.node_ = new detail::TermNode();
  t.node_->bytes.assign(bytes);
  return t;
}

Term Term::make_tuple(std::vector<Term> items) {
  Term t;
  t.type_ = Type::tuple;
  t.node_ = new detail::TermNode();
  t.node_->items = std::move(items);
  return t;
}

Term Term::make_list(std::vector<Term> items) {
  Term t = make_tuple(std::move(items));
  t.type_ = Type::list;
  return t;
}

Term Term::make_map(std::vector<std::pair<Term, Term>> pairs) {
  // Later pairs win on duplicate keys, as in a map literal built left to right.
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Term> items;
  items.reserve(pairs.size() * 2);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i + 1 < pairs.size() && pairs[i + 1].first == pairs[i].first) continue;
    items.push_back(std::move(pairs[i].first));
    items.push_back(std::move(pairs[i].second));
  }
  Term t = make_tuple(std::move(items));
  t.type_ = Type::map;
  return t;
}

Term Term::make_wildcard() {
  Term t;
  t.type_ = Type::wildcard;
  t.int_ = 0;
  return t;
}

bool Term::is_atom(std::string_view name) const {
  return type_ == Type::atom && atoms().name(atom_) == name;
}

namespace {
[[noreturn]] void wrong_type(const char* accessor, const Term& t) {
  throw BadArg(std::string(accessor) + " on " + t.to_string());
}
}  // namespace

std::int64_t Term::as_int() const {
  if (type_ != Type::integer) wrong_type("as_int", *this);
  return int_;
}
Pid Term::as_pid() const {
  if (type_ != Type::pid) wrong_type("as_pid", *this);
  return pid_;
}
Ref Term::as_ref() const {
  if (type_ != Type::ref) wrong_type("as_ref", *this);
  return ref_;
}
std::string_view Term::as_atom() const {
  if (type_ != Type::atom) wrong_type("as_atom", *this);
  return atoms().name(atom_);
}
std::string_view Term::as_binary() const {
  if (type_ != Type::binary) wrong_type("as_binary", *this);
  return node_->bytes;
}
bool Term::as_bool() const {
  if (is_atom("true")) return true;
  if (is_atom("false")) return false;
  wrong_type("as_bool", *this);
}

std::size_t Term::size() const {
  switch (type_) {
    case Type::tuple:
    case Type::list: return node_->items.size();
    case Type::map: return node_->items.size() / 2;
    case Type::binary: return node_->bytes.size();
    default: wrong_type("size", *this);
  }
}

const Term& Term::operator[](std::size_t i) const {
  if (type_ != Type::tuple && type_ != Type::list) wrong_type("operator[]", *this);
  if (i >= node_->items.size()) {
    throw BadArg("index " + std::to_string(i) + " out of range for " + to_string());
  }
  return node_->items[i];
}

std::span<const Term> Term::elements() const {
  if (type_ != Type::tuple && type_ != Type::list) wrong_type("elements", *this);
  return node_->items;
}

std::optional<Term> Term::find(const Term& key) const {
  if (type_ != Type::map) wrong_type("find", *this);
  const auto& items = node_->items;
  std::size_t lo = 0, hi = items.size() / 2;
  while (lo < hi) {
    std::size_t mid = (lo + hi) / 2;
    auto c = items[2 * mid] <=> key;
    if (c == 0) return items[2 * mid + 1];
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  return std::nullopt;
}

std::vector<std::pair<Term, Term>> Term::pairs() const {
  if (type_ != Type::map) wrong_type("pairs", *this);
  std::vector<std::pair<Term, Term>> out;
  for (std::size_t i = 0; i + 1 < node_->items.size(); i += 2) {
    out.emplace_back(node_->items[i], node_->items[i + 1]);
  }
  return out;
}

bool operator==(const Term& a, const Term& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Term::Type::integer: return a.int_ == b.int_;
    case Term::Type::atom: return a.atom_ == b.atom_;
    case Term::Type::pid: return a.pid_.id == b.pid_.id && a.pid_.node == b.pid_.node;
    case Term::Type::ref: return a.ref_ == b.ref_;
    case Term::Type::wildcard: return true;
    case Term::Type::binary: return a.node_ == b.node_ || a.node_->bytes == b.node_->bytes;
    default: return a.node_ == b.node_ || a.node_->items == b.node_->items;
  }
}

std::strong_ordering operator<=>(const Term& a, const Term& b) {
  if (a.type_ != b.type_) return a.type_ <=> b.type_;
  switch (a.type_) {
    case Term::Type::integer: return a.int_ <=> b.int_;
    case Term::Type::atom:
      if (a.atom_ == b.atom_) return std::strong_ordering::equal;
      return atoms().name(a.atom_).compare(atoms().name(b.atom_)) <=> 0;
    case Term::Type::pid:
      if (a.pid_.node != b.pid_.node) return a.pid_.node <=> b.pid_.node;
      return a.pid_.id <=> b.pid_.id;
    case Term::Type::ref: return a.ref_ <=> b.ref_;
    case Term::Type::wildcard: return std::strong_ordering::equal;
    case Term::Type::binary: return a.node_->bytes.compare(b.node_->bytes) <=> 0;
    case Term::Type::list:
      return std::lexicographical_compare_three_way(a.node_->items.begin(), a.node_->items.end(),
                                                    b.node_->items.begin(), b.node_->items.end());
    case Term::Type::tuple:
    case Term::Type::map: {
      // Tuples and maps: smaller size first, then element by element (maps: keys, then values).
      const auto& x = a.node_->items;
      const auto& y = b.node_->items;
      if (x.size() != y.size()) return x.size() <=> y.size();
      if (a.type_ == Term::Type::map) {
        for (std::size_t i = 0; i < x.size(); i += 2) {
          if (auto c = x[i] <=> y[i]; c != 0) return c;
        }
        for (std::size_t i = 1; i < x.size(); i += 2) {
          if (auto c = x[i] <=> y[i]; c != 0) return c;
        }
        return std::strong_ordering::equal;
      }
      return std::lexicographical_compare_three_way(x.begin(), x.end(), y.begin(), y.end());
    }
  }
  return std::strong_ordering::equal;
}

std::uint64_t Term::hash() const {
  // Hash a small buffer of fields at once (cheaper than streaming, see DESIGN.md).
  std::uint64_t buf[4] = {static_cast<std::uint64_t>(type_), 0, 0, 0};
  switch (type_) {
    case Type::integer: buf[1] = static_cast<std::uint64_t>(int_); break;
    case Type::atom: buf[1] = atoms().hash(atom_); break;
    case Type::pid: buf[1] = pid_.id; buf[2] = pid_.node; break;
    case Type::ref: buf[1] = ref_.owner; buf[2] = ref_.seq; break;
    case Type::wildcard: break;
    case Type::binary: buf[1] = XXH3_64bits(node_->bytes.data(), node_->bytes.size()); break;
    default: {
      std::vector<std::uint64_t> parts;
      parts.reserve(node_->items.size() + 2);
      parts.push_back(static_cast<std::uint64_t>(type_));
      parts.push_back(node_->items.size());
      for (const Term& item : node_->items) parts.push_back(item.hash());
      return XXH3_64bits(parts.data(), parts.size() * sizeof(std::uint64_t));
    }
  }
  return XXH3_64bits(buf, sizeof buf);
}

namespace {

bool is_plain_atom(std::string_view s) {
  // Elixir prints :ok, :foo_bar?, :Elixir bare; anything else is quoted: :"foo bar".
  if (s.empty()) return false;
  auto c0 = static_cast<unsigned char>(s[0]);
  if (!(std::isalpha(c0) || s[0] == '_')) return false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    bool last = i + 1 == s.size();
    if (std::isalnum(c) || s[i] == '_' || s[i] == '@') continue;
    if (last && (s[i] == '?' || s[i] == '!')) continue;
    return false;
  }
  return true;
}

void append_escaped(std::string& out, std::string_view s) {
  for (char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default: out += ch;
    }
  }
}

bool is_printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 || ch == '\n' || ch == '\t' || ch == '\r';
  });
}

void print(std::string& out, const Term& t) {
  switch (t.type()) {
    case Term::Type::integer: out += std::to_string(t.as_int()); break;
    case Term::Type::atom: {
      auto name = t.as_atom();
      if (name == "nil" || name == "true" || name == "false") {
        out += name;
      } else if (is_plain_atom(name)) {
        out += ':';
        out += name;
      } else {
        out += ":\"";
        append_escaped(out, name);
        out += '"';
      }
      break;
    }
    case Term::Type::pid: out += t.as_pid().to_string(); break;
    case Term::Type::ref: out += t.as_ref().to_string(); break;
    case Term::Type::wildcard: out += '_'; break;
    case Term::Type::binary: {
      auto bytes = t.as_binary();
      if (is_printable(bytes)) {
        out += '"';
        append_escaped(out, bytes);
        out += '"';
      } else {
        out += "<<";
        for (std::size_t i = 0; i < bytes.size(); ++i) {
          if (i) out += ", ";
          out += std::to_string(static_cast<unsigned char>(bytes[i]));
        }
        out += ">>";
      }
      break;
    }
    case Term::Type::tuple:
    case Term::Type::list: {
      bool tuple = t.is_tuple();
      out += tuple ? '{' : '[';
      bool first = true;
      for (const Term& e : t.elements()) {
        if (!first) out += ", ";
        first = false;
        print(out, e);
      }
      out += tuple ? '}' : ']';
      break;
    }
    case Term::Type::map: {
      auto pairs = t.pairs();
      bool atom_keys = std::all_of(pairs.begin(), pairs.end(), [](const auto& p) {
        return p.first.is_atom() && is_plain_atom(p.first.as_atom());
      });
      out += "%{";
      bool first = true;
      for (const auto& [k, v] : pairs) {
        if (!first) out += ", ";
        first = false;
        if (atom_keys) {
          out += k.as_atom();
          out += ": ";
        } else {
          print(out, k);
          out += " => ";
        }
        print(out, v);
      }
      out += '}';
      break;
    }
  }
}

}  // namespace

std::string Term::to_string() const {
  std::string out;
  print(out, *this);
  return out;
}

Term atom(std::string_view name) { return Term::make_atom(name); }
Term binary(std::string_view bytes) { return Term::make_binary(bytes); }
Term list(std::initializer_list<Term> items) { return Term::make_list(std::vector<Term>(items)); }
Term list(std::vector<Term> items) { return Term::make_list(std::move(items)); }
Term map(std::initializer_list<std::pair<Term, Term>> pairs) {
  return Term::make_map(std::vector<std::pair<Term, Term>>(pairs));
}
Term tuple_of(std::vector<Term> items) { return Term::make_tuple(std::move(items)); }

bool matches(const Term& pattern, const Term& value) {
  if (pattern.is_wildcard()) return true;
  if (pattern.type() != value.type()) return false;
  switch (pattern.type()) {
    case Term::Type::tuple:
    case Term::Type::list: {
      auto p = pattern.elements();
      auto v = value.elements();
      if (p.size() != v.size()) return false;
      for (std::size_t i = 0; i < p.size(); ++i) {
        if (!matches(p[i], v[i])) return false;
      }
      return true;
    }
    case Term::Type::map:
      for (const auto& [k, pv] : pattern.pairs()) {
        auto found = value.find(k);
        if (!found || !matches(pv, *found)) return false;
      }
      return true;
    default: return pattern == value;
  }
}

Matcher match(Term pattern) {
  std::string description = pattern.to_string();
  return Matcher([p = std::move(pattern)](const Term& t) { return matches(p, t); },
                 std::move(description));
}

namespace core {
void note_raised(const Term& reason) noexcept;  // core/controller.cpp
}

ErlangError::ErlangError(Term reason)
    : std::runtime_error(reason.to_string()), reason_(std::move(reason)) {
  core::note_raised(reason_);  // an error a process sees is part of its local state
}

BadArg::BadArg(const std::string& detail)
    : ErlangError(tuple(atom("badarg"), binary(detail))) {}

}  // namespace lockstep
