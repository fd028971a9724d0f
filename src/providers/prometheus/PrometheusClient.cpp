#include "providers/prometheus/PrometheusClient.h"

#include <curl/curl.h>

#include <cmath>
#include <cstdlib>
#include <mutex>

#include <nlohmann/json.hpp>

namespace ramp::providers {

namespace {

constexpr size_t kMaxBody = 4u << 20;

size_t collect(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  size_t len = size * n;
  if (out->size() + len > kMaxBody) return 0;  // aborts the transfer: too big
  out->append(data, len);
  return len;
}

void globalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string clip(const std::string& s) { return s.size() > 200 ? s.substr(0, 200) + "..." : s; }

Result<double> number(const nlohmann::json& v) {
  // [ <unix time>, "<value>" ]; the value may be "NaN", "+Inf".
  if (!v.is_array() || v.size() != 2 || !v[1].is_string()) return invalid("a sample is not [time, \"value\"]", "prometheus");
  const std::string s = v[1].get<std::string>();
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) return invalid("sample value '" + clip(s) + "' is not a number", "prometheus");
  return d;
}

}  // namespace

PrometheusClient::PrometheusClient(std::string url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout) {
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
}

Result<std::vector<PromSample>> PrometheusClient::parse(long status, const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return unavailable("Prometheus answered HTTP " + std::to_string(status) + " with something that is not its API's JSON: " +
                           clip(body),
                       "prometheus");
  }
  if (j.value("status", "") != "success") {
    std::string why = j.value("errorType", "error") + ": " + j.value("error", "(no message)");
    if (status == 400 || status == 422) return invalid("Prometheus refused the query: " + why, "prometheus");
    return unavailable("Prometheus answered HTTP " + std::to_string(status) + ": " + why, "prometheus");
  }
  if (status != 200) return unavailable("Prometheus answered HTTP " + std::to_string(status), "prometheus");
  const auto& data = j.value("data", nlohmann::json::object());
  const std::string type = data.value("resultType", "");
  std::vector<PromSample> out;
  if (type == "scalar") {
    auto v = number(data.value("result", nlohmann::json()));
    if (!v) return std::unexpected(v.error());
    out.push_back({{}, *v});
    return out;
  }
  if (type != "vector") {
    return invalid("the query gives a " + (type.empty() ? std::string("result of no type") : type) +
                       ", not an instant vector (use sum(...) of counters, without a [range])",
                   "prometheus");
  }
  const auto& result = data.value("result", nlohmann::json::array());
  if (!result.is_array()) return invalid("the result is not a list", "prometheus");
  for (const auto& r : result) {
    PromSample s;
    if (r.contains("metric") && r["metric"].is_object())
      for (auto it = r["metric"].begin(); it != r["metric"].end(); ++it)
        if (it.value().is_string()) s.labels[it.key()] = it.value().get<std::string>();
    auto v = number(r.value("value", nlohmann::json()));
    if (!v) return std::unexpected(v.error());
    s.value = *v;
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<PromSample>> PrometheusClient::query(const std::string& promql) const {
  globalInit();
  CURL* c = curl_easy_init();
  if (!c) return internal("cannot create an HTTP client", "prometheus");
  char* escaped = curl_easy_escape(c, promql.c_str(), static_cast<int>(promql.size()));
  std::string target = url_ + "/api/v1/query?query=" + (escaped ? escaped : "");
  curl_free(escaped);
  std::string body;
  curl_easy_setopt(c, CURLOPT_URL, target.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  const long ms = static_cast<long>(std::max<int64_t>(1, timeout_.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "ramp-judge/1");
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return unavailable("Prometheus at " + url_ + " did not answer within " + std::to_string(ms) + " ms", "prometheus");
  if (rc == CURLE_WRITE_ERROR) return unavailable("Prometheus at " + url_ + " answered more than 4 MiB", "prometheus");
  if (rc != CURLE_OK)
    return unavailable("cannot reach Prometheus at " + url_ + ": " + curl_easy_strerror(rc), "prometheus");
  return parse(status, body);
}

}  // namespace ramp::providers
