// Tasks on the primitives: spawn_link + monitor, a tagged reply, selective receive.
#include "lockstep/task.hpp"

#include <algorithm>

#include "lockstep/errors.hpp"
#include "lockstep/exits.hpp"
#include "lockstep/process.hpp"
#include "model/receive_within.hpp"

namespace lockstep::task {

namespace {

bool is_reply(const Task& t, const Term& msg) {
  return msg.is_tuple() && msg.size() == 2 && msg[0] == Term(t.tag);
}
bool is_down(const Task& t, const Term& msg) {
  return msg.is_tuple() && msg.size() == 5 && msg[0].is_atom("DOWN") && msg[1] == Term(t.monitor);
}

void check_owner(const Task& t, const char* op) {
  if (!(t.owner == self())) {
    throw UsageError(std::string("task::") + op + ": only the owner " + t.owner.to_string() +
                     " of task " + t.pid.to_string() + " may await it");
  }
}

Term mfa(const char* op, const Term& tasks, std::int64_t timeout_ms) {
  return tuple(atom("task"), atom(op), list({tasks, timeout_ms}));
}

}  // namespace

Task async(std::function<Term()> f) {
  Pid owner = self();
  Ref tag = make_ref();
  Pid pid = spawn_link([f = std::move(f), owner, tag] { send(owner, tuple(tag, f())); });
  Ref m = monitor(pid);
  return Task{pid, tag, m, owner};
}

std::optional<Term> yield(const Task& t, std::int64_t timeout_ms) {
  check_owner(t, "yield");
  auto got = model::receive_within(
      Matcher([&](const Term& msg) { return is_reply(t, msg) || is_down(t, msg); },
              "the result of task " + t.pid.to_string()),
      timeout_ms);
  if (!got) return std::nullopt;
  if (is_down(t, *got)) return tuple(atom("exit"), (*got)[4]);
  demonitor(t.monitor, true);
  return (*got)[1];
}

Term await(const Task& t, std::int64_t timeout_ms) {
  check_owner(t, "await");
  auto got = yield(t, timeout_ms);
  if (!got) {
    demonitor(t.monitor, true);
    throw ErlangError(tuple(atom("timeout"), mfa("await", Term(t.pid), timeout_ms)));
  }
  if (got->is_tuple() && got->size() == 2 && (*got)[0].is_atom("exit")) {
    throw ErlangError(tuple((*got)[1], mfa("await", Term(t.pid), timeout_ms)));
  }
  return *got;
}

std::vector<Term> await_many(const std::vector<Task>& tasks, std::int64_t timeout_ms) {
  for (const Task& t : tasks) check_owner(t, "await_many");
  std::vector<std::optional<Term>> results(tasks.size());
  std::size_t left = tasks.size();
  std::int64_t deadline = timeout_ms < 0 ? 0 : now() + timeout_ms;
  auto pids = [&] {
    std::vector<Term> all;
    for (const Task& t : tasks) all.emplace_back(t.pid);
    return list(std::move(all));
  };
  while (left > 0) {
    auto which = [&](const Term& msg) -> std::size_t {
      for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (!results[i] && (is_reply(tasks[i], msg) || is_down(tasks[i], msg))) return i;
      }
      return tasks.size();
    };
    auto got = model::receive_within(
        Matcher([&](const Term& msg) { return which(msg) < tasks.size(); },
                "the results of tasks " + pids().to_string()),
        timeout_ms < 0 ? timeout_ms : std::max<std::int64_t>(0, deadline - now()));
    if (!got) {
      for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (!results[i]) demonitor(tasks[i].monitor, true);
      }
      throw ErlangError(tuple(atom("timeout"), mfa("await_many", pids(), timeout_ms)));
    }
    std::size_t i = which(*got);
    if (is_down(tasks[i], *got)) throw ErlangError(tuple((*got)[4], mfa("await_many", pids(), timeout_ms)));
    demonitor(tasks[i].monitor, true);
    results[i] = (*got)[1];
    --left;
  }
  std::vector<Term> out;
  out.reserve(results.size());
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

}  // namespace lockstep::task
