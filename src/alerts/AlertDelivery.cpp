#include "alerts/AlertDelivery.h"

#include <algorithm>

#include <fmt/format.h>

#include "config/Reference.h"
#include "core/Sha256.h"

namespace ramp::alerts {

using nlohmann::json;

namespace {

struct Look {
  const char* title;
  const char* color;
  const char* icon;
};

Look lookOf(const std::string& event) {
  if (event == "deployment.failed") return {"deployment failed", "danger", ":x:"};
  if (event == "deployment.rolled_back") return {"deployment rolled back", "danger", ":rewind:"};
  if (event == "approval.requested") return {"awaiting approval", "warning", ":hourglass:"};
  if (event == "hotfix.started") return {"hotfix started", "warning", ":fire:"};
  if (event == "infra.apply_failed") return {"infrastructure apply failed", "danger", ":x:"};
  return {"deployment event", "#439FE0", ":information_source:"};
}

// The URL as configured, for the audit: no query string, no user info.
std::string shownUrl(const std::string& configured) {
  std::string u = configured.substr(0, configured.find_first_of("?#"));
  auto scheme = u.find("://");
  if (scheme != std::string::npos) {
    auto hostStart = scheme + 3;
    auto slash = u.find('/', hostStart);
    auto at = u.find('@', hostStart);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) u.erase(hostStart, at + 1 - hostStart);
  }
  return u;
}

// Replaces every occurrence of `secret` in `text` (errors must not carry it).
std::string scrub(std::string text, const std::string& secret, const std::string& with) {
  if (secret.size() < 4) return text;
  for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + with.size())) {
    text.replace(pos, secret.size(), with);
  }
  return text;
}

bool retryable(int status) { return status == 0 || status == 408 || status == 429 || status >= 500; }

}  // namespace

json AlertDelivery::body(const DeploymentEvent& e, int64_t timestamp) {
  Look look = lookOf(e.event);
  std::string text = fmt::format("{} {} {} in {}: {}", look.icon, e.service, e.version.empty() ? "" : e.version,
                                 e.env, look.title);
  if (!e.reason.empty()) text += " — " + e.reason;
  json fields = json::array();
  auto field = [&](const char* title, const std::string& value, bool isShort) {
    if (!value.empty()) fields.push_back({{"title", title}, {"value", value}, {"short", isShort}});
  };
  field("Service", e.service, true);
  field("Environment", e.env, true);
  field("Version", e.version, true);
  field("Deployment", e.deploymentId, true);
  field("By", e.actor, true);
  field("Reason", e.reason, false);
  json attachment{{"color", look.color},
                  {"title", fmt::format("{} {}", e.service, look.title)},
                  {"fields", fields},
                  {"footer", "ramp"},
                  {"ts", timestamp}};
  if (!e.url.empty()) attachment["title_link"] = e.url;
  return json{{"text", text},
              {"attachments", json::array({attachment})},
              {"event", e.event},
              {"service", e.service},
              {"env", e.env},
              {"deployment", e.deploymentId},
              {"version", e.version},
              {"reason", e.reason},
              {"actor", e.actor},
              {"url", e.url.empty() ? json(nullptr) : json(e.url)},
              {"audit_seq", e.seq},
              {"timestamp", timestamp}};
}

std::string AlertDelivery::subject(const DeploymentEvent& e) {
  Look look = lookOf(e.event);
  std::string text = "ramp: " + e.service;
  if (!e.version.empty()) text += " " + e.version;
  text += " in " + e.env + ": " + look.title;
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (out.size() == 100) break;
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  return out;
}

json AlertDelivery::whereOf(const json& a) {
  if (a.is_object() && a.contains("sns") && a["sns"].is_string()) return {{"sns", a["sns"]}};
  std::string configured =
      a.is_object() && a.contains("webhook") && a["webhook"].is_string() ? a["webhook"].get<std::string>() : "";
  return {{"webhook", shownUrl(configured)}};
}

DeliveryAttempt AlertDelivery::attempt(const DeploymentEvent& event, const json& a, size_t index, WebhookSender& sender,
                                       AlertPublisher* publisher, const std::filesystem::path& home,
                                       int64_t nowSeconds, std::chrono::milliseconds timeout) {
  DeliveryAttempt out;
  out.where = whereOf(a);
  if (out.where.contains("sns")) {
    if (!publisher) {
      out.error = "no SNS publisher: this ramp cannot publish to SNS topics";
      out.tried = false;
      return out;
    }
    PublishOutcome p = publisher->publish(a["sns"].get<std::string>(), subject(event), body(event, nowSeconds).dump(),
                                          timeout);
    out.sent = p.delivered;
    out.messageId = p.messageId;
    if (!p.delivered) {
      out.error = p.error;
      out.retryable = p.retryable;
    }
    return out;
  }
  std::string configured =
      a.is_object() && a.contains("webhook") && a["webhook"].is_string() ? a["webhook"].get<std::string>() : "";
  if (configured.empty()) {
    out.error = fmt::format("alerts[{}].webhook is missing", index);
    out.tried = false;
    return out;
  }
  auto url = config::expandReferences(configured, home);
  if (!url) {
    out.error = fmt::format("alerts[{}].webhook: {}", index, url.error().describe());
    out.tried = false;
    return out;
  }
  std::string secret;
  if (a.contains("secret") && a["secret"].is_string() && !a["secret"].get<std::string>().empty()) {
    auto s = config::expandReferences(a["secret"].get<std::string>(), home);
    if (!s) {
      out.error = fmt::format("alerts[{}].secret: {}", index, s.error().describe());
    out.tried = false;
      return out;
    }
    secret = *s;
  }
  std::string text = body(event, nowSeconds).dump();
  std::vector<std::pair<std::string, std::string>> headers{{"X-Ramp-Event", event.event},
                                                           {"X-Ramp-Delivery", fmt::format("{}-{}", event.seq, index)},
                                                           {"X-Ramp-Timestamp", std::to_string(nowSeconds)}};
  if (!secret.empty()) headers.emplace_back("X-Ramp-Signature", "sha256=" + hmacSha256Hex(secret, text));
  WebhookResponse r = sender.post(*url, headers, text, timeout);
  if (r.status) out.status = r.status;
  if (r.status >= 200 && r.status < 300) {
    out.sent = true;
    return out;
  }
  out.retryable = retryable(r.status);
  std::string error = r.status ? fmt::format("HTTP {}", r.status) : r.error;
  out.error = scrub(scrub(error, *url, shownUrl(configured)), secret, "***");
  return out;
}

}  // namespace ramp::alerts
