// lockstep-check end to end: exit statuses, reports, replay, and every bad-input case.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support.hpp"

namespace {

const std::string kBuild = LOCKSTEP_BUILD_DIR;
const std::string kCli = kBuild + "/lockstep-check";

std::string example(const std::string& name) { return kBuild + "/examples/" + name + ".so"; }
std::string fixture(const std::string& name) { return kBuild + "/tests/fixtures/" + name + ".so"; }

// A fresh scratch directory per test, so that schedule files never collide under ctest -j.
struct Scratch {
  std::string dir;
  Scratch() {
    char tmpl[] = "/tmp/lockstep-cli-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~Scratch() { std::system(("rm -rf '" + dir + "'").c_str()); }
  std::string path(const std::string& name) const { return dir + "/" + name; }
};

struct Run {
  int status;
  std::string output;  // stdout and stderr together
};

Run run(const std::string& args, const std::string& cwd) {
  std::string cmd = "cd '" + cwd + "' && '" + kCli + "' " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  int raw = ::pclose(pipe);
  // Drop the sanitizer's own notices (`==PID==WARNING: ...` in the ASan build): not ours.
  std::string kept;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("==", 0) != 0) kept += line + "\n";
  }
  if (!out.empty() && out.back() != '\n' && !kept.empty()) kept.pop_back();
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, kept};
}

// Runs the CLI, requires its exit status and that its output says `says`.
Run require_run(const std::string& args, const std::string& cwd, int status, const std::string& says) {
  Run r = run(args, cwd);
  INFO(args << "\n" << r.output);
  REQUIRE(r.status == status);
  REQUIRE_THAT(r.output, Catch::Contains(says));
  return r;
}

std::string section(const std::string& text, const std::string& from, const std::string& to) {
  auto a = text.find(from);
  if (a == std::string::npos) return {};
  auto b = text.find(to, a + from.size());
  return text.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

// The schedule a run of `name` wrote replays, failing again, to the very same trace.
void require_replay_matches(const std::string& name, const Run& found, const std::string& dir) {
  auto replayed = run(example(name) + " --replay lockstep-" + name + ".schedule", dir);
  INFO(replayed.output);
  REQUIRE(replayed.status == 1);
  REQUIRE(section(replayed.output, "trace:", "\nresult:") == section(found.output, "trace:", "\nschedule written"));
}

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("lost_update is found, written as a schedule, and replays to the same trace", "[cli]") {
  Scratch s;
  auto found = require_run(example("lost_update") + " --strategy random --iterations 1000 --seed 1",
                           s.dir, 1, "counterexample (assertion)");
  REQUIRE_THAT(found.output, Catch::Contains("assertion failed: both increments are counted"));
  REQUIRE_THAT(found.output, Catch::Contains("examples/lost_update.cpp:"));
  REQUIRE_THAT(found.output, Catch::Contains("#PID<0.2.0>  "));
  REQUIRE_THAT(found.output, Catch::Contains("schedule written to lockstep-lost_update.schedule"));
  REQUIRE_FALSE(section(found.output, "trace:", "\nschedule written").empty());
  require_replay_matches("lost_update", found, s.dir);

  auto again = run(example("lost_update") + " --strategy random --iterations 1000 --seed 1", s.dir);
  REQUIRE(again.output == found.output);  // byte-identical output for the same command
}

TEST_CASE("the buggy examples are found and bank_ok passes", "[cli]") {
  Scratch s;
  for (const char* buggy : {"register_race", "call_deadlock"}) {
    auto r = run(example(buggy) + " --strategy random --iterations 1000 --seed 1", s.dir);
    INFO(buggy << "\n" << r.output);
    REQUIRE(r.status == 1);
  }
  auto dead = run(example("call_deadlock") + " --seed 1 --quiet", s.dir);
  REQUIRE_THAT(dead.output, Catch::Contains("counterexample (deadlock)"));
  require_run(example("bank_ok") + " --strategy pct --iterations 500 --seed 1", s.dir, 0,
              "result: 0 counterexamples in 500 executions");
}

TEST_CASE("the shared-state, OTP and cluster examples behave as documented", "[cli][model]") {
  Scratch s;
  struct Expect {
    const char* name;
    int status;
    const char* message;
  };
  for (const Expect& e : {Expect{"ets_cache_race", 1, "the report is computed once"},
                          Expect{"genserver_timeout", 1, "the answer after a timeout is the backup's"},
                          Expect{"supervisor_restart", 1, "the cache pid looked up earlier still answers"},
                          Expect{"atomic_counter_ok", 0, "result: 0 counterexamples"},
                          Expect{"split_brain", 1, "exactly one leader after the heal"},
                          Expect{"deferred_duplicate", 1, "operation 1 is applied once"},
                          Expect{"global_register_ok", 0, "result: 0 counterexamples"}}) {
    for (const char* how : {" --strategy random --iterations 2000 --seed 1", " --exhaustive"}) {
      auto r = run(example(e.name) + how, s.dir);
      INFO(e.name << how << "\n" << r.output);
      REQUIRE(r.status == e.status);
      REQUIRE_THAT(r.output, Catch::Contains(e.message));
    }
  }
}

TEST_CASE("split_brain without a scripted partition is found by injected faults only", "[cli][cluster]") {
  Scratch s;
  auto quiet = run(example("split_brain_unscripted") + " --strategy random --iterations 2000 --seed 1", s.dir);
  INFO(quiet.output);
  REQUIRE(quiet.status == 0);
  for (const char* how : {" --strategy random --iterations 2000 --seed 1", " --exhaustive"}) {
    auto found =
        require_run(example("split_brain_unscripted") + how + " --faults partition --max-faults 1",
                    s.dir, 1, "fault: partition");
    REQUIRE_THAT(found.output, Catch::Contains("at most one leader"));
    require_replay_matches("split_brain_unscripted", found, s.dir);
  }
  require_run(example("split_brain_unscripted") + " --faults flood", s.dir, 2,
              "unknown fault in 'flood'");
}

TEST_CASE("a library with several scenarios needs --scenario and lists them", "[cli]") {
  Scratch s;
  auto list = run(fixture("two_scenarios") + " --list", s.dir);
  REQUIRE(list.status == 0);
  REQUIRE(list.output == "fixture_fail\nfixture_pass\n");
  require_run(fixture("two_scenarios"), s.dir, 2, "choose one with --scenario NAME");
  REQUIRE(run(fixture("two_scenarios") + " --scenario fixture_pass --iterations 20", s.dir).status == 0);
  REQUIRE(run(fixture("two_scenarios") + " --scenario fixture_fail --iterations 200", s.dir).status == 1);
  auto unknown =
      require_run(fixture("two_scenarios") + " --scenario nope", s.dir, 2, "no scenario 'nope'");
  REQUIRE_THAT(unknown.output, Catch::Contains("fixture_fail, fixture_pass"));
}

TEST_CASE("bad libraries are load errors with exit status 2", "[cli]") {
  Scratch s;
  require_run(s.path("absent.so"), s.dir, 2, "no such file");

  std::ofstream(s.path("text.so")) << "this is not an ELF file\n";
  require_run(s.path("text.so"), s.dir, 2, "is not a loadable scenario library");

  require_run(fixture("no_scenarios"), s.dir, 2, "registers no scenarios");

  auto dir = run(s.dir, s.dir);
  REQUIRE(dir.status == 2);
}

TEST_CASE("bad flags and values are usage errors with exit status 2", "[cli]") {
  Scratch s;
  std::string lib = example("bank_ok");
  struct Case {
    std::string args, expect;
  };
  for (const Case& c : std::vector<Case>{
           {"--frobnicate", "unknown option '--frobnicate'"},
           {"--iterations abc", "--iterations expects a whole number, got 'abc'"},
           {"--iterations", "--iterations needs a value"},
           {"--iterations 0", "--iterations must be at least 1"},
           {"--strategy chaos", "unknown strategy 'chaos'"},
           {"--pct-depth-range 5", "expects MIN..MAX"},
           {"--resample-prob 2", "--resample-prob must be between 0 and 1"},
           {"--dpor fast", "unknown --dpor mode 'fast'"},
           {"--state-cache --max-memory lots", "--max-memory expects a size such as 512M or 4G, got 'lots'"},
           {"--state-cache --max-memory 12K", "--max-memory must be at least 1M"},
           {"extra.so", "unexpected argument 'extra.so'"},
       }) {
    auto r = run(lib + " " + c.args, s.dir);
    INFO(c.args << "\n" << r.output);
    REQUIRE(r.status == 2);
    REQUIRE_THAT(r.output, Catch::Contains(c.expect));
  }
  require_run("", s.dir, 2, "missing SCENARIO.so");
  require_run("--help", s.dir, 0, "usage: lockstep-check");
}

TEST_CASE("bad replay files are rejected with exit status 2", "[cli]") {
  Scratch s;
  REQUIRE(run(example("lost_update") + " --seed 1 --quiet", s.dir).status == 1);
  std::string good = read(s.path("lockstep-lost_update.schedule"));
  REQUIRE_FALSE(good.empty());

  std::string corrupt = good;
  corrupt[corrupt.find("\nsteps\n") + 7] = corrupt[corrupt.find("\nsteps\n") + 7] == '1' ? '2' : '1';
  std::ofstream(s.path("corrupt.schedule")) << corrupt;
  require_run(example("lost_update") + " --replay corrupt.schedule", s.dir, 2,
              "corrupt schedule file");

  std::ofstream(s.path("junk.schedule")) << "hello\n";
  require_run(example("lost_update") + " --replay junk.schedule", s.dir, 2,
              "not a lockstep schedule file");

  require_run(example("bank_ok") + " --replay lockstep-lost_update.schedule", s.dir, 2,
              "no scenario 'lost_update'");

  require_run(
      fixture("two_scenarios") + " --scenario fixture_pass --replay lockstep-lost_update.schedule",
      s.dir, 2, "belongs to scenario 'lost_update'");

  require_run(example("lost_update") + " --replay nothing.schedule", s.dir, 2,
              "cannot read schedule file");
}

TEST_CASE("a scenario built outside the tree with one g++ command loads and runs", "[cli]") {
  Scratch s;
  std::ofstream(s.path("my.cpp")) << R"(
#include <lockstep/lockstep.hpp>
namespace ls = lockstep;
LOCKSTEP_SCENARIO(outside) {
  ls::Pid me = ls::self();
  ls::spawn([me] { ls::send(me, ls::atom("ping")); });
  LOCKSTEP_ASSERT(ls::receive() == ls::atom("ping"));
}
)";
  std::string compile = std::string("cd '") + s.dir + "' && " + LOCKSTEP_CXX +
                        " -std=c++20 -shared -fPIC -I" + LOCKSTEP_SOURCE_DIR + "/include my.cpp -L" +
                        kBuild + " -llockstep -o my.so 2>&1";
  REQUIRE(std::system(compile.c_str()) == 0);
  require_run("my.so --iterations 50", s.dir, 0, "checking outside");
}

TEST_CASE("the trace-out option writes the trace and the stats option prints throughput", "[cli]") {
  Scratch s;
  auto r = run(example("lost_update") + " --seed 1 --trace-out trace.txt --stats", s.dir);
  REQUIRE(r.status == 1);
  REQUIRE_THAT(read(s.path("trace.txt")), Catch::Contains("receive {:value, "));
  REQUIRE_THAT(r.output, Catch::Contains("executions/s"));
}

TEST_CASE("exhaustive exploration finds lost_update, passes bank_ok and replays", "[cli]") {
  Scratch s;
  auto found = require_run(example("lost_update") + " --exhaustive", s.dir, 1,
                           "exhaustive exploration (optimal DPOR");
  REQUIRE_THAT(found.output, Catch::Contains("assertion failed: both increments are counted"));
  require_replay_matches("lost_update", found, s.dir);

  // Without the cache, one worker explores each trace exactly once; several may repeat a few.
  auto ok = require_run(example("bank_ok") + " --exhaustive --no-state-cache --workers 1", s.dir, 0,
                        "result: 0 counterexamples in 12 executions");
  REQUIRE_THAT(ok.output, Catch::Contains("statistics: 12 executions, 0 blocked"));
  REQUIRE_THAT(ok.output, !Catch::Contains("state cache"));
  require_run(example("bank_ok") + " --exhaustive --workers 2", s.dir, 0, "result: 0 counterexamples in");
  for (const char* buggy : {"register_race", "call_deadlock"}) {
    REQUIRE(run(example(buggy) + " --exhaustive --quiet", s.dir).status == 1);
  }
}

TEST_CASE("a bounded exhaustive run is incomplete, exit 3, never a pass", "[cli]") {
  Scratch s;
  require_run(example("bank_ok") + " --exhaustive --max-executions 3", s.dir, 3,
              "incomplete: stopped after 3 executions (--max-executions)");
  require_run(example("bank_ok") + " --dpor none --no-state-cache --max-executions 50", s.dir, 3, "incomplete");
  // With the cache (the default), plain enumeration of bank_ok converges within the bound: 49 executions on
  // one worker. Two workers may each run a path before the other has cached the state that would cut it.
  require_run(example("bank_ok") + " --dpor none --workers 1 --max-executions 50", s.dir, 0,
              "exhaustive exploration (no DPOR");
  require_run(example("bank_ok") + " --dpor source", s.dir, 0, "source DPOR");
  auto exhaustive = require_run(example("bank_ok") + " --exhaustive", s.dir, 0, "optimal DPOR");
  REQUIRE_THAT(exhaustive.output, !Catch::Contains("warning"));
}

TEST_CASE("json output carries the result, statistics and the counterexample", "[cli]") {
  Scratch s;
  auto r = run(example("lost_update") + " --exhaustive --workers 1 --json", s.dir);
  INFO(r.output);
  REQUIRE(r.status == 1);
  REQUIRE(r.output.front() == '{');
  REQUIRE_THAT(r.output, Catch::Contains("\"ok\": false"));
  REQUIRE_THAT(r.output, Catch::Contains("\"kind\": \"assertion\""));
  REQUIRE_THAT(r.output, Catch::Contains("\"schedule_file\": \"lockstep-lost_update.schedule\""));
  REQUIRE_THAT(r.output, Catch::Contains("\"event\": \"send {:get, #PID<0.3.0>} -> #PID<0.2.0>\""));
  auto ok = require_run(example("bank_ok") + " --exhaustive --no-state-cache --workers 1 --json", s.dir, 0,
                        "\"ok\": true, \"complete\": true");
  REQUIRE_THAT(ok.output, Catch::Contains("\"executions\": 12"));
  auto cached = require_run(example("bank_ok") + " --exhaustive --workers 1 --json", s.dir, 0, "\"cache_saved\": ");
  REQUIRE_THAT(cached.output, Catch::Contains("\"cache_retired_after\": 0"));
}

TEST_CASE("a scenario that crashes the checker is a counterexample with a schedule that replays the crash", "[cli]") {
  struct Crash {
    const char* scenario;
    const char* says;
  };
  for (Crash c : {Crash{"crash_segfault", "SIGSEGV"}, Crash{"crash_abort", "SIGABRT"},
                  Crash{"crash_stack_overflow", "SIGSEGV (stack overflow"}}) {
    INFO(c.scenario);
    Scratch s;
    std::string says = std::string("the scenario crashed the checker with ") + c.says;
    for (const char* mode : {" --iterations 200 --seed 1", " --exhaustive"}) {
      auto r = require_run(fixture("crashing") + " --scenario " + c.scenario + mode, s.dir, 1, says);
      REQUIRE_THAT(r.output, Catch::Contains("counterexample (crash)"));
      REQUIRE_THAT(r.output, Catch::Contains("result: 1 counterexample"));
    }
    // The schedule leads to the crash: replaying it crashes again (in its own child).
    require_run(fixture("crashing") + " --replay lockstep-" + c.scenario + ".schedule", s.dir, 1, says);
  }
}

TEST_CASE("a crash schedule replays to the crash only on the schedule that crashed", "[cli]") {
  // The crash needs the second sender first: the schedule that runs the first sender first
  // passes, so the recorded schedule is what decides.
  Scratch s;
  auto found = run(fixture("crashing") + " --scenario crash_abort --iterations 200 --seed 1", s.dir);
  REQUIRE(found.status == 1);
  auto passing = run(fixture("crashing") + " --scenario crash_abort --strategy first --iterations 1", s.dir);
  INFO(passing.output);
  REQUIRE(passing.status == 0);
}

TEST_CASE("the state cache runs fewer executions on converging orders and finds the same bugs", "[cli]") {
  Scratch s;
  // bank_ok: optimal DPOR alone explores 12 executions; with the cache, source DPOR fewer.
  auto plain = require_run(example("bank_ok") + " --exhaustive --no-state-cache --workers 1", s.dir, 0,
                           "statistics: 12 executions");
  auto cached = require_run(example("bank_ok") + " --state-cache --workers 1", s.dir, 0,
                            "exhaustive exploration (source DPOR, state cache)");
  REQUIRE_THAT(cached.output, Catch::Contains("state cache: "));
  REQUIRE_THAT(cached.output, Catch::Contains("fingerprint collision probability"));
  auto executions = [](const std::string& out) {
    auto at = out.find("statistics: ");
    REQUIRE(at != std::string::npos);
    return std::stoull(out.substr(at + 12));
  };
  REQUIRE(executions(cached.output) < executions(plain.output));
  // The bug is found and replays; --dpor none goes with the cache too.
  auto found = require_run(example("lost_update") + " --state-cache", s.dir, 1, "assertion failed: both increments are counted");
  require_replay_matches("lost_update", found, s.dir);
  require_run(example("register_race") + " --dpor none --state-cache --quiet", s.dir, 1, "counterexample");
  // Optimal DPOR takes the cache where the prefix races with nothing it cuts off.
  require_run(example("lost_update") + " --dpor optimal --state-cache --quiet", s.dir, 1, "counterexample");
  auto optimal = require_run(example("bank_ok") + " --dpor optimal --state-cache --workers 1", s.dir, 0,
                             "exhaustive exploration (optimal DPOR, state cache)");
  REQUIRE(executions(optimal.output) < executions(plain.output));
  // --max-memory takes a size with a suffix (tests/test_state_cache.cpp fills a cache).
  require_run(example("bank_ok") + " --state-cache --max-memory 1M --workers 1", s.dir, 0, "0 counterexamples");
  auto json = require_run(example("bank_ok") + " --state-cache --json", s.dir, 0, "\"states_cached\": ");
  REQUIRE_THAT(json.output, Catch::Contains("\"cache_hits\": "));
}

TEST_CASE("exhaustive runs cache states adaptively by default and --no-state-cache turns the cache off", "[cli]") {
  Scratch s;
  auto executions = [](const std::string& out) {
    auto at = out.find("statistics: ");
    REQUIRE(at != std::string::npos);
    return std::stoull(out.substr(at + 12));
  };
  auto adaptive = require_run(example("bank_ok") + " --exhaustive --workers 1", s.dir, 0,
                              "exhaustive exploration (optimal DPOR, adaptive state cache)");
  REQUIRE_THAT(adaptive.output, Catch::Contains("state cache: "));
  auto off = require_run(example("bank_ok") + " --exhaustive --no-state-cache --workers 1", s.dir, 0,
                         "exhaustive exploration (optimal DPOR)");
  REQUIRE_THAT(off.output, !Catch::Contains("state cache"));
  // bank_ok's orders converge: the cache pays, so it stays on and cuts.
  REQUIRE(executions(adaptive.output) < executions(off.output));
  REQUIRE_THAT(adaptive.output, !Catch::Contains("retired"));
  // The bug is found the same way.
  require_run(example("lost_update") + " --exhaustive --quiet", s.dir, 1, "counterexample");
  require_run(example("lost_update") + " --exhaustive --no-state-cache --quiet", s.dir, 1, "counterexample");
  require_run(example("bank_ok") + " --state-cache --no-state-cache", s.dir, 2, "--no-state-cache");
}
