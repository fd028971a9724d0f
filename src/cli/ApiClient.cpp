#include "cli/ApiClient.h"

#include <curl/curl.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <cstdlib>
#include <thread>

#include "cli/ControllerInfo.h"
#include "core/ControllerLife.h"
#include "core/Home.h"
#include "server/HttpError.h"

namespace ramp::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

size_t collect(char* ptr, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(ptr, size * n);
  return size * n;
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

// GET base/api/v1/health with a short timeout.
bool healthy(const std::string& base) {
  static CurlGlobal g;
  CURL* c = curl_easy_init();
  std::string body;
  std::string url = base + "/api/v1/health";
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  // An https:// controller recorded in the home: its CA from $RAMP_CA_CERT.
  if (const char* ca = std::getenv("RAMP_CA_CERT"); ca && *ca) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  return rc == CURLE_OK && status == 200;
}

// Certificate checks for https:// controllers; a readable message for TLS
// failures (curl's error buffer has the detail).
void useTls(CURL* c, const std::string& caCert, char* errorBuffer) {
  errorBuffer[0] = '\0';
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errorBuffer);
  if (!caCert.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, caCert.c_str());
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
}

std::string transportError(CURLcode rc, const char* errorBuffer, const std::string& base, const std::string& caCert) {
  std::string detail = errorBuffer && *errorBuffer ? errorBuffer : curl_easy_strerror(rc);
  std::string msg = "cannot reach the controller at " + base + ": " + detail;
  bool tlsFailure = rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
                    rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM;
  if (tlsFailure) {
    msg = "TLS failure talking to " + base + ": " + detail +
          (caCert.empty() ? " (pass --ca-cert FILE or set RAMP_CA_CERT to the CA that signed the controller's certificate)"
                          : " (checked against the CA in " + caCert + ", from --ca-cert / RAMP_CA_CERT)");
  }
  return msg;
}

}  // namespace

fs::path selfBinary() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path("ramp") : p;
}

std::optional<std::string> runningController(const fs::path& home) {
  auto info = controllerInfo(home);
  if (!info || !healthy(info->url)) return std::nullopt;
  return info->url;
}

Result<std::string> ensureController(const fs::path& home) {
  if (auto r = runningController(home)) return *r;
  // Started supervised: from now on the router brings it back when it dies
  // (core/ControllerLife.h). The start lock makes sure that a CLI and the
  // router starting it at the same moment make one controller, not two. A
  // home whose supervised controller was started with other flags (its
  // store, its address) gets that same command back.
  auto argv = ControllerLife::supervisedCommand(home)
                  .value_or(std::vector<std::string>{selfBinary().string(), "serve", "--home", home.string(),
                                                     "--supervised"});
  auto started = ControllerLife::start(home, argv, std::chrono::seconds(20));
  if (!started) return std::unexpected(started.error());
  // Alive; wait until it answers (it opens the store and the router first).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto r = runningController(home)) return *r;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto log = readFile(home / "controller.log", 1 << 20);
  std::string tail = log ? log->substr(log->size() > 600 ? log->size() - 600 : 0) : "";
  return unavailable("the controller did not answer within 20 s; its log says:\n" + tail,
                     (home / "controller.log").string());
}

Result<ApiClient> ApiClient::connect(const GlobalOptions& global, bool autostart) {
  ApiClient c;
  c.home_ = resolveHome(global.home);
  if (global.server && !global.server->empty()) {
    c.base_ = *global.server;
    if (c.base_.rfind("http", 0) != 0) c.base_ = "http://" + c.base_;
  } else if (autostart) {
    auto base = ensureController(c.home_);
    if (!base) return std::unexpected(base.error());
    c.base_ = *base;
    c.restartable_ = true;
  } else {
    auto base = runningController(c.home_);
    if (!base) return unavailable("no controller is running for " + c.home_.string(), "--home");
    c.base_ = *base;
  }
  // --ca-cert sets $RAMP_CA_CERT (main.cpp).
  if (const char* ca = std::getenv("RAMP_CA_CERT"); ca && *ca) {
    std::error_code ec;
    if (!fs::is_regular_file(ca, ec)) {
      return invalid(std::string("no such CA certificate file: ") + ca, "--ca-cert / RAMP_CA_CERT");
    }
    c.caCert_ = ca;
  }
  if (global.token && !global.token->empty()) {
    c.token_ = *global.token;
  } else {
    auto t = readFile(c.home_ / "admin.token", 4096);
    if (!t) {
      return fail(ErrorCode::kUnauthenticated,
                  "no token: pass --token or set RAMP_TOKEN (no admin.token in " + c.home_.string() + ")",
                  "--token");
    }
    c.token_ = *t;
    while (!c.token_.empty() && (c.token_.back() == '\n' || c.token_.back() == '\r')) c.token_.pop_back();
  }
  return c;
}

Result<json> ApiClient::call(const std::string& method, const std::string& path, const std::string* body,
                             bool retried) {
  static CurlGlobal g;
  CURL* c = curl_easy_init();
  std::string resp;
  std::string url = base_ + path;
  curl_slist* headers = nullptr;
  std::string auth = "Authorization: Bearer " + token_;
  headers = curl_slist_append(headers, auth.c_str());
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 120000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  char errorBuffer[CURL_ERROR_SIZE];
  useTls(c, caCert_, errorBuffer);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    // The home's controller died: start it again and repeat the call once,
    // when that is safe — nothing was sent (no connection), or a read.
    bool nothingSent = rc == CURLE_COULDNT_CONNECT;
    if (restartable_ && !retried && (nothingSent || method == "GET")) {
      if (auto base = ensureController(home_)) {
        base_ = *base;
        return call(method, path, body, true);
      }
    }
    return unavailable(transportError(rc, errorBuffer, base_, caCert_));
  }
  if (status < 200 || status >= 300) {
    return std::unexpected(server::errorFromResponse(static_cast<int>(status), resp));
  }
  auto j = json::parse(resp, nullptr, false);
  if (j.is_discarded()) return internal("the controller answered with invalid JSON", path);
  return j;
}

Result<json> ApiClient::get(const std::string& path) { return call("GET", path, nullptr); }

Result<json> ApiClient::post(const std::string& path, const json& body) {
  std::string s = body.dump();
  return call("POST", path, &s);
}

Status ApiClient::stream(const std::string& path, const std::function<bool(const std::string&)>& onEvent) {
  static CurlGlobal g;
  struct Ctx {
    std::string buf;
    const std::function<bool(const std::string&)>* cb;
    bool stop = false;
  } ctx{"", &onEvent};
  auto write = [](char* ptr, size_t size, size_t n, void* user) -> size_t {
    auto* c = static_cast<Ctx*>(user);
    c->buf.append(ptr, size * n);
    size_t pos;
    while ((pos = c->buf.find("\n\n")) != std::string::npos) {
      std::string ev = c->buf.substr(0, pos);
      c->buf.erase(0, pos + 2);
      std::string data;
      size_t i = 0;
      while (i < ev.size()) {
        size_t e = ev.find('\n', i);
        if (e == std::string::npos) e = ev.size();
        std::string line = ev.substr(i, e - i);
        if (line.rfind("data: ", 0) == 0) data += line.substr(6);
        i = e + 1;
      }
      bool keepAlive = data.empty() && ev.rfind(":", 0) == 0;
      if ((!data.empty() || keepAlive) && !(*c->cb)(data)) {
        c->stop = true;
        return 0;
      }
    }
    return size * n;
  };
  CURL* c = curl_easy_init();
  std::string url = base_ + path;
  curl_slist* headers = nullptr;
  std::string auth = "Authorization: Bearer " + token_;
  headers = curl_slist_append(headers, auth.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  char errorBuffer[CURL_ERROR_SIZE];
  useTls(c, caCert_, errorBuffer);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK && !ctx.stop) {
    return unavailable("event stream ended: " + transportError(rc, errorBuffer, base_, caCert_));
  }
  return ok();
}

int postAndReport(const GlobalOptions& global, const std::string& path, const nlohmann::json& body, bool json,
                  const std::function<std::string(const nlohmann::json&)>& say) {
  auto api = ApiClient::connect(global);
  if (!api) return reportError(api.error().describe());
  auto r = api->post(path, body);
  if (!r) return reportError(r.error().describe());
  if (json) std::cout << r->dump(2) << std::endl;
  else std::cout << say(*r);
  return kExitOk;
}

}  // namespace ramp::cli
