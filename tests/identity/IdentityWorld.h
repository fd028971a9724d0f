// IdentityWorld.h — one ramp world for the identity tests: a home inside
// the test's RAMP_HOME, a real `ramp serve` started by the test (plain or
// HTTPS), the real CLI run with stdout and stderr captured, raw HTTP calls
// with any token, and a clean `ramp down` at the end (router included), so
// tests/isolated finds nothing left behind. Every wait is bounded.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../controller/ControllerWorld.h"

namespace idt {

namespace fs = std::filesystem;
using nlohmann::json;
using ctl::HttpReply;

// Runs `ramp ARGS` (no --home added); stdout+stderr together in *out.
inline int rampAll(const std::vector<std::string>& args, const fs::path& cwd, std::string* out,
                   const std::map<std::string, std::string>& extraEnv = {}) {
  return ::ramp::testsupport::runRamp(args, {.cwd = cwd,
                                           .env = extraEnv,
                                           .unset = {"RAMP_TOKEN", "RAMP_SERVER", "RAMP_CA_CERT"},
                                           .out = out,
                                           .stderrToOut = true});
}

class World {
 public:
  explicit World(const std::string& name) {
    home_ = fs::path(ctl::env("RAMP_HOME")) / name;
    fs::create_directories(home_);
  }
  ~World() { stop(); }

  // Starts `ramp serve` with extra args; true once controller.json names it
  // and /api/v1/health answers (over `scheme`).
  bool start(const std::vector<std::string>& extra = {}, const std::string& caCert = "") {
    std::vector<std::string> args{"serve", "--home", home_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = ctl::startServe(args, home_ / "serve.log");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      auto j = json::parse(ctl::slurp(home_ / "controller.json"), nullptr, false);
      if (j.is_object() && j.value("pid", 0) == pid_) {
        base_ = j.value("url", "http://" + j.value("address", ""));
        auto r = get("/api/v1/health", "", caCert);
        if (r.ok && r.status == 200) return true;
      }
      if (!ctl::processAlive(pid_) || ctl::waitChild(pid_, std::chrono::milliseconds(1))) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // `ramp down` (router and controller), reaping our serve child.
  bool stop(const std::vector<std::string>& clientArgs = {}) {
    if (pid_ <= 0) return true;
    std::string out;
    std::vector<std::string> args{"--home", home_.string()};
    args.insert(args.end(), clientArgs.begin(), clientArgs.end());
    args.push_back("down");
    std::thread down([&] { rampAll(args, home_, &out); });
    bool ended = ctl::waitChild(pid_, std::chrono::seconds(25)).has_value();
    if (!ended) {
      kill(pid_, SIGKILL);
      ctl::waitChild(pid_, std::chrono::seconds(5));
    }
    down.join();
    pid_ = -1;
    return ended;
  }

  // SIGTERM only (router keeps running, as after a controller restart).
  bool terminate() {
    if (pid_ <= 0) return true;
    kill(pid_, SIGTERM);
    bool ended = ctl::waitChild(pid_, std::chrono::seconds(20)).has_value();
    if (!ended) {
      kill(pid_, SIGKILL);
      ctl::waitChild(pid_, std::chrono::seconds(5));
    }
    pid_ = -1;
    return ended;
  }

  int cli(std::vector<std::string> args, std::string* out, const std::map<std::string, std::string>& env = {}) const {
    args.insert(args.begin(), {"--home", home_.string()});
    std::string sink;
    return rampAll(args, home_, out ? out : &sink, env);
  }

  std::string adminToken() const {
    std::string t = ctl::slurp(home_ / "admin.token");
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t;
  }
  const std::string& base() const { return base_; }
  const fs::path& home() const { return home_; }
  pid_t pid() const { return pid_; }

  HttpReply get(const std::string& path, const std::string& token, const std::string& caCert = "") const {
    return call("GET", path, token, std::nullopt, caCert);
  }
  HttpReply post(const std::string& path, const std::string& token, const json& body) const {
    return call("POST", path, token, body.dump());
  }
  HttpReply call(const std::string& method, const std::string& path, const std::string& token,
                 const std::optional<std::string>& body, const std::string& caCert = "") const {
    if (caCert.empty()) return ctl::http(method, base_ + path, token, body, 10000);
    // HTTPS with a private CA.
    HttpReply r;
    CURL* c = curl_easy_init();
    struct curl_slist* hdrs = nullptr;
    if (!token.empty()) hdrs = curl_slist_append(hdrs, ("Authorization: Bearer " + token).c_str());
    std::string url = base_ + path;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c, CURLOPT_CAINFO, caCert.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ctl::curlSink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    r.ok = curl_easy_perform(c) == CURLE_OK;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return r;
  }

  // Number of audit events (read with the admin token).
  size_t auditCount() const {
    auto r = get("/api/v1/audit?limit=10000", adminToken());
    auto j = r.parsed();
    return j.is_array() ? j.size() : static_cast<size_t>(-1);
  }

 private:
  fs::path home_;
  std::string base_;
  pid_t pid_ = -1;
};

}  // namespace idt
