// VersionTraffic.h — closed-loop GET traffic for the end-to-end tests:
// `threads` clients against one entry point (optionally with extra request
// headers, and a path other than "/"), counting answers and failures
// (connection errors, 5xx) per release version (the X-Ramp-Version answer
// header; "?" when absent), and when each version last answered. Each
// client stops after two minutes at the latest.
#pragma once

#include <curl/curl.h>
#include <strings.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ramp::e2e {

class VersionTraffic {
 public:
  VersionTraffic(std::string url, int threads, std::vector<std::string> headers = {}, std::string path = "/")
      : url_(std::move(url)), threads_(threads), headers_(std::move(headers)), path_(std::move(path)) {}
  ~VersionTraffic() { stop(); }
  void start() {
    for (int i = 0; i < threads_; ++i) pool_.emplace_back([this] { run(); });
  }
  void stop() {
    stop_ = true;
    for (auto& t : pool_) t.join();
    pool_.clear();
  }
  std::map<std::string, uint64_t> answers() {
    std::lock_guard l(mu_);
    return answers_;
  }
  std::map<std::string, uint64_t> failures() {
    std::lock_guard l(mu_);
    return failures_;
  }
  // When `version` last answered (steady clock); nullopt if it never did.
  std::optional<std::chrono::steady_clock::time_point> lastAnswer(const std::string& version) {
    std::lock_guard l(mu_);
    auto it = last_.find(version);
    if (it == last_.end()) return std::nullopt;
    return it->second;
  }

 private:
  static size_t sink(char*, size_t s, size_t n, void*) { return s * n; }
  static size_t header(char* p, size_t s, size_t n, void* u) {
    std::string line(p, s * n);
    if (line.size() > 15 && strncasecmp(line.c_str(), "X-Ramp-Version:", 15) == 0) {
      std::string v = line.substr(15);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
      *static_cast<std::string*>(u) = v;
    }
    return s * n;
  }
  void run() {
    CURL* c = curl_easy_init();
    curl_slist* hs = nullptr;
    for (auto& h : headers_) hs = curl_slist_append(hs, h.c_str());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (!stop_ && std::chrono::steady_clock::now() < deadline) {
      std::string version;
      std::string target = url_ + path_;
      curl_easy_setopt(c, CURLOPT_URL, target.c_str());
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header);
      curl_easy_setopt(c, CURLOPT_HEADERDATA, &version);
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
      CURLcode rc = curl_easy_perform(c);
      long status = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
      std::lock_guard l(mu_);
      if (rc != CURLE_OK || status >= 500) {
        ++failures_[version.empty() ? "?" : version];
      }
      if (!version.empty()) {
        ++answers_[version];
        last_[version] = std::chrono::steady_clock::now();
      }
    }
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
  }
  std::string url_;
  int threads_;
  std::vector<std::string> headers_;
  std::string path_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<std::string, uint64_t> answers_, failures_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_;
  std::vector<std::thread> pool_;
};

}  // namespace ramp::e2e
