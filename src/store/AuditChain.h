// AuditChain.h — the hash chain of the audit log: hashing and verification.
//
// Pure functions (no I/O) except verifyStoredChain, which pages a Store.
//
// hashOf(e) = lower-case hex SHA-256 of this exact byte string:
//
//   "ramp-audit-v1\n"
//   then, for each field in this order:
//     seq, time, actor, kind, service, env, deploymentId, data, prevHash
//   the field's bytes prefixed by their decimal byte length and a colon and
//   followed by a newline:  "<len>:<bytes>\n"
//
// where seq and time are decimal integers (ASCII, '-' for negatives, no
// leading zeros), strings are their UTF-8 bytes as stored, and data is the
// canonical JSON of the event data: compact (no whitespace), object keys
// sorted by byte order (nlohmann::json's std::map ordering), non-ASCII
// characters left as UTF-8 (not \u-escaped), numbers as nlohmann::json 3.11
// prints them. The length prefix makes the encoding unambiguous: no two
// different events encode to the same bytes.
//
// The first event has seq 1 and prevHash = kGenesisHash (64 zeros); each next
// event has seq + 1 and prevHash = hash of the one before.
//
// verifyChain walks events in the order given and reports the first seq at
// which the chain does not verify: events before it are proven intact (as
// far as a keyless hash chain can prove: someone who rewrites every later
// hash is detected only by comparing headHash with a copy kept elsewhere).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"
#include "store/Store.h"

namespace ramp::store {

inline const std::string kGenesisHash(64, '0');

// The canonical JSON text of a value (see above). Throws nothing: invalid
// UTF-8 inside strings is replaced by U+FFFD (the store refuses such data
// before hashing, so stored events never contain it).
std::string canonicalJson(const Json& value);

// The exact bytes that are hashed (exposed for documentation and tests).
std::string canonicalEncoding(const AuditEvent& e);

// sha256 hex of canonicalEncoding(e). Ignores e.hash.
std::string hashOf(const AuditEvent& e);

struct ChainCheck {
  bool ok = true;
  int64_t count = 0;                     // events examined
  std::string headHash;                  // hash of the last event proven intact
  std::optional<int64_t> firstBrokenSeq; // first seq that does not verify
  std::string problem;                   // what is wrong there, for people
};

// Verifies a whole chain that starts at seq 1.
ChainCheck verifyChain(const std::vector<AuditEvent>& events);

// Verifies a segment that must start at startSeq and link to startPrevHash
// (the headHash of the segment before): lets callers verify page by page.
ChainCheck verifyChain(const std::vector<AuditEvent>& events, int64_t startSeq,
                       const std::string& startPrevHash);

// Reads every event of a store (oldest first, pageSize at a time) and
// verifies the whole chain. Errors only when the store cannot be read.
Result<ChainCheck> verifyStoredChain(AuditStore& store, int pageSize = 1000);

}  // namespace ramp::store
