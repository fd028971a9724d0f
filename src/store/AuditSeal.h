// AuditSeal.h — a signed copy of the audit chain's head, kept outside the chain.
//
// A hash chain proves that the events it holds are intact and in order, but
// not that its newest events were not cut off, nor that someone with write
// access to the store did not rewrite the whole chain from some point on
// (recomputing every later hash). The seal closes both gaps: it records the
// chain's (count, head hash) signed with a key that is NOT in the store:
//
//   mac = hex HMAC-SHA256(key, "<count>|<headHash>")
//
// The key is a file, by default `$RAMP_HOME/audit.key` (or
// $RAMP_AUDIT_KEY_FILE, or an explicit path): 32 random bytes as 64 hex
// characters, mode 0600, created on first update(). A key file that group or
// others can read is refused (naming the file). The seal is written to
// `$RAMP_HOME/audit.seal` (JSON {count, head, mac, time}, atomic, 0600) and
// copied into the store setting "audit_seal"; verify() checks both copies.
//
// update() seals only a chain that verifies: the first seal verifies the
// whole chain, later seals verify the new events against the sealed head
// (incremental, so the controller can call it after every tick), starting
// from the larger of the two copies (so deleting one copy does not let a cut
// chain be sealed afresh). It refuses, and changes nothing, if the chain no
// longer extends the sealed one or a copy's MAC does not match.
//
// verify() recomputes the whole chain (verifyStoredChain) and checks that the
// sealed (count, head) is a prefix of it and that the MAC matches:
//   - fewer events than sealed          -> truncated (names seq count+1);
//   - a different hash at the sealed seq -> rewritten (names the sealed seq);
//   - a MAC that does not match          -> forged seal (or a changed key);
//   - events but no seal at all          -> unsealed (cannot prove completeness).
// Residual risk: events appended after the last seal can be removed or
// rewritten without detection until the next seal covers them; whoever can
// read the key file can forge seals. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "store/Store.h"

namespace ramp::store {

struct SealRecord {
  int64_t count = 0;
  std::string head;   // hash of event `count` (kGenesisHash when count is 0)
  std::string mac;    // hex HMAC-SHA256(key, "count|head")
  int64_t time = 0;   // Unix ms when sealed (informational, not signed)

  nlohmann::json toJson() const;
  // Names the offending field on error.
  static Result<SealRecord> fromJson(const nlohmann::json& j);
};

struct AuditVerification {
  bool ok = true;                         // chain intact AND seal valid and consistent
  int64_t count = 0;                      // events in the store (examined)
  std::string head;                       // hash of the last intact event
  std::optional<int64_t> firstBrokenSeq;  // first event that does not verify
  std::string problem;                    // for people; empty when ok
  bool chainOk = true;
  bool sealOk = false;                    // a seal exists, its MAC matches, it is a prefix
  int64_t sealedCount = 0;
  std::string sealedHead;
  std::optional<int64_t> sealedAt;        // Unix ms

  // {ok, count, head, first_broken_seq, problem, chain_ok, sealed_count,
  //  sealed_head, sealed_at, seal_ok}
  nlohmann::json toJson() const;
};

class AuditSeal {
 public:
  // keyFile empty: $RAMP_AUDIT_KEY_FILE if set, else home/audit.key.
  AuditSeal(std::filesystem::path home, Clock& clock, std::filesystem::path keyFile = {});

  static std::filesystem::path defaultKeyFile(const std::filesystem::path& home);
  static std::string macOf(std::string_view key, int64_t count, const std::string& head);

  // Seals the current chain (see above). Cheap when nothing was appended.
  Status update(Store& store);
  // Read-only: never creates a key or a seal.
  Result<AuditVerification> verify(Store& store);

  const std::filesystem::path& keyFile() const { return keyFile_; }
  std::filesystem::path sealFile() const { return home_ / "audit.seal"; }

 private:
  // The raw key bytes; creates the key file if `create`.
  Result<std::string> loadKey(bool create);
  Result<std::optional<SealRecord>> readSealFile();
  Status writeSeal(Store& store, const std::string& key, int64_t count, const std::string& head);

  std::filesystem::path home_;
  Clock& clock_;
  std::filesystem::path keyFile_;
  std::mutex mu_;
  std::optional<SealRecord> last_;  // what this object sealed last (cache for update)
};

}  // namespace ramp::store
