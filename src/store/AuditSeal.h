// AuditSeal.h — a signed copy of the audit chain's head, kept with the chain
// and witnessed by every home that seals.
//
// A hash chain proves that the events it holds are intact and in order, but
// not that its newest events were not cut off, nor that someone with write
// access to the store did not rewrite the whole chain from some point on
// (recomputing every later hash). The seal closes both gaps: it records the
// chain's (count, head) signed with a key that is NOT in the store:
//
//   mac = hex HMAC-SHA256(key, "<count>|<headHash>")
//
// The key: one per world, given to every controller from one source — a key
// file (`ramp serve --audit-key-file`, else $RAMP_AUDIT_KEY_FILE, else
// `$RAMP_HOME/audit.key`): 32 random bytes as 64 hex characters, mode 0600.
// A key file that group or others can read is refused (naming the file).
// keyIdOf(key) (16 hex characters of HMAC(key, "ramp-audit-key-id")) names
// the key in the seal without revealing it, so a controller given another
// key says so instead of calling the seal forged. The key file is created
// only for a world whose log was never sealed.
//
// Where seals live: the store's seal row (AuditStore.h: shared by every
// controller, moved forward only) and this home's witness file
// `$RAMP_HOME/audit.seal` (JSON {count, head, mac, key_id, time}, atomic,
// 0600): the newest seal this home made. A home that never sealed has no
// witness, which is no problem (a second host); a witness that covers more
// than the store's seal shows that the store's seal was moved back.
//
// checkKey() says whether this controller may seal: yes when the log was
// never sealed, or when its key made the stored seal; otherwise
// kFailedPrecondition saying why (no key file, or a key with another id,
// naming both ids) — the controller then refuses to lead.
//
// update() seals only a chain that verifies: the first seal verifies the
// whole chain, later seals verify the new events against the sealed head
// (incremental, so the controller can call it after every tick), starting
// from the longest of: what it sealed last, the store's seal, the witness
// (so deleting one copy does not let a cut chain be sealed afresh). It
// refuses, and changes nothing, if the chain no longer extends the sealed
// one, or a seal's MAC does not match (or was made with another key).
//
// verify() recomputes the whole chain (verifyStoredChain) and checks that the
// sealed (count, head) is a prefix of it and that the MAC matches:
//   - fewer events than sealed              -> truncated (names seq count+1);
//   - a different hash at the sealed seq     -> rewritten (names the sealed seq);
//   - a MAC that does not match (same key id) -> forged seal;
//   - events but no seal at all              -> unsealed (cannot prove completeness);
//   - the store's seal behind the witness    -> rolled back;
//   - no key here, or another key id         -> the seal is NOT checked
//     (sealChecked false): not intact as far as this host can prove, but
//     never called broken.
// Residual risk: events appended after the last seal can be removed or
// rewritten without detection until the next seal covers them; whoever can
// read the key can forge seals; a store seal moved back is caught only by a
// home that witnessed a later one. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "store/AuditStore.h"

namespace ramp::store {

// The witness file's JSON, and back (naming the offending field).
nlohmann::json sealToJson(const AuditSealRecord& s);
Result<AuditSealRecord> sealFromJson(const nlohmann::json& j);

struct AuditVerification {
  bool ok = true;                         // chain intact AND seal valid and consistent
  int64_t count = 0;                      // events in the store (examined)
  std::string head;                       // hash of the last intact event
  std::optional<int64_t> firstBrokenSeq;  // first event that does not verify
  std::string problem;                    // for people; empty when ok
  bool chainOk = true;
  bool sealOk = false;                    // a seal exists, its MAC matches, it is a prefix
  bool sealChecked = true;                // false: this host could not check the seal (key)
  int64_t sealedCount = 0;
  std::string sealedHead;
  std::optional<int64_t> sealedAt;        // Unix ms

  // {ok, count, head, first_broken_seq, problem, chain_ok, sealed_count,
  //  sealed_head, sealed_at, seal_ok, seal_checked}
  nlohmann::json toJson() const;
};

class AuditSeal {
 public:
  // keyFile empty: $RAMP_AUDIT_KEY_FILE if set, else home/audit.key.
  AuditSeal(std::filesystem::path home, Clock& clock, std::filesystem::path keyFile = {});

  static std::filesystem::path defaultKeyFile(const std::filesystem::path& home);
  static std::string macOf(std::string_view key, int64_t count, const std::string& head);
  static std::string keyIdOf(std::string_view key);

  Status checkKey(AuditStore& store);
  // Seals the current chain (see above). Cheap when nothing was appended.
  Status update(AuditStore& store);
  // Read-only: never creates a key or a seal.
  Result<AuditVerification> verify(AuditStore& store);

  const std::filesystem::path& keyFile() const { return keyFile_; }
  std::filesystem::path sealFile() const { return home_ / "audit.seal"; }

 private:
  // The raw key bytes; creates the key file if `create`.
  Result<std::string> loadKey(bool create);
  Result<std::optional<AuditSealRecord>> readSealFile();
  // Why `s` cannot be trusted with `key` ("" when it can): another key id,
  // or a MAC that does not match.
  std::string distrust(const AuditSealRecord& s, const std::string& key, const std::string& where) const;
  Status writeSeal(AuditStore& store, const std::string& key, int64_t count, const std::string& head);

  std::filesystem::path home_;
  Clock& clock_;
  std::filesystem::path keyFile_;
  std::mutex mu_;
  std::optional<AuditSealRecord> last_;  // what this object sealed last (cache for update)
};

}  // namespace ramp::store
