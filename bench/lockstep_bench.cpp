// lockstep-bench: throughput of the controller, next to the physical limit (a bare
// Boost.Context switch). Prints a table, or JSON with --json. Figures, not assertions.
#include <boost/context/fiber.hpp>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <lockstep/explore.hpp>
#include <lockstep/lockstep.hpp>

#include "bench/classic_benchmarks.hpp"
#include "bench/converging_benchmarks.hpp"

namespace ls = lockstep;
namespace ctx = boost::context;

namespace {

struct Row {
  std::string name;
  double seconds;
  std::uint64_t executions;
  std::uint64_t steps;
  std::uint64_t states = 0;   // state cache: states cached
  std::uint64_t lookups = 0;  // ... looked up, and how many of those hit
  std::uint64_t hits = 0;
  std::uint64_t blocked = 0;  // exhaustive: executions abandoned by sleep sets
  double hit_rate() const { return lookups ? 100.0 * static_cast<double>(hits) / static_cast<double>(lookups) : 0; }
};

// The process's peak resident set so far, in MiB (Linux reports ru_maxrss in KiB).
double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

// --only TEXT: run just the rows whose name contains TEXT; --only =NAME, just the row named
// NAME (for profiling one of them).
std::string g_only;
bool skipped(const std::string& label) {
  if (g_only.empty()) return false;
  if (g_only.front() == '=') return label != std::string_view(g_only).substr(1);
  return label.find(g_only) == std::string::npos;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Two processes bounce a message `rounds` times.
void ping_pong(int rounds) {
  ls::Pid me = ls::self();
  ls::Pid echo = ls::spawn([me, rounds] {
    for (int i = 0; i < rounds; ++i) ls::send(me, ls::receive());
  });
  for (int i = 0; i < rounds; ++i) {
    ls::send(echo, i);
    ls::receive();
  }
}

// The design's reference shape: 10 processes x 5 sync points each.
void ten_by_five() {
  ls::Pid me = ls::self();
  for (int p = 0; p < 9; ++p) {
    ls::spawn([me] {
      for (int i = 0; i < 4; ++i) ls::send(me, i);
    });
  }
  for (int i = 0; i < 36; ++i) ls::receive();
}

// A counter gen_server called by `clients` clients, `calls` times each.
struct Counter : ls::gen_server::Server {
  std::int64_t n = 0;
  ls::gen_server::Action handle_call(const ls::Term&, const ls::gen_server::From&) override {
    return ls::gen_server::Action::reply(++n);
  }
};
std::function<void()> gen_server_calls(int clients, int calls) {
  return [clients, calls] {
    ls::Pid server = ls::gen_server::start<Counter>().pid;
    ls::Pid me = ls::self();
    for (int c = 0; c < clients; ++c) {
      ls::spawn([server, me, calls] {
        for (int i = 0; i < calls; ++i) ls::gen_server::call(server, ls::atom("inc"));
        ls::send(me, ls::atom("done"));
      });
    }
    for (int c = 0; c < clients; ++c) ls::receive(ls::match(ls::atom("done")));
  };
}

// Two nodes each run a server; two clients (on the root's node) each ask one, with up to
// one injected fault.
void cluster_requests() {
  ls::Term a = ls::atom("a@host"), b = ls::atom("b@host");
  ls::cluster::add_node(a);
  ls::cluster::add_node(b);
  ls::Pid me = ls::self();
  auto server = [] {
    for (;;) {
      ls::Term req = ls::receive();
      ls::send(req.as_pid(), ls::atom("pong"));
    }
  };
  ls::Pid on_a = ls::spawn(server, {.node = a});
  ls::Pid on_b = ls::spawn(server, {.node = b});
  for (ls::Pid target : {on_a, on_b}) {
    ls::spawn([me, target] {
      ls::send(target, ls::self());
      ls::send(me, ls::receive(ls::match(ls::atom("pong")), 100) ? ls::atom("ok") : ls::atom("lost"));
    });
  }
  ls::receive();
  ls::receive();
}

ls::Options with_one_partition() {
  ls::Options o;
  o.faults.partition = true;
  o.faults.max = 1;
  return o;
}

// One worker unless `o` says otherwise, so that rows compare per-core throughput.
Row run_check(const std::string& name, std::function<void()> body, ls::StrategyKind kind,
              std::uint64_t iterations, ls::Options o = {}) {
  o.strategy = kind;
  o.iterations = iterations;
  o.seed = 1;
  if (o.workers == 0) o.workers = 1;
  if (skipped(name)) return {name, -1, 0, 0};
  double t0 = now_seconds();
  ls::Result r = ls::check(std::move(body), o);
  double t1 = now_seconds();
  if (!r.ok()) std::fprintf(stderr, "bench scenario %s failed: %s\n", name.c_str(), r.counterexample().message.c_str());
  return {name, t1 - t0, r.executions, r.steps};
}

Row run_explore(const std::string& name, std::function<void()> body, ls::DporMode mode,
                ls::Options o = {}) {
  o.dpor = mode;
  // No execution bound, as `lockstep-check --exhaustive` runs: under one the parallel engine
  // keeps a worker's own region for one execution only (docs/exploration.md, "Own regions").
  if (o.workers == 0) o.workers = 1;
  std::string label = name + ", " + std::string(ls::to_string(mode)) +
                      (o.state_cache ? o.state_cache_adaptive ? " + adaptive cache" : " + cache" : "");
  if (o.workers > 1) label += ", " + std::to_string(o.workers) + " workers";
  if (skipped(label)) return {label, -1, 0, 0};
  double t0 = now_seconds();
  ls::Result r = ls::explore(std::move(body), o);
  double t1 = now_seconds();
  if (!r.complete()) label += " (incomplete)";
  return {label, t1 - t0, r.executions, r.steps, r.states_cached, r.state_lookups, r.cache_hits, r.blocked};
}

// --repeat N: the "repeated" rows run N explorations each rather than for a time, so that
// their instruction counts under callgrind are the same from run to run.
std::uint64_t g_repeat = 0;

// A small exploration, run again and again for `seconds` (or g_repeat times): the
// per-execution cost of small sizes, where setting up one exploration would otherwise
// dominate the timing.
Row run_explore_repeated(const std::string& name, const std::function<void()>& body, ls::DporMode mode,
                         double seconds) {
  std::string label = name + ", " + std::string(ls::to_string(mode)) + ", repeated";
  if (skipped(label)) return {label, -1, 0, 0};
  ls::Options o;
  o.dpor = mode;
  o.workers = 1;
  Row row{label, 0, 0, 0};
  auto more = [&, runs = std::uint64_t{0}]() mutable { return g_repeat != 0 ? runs++ < g_repeat : row.seconds < seconds; };
  for (double t0 = now_seconds(); more(); row.seconds = now_seconds() - t0) {
    ls::Result r = ls::explore(body, o);
    row.executions += r.executions;
    row.steps += r.steps;
    row.blocked += r.blocked;
  }
  return row;
}

ls::Options cached(ls::Options o = {}) {
  o.state_cache = true;
  return o;
}

// What `lockstep-check --exhaustive` runs by default: the cache retires where it does not pay.
ls::Options adaptive(ls::Options o = {}) {
  o.state_cache = o.state_cache_adaptive = true;
  return o;
}

// A bare fiber round trip (switch in and back out), the floor under one controller step.
double bare_switch_ns(std::uint64_t rounds) {
  ctx::fiber f{[](ctx::fiber&& caller) {
    for (;;) caller = std::move(caller).resume();
    return std::move(caller);
  }};
  f = std::move(f).resume();
  double t0 = now_seconds();
  for (std::uint64_t i = 0; i < rounds; ++i) f = std::move(f).resume();
  double t1 = now_seconds();
  return (t1 - t0) * 1e9 / static_cast<double>(rounds);
}

// The ping-pong step over a bare round trip, measured `pairs` times with the two side by
// side (50 ping-pong executions, then 2 million round trips), sorted. On a noisy machine a
// ratio of two timings taken a minute apart (the rows) swings with whatever ran meanwhile.
std::vector<double> step_ratios(int pairs) {
  std::vector<double> ratios;
  for (int i = 0; i < pairs; ++i) {
    Row r = run_check("ping-pong 1000 rounds, first", [] { ping_pong(1000); }, ls::StrategyKind::first, 50);
    ratios.push_back(r.seconds * 1e9 / static_cast<double>(r.steps) / bare_switch_ns(2'000'000));
  }
  std::sort(ratios.begin(), ratios.end());
  return ratios;
}

}  // namespace

int main(int argc, char** argv) {
  double warmup = 1.5;
  bool json = false, large = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) json = true;
    else if (std::strcmp(argv[i], "--large") == 0) large = true;
    else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) g_only = argv[++i];
    else if (std::strcmp(argv[i], "--warmup") == 0 && i + 1 < argc) warmup = std::atof(argv[++i]);
    else if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc && std::atoll(argv[i + 1]) > 0) {
      g_repeat = static_cast<std::uint64_t>(std::atoll(argv[++i]));
    } else {
      std::fprintf(stderr,
                   "usage: lockstep-bench [--json] [--large] [--only TEXT | --only =NAME] [--warmup SECONDS] "
                   "[--repeat N]\n");
      return 2;
    }
  }
  // The core's clock ramps up under load over about a second (measured: the first second of
  // fiber switches ran at 100+ ns a round trip, then 7 ns): spin first so that the first
  // rows are not measured on a cold core. --warmup 0 skips it (for profiling one row).
  for (double t0 = now_seconds(); now_seconds() - t0 < warmup;) {
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<Row> rows;
  // Rows that run one benchmark on one worker and on every core: what it is, and the two rows.
  struct Pair {
    std::string name, one, all;
  };
  std::vector<Pair> pairs;
  rows.push_back(run_check("ping-pong 1000 rounds, first", [] { ping_pong(1000); }, ls::StrategyKind::first, 200));
  rows.push_back(run_check("ping-pong 1000 rounds, random", [] { ping_pong(1000); }, ls::StrategyKind::random, 200));
  rows.push_back(run_check("ping-pong 1000 rounds, pct", [] { ping_pong(1000); }, ls::StrategyKind::pct, 200));
  rows.push_back(run_check("10 procs x 5 sync points, random", ten_by_five, ls::StrategyKind::random, 100000));
  {
    ls::Options all_cores;
    all_cores.workers = cores;
    rows.push_back(run_check("10 procs x 5 sync points, random, " + std::to_string(all_cores.workers) + " workers",
                             ten_by_five, ls::StrategyKind::random, 100000, all_cores));
    pairs.push_back({"sampling, 10 procs x 5", rows[rows.size() - 2].name, rows.back().name});
  }
  for (auto mode : {ls::DporMode::none, ls::DporMode::source, ls::DporMode::optimal}) {
    int r = mode == ls::DporMode::none ? 4 : (large ? 14 : 10);
    int z = mode == ls::DporMode::none ? 3 : (large ? 11 : 8);
    rows.push_back(run_explore("readers(" + std::to_string(r) + ")", lockstep_classic::readers(r), mode));
    rows.push_back(run_explore("lastzero(" + std::to_string(z) + ")", lockstep_classic::lastzero(z), mode));
    if (mode != ls::DporMode::none) {
      int x = large ? 15 : 14;
      rows.push_back(run_explore("indexer(" + std::to_string(x) + ")", lockstep_classic::indexer(x), mode));
      int f = large ? 22 : 18;
      rows.push_back(run_explore("filesystem(" + std::to_string(f) + ")", lockstep_classic::filesystem(f), mode));
    }
    if (mode == ls::DporMode::optimal) {
      rows.push_back(run_explore("readers(" + std::to_string(r) + ")", lockstep_classic::readers(r), mode, adaptive()));
      rows.push_back(run_explore("lastzero(" + std::to_string(z) + ")", lockstep_classic::lastzero(z), mode, adaptive()));
      int x = large ? 15 : 14;
      rows.push_back(run_explore("indexer(" + std::to_string(x) + ")", lockstep_classic::indexer(x), mode, adaptive()));
    }
  }
  // The smallest sizes of the literature's tables (whose traces number 2 to 64).
  rows.push_back(run_explore_repeated("readers(2)", lockstep_classic::readers(2), ls::DporMode::optimal, 0.25));
  rows.push_back(run_explore_repeated("readers(6)", lockstep_classic::readers(6), ls::DporMode::optimal, 0.25));
  rows.push_back(run_explore_repeated("lastzero(3)", lockstep_classic::lastzero(3), ls::DporMode::optimal, 0.25));
  rows.push_back(run_explore_repeated("lastzero(5)", lockstep_classic::lastzero(5), ls::DporMode::optimal, 0.25));
  rows.push_back(run_explore_repeated("indexer(12)", lockstep_classic::indexer(12), ls::DporMode::optimal, 0.25));
  rows.push_back(run_explore_repeated("indexer(13)", lockstep_classic::indexer(13), ls::DporMode::optimal, 0.25));
  rows.push_back(run_explore_repeated("filesystem(14)", lockstep_classic::filesystem(14), ls::DporMode::optimal, 0.25));
  rows.push_back(run_explore_repeated("filesystem(16)", lockstep_classic::filesystem(16), ls::DporMode::optimal, 0.25));
  // The same executions without the explorer (the `first` strategy: no event records, no
  // race analysis, no tree): the controller's floor under the optimal rows above.
  rows.push_back(run_check("indexer(12), first", lockstep_classic::indexer(12), ls::StrategyKind::first, 20000));
  rows.push_back(run_check("filesystem(14), first", lockstep_classic::filesystem(14), ls::StrategyKind::first, 20000));
  {
    // Sizes that run long enough to compare 1 worker with every core (one shared tree).
    int r = large ? 16 : 14, z = large ? 13 : 11, x = large ? 16 : 15;
    std::vector<std::pair<std::string, std::function<void()>>> benchmarks = {
        {"readers(" + std::to_string(r) + ")", lockstep_classic::readers(r)},
        {"lastzero(" + std::to_string(z) + ")", lockstep_classic::lastzero(z)},
        {"indexer(" + std::to_string(x) + ")", lockstep_classic::indexer(x)}};
    std::size_t first_one_worker = rows.size();
    for (unsigned workers : {1u, cores}) {
      ls::Options o;
      o.workers = workers;
      std::string suffix = workers == 1 ? ", 1 worker" : "";
      for (std::size_t b = 0; b < benchmarks.size(); ++b) {
        rows.push_back(run_explore(benchmarks[b].first + suffix, benchmarks[b].second, ls::DporMode::optimal, o));
        if (workers != 1) {
          pairs.push_back({benchmarks[b].first + ", optimal", rows[first_one_worker + b].name, rows.back().name});
        }
      }
    }
    // The default of `lockstep-check --exhaustive` on every core: what a retired cache leaves.
    ls::Options o = adaptive();
    o.workers = cores;
    for (const auto& [name, body] : benchmarks) rows.push_back(run_explore(name, body, ls::DporMode::optimal, o));
  }
  for (auto mode : {ls::DporMode::source, ls::DporMode::optimal}) {
    rows.push_back(run_explore("gen_server 3 clients x 2 calls", gen_server_calls(3, 2), mode));
    rows.push_back(run_explore("gen_server 2 clients x 2 calls", gen_server_calls(2, 2), mode));
    rows.push_back(run_explore("cluster requests, 1 partition fault", cluster_requests, mode, with_one_partition()));
  }
  {
    // Where orders converge, the state cache (with wakeup trees, and with source sets)
    // against optimal DPOR alone; and what it costs where they do not (readers, lastzero).
    struct Converging {
      std::string name;
      std::function<void()> body;
      bool plain_row_above;  // its "…, optimal" row is in the table already
    };
    int n = large ? 7 : 6;
    for (const Converging& c : {Converging{"counter server, " + std::to_string(n) + " clients", lockstep_converging::counter_server(n), false},
                                Converging{"idempotent ETS writes, 4 writers x 2", lockstep_converging::idempotent_writes(4, 2), false},
                                Converging{"gen_server 3 clients x 2 calls", gen_server_calls(3, 2), true},
                                Converging{"readers(10)", lockstep_classic::readers(10), !large},
                                Converging{"lastzero(8)", lockstep_classic::lastzero(8), !large}}) {
      if (!c.plain_row_above) rows.push_back(run_explore(c.name, c.body, ls::DporMode::optimal));
      rows.push_back(run_explore(c.name, c.body, ls::DporMode::optimal, cached()));
      rows.push_back(run_explore(c.name, c.body, ls::DporMode::optimal, adaptive()));
      rows.push_back(run_explore(c.name, c.body, ls::DporMode::source, cached()));
    }
    ls::Options parallel = cached();
    parallel.workers = cores;
    rows.push_back(run_explore("counter server, " + std::to_string(n) + " clients", lockstep_converging::counter_server(n),
                               ls::DporMode::source, parallel));
  }
  rows.push_back(run_check("gen_server 3 clients x 2 calls, random", gen_server_calls(3, 2), ls::StrategyKind::random, 20000));
  rows.push_back(run_check("cluster requests, 1 partition fault, random", cluster_requests, ls::StrategyKind::random,
                           20000, with_one_partition()));
  double bare = skipped("bare Boost.Context round trip") ? 0 : bare_switch_ns(10'000'000);
  std::erase_if(rows, [](const Row& r) { return r.seconds < 0; });
  // The targets read off the rows: every core against one (executions/s), and the
  // controller's step against a bare switch.
  auto find_row = [&](const std::string& name) -> const Row* {
    for (const Row& r : rows) {
      if (r.name == name) return &r;
    }
    return nullptr;
  };
  struct Speedup {
    std::string name;
    double ratio;       // executions/s, the measure (redundant executions count too)
    double time_ratio;  // time to finish: what a user waits for
    double seconds;     // the one-worker row's
  };
  std::vector<Speedup> speedups;
  for (const Pair& p : pairs) {
    const Row* a = find_row(p.one);
    const Row* b = find_row(p.all);
    if (cores > 1 && a != nullptr && b != nullptr) {
      speedups.push_back({p.name, (b->executions / b->seconds) / (a->executions / a->seconds), a->seconds / b->seconds,
                          a->seconds});
    }
  }
  // The target's figure, from paired runs, whenever the ping-pong row ran (--only ping).
  std::vector<double> ratios =
      find_row("ping-pong 1000 rounds, first") != nullptr ? step_ratios(5) : std::vector<double>{};
  double step_ratio = ratios.empty() ? 0 : ratios[ratios.size() / 2];

  if (json) {
    std::printf("{\"bare_switch_round_trip_ns\": %.2f, \"peak_rss_mib\": %.1f, \"rows\": [", bare, peak_rss_mib());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      std::printf("%s{\"name\": \"%s\", \"seconds\": %.4f, \"executions\": %llu, \"steps\": %llu, "
                  "\"executions_per_s\": %.0f, \"steps_per_s\": %.0f, \"ns_per_step\": %.1f, "
                  "\"blocked\": %llu, \"states_cached\": %llu, \"cache_hit_rate_percent\": %.1f, \"cut\": %llu}",
                  i ? ", " : "", r.name.c_str(), r.seconds, (unsigned long long)r.executions,
                  (unsigned long long)r.steps, r.executions / r.seconds, r.steps / r.seconds,
                  r.seconds * 1e9 / r.steps, (unsigned long long)r.blocked, (unsigned long long)r.states, r.hit_rate(),
                  (unsigned long long)r.hits);
    }
    std::printf("], \"speedups\": [");
    for (std::size_t i = 0; i < speedups.size(); ++i) {
      std::printf("%s{\"name\": \"%s\", \"executions_per_s_ratio\": %.3f, \"time_ratio\": %.3f, "
                  "\"one_worker_seconds\": %.4f}",
                  i ? ", " : "", speedups[i].name.c_str(), speedups[i].ratio, speedups[i].time_ratio, speedups[i].seconds);
    }
    std::printf("], \"step_over_bare_switch\": %.2f, \"step_over_bare_switch_range\": [%.2f, %.2f]}\n",
                step_ratio, ratios.empty() ? 0 : ratios.front(), ratios.empty() ? 0 : ratios.back());  // 0: not measured (--only)
    return 0;
  }
  std::printf("%-52s %9s %11s %13s %13s %9s %8s %9s %6s %8s\n", "scenario", "seconds", "executions", "executions/s",
              "steps/s", "ns/step", "blocked", "states", "hit%", "cut");
  for (const Row& r : rows) {
    std::printf("%-52s %9.3f %11llu %13.0f %13.0f %9.1f %8llu", r.name.c_str(), r.seconds,
                (unsigned long long)r.executions, r.executions / r.seconds, r.steps / r.seconds,
                r.seconds * 1e9 / r.steps, (unsigned long long)r.blocked);
    if (r.lookups != 0) {
      std::printf(" %9llu %6.1f %8llu\n", (unsigned long long)r.states, r.hit_rate(), (unsigned long long)r.hits);
    } else {
      std::printf(" %9s %6s %8s\n", "-", "-", "-");
    }
  }
  if (bare > 0) std::printf("%-52s %9s %11s %13s %13s %9.1f\n", "bare Boost.Context round trip", "", "", "", "", bare);
  std::printf("blocked: executions sleep sets abandoned; states: visible states cached; hit%%: lookups that hit;\n"
              "cut: prefixes stopped at a visited state (not in executions)\n");
  std::printf("peak RSS of the whole run: %.1f MiB (steps/s is events/s: one event per step)\n", peak_rss_mib());
  if (step_ratio > 0) {
    std::printf("ping-pong step / bare round trip: %.1fx, the median of %zu paired runs (%.1f-%.1fx; target: at most 5x)\n",
                step_ratio, ratios.size(), ratios.front(), ratios.back());
  }
  for (const char* b : {"indexer(12)", "filesystem(14)"}) {
    const Row* floor = find_row(std::string(b) + ", first");
    const Row* dpor = find_row(std::string(b) + ", optimal, repeated");
    if (floor == nullptr || dpor == nullptr) continue;
    std::printf("%s: %.0f executions/s with optimal DPOR, %.0f/s run by `first` without the explorer (the "
                "controller's floor; target: 100,000/s with optimal DPOR)\n",
                b, dpor->executions / dpor->seconds, floor->executions / floor->seconds);
  }
  for (const Speedup& sp : speedups) {
    std::printf("every core against one, %s: %.2fx the executions/s, %.2fx as fast to finish (target: 1.8x the "
                "executions/s where one worker takes over a second; it took %.2f s)\n",
                sp.name.c_str(), sp.ratio, sp.time_ratio, sp.seconds);
  }
  return 0;
}
