#include "store/AuditSeal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "core/Home.h"
#include "core/Sha256.h"
#include "store/AuditChain.h"

namespace ramp::store {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kPage = 1000;

std::optional<std::string> fromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

// Constant-time comparison of two hex MACs.
bool sameMac(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// The stored event with this seq, if any.
Result<std::optional<AuditEvent>> eventAt(AuditStore& store, int64_t seq) {
  AuditFilter f;
  f.afterSeq = seq - 1;
  f.limit = 1;
  auto evs = store.listEvents(f);
  if (!evs) return std::unexpected(evs.error());
  if (evs->empty() || evs->front().seq != seq) return std::optional<AuditEvent>();
  return std::optional<AuditEvent>(evs->front());
}

}  // namespace

json sealToJson(const AuditSealRecord& s) {
  return json{{"count", s.count}, {"head", s.head}, {"mac", s.mac}, {"key_id", s.keyId}, {"time", s.time}};
}

Result<AuditSealRecord> sealFromJson(const json& j) {
  if (!j.is_object()) return invalid("a seal must be a JSON object", "seal");
  AuditSealRecord s;
  if (!j.contains("count") || !j["count"].is_number_integer()) return invalid("must be an integer", "count");
  s.count = j["count"].get<int64_t>();
  if (s.count < 0) return invalid("must not be negative", "count");
  if (!j.contains("head") || !j["head"].is_string()) return invalid("must be a string", "head");
  s.head = j["head"].get<std::string>();
  if (!j.contains("mac") || !j["mac"].is_string()) return invalid("must be a string", "mac");
  s.mac = j["mac"].get<std::string>();
  if (j.contains("key_id") && j["key_id"].is_string()) s.keyId = j["key_id"].get<std::string>();
  if (j.contains("time") && j["time"].is_number_integer()) s.time = j["time"].get<int64_t>();
  return s;
}

json AuditVerification::toJson() const {
  return json{{"ok", ok},
              {"count", count},
              {"head", head},
              {"first_broken_seq", firstBrokenSeq ? json(*firstBrokenSeq) : json(nullptr)},
              {"problem", problem},
              {"chain_ok", chainOk},
              {"sealed_count", sealedCount},
              {"sealed_head", sealedHead},
              {"sealed_at", sealedAt ? json(formatTime(fromUnixMillis(*sealedAt))) : json(nullptr)},
              {"seal_ok", sealOk},
              {"seal_checked", sealChecked}};
}

AuditSeal::AuditSeal(fs::path home, Clock& clock, fs::path keyFile)
    : home_(std::move(home)), clock_(clock),
      keyFile_(keyFile.empty() ? defaultKeyFile(home_) : std::move(keyFile)) {}

fs::path AuditSeal::defaultKeyFile(const fs::path& home) {
  const char* env = std::getenv("RAMP_AUDIT_KEY_FILE");
  if (env && *env) return fs::path(env);
  return home / "audit.key";
}

std::string AuditSeal::macOf(std::string_view key, int64_t count, const std::string& head) {
  return hmacSha256Hex(key, fmt::format("{}|{}", count, head));
}

std::string AuditSeal::keyIdOf(std::string_view key) { return hmacSha256Hex(key, "ramp-audit-key-id").substr(0, 16); }

Result<std::string> AuditSeal::loadKey(bool create) {
  const std::string where = keyFile_.string();
  struct stat sb {};
  if (::stat(keyFile_.c_str(), &sb) != 0) {
    if (errno != ENOENT) return unavailable(std::string("cannot read the audit key: ") + std::strerror(errno), where);
    if (!create) return notFound("the audit key file does not exist", where);
    std::error_code ec;
    if (keyFile_.has_parent_path()) fs::create_directories(keyFile_.parent_path(), ec);
    // O_EXCL: two processes creating the key at once never replace each other's.
    int fd = ::open(keyFile_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      std::string text = randomHex(32) + "\n";
      bool good = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
      ::close(fd);
      if (!good) {
        ::unlink(keyFile_.c_str());
        return unavailable("cannot write the audit key", where);
      }
    } else if (errno != EEXIST) {
      return unavailable(std::string("cannot create the audit key: ") + std::strerror(errno), where);
    }
    if (::stat(keyFile_.c_str(), &sb) != 0) return unavailable("the audit key vanished", where);
  }
  if (!S_ISREG(sb.st_mode)) return failedPrecondition("the audit key is not a regular file", where);
  if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
    return failedPrecondition(
        fmt::format("the audit key is accessible to group or others (mode {:o}); it must be "
                    "readable only by ramp: chmod 600 it",
                    sb.st_mode & 0777),
        where);
  }
  auto text = readFile(keyFile_, 4096);
  if (!text) return std::unexpected(text.error());
  std::string hex = *text;
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) hex.pop_back();
  auto key = hex.size() == 64 ? fromHex(hex) : std::nullopt;
  if (!key) return invalid("the audit key must be 64 hex characters (32 bytes)", where);
  return *key;
}

Result<std::optional<AuditSealRecord>> AuditSeal::readSealFile() {
  std::error_code ec;
  if (!fs::exists(sealFile(), ec)) return std::optional<AuditSealRecord>();
  auto text = readFile(sealFile(), 1 << 16);
  if (!text) return std::unexpected(text.error());
  auto j = json::parse(*text, nullptr, false);
  auto s = sealFromJson(j);
  if (!s) return invalid(s.error().describe(), sealFile().string());
  return std::optional<AuditSealRecord>(*s);
}

std::string AuditSeal::distrust(const AuditSealRecord& s, const std::string& key, const std::string& where) const {
  std::string mine = keyIdOf(key);
  if (!s.keyId.empty() && s.keyId != mine) {
    return fmt::format("{} was made with audit key {}, but this controller's key ({}) is {}: give every "
                       "controller the world's audit key (ramp serve --audit-key-file, or $RAMP_AUDIT_KEY_FILE)",
                       where, s.keyId, keyFile_.string(), mine);
  }
  if (!sameMac(s.mac, macOf(key, s.count, s.head))) {
    return fmt::format("{}: the MAC does not match (count {}, head {}): forged seal, or the key changed", where,
                       s.count, s.head);
  }
  return {};
}

Status AuditSeal::checkKey(AuditStore& store) {
  std::lock_guard lock(mu_);
  auto stored = store.getAuditSeal();
  if (!stored) return std::unexpected(stored.error());
  if (!*stored) return ok();  // never sealed: the first seal makes the key if there is none
  auto key = loadKey(false);
  if (!key) {
    if (key.error().code == ErrorCode::kNotFound) {
      return failedPrecondition(
          fmt::format("the audit log is sealed with key {}, and this controller has no audit key ({} does not "
                      "exist): give it the world's key (ramp serve --audit-key-file, or $RAMP_AUDIT_KEY_FILE)",
                      (*stored)->keyId.empty() ? "(unnamed)" : (*stored)->keyId, keyFile_.string()),
          "audit key");
    }
    return std::unexpected(key.error());
  }
  if (auto why = distrust(**stored, *key, "the store's seal"); !why.empty()) return failedPrecondition(why, "audit key");
  return ok();
}

Status AuditSeal::writeSeal(AuditStore& store, const std::string& key, int64_t count, const std::string& head) {
  AuditSealRecord s;
  s.count = count;
  s.head = head;
  s.mac = macOf(key, count, head);
  s.keyId = keyIdOf(key);
  s.time = toUnixMillis(clock_.now());
  // The shared seal first, then this home's witness of it.
  if (auto p = store.putAuditSeal(s); !p) return p;
  if (auto w = writeFileAtomic(sealFile(), sealToJson(s).dump() + "\n"); !w) return w;
  last_ = s;
  return ok();
}

Status AuditSeal::update(AuditStore& store) {
  std::lock_guard lock(mu_);
  auto stored = store.getAuditSeal();
  if (!stored) return std::unexpected(stored.error());
  // A key is made only for a world whose log was never sealed.
  auto key = loadKey(!*stored);
  if (!key) {
    if (key.error().code == ErrorCode::kNotFound) {
      return failedPrecondition("the audit log is sealed by another controller and this one has no audit key (" +
                                    keyFile_.string() +
                                    " does not exist); not sealing: give it the world's key (ramp serve "
                                    "--audit-key-file, or $RAMP_AUDIT_KEY_FILE)",
                                "audit key");
    }
    return std::unexpected(key.error());
  }

  // Where to start: the longest of what we sealed last, the store's seal and
  // this home's witness — each only if genuine.
  std::optional<AuditSealRecord> start = last_;
  bool witnessBehind = false;
  {
    std::vector<std::pair<std::string, AuditSealRecord>> found;
    if (*stored) found.emplace_back("the store's seal", **stored);
    if (!last_) {  // after our first seal the witness is what we wrote
      auto file = readSealFile();
      if (!file) return std::unexpected(file.error());
      if (*file) found.emplace_back("the witness " + sealFile().string(), **file);
      witnessBehind = !*file || (*stored && (*file)->count < (*stored)->count);
    }
    for (const auto& [where, s] : found) {
      if (auto why = distrust(s, *key, where); !why.empty()) {
        return failedPrecondition(why + "; not sealing over it: run `ramp audit verify`", "audit");
      }
      if (!start || s.count > start->count) start = s;
    }
  }

  int64_t count = 0;
  std::string head = kGenesisHash;
  if (start) {
    if (start->count > 0) {
      auto at = eventAt(store, start->count);
      if (!at) return std::unexpected(at.error());
      if (!*at) {
        return failedPrecondition(fmt::format("the sealed event seq {} is gone (log truncated); not "
                                              "sealing: run `ramp audit verify`",
                                              start->count),
                                  "audit");
      }
      if ((*at)->hash != start->head || hashOf(**at) != start->head) {
        return failedPrecondition(fmt::format("the sealed event seq {} changed (log rewritten); not "
                                              "sealing: run `ramp audit verify`",
                                              start->count),
                                  "audit");
      }
    }
    count = start->count;
    head = start->head;
  }
  // Verify every event after the start against it, page by page. Bounded:
  // each round consumes a full page or ends.
  const int64_t before = count;
  for (;;) {
    AuditFilter f;
    f.afterSeq = count;
    f.limit = kPage;
    auto page = store.listEvents(f);
    if (!page) return std::unexpected(page.error());
    if (page->empty()) break;
    ChainCheck part = verifyChain(*page, count + 1, head);
    if (!part.ok) {
      return failedPrecondition("the audit chain does not verify (" + part.problem +
                                    "); not sealing: run `ramp audit verify`",
                                "audit");
    }
    count += part.count;
    head = part.headHash;
    if (static_cast<int>(page->size()) < kPage) break;
  }
  bool storeCurrent = *stored && (*stored)->count == count;
  if (count == before && storeCurrent && !witnessBehind) return ok();  // nothing new
  return writeSeal(store, *key, count, head);
}

Result<AuditVerification> AuditSeal::verify(AuditStore& store) {
  std::lock_guard lock(mu_);
  AuditVerification v;
  auto chain = verifyStoredChain(store);
  if (!chain) return std::unexpected(chain.error());
  v.count = chain->count;
  v.head = chain->headHash;
  v.chainOk = chain->ok;
  std::vector<std::string> problems;
  if (!chain->ok) {
    v.firstBrokenSeq = chain->firstBrokenSeq;
    problems.push_back(chain->problem);
  }

  // The store's seal and this home's witness.
  std::vector<std::pair<std::string, AuditSealRecord>> seals;
  auto stored = store.getAuditSeal();
  if (!stored) return std::unexpected(stored.error());
  if (*stored) seals.emplace_back("the store's seal", **stored);
  auto file = readSealFile();
  if (!file) {
    problems.push_back("the witness file is unreadable: " + file.error().describe());
  } else if (*file) {
    seals.emplace_back("the witness " + sealFile().string(), **file);
    if (!*stored) {
      problems.push_back(fmt::format("the store's seal is missing (deleted?) while this home witnessed a seal "
                                     "of {} events",
                                     (*file)->count));
    } else if ((*file)->count > (*stored)->count) {
      problems.push_back(fmt::format("the store's seal covers {} events but this home sealed {}: the store's "
                                     "seal was moved back",
                                     (*stored)->count, (*file)->count));
    }
  }

  bool allSealsGood = !seals.empty() && *stored;
  if (!*stored && (!file || !*file)) {
    if (v.count > 0) {
      problems.push_back(fmt::format("the log has {} events but has never been sealed: its newest events "
                                     "cannot be proven complete",
                                     v.count));
    }
  } else {
    auto key = loadKey(false);
    if (!key) {
      allSealsGood = false;
      v.sealChecked = false;
      problems.push_back("cannot check the seal here: " + key.error().describe());
    } else {
      for (const auto& [name, s] : seals) {
        if (s.count > v.sealedCount || v.sealedHead.empty()) {
          v.sealedCount = s.count;
          v.sealedHead = s.head;
          v.sealedAt = s.time;
        }
        if (!s.keyId.empty() && s.keyId != keyIdOf(*key)) {
          allSealsGood = false;
          v.sealChecked = false;
          problems.push_back("cannot check the seal here: " + distrust(s, *key, name));
          continue;
        }
        if (auto why = distrust(s, *key, name); !why.empty()) {
          allSealsGood = false;
          problems.push_back(why);
          continue;
        }
        // The sealed (count, head) must be a prefix of the chain.
        if (!chain->ok && chain->firstBrokenSeq && s.count >= *chain->firstBrokenSeq) continue;  // named above
        if (s.count > v.count) {
          allSealsGood = false;
          if (!v.firstBrokenSeq) v.firstBrokenSeq = v.count + 1;
          problems.push_back(fmt::format("seq {}: the log was truncated: it has {} events but {} sealed {}",
                                         v.count + 1, v.count, name, s.count));
          continue;
        }
        std::string actual = kGenesisHash;
        if (s.count > 0) {
          auto at = eventAt(store, s.count);
          if (!at) return std::unexpected(at.error());
          actual = *at ? (*at)->hash : std::string();
        }
        if (actual != s.head) {
          allSealsGood = false;
          if (!v.firstBrokenSeq) v.firstBrokenSeq = s.count;
          problems.push_back(fmt::format("seq {}: the chain was rewritten: its hash is {} but {} sealed {}",
                                         s.count, actual, name, s.head));
        }
      }
    }
  }
  v.sealOk = allSealsGood;
  v.ok = v.chainOk && problems.empty();
  for (size_t i = 0; i < problems.size(); ++i) v.problem += (i ? "; " : "") + problems[i];
  return v;
}

}  // namespace ramp::store
