#include "engine/Strands.h"

namespace ramp::engine {

Strands::Strands(size_t workers) : synchronous_(workers == 0) {
  for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

Strands::~Strands() { stop(); }

bool Strands::busyLocked(const std::string& key) const {
  auto it = strands_.find(key);
  return it != strands_.end() && (it->second.running || !it->second.jobs.empty());
}

bool Strands::queue(const std::string& key, std::function<void()> job, bool onlyWhenIdle) {
  if (synchronous_) {
    job();
    return true;
  }
  std::lock_guard lock(mu_);
  if (stopping_ || (onlyWhenIdle && busyLocked(key))) return false;
  auto& s = strands_[key];
  s.jobs.push_back(std::move(job));
  ++pending_;
  if (!s.running && s.jobs.size() == 1) {
    runnable_.push_back(key);
    ready_.notify_one();
  }
  return true;
}

bool Strands::post(const std::string& key, std::function<void()> job) {
  return queue(key, std::move(job), /*onlyWhenIdle=*/false);
}

bool Strands::postIfIdle(const std::string& key, std::function<void()> job) {
  return queue(key, std::move(job), /*onlyWhenIdle=*/true);
}

bool Strands::busy(const std::string& key) {
  std::lock_guard lock(mu_);
  return busyLocked(key);
}

size_t Strands::pending() {
  std::lock_guard lock(mu_);
  return pending_;
}

void Strands::waitIdle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return pending_ == 0 || stopping_; });
}

void Strands::waitIdle(const std::string& key) {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return stopping_ || !busyLocked(key); });
}

void Strands::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    ready_.wait(lock, [this] { return stopping_ || !runnable_.empty(); });
    if (stopping_) return;
    std::string key = std::move(runnable_.front());
    runnable_.pop_front();
    auto& s = strands_[key];
    auto job = std::move(s.jobs.front());
    s.jobs.pop_front();
    s.running = true;
    lock.unlock();
    job();
    lock.lock();
    auto& after = strands_[key];
    after.running = false;
    --pending_;
    if (!after.jobs.empty()) {
      runnable_.push_back(key);
      ready_.notify_one();
    } else {
      strands_.erase(key);  // idle strands cost nothing
    }
    idle_.notify_all();
  }
}

void Strands::stop() {
  std::lock_guard joining(joinMu_);  // two stop()s at once: the second waits for the first
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    // Queued jobs are dropped; running ones finish.
    for (auto& [key, s] : strands_) {
      pending_ -= s.jobs.size();
      s.jobs.clear();
    }
    runnable_.clear();
  }
  ready_.notify_all();
  idle_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace ramp::engine
