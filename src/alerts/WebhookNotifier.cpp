#include "alerts/WebhookNotifier.h"

#include <algorithm>
#include <iostream>

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

WebhookNotifier::WebhookNotifier(store::Store& store, WebhookSender& sender, Clock& clock,
                                 std::filesystem::path home, WebhookOptions options, AlertPublisher* publisher)
    : store_(store), sender_(sender), publisher_(publisher), clock_(clock), home_(std::move(home)), options_(options) {
  options_.maxAttempts = std::clamp(options_.maxAttempts, 1, 20);
  options_.queueLimit = std::max<size_t>(1, options_.queueLimit);
  worker_ = std::thread([this] { run(); });
}

WebhookNotifier::~WebhookNotifier() { stop(); }

json WebhookNotifier::body(const DeploymentEvent& e, int64_t timestamp) {
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

std::string WebhookNotifier::subject(const DeploymentEvent& e) {
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

void WebhookNotifier::notify(const DeploymentEvent& event) {
  if (event.alerts.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && queue_.size() < options_.queueLimit) {
      queue_.push_back(event);
      cv_.notify_all();
      return;
    }
  }
  for (size_t i = 0; i < event.alerts.size(); ++i) {
    const json& a = event.alerts[i];
    bool sns = a.is_object() && a.contains("sns") && a["sns"].is_string();
    std::string configured = sns ? a["sns"].get<std::string>()
                             : a.is_object() && a.contains("webhook") && a["webhook"].is_string()
                                 ? a["webhook"].get<std::string>()
                                 : std::string();
    record(event, false,
           {{"event", event.event},
            {sns ? "sns" : "webhook", sns ? configured : shownUrl(configured)},
            {"attempts", 0},
            {"status", nullptr},
            {"error", "not sent: the notification queue is full or ramp is stopping"},
            {"trigger_seq", event.seq}});
  }
}

void WebhookNotifier::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !worker_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool WebhookNotifier::waitIdle(std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return idleCv_.wait_for(lock, limit, [&] { return queue_.empty() && !busy_; });
}

void WebhookNotifier::run() {
  // Bounded: each round takes one event off a bounded queue; it ends on stop.
  for (;;) {
    DeploymentEvent event;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping and nothing left
      event = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    deliver(event);
    {
      std::lock_guard lock(mu_);
      busy_ = false;
      if (queue_.empty()) idleCv_.notify_all();
    }
  }
  std::lock_guard lock(mu_);
  idleCv_.notify_all();
}

bool WebhookNotifier::backoff(int attempt) {
  auto wait = options_.baseBackoff * (int64_t{1} << std::min(attempt - 1, 20));
  wait = std::min(wait, options_.maxBackoff);
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, wait, [&] { return stopping_; });
}

void WebhookNotifier::publishTo(const DeploymentEvent& event, const std::string& arn) {
  json data{{"event", event.event}, {"sns", arn}, {"trigger_seq", event.seq}};
  if (!publisher_) {
    data["attempts"] = 0;
    data["error"] = "no SNS publisher: this ramp cannot publish to SNS topics";
    record(event, false, data);
    return;
  }
  std::string message = WebhookNotifier::body(event, toUnixMillis(clock_.now()) / 1000).dump();
  std::string subj = subject(event);
  PublishOutcome last;
  int attempts = 0;
  bool stopped = false;
  for (int attempt = 1; attempt <= options_.maxAttempts; ++attempt) {
    attempts = attempt;
    last = publisher_->publish(arn, subj, message, options_.timeout);
    if (last.delivered || !last.retryable || attempt == options_.maxAttempts) break;
    if (!backoff(attempt)) {
      stopped = true;
      break;
    }
  }
  data["attempts"] = attempts;
  if (last.delivered) {
    data["message_id"] = last.messageId;
    record(event, true, data);
    return;
  }
  data["error"] = last.error + (stopped ? " (ramp stopped before the next attempt)" : "");
  record(event, false, data);
}

void WebhookNotifier::deliver(const DeploymentEvent& event) {
  for (size_t i = 0; i < event.alerts.size(); ++i) {
    const json& a = event.alerts[i];
    if (a.is_object() && a.contains("sns") && a["sns"].is_string()) {
      publishTo(event, a["sns"].get<std::string>());
      continue;
    }
    std::string configured = a.is_object() && a.contains("webhook") && a["webhook"].is_string()
                                 ? a["webhook"].get<std::string>()
                                 : std::string();
    json data{{"event", event.event}, {"webhook", shownUrl(configured)}, {"trigger_seq", event.seq}};
    auto failWith = [&](int attempts, std::optional<int> status, const std::string& error) {
      data["attempts"] = attempts;
      data["status"] = status ? json(*status) : json(nullptr);
      data["error"] = error;
      record(event, false, data);
    };
    if (configured.empty()) {
      failWith(0, std::nullopt, fmt::format("alerts[{}].webhook is missing", i));
      continue;
    }
    auto url = config::expandReferences(configured, home_);
    if (!url) {
      failWith(0, std::nullopt, fmt::format("alerts[{}].webhook: {}", i, url.error().describe()));
      continue;
    }
    std::string secret;
    if (a.contains("secret") && a["secret"].is_string() && !a["secret"].get<std::string>().empty()) {
      auto s = config::expandReferences(a["secret"].get<std::string>(), home_);
      if (!s) {
        failWith(0, std::nullopt, fmt::format("alerts[{}].secret: {}", i, s.error().describe()));
        continue;
      }
      secret = *s;
    }
    int64_t ts = toUnixMillis(clock_.now()) / 1000;
    std::string body = WebhookNotifier::body(event, ts).dump();
    std::vector<std::pair<std::string, std::string>> headers{
        {"X-Ramp-Event", event.event},
        {"X-Ramp-Delivery", fmt::format("{}-{}", event.seq, i)},
        {"X-Ramp-Timestamp", std::to_string(ts)}};
    if (!secret.empty()) headers.emplace_back("X-Ramp-Signature", "sha256=" + hmacSha256Hex(secret, body));

    WebhookResponse last;
    int attempts = 0;
    bool stopped = false;
    for (int attempt = 1; attempt <= options_.maxAttempts; ++attempt) {
      attempts = attempt;
      last = sender_.post(*url, headers, body, options_.timeout);
      if (last.status >= 200 && last.status < 300) break;
      if (!retryable(last.status) || attempt == options_.maxAttempts) break;
      if (!backoff(attempt)) {
        stopped = true;
        break;
      }
    }
    if (last.status >= 200 && last.status < 300) {
      data["attempts"] = attempts;
      data["status"] = last.status;
      record(event, true, data);
      continue;
    }
    std::string error = last.status ? fmt::format("HTTP {}", last.status) : last.error;
    if (stopped) error += " (ramp stopped before the next attempt)";
    error = scrub(scrub(error, *url, shownUrl(configured)), secret, "***");
    failWith(attempts, last.status ? std::optional<int>(last.status) : std::nullopt, error);
  }
}

void WebhookNotifier::record(const DeploymentEvent& event, bool sent, const json& data) {
  store::AuditEventInput in;
  in.time = toUnixMillis(clock_.now());
  in.actor = "ramp";
  in.kind = sent ? "notification.sent" : "notification.failed";
  in.service = event.service;
  in.env = event.env;
  in.deploymentId = event.deploymentId;
  in.data = data;
  if (auto r = store_.appendEvent(in); !r) {
    std::cerr << "ramp: cannot record " << in.kind << ": " << r.error().describe() << std::endl;
  }
}

}  // namespace ramp::alerts
