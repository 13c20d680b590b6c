// Crash isolation (lockstep/isolation.hpp) and the crash board (core/crash_board.hpp).
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "core/crash_board.hpp"
#include "core/process.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/isolation.hpp"

namespace lockstep {

namespace core {

namespace {
CrashBoard* g_board = nullptr;
[[gnu::tls_model("initial-exec")]] thread_local std::int32_t tl_slot = -1;
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};

// Whether `addr` lies in a mapping nobody may touch (/proc/self/maps, "---p"): a fiber
// stack's guard page. Only system calls and plain code: it runs in the signal handler.
bool in_guard_mapping(std::uintptr_t addr) {
  int fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  char line[256];
  std::size_t len = 0;
  bool found = false;
  auto parse = [&] {  // "lo-hi perms ...": hex bounds, then four permission letters
    std::uintptr_t lo = 0, hi = 0;
    std::size_t i = 0;
    auto hex = [&](std::uintptr_t& v) {
      for (; i < len; ++i) {
        char c = line[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) break;
        v = v * 16 + static_cast<std::uintptr_t>(d);
      }
    };
    hex(lo);
    if (i >= len || line[i] != '-') return;
    ++i;
    hex(hi);
    if (i + 4 >= len || line[i] != ' ') return;
    bool none = line[i + 1] == '-' && line[i + 2] == '-' && line[i + 3] == '-';
    if (none && addr >= lo && addr < hi) found = true;
  };
  for (ssize_t n; !found && (n = ::read(fd, buf, sizeof buf)) > 0;) {
    for (ssize_t k = 0; k < n && !found; ++k) {
      if (buf[k] == '\n') {
        parse();
        len = 0;
      } else if (len < sizeof line) {
        line[len++] = buf[k];
      }
    }
  }
  ::close(fd);
  return found;
}

// Runs on the crashing thread (on its alternate stack): plain stores, then die of the same
// signal so the parent sees it.
void on_fatal_signal(int sig, siginfo_t* info, void* context) {
  if (g_board != nullptr) {
    g_board->signal.store(sig);
    g_board->crashed_slot.store(tl_slot);
    g_board->process.store(running_pid_id());
    bool overflow = false;
#if defined(__x86_64__)
    if (sig == SIGSEGV && context != nullptr) {
      // A fault just below the stack pointer is the guard page of an overflowing stack.
      auto sp = static_cast<std::uintptr_t>(static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RSP]);
      auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
      overflow = addr < sp + 4096 && addr + 65536 > sp;
    }
#else
    (void)context;
#endif
    // Or, wherever the stack pointer was, a fault in a guard page (the check above missed
    // one once in an ASan build under load).
    if (sig == SIGSEGV && !overflow && info != nullptr) {
      overflow = in_guard_mapping(reinterpret_cast<std::uintptr_t>(info->si_addr));
    }
    g_board->overflow.store(overflow ? 1 : 0);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void watch_fatal_signals() {
  struct sigaction sa {};
  sa.sa_sigaction = on_fatal_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int sig : kFatalSignals) ::sigaction(sig, &sa, nullptr);
}

// Each thread that runs fibers needs its own alternate stack for the handler: the fault of
// an overflow leaves no room on the fiber's stack.
void give_thread_an_alternate_stack() {
  thread_local bool done = false;
  if (done) return;
  done = true;
  constexpr std::size_t kSize = 64 * 1024;
  stack_t ss{};
  ss.ss_sp = std::malloc(kSize);  // lives as long as the thread (the child exits after)
  ss.ss_size = kSize;
  if (ss.ss_sp != nullptr) ::sigaltstack(&ss, nullptr);
}
}  // namespace

CrashBoard* CrashBoard::current() { return g_board; }
void CrashBoard::set_current(CrashBoard* board) { g_board = board; }

CrashSlot* CrashBoard::thread_slot() {
  if (g_board == nullptr) return nullptr;
  if (tl_slot < 0) {
    std::uint32_t slot = g_board->slots_claimed.fetch_add(1);
    if (slot >= kSlots) return nullptr;
    tl_slot = static_cast<std::int32_t>(slot);
    give_thread_an_alternate_stack();
  }
  return &g_board->slots[tl_slot];
}

}  // namespace core

namespace {
std::string signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    default: return "signal " + std::to_string(sig);
  }
}
}  // namespace

IsolatedRun run_isolated(const std::function<int()>& child) {
  using core::CrashBoard;
  void* shared = ::mmap(nullptr, sizeof(CrashBoard), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (shared == MAP_FAILED) throw ConfigError("cannot map memory to supervise the check: " + std::string(std::strerror(errno)));
  auto* board = new (shared) CrashBoard();
  std::cout.flush();
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::munmap(shared, sizeof(CrashBoard));
    throw ConfigError("cannot fork a process to run the check in: " + std::string(std::strerror(errno)));
  }
  if (pid == 0) {
    CrashBoard::set_current(board);
    core::watch_fatal_signals();
    int status = 3;
    try {
      status = child();
    } catch (...) {
      // The parent reports nothing for us: say what happened and fail as a usage error would.
      std::cerr << "lockstep: the supervised check failed with an exception\n";
      status = 2;
    }
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    ::_exit(status);
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  IsolatedRun run;
  if (WIFEXITED(wstatus)) {
    run.exit_status = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    run.crashed = true;
    int sig = board->signal.load() != 0 ? board->signal.load() : WTERMSIG(wstatus);
    Counterexample& cx = run.crash;
    cx.kind = CounterexampleKind::crash;
    std::uint32_t process = board->process.load();
    bool overflow = board->overflow.load() != 0;
    cx.message = "the scenario crashed the checker with " + signal_name(sig) +
                 (overflow ? " (stack overflow: raise --stack-size if the recursion is meant)" : "");
    if (process != 0) cx.message += " in " + Pid{process, 0}.to_string();
    // Executions start in order on one worker; on several, this is the count when it crashed.
    cx.iteration = board->executions.load();
    run.executions_before = cx.iteration > 0 ? cx.iteration - 1 : 0;
    std::int32_t slot = board->crashed_slot.load();
    if (slot >= 0 && slot < static_cast<std::int32_t>(CrashBoard::kSlots)) {
      const core::CrashSlot& s = board->slots[slot];
      std::uint32_t n = s.length.load();
      if (n <= core::CrashSlot::kCapacity) {
        cx.schedule.steps.assign(s.choices, s.choices + n);
      } else {
        cx.message += "; its schedule was longer than " + std::to_string(core::CrashSlot::kCapacity) +
                      " choices and was not kept";
      }
    } else {
      cx.message += "; it crashed outside a scenario execution, so there is no schedule";
    }
  }
  ::munmap(shared, sizeof(CrashBoard));
  return run;
}

}  // namespace lockstep
