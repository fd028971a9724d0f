// ControllerWorld.h — test helpers for the controller tests: one ramp world
// (a home inside the test's RAMP_HOME, with ramp.yaml and two crawler
// releases), the real `ramp` binary run as a child, `ramp serve` started by
// the test itself (so it can set RAMP_FAILPOINT and reap it), API calls over
// loopback with the home's admin token, and a steady load on an entry point.
//
// Every child inherits the test's RAMP_HOME, so tests/isolated finds any
// process left behind; every wait is bounded.
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../support/RampRun.h"

namespace ctl {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;
using nlohmann::json;

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `ramp ARGS` in `cwd`; returns its exit code, stdout in *out.
inline int ramp(const std::vector<std::string>& args, const fs::path& cwd, std::string* out = nullptr,
                const std::map<std::string, std::string>& extraEnv = {}) {
  ::ramp::testsupport::RampRun how{.cwd = cwd, .env = extraEnv, .out = out};
  // RAMP_TEST_STDERR=FILE: the command's stderr goes to FILE.
  if (auto it = how.env.find("RAMP_TEST_STDERR"); it != how.env.end()) {
    how.stderrFile = it->second;
    how.env.erase(it);
  }
  return ::ramp::testsupport::runRamp(args, how);
}

// Starts `ramp serve` with ARGS in the background, output appended to LOG.
inline pid_t startServe(const std::vector<std::string>& args, const fs::path& log,
                        const std::map<std::string, std::string>& extraEnv = {}) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_CREAT | O_WRONLY | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    unsetenv("RAMP_FAILPOINT");
    unsetenv("RAMP_FAILPOINT_RANDOM");
    for (auto& [k, v] : extraEnv) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv{const_cast<char*>("ramp")};
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::string bin = env("RAMP_BIN");
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

// Waits (bounded) for child `pid` to end; returns its wait status, or
// nullopt if it still runs after `limit`.
inline std::optional<int> waitChild(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = SteadyClock::now() + limit;
  while (SteadyClock::now() < deadline) {
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return st;
    if (r < 0) return 0;  // not (or no longer) our child: already reaped
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

inline bool processAlive(pid_t pid) { return kill(pid, 0) == 0; }

struct HttpReply {
  long status = 0;
  std::string body;
  bool ok = false;  // transport succeeded
  json parsed() const { return json::parse(body, nullptr, false); }
};

inline size_t curlSink(char* p, size_t s, size_t n, void* u) {
  static_cast<std::string*>(u)->append(p, s * n);
  return s * n;
}

// One HTTP request; `token` empty = no Authorization header.
inline HttpReply http(const std::string& method, const std::string& url, const std::string& token,
                      const std::optional<std::string>& body = std::nullopt, long timeoutMs = 5000,
                      const std::vector<std::string>& extraHeaders = {}) {
  HttpReply r;
  CURL* c = curl_easy_init();
  struct curl_slist* hdrs = nullptr;
  if (!token.empty()) hdrs = curl_slist_append(hdrs, ("Authorization: Bearer " + token).c_str());
  hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
  for (auto& h : extraHeaders) hdrs = curl_slist_append(hdrs, h.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curlSink);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeoutMs);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  r.ok = curl_easy_perform(c) == CURLE_OK;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(c);
  return r;
}

// A ramp world under RAMP_HOME/<name>: ramp.yaml, releases 1.0.0 and 2.0.0.
class World {
 public:
  explicit World(const std::string& name) {
    home_ = fs::path(env("RAMP_HOME")) / name;
    work_ = home_ / "work";
    fs::create_directories(work_ / "release" / "bin");
    fs::copy_file(env("RAMP_CONTROLLER_TEST_DIR") + "/ramp.yaml", work_ / "ramp.yaml");
    fs::copy_file(env("RAMP_CRAWLER_BIN"), work_ / "release" / "bin" / "crawler");
  }
  bool createReleases() {
    if (run({"release", "create", "crawler", "--version", "1.0.0"}) != 0) return false;
    std::ofstream(work_ / "release" / "NOTES") << "2.0.0\n";
    return run({"release", "create", "crawler", "--version", "2.0.0"}) == 0;
  }
  int run(std::vector<std::string> args, std::string* out = nullptr,
          const std::map<std::string, std::string>& extraEnv = {}) const {
    args.insert(args.begin(), {"--home", home_.string()});
    return ramp(args, work_, out, extraEnv);
  }
  // Pushes the world's ramp.yaml as the controller's config of record
  // (deployments are rendered from it, never from the request).
  bool pushConfig() const {
    std::string out;
    return run({"config", "push", "-m", "test world"}, &out) == 0;
  }
  const fs::path& home() const { return home_; }
  const fs::path& work() const { return work_; }

  json controllerJson() const { return json::parse(slurp(home_ / "controller.json"), nullptr, false); }
  std::string token() const {
    std::string t = slurp(home_ / "admin.token");
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t;
  }
  std::string apiBase() const {
    auto j = controllerJson();
    return j.is_object() ? "http://" + j.value("address", "") : "";
  }
  // Waits until controller.json names `pid` and the API answers.
  bool waitController(pid_t pid, std::chrono::milliseconds limit) const {
    auto deadline = SteadyClock::now() + limit;
    while (SteadyClock::now() < deadline) {
      auto j = controllerJson();
      if (j.is_object() && j.value("pid", 0) == pid) {
        auto r = http("GET", apiBase() + "/api/v1/health", "", std::nullopt, 1000);
        if (r.ok && r.status == 200) return true;
      }
      if (!processAlive(pid)) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  HttpReply api(const std::string& method, const std::string& path,
                const std::optional<std::string>& body = std::nullopt) const {
    return http(method, apiBase() + path, token(), body);
  }

 private:
  fs::path home_;
  fs::path work_;
};

// `ramp down` while reaping the controllers we started (a zombie child still
// "exists" for the CLI, which waits for the controller to be gone). Returns
// down's exit code; *stopped is whether every pid ended within the bound.
inline int downAndReap(const World& w, const std::vector<pid_t>& pids, bool* stopped) {
  std::atomic<int> rc{-1};
  std::thread down([&] { rc = w.run({"down"}); });
  bool all = true;
  for (pid_t p : pids) {
    if (p <= 0) continue;
    if (!waitChild(p, std::chrono::seconds(25))) {
      all = false;
      kill(p, SIGKILL);
      waitChild(p, std::chrono::seconds(5));
    }
  }
  down.join();
  if (stopped) *stopped = all;
  return rc;
}

// Steady load on an entry point: keep-alive and fresh-connection GETs and
// POSTs, bounded to 3 minutes.
class Load {
 public:
  explicit Load(std::string url) : url_(std::move(url)) {}
  ~Load() { stop(); }
  void start() {
    for (int kind = 0; kind < 4; ++kind) threads_.emplace_back([this, kind] { run(kind); });
  }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  size_t total() const { return total_; }
  size_t failed() const { return failed_; }
  std::string firstFailure() {
    std::lock_guard l(mu_);
    return firstFailure_;
  }

 private:
  void run(int kind) {
    CURL* c = curl_easy_init();
    auto deadline = SteadyClock::now() + std::chrono::minutes(3);
    while (!stop_ && SteadyClock::now() < deadline) {
      std::string body;
      std::string target = url_ + (kind >= 2 ? "/echo" : "/version");
      curl_easy_setopt(c, CURLOPT_URL, target.c_str());
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curlSink);
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(c, CURLOPT_FORBID_REUSE, (kind % 2) ? 1L : 0L);
      if (kind >= 2) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "not idempotent");
      } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
      }
      CURLcode rc = curl_easy_perform(c);
      long status = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
      ++total_;
      if (rc != CURLE_OK || status != 200) {
        ++failed_;
        std::lock_guard l(mu_);
        if (firstFailure_.empty()) {
          firstFailure_ = target + ": " + (rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP " + std::to_string(status));
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(4));
    }
    curl_easy_cleanup(c);
  }
  std::string url_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> total_{0};
  std::atomic<size_t> failed_{0};
  std::mutex mu_;
  std::string firstFailure_;
  std::vector<std::thread> threads_;
};

}  // namespace ctl
