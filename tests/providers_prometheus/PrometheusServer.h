// PrometheusServer.h — a real Prometheus server (Debian package
// `prometheus`, scripts/install-deps.sh) for a test: its own loopback port,
// config and storage under $RAMP_HOME, scraping every `interval` the targets
// of a file_sd glob (ramp's $RAMP_HOME/prometheus/targets/*.json, or a file
// the test writes), and, optionally, static targets.
//
// start() waits (bounded) for /-/ready; the destructor stops it (SIGTERM,
// then SIGKILL after 5 s) so nothing outlives the test. waitFor(query, pred)
// polls an instant query until pred holds or the bound passes, for "has it
// scraped yet" without fixed sleeps. Shared by the Prometheus source tests
// and the end-to-end test (tests/e2e).
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

namespace ramp::testing {

class PrometheusServer {
 public:
  // dir: where its config, storage and log go (under $RAMP_HOME).
  PrometheusServer(std::filesystem::path dir, std::vector<std::string> fileSdGlobs,
                   std::vector<std::string> staticTargets = {}, std::string interval = "200ms")
      : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_ / "data");
    port_ = freePort();
    std::ofstream cfg(dir_ / "prometheus.yml");
    cfg << "global:\n  scrape_interval: " << interval << "\n  scrape_timeout: " << interval
        << "\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: ramp\n";
    if (!fileSdGlobs.empty()) {
      cfg << "    file_sd_configs:\n      - refresh_interval: 1s\n        files:\n";
      for (const auto& g : fileSdGlobs) cfg << "          - '" << g << "'\n";
    }
    if (!staticTargets.empty()) {
      cfg << "    static_configs:\n      - targets:\n";
      for (const auto& t : staticTargets) cfg << "          - '" << t << "'\n";
    }
  }
  ~PrometheusServer() { stop(); }
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  // false (with why()) when it cannot start or does not get ready in 30 s.
  bool start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      int log = ::open((dir_ / "prometheus.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      std::string config = "--config.file=" + (dir_ / "prometheus.yml").string();
      std::string storage = "--storage.tsdb.path=" + (dir_ / "data").string();
      std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port_);
      ::execlp("prometheus", "prometheus", config.c_str(), storage.c_str(), listen.c_str(),
               "--storage.tsdb.retention.time=1h", "--log.level=warn", static_cast<char*>(nullptr));
      _exit(127);
    }
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        why_ = "prometheus exited at start (status " + std::to_string(status) + "); log: " + log();
        return false;
      }
      if (get("/-/ready").first == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    why_ = "prometheus not ready within 30 s; log: " + log();
    return false;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& why() const { return why_; }
  std::string log() const {
    std::ifstream in(dir_ / "prometheus.log");
    std::string s((std::istreambuf_iterator<char>(in)), {});
    return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
  }

  // The instant query's JSON answer (null when it could not be asked).
  nlohmann::json query(const std::string& promql) const {
    CURL* c = curl_easy_init();
    char* q = curl_easy_escape(c, promql.c_str(), static_cast<int>(promql.size()));
    std::string path = "/api/v1/query?query=" + std::string(q);
    curl_free(q);
    curl_easy_cleanup(c);
    auto [status, body] = get(path);
    auto j = nlohmann::json::parse(body, nullptr, false);
    return status == 200 && !j.is_discarded() ? j : nlohmann::json();
  }
  // The sum of the query's samples, or -1 when there are none.
  double value(const std::string& promql) const {
    auto j = query(promql);
    if (!j.is_object()) return -1;
    const auto& r = j["data"]["result"];
    if (!r.is_array() || r.empty()) return -1;
    double sum = 0;
    for (const auto& s : r) sum += std::stod(s["value"][1].get<std::string>());
    return sum;
  }
  // Polls value(promql) until pred(value) or `bound` passes.
  bool waitFor(const std::string& promql, const std::function<bool(double)>& pred,
               std::chrono::milliseconds bound = std::chrono::seconds(20)) const {
    auto until = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < until) {
      if (pred(value(promql))) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  static int freePort() {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    int port = ntohs(a.sin_port);
    ::close(s);
    return port;
  }
  static size_t collect(char* d, size_t s, size_t n, void* u) {
    static_cast<std::string*>(u)->append(d, s * n);
    return s * n;
  }
  std::pair<long, std::string> get(const std::string& path) const {
    CURL* c = curl_easy_init();
    std::string body, target = url() + path;
    curl_easy_setopt(c, CURLOPT_URL, target.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return {status, body};
  }

  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string why_;
};

}  // namespace ramp::testing
