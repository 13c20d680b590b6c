// run_executions: drive a Strategy through executions on one Controller until it is done or
// a counterexample stops it; each counterexample is replayed with tracing on, which both
// yields its readable trace and checks that the scenario is deterministic. run_sampling:
// the same for a sampling strategy's iterations, spread over worker threads.
#pragma once

#include <functional>

#include "core/strategy.hpp"
#include "lockstep/options.hpp"
#include "lockstep/result.hpp"

namespace lockstep::core {

// `stop_requested`, if given, is asked before each execution (another worker found a bug
// that makes the rest of this run irrelevant).
Result run_executions(const std::function<void()>& root, Strategy& strategy, const Options& options,
                      const std::function<bool()>& stop_requested = {});

// The sampling strategies' run: options.iterations executions in fixed chunks, on
// options.workers threads (a TBB arena); the merged result is the one a single worker gives.
Result run_sampling(const std::function<void()>& root, const Options& options);

}  // namespace lockstep::core
