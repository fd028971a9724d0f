#include "providers/local/HealthProbe.h"

#include <curl/curl.h>

#include <mutex>

namespace ramp::providers {

namespace {
size_t discard(char*, size_t size, size_t n, void*) { return size * n; }
}  // namespace

Status HealthProbe::check(int port, const std::string& path, std::chrono::milliseconds timeout) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::string p = path.empty() || path[0] != '/' ? "/" + path : path;
  std::string url = "http://127.0.0.1:" + std::to_string(port) + p;
  CURL* h = curl_easy_init();
  if (!h) return internal("curl_easy_init failed");
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count() > 0 ? timeout.count() : 1));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count() > 0 ? timeout.count() : 1));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &discard);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(h);
  if (rc != CURLE_OK) return unavailable(std::string("GET ") + url + ": " + curl_easy_strerror(rc));
  if (status < 200 || status >= 400) {
    return unavailable("GET " + url + ": status " + std::to_string(status));
  }
  return ok();
}

}  // namespace ramp::providers
