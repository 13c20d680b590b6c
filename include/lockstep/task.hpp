// lockstep::task: Elixir's Task.async / await / await_many / yield, on the primitives: the
// task is a process linked to and monitored by its owner, replying `{tag, result}`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "lockstep/term.hpp"

namespace lockstep::task {

struct Task {
  Pid pid;
  Ref tag;      // the reply is {tag, result}
  Ref monitor;  // the owner's monitor on the task
  Pid owner;
};

// Runs f in a new process linked to the caller (a raise there takes the caller down too,
// unless it traps exits).
Task async(std::function<Term()> f);
// The task's result. Raises ErlangError (an exit) `{:timeout, {:task, :await, [pid,
// timeout]}}` if it takes longer (the task keeps running), or `{reason, {...}}` if the
// task exits first. Only the owner may await.
Term await(const Task& t, std::int64_t timeout_ms = 5000);
// The results in the order of `tasks`, all within one timeout.
std::vector<Term> await_many(const std::vector<Task>& tasks, std::int64_t timeout_ms = 5000);
// The result if the task replies within timeout, nullopt otherwise (it keeps running);
// a task that exited gives `{:exit, reason}`.
std::optional<Term> yield(const Task& t, std::int64_t timeout_ms = 5000);

}  // namespace lockstep::task
