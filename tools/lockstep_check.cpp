// lockstep-check: load a scenario .so, explore it, print counterexamples with a schedule
// that replays them. Exit status: 0 no counterexample, 1 counterexample found, 2 usage or
// load error (see docs/cli.md).
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lockstep/explore.hpp"
#include "lockstep/isolation.hpp"
#include "lockstep/lockstep.hpp"

namespace ls = lockstep;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitCounterexample = 1;
constexpr int kExitUsage = 2;
constexpr int kExitIncomplete = 3;

const char* kUsage = R"(usage: lockstep-check SCENARIO.so [options]

Explore the scenario's interleavings and report every counterexample with a schedule
that replays it exactly.

  --list                   list the scenarios in SCENARIO.so and exit
  --scenario NAME          which scenario to check (needed when the .so holds several)
  --exhaustive             explore every behaviour, each once (optimal DPOR);
                           exit 3 if a bound stops it early
  --dpor MODE              exhaustive with none | source | optimal (default optimal)
  --max-executions N       exhaustive: stop after N executions (incomplete)
  --max-depth N            exhaustive: cut executions at N steps (incomplete)
  --state-cache            exhaustive: never explore a visible state twice, all run long
                           (source DPOR unless --dpor says otherwise; fewer executions
                           where orders converge; optimal DPOR cuts only race-free subtrees).
                           Without it, --exhaustive caches states until a window of 1024
                           executions in which the cache saved less than 4x what it ran
  --no-state-cache         exhaustive: explore statelessly
  --max-memory SIZE        bound on the state cache, e.g. 512M or 4G (default: half the
                           machine's memory); past it new states are not cached
  --strategy S             random | pct | fair-pct | pos | idpct | first   (default random)
  --iterations N           executions to sample (default 1000)
  --workers N              threads (default: every core); sampled runs give the same
                           result for every N, --exhaustive the same traces and bugs
  --seed S                 base seed; each iteration derives its own (default 0)
  --pct-depth D            PCT bug depth, D-1 priority change points (default 3)
  --pct-depth-range A..B   idpct: depths cycled over iterations (default 2..6)
  --fair-switch K          fair-pct: step where PCT gives way to random (default: half)
  --resample-prob P        pos: probability of redrawing priorities per step (default 0.5)
  --max-steps N            step bound; a longer execution is a livelock (default 100000)
  --fail-on-crash          an abnormal exit nobody links or monitors is a counterexample
  --faults LIST            let the strategy inject cluster faults: partition, defer, stop
                           (comma-separated; see docs/cluster.md)
  --max-faults K           partitions and stops per execution with --faults (default 1)
  --keep-going             collect every distinct counterexample instead of stopping
  --replay FILE            replay a schedule file written by an earlier run
  --schedule-out FILE      where to write the counterexample's schedule
                           (default lockstep-SCENARIO.schedule)
  --trace-out FILE         also write the counterexample's trace to FILE
  --stats                  print timing: elapsed seconds, executions and steps per second
  --quiet                  print only the result line and counterexample summaries
  --stack-size BYTES       stack of each scenario process (default 262144; a guard page
                           below it turns an overflow into a reported crash)
  --no-isolation           run the check in this process, not a supervised child (for a
                           debugger; a crashing scenario then takes the checker down)
  --json                   print the result as one JSON object instead of text
  --help                   this text
)";

struct UsageFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CliOptions {
  std::string library;
  std::string scenario;
  bool list = false;
  bool stats = false;
  bool quiet = false;
  bool exhaustive = false;
  bool isolate = true;  // run the check in a supervised child (crash isolation)
  bool json = false;
  bool dpor_given = false;  // --dpor named the mode (else --state-cache picks source)
  // --state-cache (on throughout) or --no-state-cache; neither: on and adaptive when exhaustive.
  std::optional<bool> cache_given;
  std::string replay_file;
  std::string schedule_out;
  std::string trace_out;
  ls::Options options;
};

template <typename T>
T parse_number(const std::string& flag, const std::string& text) {
  T value{};
  const char* begin = text.data();
  const char* end = begin + text.size();
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    begin += 2;
    base = 16;
  }
  auto [ptr, ec] = std::from_chars(begin, end, value, base);
  if (ec != std::errc() || ptr != end || text.empty()) {
    throw UsageFailure(flag + " expects a whole number, got '" + text + "'");
  }
  return value;
}

// A size in bytes, with an optional K, M or G suffix (powers of 1024).
std::uint64_t parse_size(const std::string& flag, const std::string& given) {
  std::string text = given;
  std::uint64_t scale = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K': case 'k': scale = 1ULL << 10; break;
      case 'M': case 'm': scale = 1ULL << 20; break;
      case 'G': case 'g': scale = 1ULL << 30; break;
      default: break;
    }
    if (scale != 1) text.pop_back();
  }
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty() || n > UINT64_MAX / scale) {
    throw UsageFailure(flag + " expects a size such as 512M or 4G, got '" + given + "'");
  }
  return n * scale;
}

double parse_double(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw UsageFailure(flag + " expects a number, got '" + text + "'");
}

CliOptions parse_args(int argc, char** argv) {
  CliOptions cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0) {
      if (auto eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_inline = true;
      }
    }
    auto need = [&]() -> std::string {
      if (has_inline) return value;
      if (i + 1 >= args.size()) throw UsageFailure(arg + " needs a value");
      return args[++i];
    };
    auto& o = cli.options;
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(kExitOk);
    } else if (arg == "--list") {
      cli.list = true;
    } else if (arg == "--scenario") {
      cli.scenario = need();
    } else if (arg == "--strategy") {
      std::string s = need();
      auto kind = ls::parse_strategy(s);
      if (!kind || *kind == ls::StrategyKind::replay) {
        throw UsageFailure("unknown strategy '" + s +
                           "'; choose one of random, pct, fair-pct, pos, idpct, first "
                           "(use --replay FILE to replay)");
      }
      o.strategy = *kind;
    } else if (arg == "--iterations") {
      o.iterations = parse_number<std::uint64_t>(arg, need());
    } else if (arg == "--workers") {
      o.workers = parse_number<unsigned>(arg, need());
    } else if (arg == "--seed") {
      o.seed = parse_number<std::uint64_t>(arg, need());
    } else if (arg == "--pct-depth") {
      o.pct_depth = parse_number<int>(arg, need());
    } else if (arg == "--pct-depth-range") {
      std::string r = need();
      auto dots = r.find("..");
      if (dots == std::string::npos) throw UsageFailure("--pct-depth-range expects MIN..MAX, got '" + r + "'");
      o.pct_depth_min = parse_number<int>(arg, r.substr(0, dots));
      o.pct_depth_max = parse_number<int>(arg, r.substr(dots + 2));
    } else if (arg == "--fair-switch") {
      o.fair_switch = parse_number<std::int64_t>(arg, need());
    } else if (arg == "--resample-prob") {
      o.resample_prob = parse_double(arg, need());
    } else if (arg == "--max-steps") {
      o.max_steps = parse_number<std::uint64_t>(arg, need());
    } else if (arg == "--fail-on-crash") {
      o.fail_on_crash = true;
    } else if (arg == "--faults") {
      std::string list = need();
      auto faults = ls::Faults::parse(list);
      if (!faults) throw UsageFailure("unknown fault in '" + list + "'; list some of partition, defer, stop");
      std::uint32_t max = o.faults.max;
      o.faults = *faults;
      o.faults.max = max;
    } else if (arg == "--max-faults") {
      o.faults.max = parse_number<std::uint32_t>(arg, need());
    } else if (arg == "--keep-going") {
      o.keep_going = true;
    } else if (arg == "--replay") {
      cli.replay_file = need();
    } else if (arg == "--schedule-out") {
      cli.schedule_out = need();
    } else if (arg == "--trace-out") {
      cli.trace_out = need();
    } else if (arg == "--stats") {
      cli.stats = true;
    } else if (arg == "--json") {
      cli.json = true;
    } else if (arg == "--quiet" || arg == "-q") {
      cli.quiet = true;
    } else if (arg == "--stack-size") {
      o.stack_size = parse_number<std::size_t>(arg, need());
    } else if (arg == "--no-isolation") {
      cli.isolate = false;
    } else if (arg == "--exhaustive") {
      cli.exhaustive = true;
    } else if (arg == "--dpor") {
      std::string m = need();
      auto mode = ls::parse_dpor(m);
      if (!mode) throw UsageFailure("unknown --dpor mode '" + m + "'; choose none, source or optimal");
      o.dpor = *mode;
      cli.dpor_given = true;
      cli.exhaustive = true;
    } else if (arg == "--max-executions") {
      o.max_executions = parse_number<std::uint64_t>(arg, need());
    } else if (arg == "--max-depth") {
      o.max_depth = parse_number<std::uint64_t>(arg, need());
    } else if (arg == "--state-cache" || arg == "--no-state-cache") {
      bool on = arg == "--state-cache";
      if (cli.cache_given && *cli.cache_given != on) {
        throw UsageFailure("--state-cache and --no-state-cache contradict each other: give one");
      }
      cli.cache_given = on;
      if (on) cli.exhaustive = true;
    } else if (arg == "--max-memory") {
      o.max_memory = parse_size(arg, need());
    } else if (arg.rfind("-", 0) == 0) {
      throw UsageFailure("unknown option '" + arg + "' (see lockstep-check --help)");
    } else if (cli.library.empty()) {
      cli.library = arg;
    } else {
      throw UsageFailure("unexpected argument '" + arg + "': give one scenario .so");
    }
  }
  if (cli.library.empty()) throw UsageFailure("missing SCENARIO.so (see lockstep-check --help)");
  // Exhaustive runs cache states by default, and the cache retires where it does not pay
  // (Options::state_cache_adaptive). Asked for, it stays on and picks source DPOR, which cuts
  // most, unless told otherwise (optimal DPOR cuts only where the prefix races with nothing:
  // docs/exploration.md).
  cli.options.state_cache = cli.exhaustive && cli.cache_given.value_or(true);
  cli.options.state_cache_adaptive = cli.options.state_cache && !cli.cache_given;
  if (cli.cache_given == true && !cli.dpor_given) cli.options.dpor = ls::DporMode::source;
  return cli;
}

// Loads the .so and returns the scenarios it registered.
std::vector<ls::ScenarioInfo> load_scenarios(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw ls::ConfigError("cannot open '" + path + "': no such file; build it first or check the path");
  }
  if (!S_ISREG(st.st_mode)) throw ls::ConfigError("'" + path + "' is not a regular file");
  std::set<std::string> before;
  for (const auto& s : ls::scenarios()) before.insert(s.name);
  // A path without a slash would make dlopen search the library path instead.
  std::string open_path = path.find('/') == std::string::npos ? "./" + path : path;
  void* handle = ::dlopen(open_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = ::dlerror();
    throw ls::ConfigError("'" + path + "' is not a loadable scenario library (" +
                          (err ? err : "unknown error") +
                          "); build it with -shared -fPIC and link it with -llockstep");
  }
  std::vector<ls::ScenarioInfo> found;
  for (const auto& s : ls::scenarios()) {
    if (!before.contains(s.name)) found.push_back(s);
  }
  if (found.empty()) {
    throw ls::ConfigError("'" + path + "' registers no scenarios: define one with "
                          "LOCKSTEP_SCENARIO(name) { ... } in a file built into it");
  }
  return found;  // the handle stays open for the life of the process
}

std::string names_of(const std::vector<ls::ScenarioInfo>& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

std::string shell_quote(const std::string& s) {
  if (s.find_first_of(" '\"\\$`") == std::string::npos) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string describe(const CliOptions& cli) {
  const auto& o = cli.options;
  if (o.strategy == ls::StrategyKind::replay) return "replaying " + cli.replay_file;
  std::string faults = o.faults.any() ? ", faults " + o.faults.to_string() + " (at most " +
                                            std::to_string(o.faults.max) + ")"
                                      : "";
  if (cli.exhaustive) {
    unsigned workers = o.effective_workers();
    std::string how = o.dpor == ls::DporMode::none ? "no DPOR" : std::string(ls::to_string(o.dpor)) + " DPOR";
    if (o.state_cache) how += o.state_cache_adaptive ? ", adaptive state cache" : ", state cache";
    if (workers > 1) how += ", " + std::to_string(workers) + " workers";
    return "exhaustive exploration (" + how + ")" + faults;
  }
  std::string s = std::string(ls::to_string(o.strategy)) + " strategy, " +
                  std::to_string(o.iterations) + " iteration" + (o.iterations == 1 ? "" : "s") +
                  ", seed " + std::to_string(o.seed);
  if (o.strategy == ls::StrategyKind::pct || o.strategy == ls::StrategyKind::fair_pct) {
    s += ", depth " + std::to_string(o.pct_depth);
  }
  return s + faults;
}

// Writes each counterexample's schedule (not when replaying); returns the paths.
std::vector<std::string> write_schedules(const CliOptions& cli, const ls::Result& r) {
  std::vector<std::string> paths;
  if (cli.options.strategy == ls::StrategyKind::replay) return paths;
  std::size_t total = r.counterexamples.size();
  for (std::size_t i = 0; i < total; ++i) {
    const ls::Counterexample& cx = r.counterexamples[i];
    std::string path = cli.schedule_out.empty() ? "lockstep-" + cx.schedule.scenario : cli.schedule_out;
    if (total > 1) path += "-" + std::to_string(i + 1);
    if (cli.schedule_out.empty()) path += ".schedule";
    cx.schedule.save(path);
    paths.push_back(path);
  }
  return paths;
}

void write_traces(const CliOptions& cli, const ls::Result& r) {
  if (cli.trace_out.empty()) return;
  std::size_t total = r.counterexamples.size();
  for (std::size_t i = 0; i < total; ++i) {
    const ls::Counterexample& cx = r.counterexamples[i];
    std::string path = total > 1 ? cli.trace_out + "." + std::to_string(i + 1) : cli.trace_out;
    std::ofstream f(path);
    f << cx.message << "\n" << cx.format_trace();
    if (!f) throw ls::ConfigError("cannot write trace file '" + path + "'");
  }
}

void print_counterexample(const CliOptions& cli, const std::string& argv0, const ls::Counterexample& cx,
                          std::size_t index, std::size_t total, const std::string& schedule_path) {
  bool replaying = cli.options.strategy == ls::StrategyKind::replay;
  std::cout << "\ncounterexample";
  if (total > 1) std::cout << " " << index + 1 << " of " << total;
  std::cout << " (" << ls::to_string(cx.kind) << ")";
  if (!replaying) {
    std::cout << " in iteration " << cx.iteration;
    if (cx.seed != 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(cx.seed));
      std::cout << " (iteration seed 0x" << buf << ")";
    }
  }
  std::cout << ":\n  " << cx.message << "\n";
  if (!cx.location.empty()) std::cout << "  at " << cx.location << "\n";
  if (!cli.quiet && !cx.trace.empty()) std::cout << "\ntrace:\n" << cx.format_trace();
  if (!cli.quiet && cx.trace.empty() && cx.kind == ls::CounterexampleKind::crash) {
    std::cout << "\n(no trace: the checker's process died with the scenario; replay the schedule "
                 "with --no-isolation under a debugger to see where)\n";
  }
  if (replaying) return;
  std::cout << "\nschedule written to " << schedule_path << "\nreplay it with:\n  " << argv0 << " "
            << shell_quote(cli.library) << " --scenario " << cx.schedule.scenario << " --replay "
            << shell_quote(schedule_path) << "\n";
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

void print_json(const CliOptions& cli, const ls::ScenarioInfo& info, const ls::Result& r,
                const std::vector<std::string>& schedules) {
  std::ostream& o = std::cout;
  // A run that measured no time (a crash report) has no rate.
  double rate = r.elapsed_seconds > 0 ? static_cast<double>(r.executions) / r.elapsed_seconds : 0;
  o << "{\"scenario\": " << json_string(info.name) << ", \"library\": " << json_string(cli.library)
    << ", \"mode\": " << json_string(describe(cli)) << ", \"ok\": " << (r.ok() ? "true" : "false")
    << ", \"complete\": " << (r.complete() ? "true" : "false")
    << ", \"incomplete\": " << json_string(r.incomplete) << ", \"executions\": " << r.executions
    << ", \"blocked\": " << r.blocked << ", \"steps\": " << r.steps << ", \"max_depth\": " << r.max_depth
    << ", \"elapsed_seconds\": " << r.elapsed_seconds << ", \"executions_per_second\": " << rate
    << ", \"peak_tree_nodes\": " << r.peak_nodes << ", \"states_cached\": " << r.states_cached
    << ", \"state_lookups\": " << r.state_lookups << ", \"cache_hits\": " << r.cache_hits
    << ", \"cache_bytes\": " << r.cache_bytes << ", \"cache_full\": " << (r.cache_full ? "true" : "false")
    << ", \"cache_saved\": " << r.cache_saved << ", \"cache_retired_after\": " << r.cache_retired_after
    << ", \"collision_probability\": " << r.collision_probability() << ", \"counterexamples\": [";
  for (std::size_t i = 0; i < r.counterexamples.size(); ++i) {
    const ls::Counterexample& cx = r.counterexamples[i];
    o << (i ? ", " : "") << "{\"kind\": " << json_string(ls::to_string(cx.kind))
      << ", \"message\": " << json_string(cx.message) << ", \"location\": " << json_string(cx.location)
      << ", \"iteration\": " << cx.iteration << ", \"seed\": " << cx.seed
      << ", \"schedule_file\": " << json_string(i < schedules.size() ? schedules[i] : "") << ", \"trace\": [";
    for (std::size_t k = 0; k < cx.trace.size(); ++k) {
      const ls::TraceEvent& e = cx.trace[k];
      o << (k ? ", " : "") << "{\"step\": " << e.step << ", \"pid\": " << json_string(e.pid ? e.pid.to_string() : "timer")
        << ", \"event\": " << json_string(e.text) << "}";
    }
    o << "]}";
  }
  o << "], \"warnings\": [";
  for (std::size_t i = 0; i < r.warnings.size(); ++i) {
    o << (i ? ", " : "") << json_string(r.warnings[i].message);
  }
  o << "]}\n";
}

// Runs f, turning the errors a user can fix into a message and the usage exit status.
template <typename F>
int with_errors_reported(F&& f) {
  try {
    return f();
  } catch (const UsageFailure& e) {
    std::cerr << "lockstep-check: " << e.what() << "\n";
  } catch (const ls::ConfigError& e) {
    std::cerr << "lockstep-check: " << e.what() << "\n";
  } catch (const ls::UsageError& e) {
    std::cerr << "lockstep-check: usage error in the scenario: " << e.what() << "\n";
  }
  return kExitUsage;
}

int report(const CliOptions& cli, const ls::ScenarioInfo& info, const ls::Result& r, const std::string& argv0);

int run(int argc, char** argv) {
  CliOptions cli = parse_args(argc, argv);
  auto found = load_scenarios(cli.library);
  if (cli.list) {
    for (const auto& s : found) std::cout << s.name << "\n";
    return kExitOk;
  }
  std::optional<ls::Schedule> schedule;
  if (!cli.replay_file.empty()) {
    schedule = ls::Schedule::load(cli.replay_file);
    if (cli.scenario.empty()) cli.scenario = schedule->scenario;
    if (schedule->scenario != cli.scenario) {
      throw ls::ConfigError("schedule file '" + cli.replay_file + "' belongs to scenario '" +
                            schedule->scenario + "', not '" + cli.scenario +
                            "'; pass the matching --scenario or schedule");
    }
    cli.options.strategy = ls::StrategyKind::replay;
    cli.options.replay = schedule;
  }
  if (cli.scenario.empty()) {
    if (found.size() > 1) {
      throw ls::ConfigError("'" + cli.library + "' holds " + std::to_string(found.size()) +
                            " scenarios (" + names_of(found) + "): choose one with --scenario NAME");
    }
    cli.scenario = found.front().name;
  }
  const ls::ScenarioInfo* info = nullptr;
  for (const auto& s : found) {
    if (s.name == cli.scenario) info = &s;
  }
  if (info == nullptr) {
    throw ls::ConfigError("no scenario '" + cli.scenario + "' in '" + cli.library +
                          "'; it holds: " + names_of(found));
  }
  cli.options.scenario_name = info->name;
  cli.options.validate();

  if (!cli.json) {
    std::cout << "lockstep: checking " << info->name << " (" << cli.library << ") with "
              << describe(cli) << "\n";
    std::cout.flush();
  }
  if (cli.exhaustive && cli.options.strategy == ls::StrategyKind::replay) cli.exhaustive = false;
  if (cli.exhaustive) cli.options.progress_every = 256;
  std::string argv0 = argv[0];
  // The check itself, then its report; run in a supervised child unless --no-isolation.
  auto check_and_report = [&]() -> int { return with_errors_reported([&]() -> int {
    // Progress on long runs: a line redrawn on stderr at most once a second, only on a
    // terminal (so piped and CI output stays byte-for-byte reproducible).
    bool drew_progress = false;
    if (::isatty(STDERR_FILENO) && !cli.quiet) {
      auto start = std::chrono::steady_clock::now();
      auto last = start;
      std::uint64_t total = cli.exhaustive ? 0 : cli.options.iterations;
      cli.options.progress = [&, start, total](std::uint64_t done) mutable {
        auto t = std::chrono::steady_clock::now();
        if (t - last < std::chrono::seconds(1)) return;
        last = t;
        double secs = std::chrono::duration<double>(t - start).count();
        if (total != 0) {
          std::fprintf(stderr, "\r  %llu / %llu executions, %.0f/s ", static_cast<unsigned long long>(done),
                       static_cast<unsigned long long>(total), done / secs);
        } else {
          std::fprintf(stderr, "\r  %llu executions, %.0f/s ", static_cast<unsigned long long>(done), done / secs);
        }
        drew_progress = true;
      };
    }
    ls::Result r = cli.exhaustive ? ls::explore(info->body, cli.options) : ls::check(info->body, cli.options);
    if (drew_progress) std::fprintf(stderr, "\r%60s\r", "");
    return report(cli, *info, r, argv0);
  }); };
  if (!cli.isolate) return check_and_report();
  ls::IsolatedRun isolated = ls::run_isolated(check_and_report);
  if (!isolated.crashed) return isolated.exit_status;
  // The scenario took the child down: report it like any counterexample, with the schedule
  // of the execution that crashed (its replay crashes again, in a child of its own).
  ls::Result r;
  r.executions = isolated.executions_before;
  ls::Counterexample cx = std::move(isolated.crash);
  const auto& replayed = cli.options.replay;
  cx.schedule.scenario = info->name;
  cx.schedule.max_steps = replayed && replayed->max_steps != 0 ? replayed->max_steps : cli.options.max_steps;
  cx.schedule.faults = replayed ? replayed->faults : cli.options.faults;
  r.counterexamples.push_back(std::move(cx));
  return report(cli, *info, r, argv0);
}

int report(const CliOptions& cli, const ls::ScenarioInfo& info, const ls::Result& r, const std::string& argv0) {
  std::vector<std::string> schedules = write_schedules(cli, r);
  write_traces(cli, r);
  auto exit_status = [&] {
    if (!r.ok()) return kExitCounterexample;
    return r.incomplete.empty() ? kExitOk : kExitIncomplete;
  };
  if (cli.json) {
    print_json(cli, info, r, schedules);
    return exit_status();
  }
  for (std::size_t i = 0; i < r.counterexamples.size(); ++i) {
    print_counterexample(cli, argv0, r.counterexamples[i], i, r.counterexamples.size(),
                         i < schedules.size() ? schedules[i] : std::string());
  }
  if (!r.warnings.empty()) {
    std::cout << "\nwarnings (" << r.warnings.size() << " distinct; --fail-on-crash makes them counterexamples):\n";
    for (const auto& w : r.warnings) {
      std::cout << "  iteration " << w.iteration << ": " << w.message << "\n";
    }
  }
  std::cout << "\nresult: ";
  if (r.ok()) {
    std::cout << "0 counterexamples";
  } else {
    std::cout << r.counterexamples.size() << " counterexample" << (r.counterexamples.size() == 1 ? "" : "s");
  }
  std::cout << " in " << r.executions << " execution" << (r.executions == 1 ? "" : "s") << " ("
            << r.steps << " steps";
  if (cli.exhaustive) std::cout << ", " << r.blocked << " blocked by sleep sets";
  if (cli.options.state_cache) std::cout << ", " << r.cache_hits << " cut at visited states";
  std::cout << ")\n";
  if (!r.incomplete.empty()) std::cout << "incomplete: " << r.incomplete << "\n";
  if (cli.exhaustive) {
    double secs = r.elapsed_seconds > 0 ? r.elapsed_seconds : 1e-9;
    std::printf("statistics: %llu executions, %llu blocked, %llu events, max depth %llu, "
                "%.3f s, %.0f executions/s, peak tree %llu nodes\n",
                static_cast<unsigned long long>(r.executions), static_cast<unsigned long long>(r.blocked),
                static_cast<unsigned long long>(r.steps), static_cast<unsigned long long>(r.max_depth),
                r.elapsed_seconds, r.executions / secs, static_cast<unsigned long long>(r.peak_nodes));
    if (cli.options.state_cache) {
      double rate = r.state_lookups ? 100.0 * static_cast<double>(r.cache_hits) / static_cast<double>(r.state_lookups) : 0;
      std::printf("state cache: %llu states (%.1f MiB), %llu hits in %llu lookups (%.1f%%), "
                  "fingerprint collision probability %.1e\n",
                  static_cast<unsigned long long>(r.states_cached), static_cast<double>(r.cache_bytes) / (1 << 20),
                  static_cast<unsigned long long>(r.cache_hits), static_cast<unsigned long long>(r.state_lookups),
                  rate, r.collision_probability());
      if (r.cache_retired_after != 0) {
        std::printf("state cache retired after %llu executions: it saved %llu executions' work, less than 4x what "
                    "it ran (--state-cache keeps it on)\n",
                    static_cast<unsigned long long>(r.cache_retired_after),
                    static_cast<unsigned long long>(r.cache_saved));
      }
      if (r.cache_full) {
        std::printf("state cache full (--max-memory): later states were explored without caching; "
                    "raise --max-memory to cache more\n");
      }
    }
  }
  if (cli.stats) {
    double secs = r.elapsed_seconds > 0 ? r.elapsed_seconds : 1e-9;
    std::printf("stats: %.3f s, %.0f executions/s, %.0f steps/s, longest execution %llu steps\n",
                r.elapsed_seconds, r.executions / secs, r.steps / secs,
                static_cast<unsigned long long>(r.max_depth));
  }
  return exit_status();
}

}  // namespace

int main(int argc, char** argv) {
  return with_errors_reported([&] { return run(argc, argv); });
}
