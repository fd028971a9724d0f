// Route53Api.h — Route 53 hosted zones and record sets (REST-XML protocol,
// signing name "route53", a global service).
//
// Record sets here are alias records onto load balancers, one per region,
// told apart by SetIdentifier and routed by Weight (weighted) or Region
// (latency). changeRecordSets sends every change of a record in ONE change
// batch (Route 53 applies a batch atomically, and a separate change
// throughput limit counts batches: see docs/aws.md). listRecordSets reads a
// zone from a name on (300 per page, bounded pages). createHostedZone exists
// for tests (ramp references zones, it does not own them). Infrastructure as
// code writes the records (infra/aws/AwsInfraProvider); a deployment across
// regions drains a region by its set's weight (AwsTrafficProvider).
// Names are compared without their trailing dot, case-insensitively.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "providers/aws/AwsClient.h"

namespace ramp::providers::aws {

struct RecordSet {
  std::string name;           // without trailing dot
  std::string type = "A";
  std::string setIdentifier;  // "" for a simple record
  std::optional<int> weight;  // weighted routing
  std::string region;         // latency routing
  std::string aliasDnsName;   // alias target (without trailing dot)
  std::string aliasZoneId;
  bool evaluateTargetHealth = true;
  int ttl = 0;                          // non-alias records
  std::vector<std::string> values;      // non-alias records
};

struct RecordChange {
  std::string action;  // CREATE | UPSERT | DELETE
  RecordSet record;
};

class Route53Api {
 public:
  explicit Route53Api(AwsClient& client) : client_(client) {}

  // The id ("Z123...", without "/hostedzone/") of a public zone by name; kNotFound if none.
  Result<std::string> hostedZoneId(const std::string& zoneName);
  Result<std::string> createHostedZone(const std::string& zoneName, const std::string& callerReference);
  // Record sets of `name` (all types when type is empty), or of the whole zone when name is empty.
  Result<std::vector<RecordSet>> listRecordSets(const std::string& zoneId, const std::string& name = {},
                                                const std::string& type = {});
  Status changeRecordSets(const std::string& zoneId, const std::vector<RecordChange>& changes,
                          const std::string& comment = {});

  static std::string normalize(std::string name);  // lower case, no trailing dot
  static std::string changeBatchXml(const std::vector<RecordChange>& changes, const std::string& comment);

 private:
  AwsClient& client_;
};

}  // namespace ramp::providers::aws
