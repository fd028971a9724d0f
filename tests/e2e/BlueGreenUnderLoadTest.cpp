// Blue/green with zero downtime, end to end: the real `ramp` binary, a real
// controller, router and crawler instances, under steady load (keep-alive
// and fresh connections, GETs and non-idempotent POSTs) while
// blue -> green, rollback to blue, and green again happen.
// Asserts: zero failed requests of either kind, and every request sent after
// a switch was verified (the CLI returned) is answered by the expected version.
#include <curl/curl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "RampProcess.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using ramp::e2e::env;
using ramp::e2e::runRamp;

struct Sample {
  Clock::time_point sent;
  bool failed;
  std::string version;
  int kind;
};

class Load {
 public:
  explicit Load(std::string url) : url_(std::move(url)) {}
  void start() {
    for (int kind = 0; kind < 4; ++kind) threads_.emplace_back([this, kind] { run(kind); });
  }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }
  std::vector<Sample> samples() {
    std::lock_guard l(mu_);
    return samples_;
  }

 private:
  static size_t sink(char* p, size_t s, size_t n, void* u) {
    static_cast<std::string*>(u)->append(p, s * n);
    return s * n;
  }
  static size_t header(char* p, size_t s, size_t n, void* u) {
    std::string line(p, s * n);
    if (line.rfind("X-Ramp-Version:", 0) == 0 || line.rfind("x-ramp-version:", 0) == 0) {
      std::string v = line.substr(15);
      while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
      *static_cast<std::string*>(u) = v;
    }
    return s * n;
  }
  // kind 0: keep-alive GET, 1: fresh-connection GET, 2: keep-alive POST, 3: fresh POST
  void run(int kind) {
    CURL* c = curl_easy_init();
    auto deadline = Clock::now() + std::chrono::minutes(3);
    while (!stop_ && Clock::now() < deadline) {
      std::string body, version;
      std::string target = url_ + (kind >= 2 ? "/echo" : "/version");
      curl_easy_setopt(c, CURLOPT_URL, target.c_str());
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header);
      curl_easy_setopt(c, CURLOPT_HEADERDATA, &version);
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(c, CURLOPT_FORBID_REUSE, (kind % 2) ? 1L : 0L);
      if (kind >= 2) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "not idempotent");
      } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
      }
      Sample s{Clock::now(), false, "", kind};
      CURLcode rc = curl_easy_perform(c);
      long status = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
      s.failed = rc != CURLE_OK || status != 200;
      s.version = version;
      {
        std::lock_guard l(mu_);
        samples_.push_back(s);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    curl_easy_cleanup(c);
  }
  std::string url_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Sample> samples_;
  std::vector<std::thread> threads_;
};

}  // namespace

TEST(BlueGreen, ZeroDowntimeUnderLoadThroughSwitchRollbackAndSwitch) {
  fs::path home = env("RAMP_HOME");
  ASSERT_FALSE(home.empty());
  fs::path work = home / "work";
  fs::create_directories(work / "release" / "bin");
  fs::copy_file(env("RAMP_E2E_DIR") + "/ramp.yaml", work / "ramp.yaml");
  fs::copy_file(env("RAMP_CRAWLER_BIN"), work / "release" / "bin" / "crawler");
  ASSERT_EQ(runRamp({"release", "create", "crawler", "--version", "1.0.0"}, work), 0);
  {
    std::ofstream(work / "release" / "NOTES") << "2.0.0\n";
  }
  ASSERT_EQ(runRamp({"release", "create", "crawler", "--version", "2.0.0"}, work), 0);

  struct Down {
    fs::path work;
    ~Down() { runRamp({"down"}, work); }
  } down{work};

  ASSERT_EQ(runRamp({"config", "push", "-m", "test world"}, work), 0);
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "int", "--version", "1.0.0"}, work), 0);
  std::string out;
  ASSERT_EQ(runRamp({"status", "crawler", "--env", "int", "--json"}, work, &out), 0) << out;
  auto st = nlohmann::json::parse(out);
  std::string url = st["entrypoint"].get<std::string>();
  ASSERT_FALSE(url.empty());

  // A switch is under way from `started` until the CLI returned (`verified`):
  // requests sent in between may be answered by either version.
  struct Switch {
    Clock::time_point started;
    Clock::time_point verified;
    std::string version;
  };
  std::vector<Switch> switches{{Clock::now(), Clock::now(), "1.0.0"}};
  Load load(url);
  load.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto t0 = Clock::now();
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "int", "--version", "2.0.0"}, work), 0);
  switches.push_back({t0, Clock::now(), "2.0.0"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  t0 = Clock::now();
  ASSERT_EQ(runRamp({"rollback", "crawler", "--env", "int"}, work), 0);
  switches.push_back({t0, Clock::now(), "1.0.0"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  t0 = Clock::now();
  ASSERT_EQ(runRamp({"deploy", "crawler", "--env", "int", "--version", "2.0.0"}, work), 0);
  switches.push_back({t0, Clock::now(), "2.0.0"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  load.stop();

  auto samples = load.samples();
  ASSERT_FALSE(samples.empty());
  double seconds = std::chrono::duration<double>(samples.back().sent - samples.front().sent).count();
  double rate = samples.size() / std::max(seconds, 0.001);
  size_t failed = 0, wrong = 0, posts = 0;
  for (const auto& s : samples) {
    if (s.kind >= 2) ++posts;
    if (s.failed) {
      ++failed;
      continue;
    }
    // The version expected: that of the last switch verified before it was sent.
    std::string want, alsoOk;
    for (const auto& sw : switches) {
      if (sw.verified <= s.sent) {
        want = sw.version;
        alsoOk.clear();
      } else if (sw.started <= s.sent) {
        alsoOk = sw.version;  // sent while this switch was under way
      }
    }
    if (s.version != want && s.version != alsoOk) {
      ++wrong;
      if (wrong <= 5) ADD_FAILURE() << "request answered by '" << s.version << "', expected " << want;
    }
  }
  std::cout << fmt::format("{} requests ({} POST) in {:.1f} s = {:.0f} req/s; {} failed; {} wrong version\n",
                           samples.size(), posts, seconds, rate, failed, wrong);
  EXPECT_EQ(failed, 0u);
  EXPECT_EQ(wrong, 0u);
  EXPECT_GE(rate, 200.0) << "the load must be at least 200 requests/s";
}
