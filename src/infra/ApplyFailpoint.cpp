#include "infra/ApplyFailpoint.h"

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "core/ArmedFailpoints.h"

namespace ramp::infra {

namespace {

struct Armed {
  std::map<std::string, long> killAt;  // "after-intent" -> N
  std::map<std::string, long> passed;
  std::mutex mu;
};

Armed& armed() {
  static Armed* a = [] {
    auto* x = new Armed;  // never destroyed: usable until the very end
    for (const auto& item : armedFailpoints()) {
      const std::string prefix = "infra-apply:";
      if (item.rfind(prefix, 0) != 0) continue;
      std::string rest = item.substr(prefix.size());
      long n = 1;
      if (auto colon = rest.find(':'); colon != std::string::npos) {
        n = std::strtol(rest.c_str() + colon + 1, nullptr, 10);
        rest = rest.substr(0, colon);
        if (n < 1) n = 1;
      }
      x->killAt[rest] = n;
      std::fprintf(stderr, "failpoint: armed infra-apply:%s at hit %ld\n", rest.c_str(), n);
    }
    return x;
  }();
  return *a;
}

}  // namespace

void applyFailpoint(std::string_view point) {
  Armed& a = armed();
  if (a.killAt.empty()) return;
  std::lock_guard lock(a.mu);
  auto it = a.killAt.find(std::string(point));
  if (it == a.killAt.end()) return;
  if (++a.passed[it->first] >= it->second) {
    std::fprintf(stderr, "failpoint: infra-apply:%s reached, killing the process\n", it->first.c_str());
    std::fflush(stderr);
    ::raise(SIGKILL);
  }
}

}  // namespace ramp::infra
