// AlertFeed.h — feeds new audit events to a Notifier; what the controller ticks.
//
// poll() reads the audit events appended since the last poll, and for each
// one that Notifier::alertFor would alert on, looks up its deployment's
// rendered config (the `alerts` list) and calls Notifier::onAudit. Progress
// is kept in the store setting "alerts:last_seq", so a restarted controller
// continues where it stopped (events recorded while it was down still
// alert) and never alerts twice for the same event from one store. On the
// very first poll of a world it starts at the current end of the log: old
// history does not alert. poll() reads at most `maxEvents` per call, never
// waits on the network (the notifier queues), and its failures (store
// unreadable) are returned for logging only: they must not stop a tick.
#pragma once

#include "core/Result.h"
#include "alerts/Notifier.h"
#include "store/Store.h"

namespace ramp::alerts {

class AlertFeed {
 public:
  AlertFeed(store::Store& store, Notifier& notifier);
  // How many notifications were handed to the notifier.
  Result<int> poll(int maxEvents = 500);

 private:
  store::Store& store_;
  Notifier& notifier_;
  std::optional<int64_t> lastSeq_;
};

}  // namespace ramp::alerts
