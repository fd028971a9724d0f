// OutboxSender.h — delivers the store's alert outbox (store/OutboxStore.h):
// the leading controller's alert thread.
//
// An alert is written to the outbox in the same transaction as the audit
// event that causes it (the engine's DeploymentLedger, engine/AlertRule.h;
// infra.apply_failed from the infrastructure routes), so no crash separates
// the two. This sender then delivers each at least once:
//   sendDue() claims what is due (store::OutboxStore::claimDueAlerts, for
//   this leader's lease epoch: rows a dead leader had claimed are taken at
//   once), makes one attempt per row (AlertDelivery::attempt: signed
//   webhook or SNS; X-Ramp-Delivery "<event seq>-<index>" lets the receiver
//   deduplicate), and settles each: sent, or retried later (transport
//   failures, 408, 429, 5xx: due again after base * 2^(attempts-1), capped),
//   or failed for good (other statuses, unresolvable references, attempts
//   used up). The final outcome is an audit event in the same transaction:
//     notification.sent   {event, webhook|sns, attempts, status|message_id, trigger_seq}
//     notification.failed {event, webhook|sns, attempts, status, error, trigger_seq}
//   (no resolved secret or URL in either).
// start() runs sendDue every `poll` on one thread until stop(); stop() ends
// after the attempt in flight (bounded by `timeout`); what is not settled
// stays pending for the next leader. Nothing here blocks the engine.
//
// Thread-safety: sendDue is called from one thread at a time (start's, or a
// test's); start/stop from the owner's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "alerts/AlertPublisher.h"
#include "alerts/WebhookSender.h"
#include "core/Clock.h"
#include "core/Result.h"
#include "store/Store.h"

namespace ramp::alerts {

struct OutboxOptions {
  int maxAttempts = 5;                          // per destination
  std::chrono::milliseconds baseBackoff{500};   // after the first failed attempt
  std::chrono::milliseconds maxBackoff{8000};
  std::chrono::milliseconds timeout{5000};      // per attempt
  std::chrono::milliseconds poll{250};          // how often start()'s thread looks
  int batch = 16;                               // rows claimed per round
};

class OutboxSender {
 public:
  OutboxSender(store::Store& store, WebhookSender& sender, AlertPublisher* publisher, Clock& clock,
               std::filesystem::path home, int64_t epoch, OutboxOptions options = {});
  ~OutboxSender();  // stop()
  OutboxSender(const OutboxSender&) = delete;
  OutboxSender& operator=(const OutboxSender&) = delete;

  // One round; how many rows it settled (sent, retried or failed). An error
  // is the store's (nothing was claimed, or a settle failed: the row stays
  // claimed until its claim runs out, then is sent again).
  Result<int> sendDue();

  // While `gate` returns an error (this controller's lease is not fresh),
  // sendDue claims nothing and returns 0.
  void setActGate(std::function<Status()> gate);

  void start();
  void stop();  // idempotent

 private:
  store::Store& store_;
  WebhookSender& sender_;
  AlertPublisher* publisher_;
  Clock& clock_;
  std::filesystem::path home_;
  int64_t epoch_;
  OutboxOptions options_;
  std::function<Status()> gate_;  // set before start()

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace ramp::alerts
