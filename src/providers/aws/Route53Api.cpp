#include "providers/aws/Route53Api.h"

#include <algorithm>
#include <cctype>

namespace ramp::providers::aws {
namespace {

constexpr const char* kSvc = "route53";
constexpr const char* kNs = "https://route53.amazonaws.com/doc/2013-04-01/";

std::string xmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string element(const std::string& name, const std::string& value) {
  return "<" + name + ">" + xmlEscape(value) + "</" + name + ">";
}

std::string stripZonePrefix(std::string id) {
  const std::string prefix = "/hostedzone/";
  if (id.starts_with(prefix)) id = id.substr(prefix.size());
  return id;
}

RecordSet readRecord(const XmlNode& m) {
  RecordSet r;
  r.name = Route53Api::normalize(m.get("Name"));
  r.type = m.get("Type");
  r.setIdentifier = m.get("SetIdentifier");
  if (auto w = m.get("Weight"); !w.empty()) r.weight = std::atoi(w.c_str());
  r.region = m.get("Region");
  if (auto ttl = m.get("TTL"); !ttl.empty()) r.ttl = std::atoi(ttl.c_str());
  auto alias = m.child("AliasTarget");
  if (alias.valid()) {
    r.aliasDnsName = Route53Api::normalize(alias.get("DNSName"));
    r.aliasZoneId = alias.get("HostedZoneId");
    r.evaluateTargetHealth = alias.get("EvaluateTargetHealth") == "true";
  }
  for (auto& v : m.child("ResourceRecords").children("ResourceRecord")) r.values.push_back(v.get("Value"));
  return r;
}

}  // namespace

std::string Route53Api::normalize(std::string name) {
  while (!name.empty() && name.back() == '.') name.pop_back();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

std::string Route53Api::changeBatchXml(const std::vector<RecordChange>& changes, const std::string& comment) {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
  x += std::string("<ChangeResourceRecordSetsRequest xmlns=\"") + kNs + "\"><ChangeBatch>";
  if (!comment.empty()) x += element("Comment", comment);
  x += "<Changes>";
  for (const auto& c : changes) {
    const auto& r = c.record;
    x += "<Change>" + element("Action", c.action) + "<ResourceRecordSet>";
    x += element("Name", r.name + ".") + element("Type", r.type);
    if (!r.setIdentifier.empty()) x += element("SetIdentifier", r.setIdentifier);
    if (r.weight) x += element("Weight", std::to_string(*r.weight));
    if (!r.region.empty()) x += element("Region", r.region);
    if (!r.aliasDnsName.empty()) {
      x += "<AliasTarget>" + element("HostedZoneId", r.aliasZoneId) + element("DNSName", r.aliasDnsName) +
           element("EvaluateTargetHealth", r.evaluateTargetHealth ? "true" : "false") + "</AliasTarget>";
    } else {
      x += element("TTL", std::to_string(r.ttl)) + "<ResourceRecords>";
      for (const auto& v : r.values) x += "<ResourceRecord>" + element("Value", v) + "</ResourceRecord>";
      x += "</ResourceRecords>";
    }
    x += "</ResourceRecordSet></Change>";
  }
  x += "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>";
  return x;
}

Result<std::string> Route53Api::hostedZoneId(const std::string& zoneName) {
  std::string wanted = normalize(zoneName);
  if (wanted.empty()) return invalid("hosted zone name is empty", "dns.zone");
  auto doc = client_.restXml(kSvc, "GET", "/2013-04-01/hostedzonesbyname", {{"dnsname", wanted}, {"maxitems", "10"}}, "",
                             "ListHostedZonesByName");
  if (!doc) return std::unexpected(doc.error());
  for (auto& z : doc->root().find("HostedZones").children("HostedZone")) {
    if (normalize(z.get("Name")) != wanted) continue;
    if (z.path("Config/PrivateZone").text() == "true") continue;
    return stripZonePrefix(z.get("Id"));
  }
  return notFound("no public hosted zone named '" + wanted + "'", "dns.zone");
}

Result<std::string> Route53Api::createHostedZone(const std::string& zoneName, const std::string& callerReference) {
  std::string body = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?><CreateHostedZoneRequest xmlns=\"") + kNs +
                     "\">" + element("Name", normalize(zoneName) + ".") + element("CallerReference", callerReference) +
                     "</CreateHostedZoneRequest>";
  auto doc = client_.restXml(kSvc, "POST", "/2013-04-01/hostedzone", {}, body, "CreateHostedZone");
  if (!doc) return std::unexpected(doc.error());
  auto id = doc->root().path("HostedZone/Id").text();
  if (id.empty()) return internal("CreateHostedZone answer has no zone id", "aws:route53:CreateHostedZone");
  return stripZonePrefix(id);
}

Result<std::vector<RecordSet>> Route53Api::listRecordSets(const std::string& zoneId, const std::string& name,
                                                          const std::string& type) {
  std::vector<RecordSet> out;
  std::string wanted = normalize(name);
  std::string nextName = wanted, nextType = wanted.empty() ? "" : type, nextId;
  for (int page = 0; page < 1000; ++page) {
    QueryParams q;
    if (!nextId.empty()) q.emplace_back("identifier", nextId);
    q.emplace_back("maxitems", "300");
    if (!nextName.empty()) q.emplace_back("name", nextName);
    if (!nextType.empty()) q.emplace_back("type", nextType);
    std::sort(q.begin(), q.end());
    auto doc = client_.restXml(kSvc, "GET", "/2013-04-01/hostedzone/" + zoneId + "/rrset", q, "",
                               "ListResourceRecordSets");
    if (!doc) return std::unexpected(doc.error());
    bool past = false;
    for (auto& m : doc->root().find("ResourceRecordSets").children("ResourceRecordSet")) {
      auto r = readRecord(m);
      if (!wanted.empty() && r.name != wanted) {
        past = true;  // records come sorted by name: the rest are other names
        break;
      }
      if (!type.empty() && r.type != type) continue;
      out.push_back(std::move(r));
    }
    if (past || doc->root().find("IsTruncated").text() != "true") break;
    nextName = doc->root().find("NextRecordName").text();
    nextType = doc->root().find("NextRecordType").text();
    nextId = doc->root().find("NextRecordIdentifier").text();
    if (nextName.empty()) break;
  }
  return out;
}

Status Route53Api::changeRecordSets(const std::string& zoneId, const std::vector<RecordChange>& changes,
                                    const std::string& comment) {
  if (changes.empty()) return ok();
  auto doc = client_.restXml(kSvc, "POST", "/2013-04-01/hostedzone/" + zoneId + "/rrset/", {},
                             changeBatchXml(changes, comment), "ChangeResourceRecordSets");
  if (!doc) return std::unexpected(doc.error());
  return ok();
}

}  // namespace ramp::providers::aws
