// Name resolution for the OTP behaviours, on the local registry and lockstep::registry.
#include "model/server_names.hpp"

#include "lockstep/cluster.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/global.hpp"
#include "lockstep/names.hpp"
#include "lockstep/process.hpp"
#include "lockstep/registry.hpp"

namespace lockstep::model {

namespace {

enum class Form { pid, local, remote, global, via };

Form form_of(const Term& name) {
  if (name.is_pid()) return Form::pid;
  if (name.is_atom()) return Form::local;
  if (name.is_tuple() && name.size() == 3 && name[0].is_atom("via")) return Form::via;
  if (name.is_tuple() && name.size() == 2 && name[0].is_atom("global")) return Form::global;
  if (name.is_tuple() && name.size() == 2 && name[1].is_atom()) return Form::remote;
  throw BadArg("not a server name: " + name.to_string() +
               " (expected a pid, an atom, {name, node} or {:via, registry, key})");
}

}  // namespace

std::optional<Pid> resolve_server(const Term& name) {
  switch (form_of(name)) {
    case Form::pid: return name.as_pid();
    case Form::local: return whereis(name);
    case Form::remote: return cluster::whereis_on(name[1], name[0]);
    case Form::global: return global::whereis_name(name[1]);
    case Form::via: return registry::whereis_name(name[1], name[2]);
  }
  return std::nullopt;
}

std::optional<Pid> register_server(const Term& name, Pid self) {
  for (;;) {
    switch (form_of(name)) {
      case Form::local:
        if (register_name(name, self)) return std::nullopt;
        break;
      case Form::via:
        if (registry::register_key(name[1], name[2])) return std::nullopt;
        break;
      case Form::global:
        if (global::register_name(name[1], self)) return std::nullopt;
        break;
      default:
        throw BadArg("a server is registered under an atom, {:global, name} or {:via, registry, key}, not " +
                     name.to_string());
    }
    // Taken: report the holder (if it has just gone, try again).
    if (auto holder = resolve_server(name)) return holder;
  }
}

void send_to_server(const Term& name, Term msg) {
  switch (form_of(name)) {
    case Form::pid: send(name.as_pid(), std::move(msg)); return;
    case Form::local:
      try {
        send(name, std::move(msg));
      } catch (const BadArg&) {
        // unregistered: a cast is dropped, never an error
      }
      return;
    case Form::remote: send(name[0], name[1], std::move(msg)); return;
    case Form::global:
      if (auto pid = global::whereis_name(name[1])) send(*pid, std::move(msg));
      return;
    case Form::via:
      if (auto pid = registry::whereis_name(name[1], name[2])) send(*pid, std::move(msg));
      return;
  }
}

}  // namespace lockstep::model
