#include "infra/InfraChangeStore.h"

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

namespace ramp::infra {

namespace {

std::mutex& storeMutex() {
  static std::mutex mu;  // one per process: every InfraChangeStore of the controller
  return mu;
}

constexpr const char* kOpenIndex = "infra.changes.open";
constexpr const char* kAllIndex = "infra.changes.recent";
constexpr size_t kRecentKept = 200;

}  // namespace

Result<std::vector<std::string>> InfraChangeStore::readIndex(const std::string& key) {
  auto v = store_.getSetting(key);
  if (!v) return std::unexpected(v.error());
  std::vector<std::string> ids;
  if (!v->has_value()) return ids;
  auto j = nlohmann::json::parse(**v, nullptr, false);
  if (!j.is_array()) return internal("the setting " + key + " is not a JSON array of ids", key);
  for (const auto& x : j) {
    if (!x.is_string()) return internal("the setting " + key + " holds a non-string id", key);
    ids.push_back(x);
  }
  return ids;
}

Status InfraChangeStore::writeIndex(const std::string& key, const std::vector<std::string>& ids) {
  return store_.putSetting(key, nlohmann::json(ids).dump());
}

Result<InfraChange> InfraChangeStore::getLocked(const std::string& id) {
  auto v = store_.getSetting(keyOf(id));
  if (!v) return std::unexpected(v.error());
  if (!v->has_value()) return notFound("no infrastructure change " + id, "id");
  auto j = nlohmann::json::parse(**v, nullptr, false);
  auto c = InfraChange::fromJson(j);
  if (!c) return internal("the stored infrastructure change " + id + " does not read: " + c.error().describe(), keyOf(id));
  return c;
}

Status InfraChangeStore::insert(InfraChange& c) {
  std::lock_guard lock(storeMutex());
  if (c.id.rfind("infra-", 0) != 0) return invalid("an infrastructure change id starts with infra-", "id");
  auto existing = store_.getSetting(keyOf(c.id));
  if (!existing) return std::unexpected(existing.error());
  if (existing->has_value()) return conflict("infrastructure change " + c.id + " exists already", "id");
  c.revision = 1;
  if (auto s = store_.putSetting(keyOf(c.id), c.toJson().dump()); !s) return s;
  for (const char* key : {kOpenIndex, kAllIndex}) {
    if (key == std::string(kOpenIndex) && isFinal(c.state)) continue;
    auto ids = readIndex(key);
    if (!ids) return std::unexpected(ids.error());
    ids->push_back(c.id);
    if (key == std::string(kAllIndex) && ids->size() > kRecentKept) ids->erase(ids->begin());
    if (auto s = writeIndex(key, *ids); !s) return s;
  }
  return ok();
}

Status InfraChangeStore::update(InfraChange& c) {
  std::lock_guard lock(storeMutex());
  auto cur = getLocked(c.id);
  if (!cur) return std::unexpected(cur.error());
  if (cur->revision != c.revision) {
    return conflict(fmt::format("infrastructure change {} was changed meanwhile (revision {}, you read {})", c.id,
                                cur->revision, c.revision),
                    "id");
  }
  InfraChange next = c;
  next.revision = c.revision + 1;
  if (auto s = store_.putSetting(keyOf(c.id), next.toJson().dump()); !s) return s;
  c.revision = next.revision;
  if (isFinal(c.state)) {
    auto ids = readIndex(kOpenIndex);
    if (!ids) return std::unexpected(ids.error());
    auto it = std::find(ids->begin(), ids->end(), c.id);
    if (it != ids->end()) {
      ids->erase(it);
      if (auto s = writeIndex(kOpenIndex, *ids); !s) return s;
    }
  }
  return ok();
}

Result<InfraChange> InfraChangeStore::get(const std::string& id) {
  std::lock_guard lock(storeMutex());
  return getLocked(id);
}

Result<std::vector<InfraChange>> InfraChangeStore::listOpen(const std::optional<std::string>& env) {
  std::lock_guard lock(storeMutex());
  auto ids = readIndex(kOpenIndex);
  if (!ids) return std::unexpected(ids.error());
  std::vector<InfraChange> out;
  for (const auto& id : *ids) {
    auto c = getLocked(id);
    if (!c) return std::unexpected(c.error());
    if (env && c->env != *env) continue;
    out.push_back(std::move(*c));
  }
  return out;
}

Result<std::vector<InfraChange>> InfraChangeStore::listRecent(int limit) {
  std::lock_guard lock(storeMutex());
  auto ids = readIndex(kAllIndex);
  if (!ids) return std::unexpected(ids.error());
  std::vector<InfraChange> out;
  for (auto it = ids->rbegin(); it != ids->rend() && static_cast<int>(out.size()) < limit; ++it) {
    auto c = getLocked(*it);
    if (!c) return std::unexpected(c.error());
    out.push_back(std::move(*c));
  }
  return out;
}

}  // namespace ramp::infra
