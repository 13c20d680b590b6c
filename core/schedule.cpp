// The schedule file: versioned text with a checksum, so that a truncated, edited or foreign
// file is rejected with a message instead of replaying something else.
#include "lockstep/schedule.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "lockstep/errors.hpp"

namespace lockstep {

namespace {
constexpr std::string_view kMagic = "lockstep-schedule v1";

std::string hex(std::uint64_t v) {
  char buf[17];
  auto [end, ec] = std::to_chars(buf, buf + 16, v, 16);
  return std::string(buf, end);
}

std::string body_of(const Schedule& s) {
  std::string out;
  out += kMagic;
  out += "\nscenario " + s.scenario + "\nmax-steps " + std::to_string(s.max_steps);
  if (s.faults.any()) out += "\nfaults " + s.faults.to_string() + " " + std::to_string(s.faults.max);
  out += "\nfingerprint " + hex(s.fingerprint) + "\nchoices " + std::to_string(s.steps.size()) +
         "\nsteps";
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    out += (i % 32 == 0) ? "\n" : " ";
    out += std::to_string(s.steps[i]);
  }
  out += "\n";
  return out;
}

[[noreturn]] void corrupt(const std::string& why) {
  throw ConfigError("corrupt schedule file: " + why +
                    "; re-run lockstep-check to write a fresh one (schedule files are written by "
                    "lockstep, not edited by hand)");
}

template <typename T>
T parse_number(std::string_view text, int base, const char* what) {
  T v{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    corrupt(std::string("bad ") + what + " '" + std::string(text) + "'");
  }
  return v;
}
}  // namespace

std::string Schedule::serialize() const {
  std::string body = body_of(*this);
  return "# lockstep schedule: replay with lockstep-check SCENARIO.so --replay FILE\n" + body +
         "checksum " + hex(XXH3_64bits(body.data(), body.size())) + "\n";
}

Schedule Schedule::parse(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  // Skip comment lines before the magic line.
  while (std::getline(in, line) && !line.empty() && line[0] == '#') {
  }
  if (line != kMagic) {
    throw ConfigError("not a lockstep schedule file (expected a line '" + std::string(kMagic) +
                      "'); pass a file written by lockstep-check");
  }
  Schedule s;
  auto field = [&](std::string_view key) -> std::string {
    if (!std::getline(in, line) || line.rfind(std::string(key) + " ", 0) != 0) {
      corrupt("missing '" + std::string(key) + "' line");
    }
    return line.substr(key.size() + 1);
  };
  s.scenario = field("scenario");
  if (s.scenario.empty()) corrupt("empty scenario name");
  s.max_steps = parse_number<std::uint64_t>(field("max-steps"), 10, "max-steps");
  auto next_line = [&]() -> std::string {
    if (!std::getline(in, line)) corrupt("missing 'fingerprint' line");
    return line;
  };
  std::string next = next_line();  // "faults ..." (optional), then "fingerprint ..."
  if (next.rfind("faults ", 0) == 0) {
    std::string_view spec = std::string_view(next).substr(7);
    auto space = spec.find(' ');
    auto faults = Faults::parse(spec.substr(0, space));
    if (!faults || space == std::string_view::npos) corrupt("bad faults line");
    faults->max = parse_number<std::uint32_t>(spec.substr(space + 1), 10, "fault count");
    s.faults = *faults;
    next = next_line();
  }
  if (next.rfind("fingerprint ", 0) != 0) corrupt("missing 'fingerprint' line");
  s.fingerprint = parse_number<std::uint64_t>(std::string_view(next).substr(12), 16, "fingerprint");
  auto count = parse_number<std::size_t>(field("choices"), 10, "choice count");
  if (!std::getline(in, line) || line != "steps") corrupt("missing 'steps' line");
  std::string checksum_line;
  while (std::getline(in, line)) {
    if (line.rfind("checksum ", 0) == 0) {
      checksum_line = line;
      break;
    }
    std::istringstream words(line);
    std::string w;
    while (words >> w) s.steps.push_back(parse_number<std::uint32_t>(w, 10, "step"));
  }
  if (checksum_line.empty()) corrupt("missing checksum (truncated file?)");
  if (s.steps.size() != count) {
    corrupt("it lists " + std::to_string(s.steps.size()) + " steps but says " + std::to_string(count));
  }
  auto expected = parse_number<std::uint64_t>(checksum_line.substr(9), 16, "checksum");
  std::string body = body_of(s);
  if (XXH3_64bits(body.data(), body.size()) != expected) corrupt("checksum mismatch");
  return s;
}

Schedule Schedule::load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConfigError("cannot read schedule file '" + path + "': check the path");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse(ss.str());
}

void Schedule::save(const std::string& path) const {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f || !(f << serialize()) || !f.flush()) {
    throw ConfigError("cannot write schedule file '" + path + "': check the directory exists and is writable");
  }
}

}  // namespace lockstep
