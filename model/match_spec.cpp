// Pattern matching with variables, and the supported subset of Erlang match specifications.
#include "model/match_spec.hpp"

#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lockstep/errors.hpp"

namespace lockstep::model {

namespace {

// :"$N" -> N (>= 1), else 0.
std::size_t variable_number(const Term& t) {
  if (!t.is_atom()) return 0;
  std::string_view name = t.as_atom();
  if (name.size() < 2 || name[0] != '$') return 0;
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), n);
  if (ec != std::errc() || end != name.data() + name.size()) return 0;
  return n;
}

bool is_wild(const Term& t) { return t.is_wildcard() || t.is_atom("_"); }

struct EvalFailure {};  // a guard or body raised: the clause does not match

enum class Fn {
  eq, exact_eq, ne, exact_ne, lt, gt, le, ge, andalso, orelse, and_, or_, xor_, not_,
  is_integer, is_atom, is_tuple, is_list, is_binary, is_pid, is_reference, is_map,
  plus, minus, times, div, rem, abs, element, tuple_size, length, hd, tl, self,
};

struct FnInfo {
  std::string_view name;
  Fn fn;
  std::size_t arity;
};

constexpr FnInfo kFunctions[] = {
    {"==", Fn::eq, 2}, {"=:=", Fn::exact_eq, 2}, {"/=", Fn::ne, 2}, {"=/=", Fn::exact_ne, 2},
    {"<", Fn::lt, 2}, {">", Fn::gt, 2}, {"=<", Fn::le, 2}, {">=", Fn::ge, 2},
    {"andalso", Fn::andalso, 2}, {"orelse", Fn::orelse, 2}, {"and", Fn::and_, 2},
    {"or", Fn::or_, 2}, {"xor", Fn::xor_, 2}, {"not", Fn::not_, 1},
    {"is_integer", Fn::is_integer, 1}, {"is_atom", Fn::is_atom, 1}, {"is_tuple", Fn::is_tuple, 1},
    {"is_list", Fn::is_list, 1}, {"is_binary", Fn::is_binary, 1}, {"is_pid", Fn::is_pid, 1},
    {"is_reference", Fn::is_reference, 1}, {"is_map", Fn::is_map, 1},
    {"+", Fn::plus, 2}, {"-", Fn::minus, 2}, {"*", Fn::times, 2}, {"div", Fn::div, 2},
    {"rem", Fn::rem, 2}, {"abs", Fn::abs, 1}, {"element", Fn::element, 2},
    {"tuple_size", Fn::tuple_size, 1}, {"length", Fn::length, 1}, {"hd", Fn::hd, 1},
    {"tl", Fn::tl, 1}, {"self", Fn::self, 0},
};

const FnInfo* function_of(const Term& call) {
  if (!call.is_tuple() || call.size() == 0 || !call[0].is_atom()) return nullptr;
  for (const FnInfo& f : kFunctions) {
    if (call[0].as_atom() == f.name && call.size() == f.arity + 1) return &f;
  }
  return nullptr;
}

bool is_construction(const Term& t) { return t.is_tuple() && t.size() == 1 && t[0].is_tuple(); }
bool is_const(const Term& t) { return t.is_tuple() && t.size() == 2 && t[0].is_atom("const"); }

void validate(const Term& e, const Term& spec) {
  if (e.is_list()) {
    for (const Term& x : e.elements()) validate(x, spec);
    return;
  }
  if (!e.is_tuple() || is_const(e)) return;
  if (is_construction(e)) {
    for (const Term& x : e[0].elements()) validate(x, spec);
    return;
  }
  if (function_of(e) == nullptr) {
    throw BadArg("ets match specification " + spec.to_string() + ": " + e.to_string() +
                 " is not a supported guard or body expression (docs/api.md lists them)");
  }
  for (std::size_t i = 1; i < e.size(); ++i) validate(e[i], spec);
}

struct Evaluator {
  const Term& object;
  const Bindings& bindings;
  Pid self;

  Term eval(const Term& e) const {
    if (e.is_atom()) {
      if (e.is_atom("$_")) return object;
      if (e.is_atom("$$")) {
        std::vector<Term> all;
        for (std::size_t i = 1; i < bindings.size(); ++i) {
          if (bindings[i]) all.push_back(*bindings[i]);
        }
        return list(std::move(all));
      }
      if (std::size_t n = variable_number(e)) {
        if (n >= bindings.size() || !bindings[n]) throw EvalFailure{};
        return *bindings[n];
      }
      return e;
    }
    if (e.is_list()) {
      std::vector<Term> items;
      for (const Term& x : e.elements()) items.push_back(eval(x));
      return list(std::move(items));
    }
    if (!e.is_tuple()) return e;
    if (is_const(e)) return e[1];
    if (is_construction(e)) {
      std::vector<Term> items;
      for (const Term& x : e[0].elements()) items.push_back(eval(x));
      return tuple_of(std::move(items));
    }
    return call(*function_of(e), e);
  }

  static std::int64_t integer(const Term& t) {
    if (!t.is_int()) throw EvalFailure{};
    return t.as_int();
  }
  static bool boolean(const Term& t) {
    if (t.is_atom("true")) return true;
    if (t.is_atom("false")) return false;
    throw EvalFailure{};
  }

  Term call(const FnInfo& f, const Term& e) const {
    switch (f.fn) {
      case Fn::andalso: return Term(boolean(eval(e[1])) && boolean(eval(e[2])));
      case Fn::orelse: return Term(boolean(eval(e[1])) || boolean(eval(e[2])));
      case Fn::self: return Term(self);
      default: break;
    }
    Term a = f.arity >= 1 ? eval(e[1]) : Term();
    Term b = f.arity >= 2 ? eval(e[2]) : Term();
    switch (f.fn) {
      case Fn::eq:
      case Fn::exact_eq: return Term(a == b);
      case Fn::ne:
      case Fn::exact_ne: return Term(!(a == b));
      case Fn::lt: return Term(a < b);
      case Fn::gt: return Term(a > b);
      case Fn::le: return Term(a <= b);
      case Fn::ge: return Term(a >= b);
      case Fn::and_: return Term(boolean(a) && boolean(b));
      case Fn::or_: return Term(boolean(a) || boolean(b));
      case Fn::xor_: return Term(boolean(a) != boolean(b));
      case Fn::not_: return Term(!boolean(a));
      case Fn::is_integer: return Term(a.is_int());
      case Fn::is_atom: return Term(a.is_atom());
      case Fn::is_tuple: return Term(a.is_tuple());
      case Fn::is_list: return Term(a.is_list());
      case Fn::is_binary: return Term(a.is_binary());
      case Fn::is_pid: return Term(a.is_pid());
      case Fn::is_reference: return Term(a.is_ref());
      case Fn::is_map: return Term(a.is_map());
      case Fn::plus: return Term(integer(a) + integer(b));
      case Fn::minus: return Term(integer(a) - integer(b));
      case Fn::times: return Term(integer(a) * integer(b));
      case Fn::div:
        if (integer(b) == 0) throw EvalFailure{};
        return Term(integer(a) / integer(b));
      case Fn::rem:
        if (integer(b) == 0) throw EvalFailure{};
        return Term(integer(a) % integer(b));
      case Fn::abs: return Term(std::abs(integer(a)));
      case Fn::element: {
        std::int64_t n = integer(a);
        if (!b.is_tuple() || n < 1 || static_cast<std::size_t>(n) > b.size()) throw EvalFailure{};
        return b[static_cast<std::size_t>(n) - 1];
      }
      case Fn::tuple_size:
        if (!a.is_tuple()) throw EvalFailure{};
        return Term(a.size());
      case Fn::length:
        if (!a.is_list()) throw EvalFailure{};
        return Term(a.size());
      case Fn::hd:
        if (!a.is_list() || a.size() == 0) throw EvalFailure{};
        return a[0];
      case Fn::tl: {
        if (!a.is_list() || a.size() == 0) throw EvalFailure{};
        auto rest = a.elements().subspan(1);
        return list(std::vector<Term>(rest.begin(), rest.end()));
      }
      default: break;
    }
    throw EvalFailure{};
  }
};

}  // namespace

bool is_ground(const Term& pattern) {
  if (is_wild(pattern) || variable_number(pattern) != 0) return false;
  if (pattern.is_tuple() || pattern.is_list()) {
    for (const Term& x : pattern.elements()) {
      if (!is_ground(x)) return false;
    }
  }
  if (pattern.is_map()) {
    for (const auto& [k, v] : pattern.pairs()) {
      if (!is_ground(k) || !is_ground(v)) return false;
    }
  }
  return true;
}

bool match_pattern(const Term& pattern, const Term& value, Bindings& bindings) {
  if (is_wild(pattern)) return true;
  if (std::size_t n = variable_number(pattern)) {
    if (n >= bindings.size()) bindings.resize(n + 1);
    if (!bindings[n]) {
      bindings[n] = value;
      return true;
    }
    return *bindings[n] == value;
  }
  if (pattern.type() != value.type()) return false;
  if (pattern.is_tuple() || pattern.is_list()) {
    if (pattern.size() != value.size()) return false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      if (!match_pattern(pattern[i], value[i], bindings)) return false;
    }
    return true;
  }
  if (pattern.is_map()) {
    for (const auto& [k, v] : pattern.pairs()) {
      auto found = value.find(k);
      if (!found || !match_pattern(v, *found, bindings)) return false;
    }
    return true;
  }
  return pattern == value;
}

MatchSpec MatchSpec::parse(const Term& spec) {
  if (!spec.is_list()) {
    throw BadArg("ets match specification " + spec.to_string() + " is not a list of {head, guards, body}");
  }
  MatchSpec out;
  for (const Term& clause : spec.elements()) {
    if (!clause.is_tuple() || clause.size() != 3 || !clause[1].is_list() || !clause[2].is_list() ||
        clause[2].size() == 0) {
      throw BadArg("ets match specification clause " + clause.to_string() +
                   " is not {head, [guard, ...], [body, ...]} with a non-empty body");
    }
    for (const Term& g : clause[1].elements()) validate(g, spec);
    for (const Term& b : clause[2].elements()) validate(b, spec);
    out.clauses_.push_back(Clause{clause[0],
                                  std::vector<Term>(clause[1].elements().begin(), clause[1].elements().end()),
                                  std::vector<Term>(clause[2].elements().begin(), clause[2].elements().end())});
  }
  return out;
}

std::optional<Term> MatchSpec::run(const Term& object, Pid self) const {
  Bindings bindings;
  for (const Clause& c : clauses_) {
    bindings.clear();
    if (!match_pattern(c.head, object, bindings)) continue;
    Evaluator ev{object, bindings, self};
    try {
      bool pass = true;
      for (const Term& g : c.guards) {
        if (!ev.eval(g).is_atom("true")) {
          pass = false;
          break;
        }
      }
      if (!pass) continue;
      Term result;
      for (const Term& b : c.body) result = ev.eval(b);
      return result;
    } catch (const EvalFailure&) {
      continue;  // Erlang: a guard that raises is false
    }
  }
  return std::nullopt;
}

}  // namespace lockstep::model
