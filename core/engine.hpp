// run_executions: drive a Strategy through executions on one Controller until it is done or
// a counterexample stops it; each counterexample is replayed with tracing on, which both
// yields its readable trace and checks that the scenario is deterministic.
#pragma once

#include <functional>

#include "core/strategy.hpp"
#include "lockstep/options.hpp"
#include "lockstep/result.hpp"

namespace lockstep::core {

Result run_executions(const std::function<void()>& root, Strategy& strategy, const Options& options);

}  // namespace lockstep::core
