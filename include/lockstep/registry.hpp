// lockstep::registry: Elixir's Registry, a local key -> process registry, written on the
// public primitives: a registry process owns a public ETS table and is linked to every
// process that registers, and removes a process's entries when its EXIT signal arrives.
// As in Elixir, removal is asynchronous: a lookup may still see a process that has just
// exited (a real race, explored like any other).
//
// Keys are unique (one process per key) or duplicate (many). A unique registry serves as a
// gen_server name: `{:via, registry_name, key}`.
#pragma once

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "lockstep/term.hpp"

namespace lockstep::registry {

enum class Keys { unique, duplicate };

// Starts a registry registered locally under `name`, linked to the caller.
Pid start_link(Term name, Keys keys);

// Registers the caller under `key` with `value`. Unique keys: false if another live entry
// holds the key (Elixir's {:error, {:already_registered, pid}}).
bool register_key(const Term& registry, Term key, Term value = Term());
void unregister(const Term& registry, const Term& key);  // the caller's entries under key
std::vector<std::pair<Pid, Term>> lookup(const Term& registry, const Term& key);
// Calls f with the entries under key (if any), in the calling process.
void dispatch(const Term& registry, const Term& key,
              const std::function<void(const std::vector<std::pair<Pid, Term>>&)>& f);
std::vector<Term> keys(const Term& registry, Pid pid);  // keys pid is registered under

// The `via` protocol: whereis_name for a unique registry (nullopt if none).
std::optional<Pid> whereis_name(const Term& registry, const Term& key);

}  // namespace lockstep::registry
