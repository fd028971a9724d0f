#include "cli/SyntheticLoad.h"

#include <curl/curl.h>

#include <cctype>
#include <chrono>

namespace ramp::cli {

namespace {

size_t sink(char* p, size_t s, size_t n, void* u) {
  static_cast<std::string*>(u)->append(p, s * n);
  return s * n;
}

size_t header(char* p, size_t s, size_t n, void* u) {
  std::string line(p, s * n);
  static const std::string name = "x-ramp-version:";
  if (line.size() > name.size()) {
    std::string head = line.substr(0, name.size());
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (head == name) {
      std::string v = line.substr(name.size());
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(0, 1);
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
      *static_cast<std::string*>(u) = v;
    }
  }
  return s * n;
}

}  // namespace

SyntheticLoad::SyntheticLoad(std::string url, Options options) : url_(std::move(url)), options_(std::move(options)) {
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
}

SyntheticLoad::~SyntheticLoad() { stop(); }

void SyntheticLoad::start() {
  stop_ = false;
  for (int i = 0; i < options_.clients; ++i) {
    int kind = options_.mixed ? i % 3 : 0;
    threads_.emplace_back([this, kind] { run(kind); });
  }
}

void SyntheticLoad::stop() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

std::map<std::string, uint64_t> SyntheticLoad::versions() {
  std::lock_guard l(mu_);
  return versions_;
}

void SyntheticLoad::resetVersions() {
  std::lock_guard l(mu_);
  versions_.clear();
}

// kind 0: keep-alive GET, 1: fresh-connection GET, 2: POST /echo.
void SyntheticLoad::run(int kind) {
  CURL* c = curl_easy_init();
  while (!stop_) {
    std::string body, version;
    std::string target = url_ + (kind == 2 ? "/echo" : options_.path);
    curl_easy_setopt(c, CURLOPT_URL, target.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &version);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, kind == 1 ? 1L : 0L);
    if (kind == 2) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, "payload");
    } else {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    ++sent_;
    if (rc != CURLE_OK || status >= 500) {
      ++failed_;
    } else if (kind != 2) {
      if (version.empty()) {
        while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
        version = body;
      }
      std::lock_guard l(mu_);
      ++versions_[version];
    }
    if (options_.pauseMs > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options_.pauseMs));
  }
  curl_easy_cleanup(c);
}

}  // namespace ramp::cli
