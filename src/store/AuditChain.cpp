#include "store/AuditChain.h"

#include <fmt/format.h>

#include "core/Sha256.h"

namespace ramp::store {

namespace {

void field(std::string& out, std::string_view bytes) {
  out += std::to_string(bytes.size());
  out += ':';
  out += bytes;
  out += '\n';
}

}  // namespace

std::string canonicalJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string canonicalEncoding(const AuditEvent& e) {
  std::string out = "ramp-audit-v1\n";
  field(out, std::to_string(e.seq));
  field(out, std::to_string(e.time));
  field(out, e.actor);
  field(out, e.kind);
  field(out, e.service);
  field(out, e.env);
  field(out, e.deploymentId);
  field(out, canonicalJson(e.data));
  field(out, e.prevHash);
  return out;
}

std::string hashOf(const AuditEvent& e) { return sha256Hex(canonicalEncoding(e)); }

ChainCheck verifyChain(const std::vector<AuditEvent>& events) {
  return verifyChain(events, 1, kGenesisHash);
}

ChainCheck verifyChain(const std::vector<AuditEvent>& events, int64_t startSeq,
                       const std::string& startPrevHash) {
  ChainCheck check;
  check.headHash = startPrevHash;
  int64_t expected = startSeq;
  auto broken = [&](std::string problem) {
    check.ok = false;
    check.firstBrokenSeq = expected;
    check.problem = fmt::format("seq {}: {}", expected, problem);
    return check;
  };
  for (const AuditEvent& e : events) {
    ++check.count;
    if (e.seq > expected) {
      return broken(fmt::format(
          "missing: the next event has seq {} (event{} deleted or reordered)", e.seq,
          e.seq - expected > 1 ? "s" : ""));
    }
    if (e.seq < expected) {
      return broken(fmt::format("found seq {} again where seq {} was expected (event inserted "
                                "or reordered)",
                                e.seq, expected));
    }
    if (e.prevHash != check.headHash) {
      return broken(fmt::format(
          "prevHash {} does not match the hash {} of the event before (event inserted, "
          "deleted or the one before edited)",
          e.prevHash, check.headHash));
    }
    std::string actual = hashOf(e);
    if (actual != e.hash) {
      return broken(fmt::format(
          "stored hash {} does not match its contents (hash {}): event edited", e.hash, actual));
    }
    check.headHash = e.hash;
    ++expected;
  }
  return check;
}

Result<ChainCheck> verifyStoredChain(AuditStore& store, int pageSize) {
  if (pageSize <= 0) return invalid("page size must be positive", "pageSize");
  ChainCheck total;
  total.headHash = kGenesisHash;
  int64_t nextSeq = 1;
  // Bounded: every iteration consumes at least one event or stops.
  for (;;) {
    AuditFilter filter;
    filter.afterSeq = nextSeq - 1;
    filter.limit = pageSize;
    auto page = store.listEvents(filter);
    if (!page) return std::unexpected(page.error());
    if (page->empty()) break;
    ChainCheck part = verifyChain(*page, nextSeq, total.headHash);
    total.count += part.count;
    total.headHash = part.headHash;
    if (!part.ok) {
      total.ok = false;
      total.firstBrokenSeq = part.firstBrokenSeq;
      total.problem = part.problem;
      return total;
    }
    nextSeq = page->back().seq + 1;
    if (static_cast<int>(page->size()) < pageSize) break;
  }
  return total;
}

}  // namespace ramp::store
