// Result, Counterexample and Options: formatting, merging, validation.
#include <algorithm>
#include <cmath>

#include "core/workers.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/options.hpp"
#include "lockstep/result.hpp"

namespace lockstep {

std::string_view to_string(CounterexampleKind k) {
  switch (k) {
    case CounterexampleKind::assertion: return "assertion";
    case CounterexampleKind::deadlock: return "deadlock";
    case CounterexampleKind::crash: return "crash";
    case CounterexampleKind::step_bound: return "step bound";
    case CounterexampleKind::nondeterminism: return "nondeterminism";
  }
  return "?";
}

std::string Counterexample::signature() const {
  return std::string(to_string(kind)) + "|" + message + "|" + location;
}

std::string Counterexample::format_trace() const {
  std::string out;
  std::uint64_t last_step = ~0ULL;
  for (const TraceEvent& e : trace) {
    std::string step = e.step == last_step ? "" : std::to_string(e.step);
    last_step = e.step;
    std::string pid = e.pid ? e.pid.to_string() : std::string("timer");
    out += std::string(step.size() < 5 ? 5 - step.size() : 0, ' ') + step + "  " + pid +
           std::string(pid.size() < 14 ? 14 - pid.size() : 1, ' ') + e.text + "\n";
  }
  return out;
}

const Counterexample& Result::counterexample() const {
  if (counterexamples.empty()) throw UsageError("Result::counterexample() on a result with none");
  return counterexamples.front();
}

double Result::collision_probability() const {
  double n = static_cast<double>(states_cached), m = static_cast<double>(state_lookups);
  return m > n ? n * (m - n) / 18446744073709551616.0 : 0.0;
}

Result& Result::operator+=(const Result& other) {
  executions += other.executions;
  blocked += other.blocked;
  steps += other.steps;
  if (incomplete.empty()) incomplete = other.incomplete;
  max_depth = std::max(max_depth, other.max_depth);
  elapsed_seconds = std::max(elapsed_seconds, other.elapsed_seconds);
  for (const Counterexample& c : other.counterexamples) {
    bool seen = std::any_of(counterexamples.begin(), counterexamples.end(),
                            [&](const Counterexample& d) { return d.signature() == c.signature(); });
    if (!seen) counterexamples.push_back(c);
  }
  for (const Warning& w : other.warnings) {
    bool seen = std::any_of(warnings.begin(), warnings.end(),
                            [&](const Warning& v) { return v.message == w.message; });
    if (!seen) warnings.push_back(w);
  }
  return *this;
}

namespace {
constexpr std::pair<StrategyKind, std::string_view> kStrategyNames[] = {
    {StrategyKind::random, "random"}, {StrategyKind::pct, "pct"},
    {StrategyKind::fair_pct, "fair-pct"}, {StrategyKind::pos, "pos"},
    {StrategyKind::idpct, "idpct"},   {StrategyKind::first, "first"},
    {StrategyKind::replay, "replay"},
};
}  // namespace

std::string_view to_string(StrategyKind k) {
  for (const auto& [kind, name] : kStrategyNames) {
    if (kind == k) return name;
  }
  return "?";
}

std::optional<StrategyKind> parse_strategy(std::string_view name) {
  for (const auto& [kind, n] : kStrategyNames) {
    if (n == name) return kind;
  }
  return std::nullopt;
}

std::string_view to_string(DporMode m) {
  switch (m) {
    case DporMode::none: return "none";
    case DporMode::source: return "source";
    case DporMode::optimal: return "optimal";
  }
  return "?";
}

std::optional<DporMode> parse_dpor(std::string_view name) {
  for (DporMode m : {DporMode::none, DporMode::source, DporMode::optimal}) {
    if (to_string(m) == name) return m;
  }
  return std::nullopt;
}

unsigned Options::effective_workers() const { return workers != 0 ? workers : core::default_workers(); }

void Options::validate() const {
  if (iterations == 0) throw ConfigError("--iterations must be at least 1");
  if (pct_depth < 1) throw ConfigError("--pct-depth must be at least 1 (got " + std::to_string(pct_depth) + ")");
  if (pct_depth_min < 1 || pct_depth_max < pct_depth_min) {
    throw ConfigError("--pct-depth-range must be MIN..MAX with 1 <= MIN <= MAX (got " +
                      std::to_string(pct_depth_min) + ".." + std::to_string(pct_depth_max) + ")");
  }
  if (!(resample_prob >= 0.0 && resample_prob <= 1.0)) {
    throw ConfigError("--resample-prob must be between 0 and 1");
  }
  if (max_steps == 0) throw ConfigError("--max-steps must be at least 1");
  if (state_cache && max_memory != 0 && max_memory < (1u << 20)) {
    throw ConfigError("--max-memory must be at least 1M (got " + std::to_string(max_memory) +
                      " bytes); give a size such as 512M or 4G");
  }
  if (faults.any() && faults.max == 0) throw ConfigError("--max-faults must be at least 1 when --faults is given");
  if (fair_switch < -1) throw ConfigError("--fair-switch must be a step number >= 0");
  if (stack_size < 16 * 1024) throw ConfigError("stack size must be at least 16 KiB");
  if (strategy == StrategyKind::replay && !replay) {
    throw ConfigError("the replay strategy needs a schedule: pass --replay FILE");
  }
}

}  // namespace lockstep
