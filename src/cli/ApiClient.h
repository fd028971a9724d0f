// ApiClient.h — the CLI's side of the controller API.
//
// Finds the controller (--server, $RAMP_SERVER, else the address recorded in
// the home's controller.json, starting a local `ramp serve --supervised` for
// that home if none answers) and the token (--token, $RAMP_TOKEN, else the home's
// admin.token), then makes JSON calls. Failures come back as Errors carrying
// the server's message and field. An https:// controller's certificate is
// checked against --ca-cert / $RAMP_CA_CERT (else the system's CAs); a TLS
// failure is kUnavailable saying so and naming --ca-cert. A call that finds
// the home's own controller dead (connection refused, or a read that lost
// its answer) starts it again and is repeated once; a write whose answer was
// lost is not repeated (it may have been done) and fails as kUnavailable.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/CommandRegistry.h"
#include "core/Result.h"

namespace ramp::cli {

class ApiClient {
 public:
  // Connects to the world the global options name; starts its controller if
  // `autostart` and none is running.
  static Result<ApiClient> connect(const GlobalOptions& global, bool autostart = true);

  Result<nlohmann::json> get(const std::string& path);
  Result<nlohmann::json> post(const std::string& path, const nlohmann::json& body);
  // Streams server-sent events; calls onEvent(data) per event, and
  // onEvent("") per keep-alive comment (so a caller can pace other work),
  // until it returns false.
  Status stream(const std::string& path, const std::function<bool(const std::string&)>& onEvent);

  const std::string& baseUrl() const { return base_; }
  const std::filesystem::path& home() const { return home_; }

 private:
  // `retried`: this is the one repetition after starting the controller again.
  Result<nlohmann::json> call(const std::string& method, const std::string& path,
                              const std::string* body, bool retried = false);
  std::string base_;
  std::string token_;
  std::string caCert_;
  std::filesystem::path home_;
  bool restartable_ = false;  // the home's own controller: started again when found dead
};

// A write a command makes and reports (user add|disable, token revoke):
// POST BODY to PATH of the world GLOBAL names, then print the answer as JSON
// when `json`, else the line `say(answer)`. The command's exit code (1 with
// the error reported).
int postAndReport(const GlobalOptions& global, const std::string& path, const nlohmann::json& body, bool json,
                  const std::function<std::string(const nlohmann::json&)>& say);

// Starts `ramp serve` for `home` in the background if it is not answering,
// and waits until it does. Returns its base URL.
Result<std::string> ensureController(const std::filesystem::path& home);
// The running controller of `home`, if any answers.
std::optional<std::string> runningController(const std::filesystem::path& home);
// Path of this executable (used to start controllers, routers and shims).
std::filesystem::path selfBinary();

}  // namespace ramp::cli
