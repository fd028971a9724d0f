// Tampering with the stored audit chain — edit, delete, insert, reorder,
// truncate, rewrite — and forging or deleting its seal: each is detected by
// AuditSeal::verify, which names the first broken event. Also the seal's key
// handling and the audit query parser.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "AuditTestWorld.h"
#include "core/Clock.h"
#include "core/Home.h"
#include "store/AuditChain.h"
#include "store/AuditQuery.h"
#include "store/AuditSeal.h"

namespace ramp::store {
namespace {

using testing::AuditTestWorld;
using nlohmann::json;

class AuditSealTest : public ::testing::Test {
 protected:
  AuditTestWorld w{"seal"};
  ManualClock clock;
  AuditSeal seal{w.home, clock, w.home / "audit.key"};

  // 10 events, sealed.
  void sealedTen() {
    w.append(10);
    auto u = seal.update(*w.store);
    ASSERT_TRUE(u) << u.error().describe();
  }
  AuditVerification verifyFresh() {
    w.reopen();
    AuditSeal other(w.home, clock, w.home / "audit.key");  // no cached state
    auto v = other.verify(*w.store);
    EXPECT_TRUE(v) << (v ? "" : v.error().describe());
    return v ? *v : AuditVerification{};
  }
};

TEST_F(AuditSealTest, IntactChainVerifies) {
  sealedTen();
  auto v = verifyFresh();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_TRUE(v.chainOk);
  EXPECT_TRUE(v.sealOk);
  EXPECT_EQ(v.count, 10);
  EXPECT_EQ(v.sealedCount, 10);
  EXPECT_EQ(v.head, v.sealedHead);
  EXPECT_FALSE(v.firstBrokenSeq);
  auto j = v.toJson();
  for (const char* k : {"ok", "count", "head", "first_broken_seq", "problem", "sealed_count", "seal_ok"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  // The key file is 0600 and 64 hex characters.
  struct stat sb {};
  ASSERT_EQ(::stat((w.home / "audit.key").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600);
  auto key = readFile(w.home / "audit.key");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 65u);
}

TEST_F(AuditSealTest, IncrementalSealsFollowAppends) {
  sealedTen();
  w.append(5);
  ASSERT_TRUE(seal.update(*w.store));
  auto v = verifyFresh();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.sealedCount, 15);
  // A seal object that starts from the file continues from it.
  w.append(3);
  AuditSeal fresh(w.home, clock, w.home / "audit.key");
  ASSERT_TRUE(fresh.update(*w.store));
  EXPECT_EQ(verifyFresh().sealedCount, 18);
}

TEST_F(AuditSealTest, EditedEventIsNamed) {
  sealedTen();
  ASSERT_EQ(w.sql("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3"), "");
  auto v = verifyFresh();
  EXPECT_FALSE(v.ok);
  EXPECT_FALSE(v.chainOk);
  ASSERT_TRUE(v.firstBrokenSeq);
  EXPECT_EQ(*v.firstBrokenSeq, 3);
  EXPECT_NE(v.problem.find("seq 3"), std::string::npos) << v.problem;
  EXPECT_NE(v.problem.find("edited"), std::string::npos) << v.problem;
}

TEST_F(AuditSealTest, EditWithRecomputedHashBreaksTheNextLink) {
  sealedTen();
  // The attacker edits event 5's data and fixes its own hash: event 6 no
  // longer links to it.
  w.reopen();
  AuditFilter f;
  f.afterSeq = 4;
  f.limit = 1;
  auto e = w.store->listEvents(f);
  ASSERT_TRUE(e && e->size() == 1);
  AuditEvent ev = e->front();
  ev.data["version"] = "6.6.6";
  std::string newHash = hashOf(ev);
  ASSERT_EQ(w.sql("UPDATE audit_events SET data = '" + canonicalJson(ev.data) + "', hash = '" + newHash +
                  "' WHERE seq = 5"),
            "");
  auto v = verifyFresh();
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.firstBrokenSeq);
  EXPECT_EQ(*v.firstBrokenSeq, 6);
}

TEST_F(AuditSealTest, DeletedEventIsNamed) {
  sealedTen();
  ASSERT_EQ(w.sql("DELETE FROM audit_events WHERE seq = 4"), "");
  auto v = verifyFresh();
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.firstBrokenSeq);
  EXPECT_EQ(*v.firstBrokenSeq, 4);
  EXPECT_NE(v.problem.find("missing"), std::string::npos) << v.problem;
}

TEST_F(AuditSealTest, InsertedEventIsDetected) {
  sealedTen();
  // Make room at seq 3 (shift 3..10 up by one) and insert a well-formed event
  // chained to seq 2: the shifted old event 3 no longer verifies.
  ASSERT_EQ(w.sql("UPDATE audit_events SET seq = -seq WHERE seq >= 3; "
                  "UPDATE audit_events SET seq = -seq + 1 WHERE seq < 0"),
            "");
  AuditFilter f;
  f.afterSeq = 1;
  f.limit = 1;
  w.reopen();
  auto two = w.store->listEvents(f);
  ASSERT_TRUE(two && two->size() == 1);
  AuditEvent forged;
  forged.seq = 3;
  forged.time = two->front().time + 1;
  forged.actor = "mallory";
  forged.kind = "deployment.control";
  forged.service = "crawler";
  forged.env = "prod";
  forged.deploymentId = "d-forged";
  forged.data = {{"action", "approve"}};
  forged.prevHash = two->front().hash;
  forged.hash = hashOf(forged);
  ASSERT_EQ(w.sql("INSERT INTO audit_events VALUES (3, " + std::to_string(forged.time) +
                  ", 'mallory', 'deployment.control', 'crawler', 'prod', 'd-forged', '" +
                  canonicalJson(forged.data) + "', '" + forged.prevHash + "', '" + forged.hash + "')"),
            "");
  auto v = verifyFresh();
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.firstBrokenSeq);
  EXPECT_EQ(*v.firstBrokenSeq, 4);  // the forged 3 links; the shifted event after it does not
  EXPECT_EQ(v.count, 4);
}

TEST_F(AuditSealTest, ReorderedEventsAreNamed) {
  sealedTen();
  ASSERT_EQ(w.sql("UPDATE audit_events SET seq = -3 WHERE seq = 3; "
                  "UPDATE audit_events SET seq = 3 WHERE seq = 4; "
                  "UPDATE audit_events SET seq = 4 WHERE seq = -3"),
            "");
  auto v = verifyFresh();
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.firstBrokenSeq);
  EXPECT_EQ(*v.firstBrokenSeq, 3);
}

TEST_F(AuditSealTest, TruncationIsCaughtByTheSeal) {
  sealedTen();
  ASSERT_EQ(w.sql("DELETE FROM audit_events WHERE seq > 7"), "");
  auto v = verifyFresh();
  EXPECT_TRUE(v.chainOk);  // a hash chain alone cannot see this
  EXPECT_FALSE(v.ok);
  EXPECT_FALSE(v.sealOk);
  ASSERT_TRUE(v.firstBrokenSeq);
  EXPECT_EQ(*v.firstBrokenSeq, 8);
  EXPECT_NE(v.problem.find("truncated"), std::string::npos) << v.problem;
  // And the seal refuses to be moved back over the cut.
  AuditSeal other(w.home, clock, w.home / "audit.key");
  auto u = other.update(*w.store);
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("truncated"), std::string::npos) << u.error().describe();
}

TEST_F(AuditSealTest, RewrittenChainIsCaughtByTheSeal) {
  sealedTen();
  // Cut from seq 6 and append five other, perfectly chained events.
  ASSERT_EQ(w.sql("DELETE FROM audit_events WHERE seq >= 6"), "");
  w.reopen();
  w.append(5, "crawler", "int");
  auto v = verifyFresh();
  EXPECT_TRUE(v.chainOk);
  EXPECT_EQ(v.count, 10);
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.firstBrokenSeq);
  EXPECT_EQ(*v.firstBrokenSeq, 10);
  EXPECT_NE(v.problem.find("rewritten"), std::string::npos) << v.problem;
}

TEST_F(AuditSealTest, ForgedSealIsDetected) {
  sealedTen();
  std::string keyId = AuditSeal::keyIdOf(*readFile(w.home / "audit.key"));
  // Truncate and forge a matching seal without the key (in both copies).
  ASSERT_EQ(w.sql("DELETE FROM audit_events WHERE seq > 7"), "");
  w.reopen();
  AuditFilter f;
  f.afterSeq = 6;
  f.limit = 1;
  auto seven = w.store->listEvents(f);
  ASSERT_TRUE(seven && seven->size() == 1);
  std::string mac(64, 'a');
  json forged{{"count", 7}, {"head", seven->front().hash}, {"mac", mac}, {"time", 1}};
  ASSERT_TRUE(writeFileAtomic(w.home / "audit.seal", forged.dump()));
  ASSERT_EQ(w.sql("UPDATE audit_seal SET events = 7, head = '" + seven->front().hash + "', mac = '" + mac + "'"), "");
  auto v = verifyFresh();
  EXPECT_TRUE(v.chainOk);
  EXPECT_FALSE(v.ok);
  EXPECT_FALSE(v.sealOk);
  EXPECT_TRUE(v.sealChecked);
  EXPECT_NE(v.problem.find("MAC does not match"), std::string::npos) << v.problem;
  // Claiming this key's id does not help a forger.
  ASSERT_EQ(w.sql("UPDATE audit_seal SET key_id = '" + keyId + "'"), "");
  v = verifyFresh();
  EXPECT_FALSE(v.sealOk);
  EXPECT_NE(v.problem.find("MAC does not match"), std::string::npos) << v.problem;
  // A seal made with another key is just as wrong.
  json other{{"count", 7}, {"head", seven->front().hash},
             {"mac", AuditSeal::macOf(std::string(32, 'k'), 7, seven->front().hash)}, {"time", 1}};
  ASSERT_TRUE(writeFileAtomic(w.home / "audit.seal", other.dump()));
  EXPECT_FALSE(verifyFresh().sealOk);
}

TEST_F(AuditSealTest, AHomeWithoutAWitnessIsFineAndADeletedStoreSealIsDetected) {
  sealedTen();
  // A home that never sealed (another host sharing the store) has no
  // witness: nothing is wrong with the log.
  std::filesystem::remove(w.home / "audit.seal");
  auto v = verifyFresh();
  EXPECT_TRUE(v.ok) << v.problem;
  // This home witnesses a seal again; then the store's seal is deleted.
  AuditSeal again(w.home, clock, w.home / "audit.key");
  ASSERT_TRUE(again.update(*w.store));
  ASSERT_TRUE(std::filesystem::exists(w.home / "audit.seal"));
  ASSERT_EQ(w.sql("DELETE FROM audit_seal"), "");
  v = verifyFresh();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("missing"), std::string::npos) << v.problem;
  // Both gone: an unsealed log with events is not proven complete.
  std::filesystem::remove(w.home / "audit.seal");
  v = verifyFresh();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("never been sealed"), std::string::npos) << v.problem;
}

TEST_F(AuditSealTest, AStoreSealMovedBackIsCaughtByTheWitness) {
  sealedTen();
  auto early = w.store->getAuditSeal();
  ASSERT_TRUE(early && *early);
  w.append(5);
  ASSERT_TRUE(seal.update(*w.store));
  // Someone with the database (not the key) cuts the log and puts the old,
  // genuine seal back.
  ASSERT_EQ(w.sql("DELETE FROM audit_events WHERE seq > 10"), "");
  ASSERT_EQ(w.sql("UPDATE audit_seal SET events = 10, head = '" + (*early)->head + "', mac = '" + (*early)->mac + "'"),
            "");
  auto v = verifyFresh();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("moved back"), std::string::npos) << v.problem;
  EXPECT_NE(v.problem.find("truncated"), std::string::npos) << v.problem;
}

TEST_F(AuditSealTest, AnotherKeyIsNeverCalledForgedAndMayNotSeal) {
  sealedTen();
  auto otherHome = w.home / "other-host";
  std::filesystem::create_directories(otherHome);
  // The same key on another host: intact.
  std::filesystem::copy_file(w.home / "audit.key", otherHome / "same.key");
  AuditSeal same(otherHome, clock, otherHome / "same.key");
  ASSERT_TRUE(same.checkKey(*w.store));
  auto ok = same.verify(*w.store);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->ok) << ok->problem;

  // Another key: not checked, not broken; it may not lead or seal.
  std::ofstream(otherHome / "other.key") << std::string(64, 'b') << "\n";
  std::filesystem::permissions(otherHome / "other.key", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  AuditSeal other(otherHome, clock, otherHome / "other.key");
  auto v = other.verify(*w.store);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->chainOk);
  EXPECT_FALSE(v->ok);
  EXPECT_FALSE(v->sealChecked);
  EXPECT_EQ(v->problem.find("forged"), std::string::npos) << v->problem;
  EXPECT_NE(v->problem.find(AuditSeal::keyIdOf(std::string(32, '\xbb'))), std::string::npos) << v->problem;
  auto k = other.checkKey(*w.store);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(k.error().message.find("audit-key-file"), std::string::npos) << k.error().message;
  w.append(1);
  EXPECT_FALSE(other.update(*w.store));
  EXPECT_EQ(verifyFresh().sealedCount, 10) << "nothing sealed with the wrong key";

  // No key at all on a sealed world: said so, and no key is made.
  AuditSeal none(otherHome, clock, otherHome / "absent.key");
  auto n = none.checkKey(*w.store);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("no audit key"), std::string::npos) << n.error().message;
  EXPECT_FALSE(none.update(*w.store));
  EXPECT_FALSE(std::filesystem::exists(otherHome / "absent.key"));
  auto nv = none.verify(*w.store);
  ASSERT_TRUE(nv);
  EXPECT_FALSE(nv->sealChecked);
  EXPECT_TRUE(nv->chainOk);
}

TEST_F(AuditSealTest, DeletingTheSealFileDoesNotLetATruncationBeResealed) {
  sealedTen();
  std::filesystem::remove(w.home / "audit.seal");
  ASSERT_EQ(w.sql("DELETE FROM audit_events WHERE seq > 6"), "");
  w.reopen();
  AuditSeal restarted(w.home, clock, w.home / "audit.key");  // a new controller process
  auto u = restarted.update(*w.store);
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("truncated"), std::string::npos) << u.error().describe();
  auto v = verifyFresh();
  EXPECT_FALSE(v.ok);
  ASSERT_TRUE(v.firstBrokenSeq);
  EXPECT_EQ(*v.firstBrokenSeq, 7);
}

TEST_F(AuditSealTest, EmptyWorldIsFineAndVerifyCreatesNothing) {
  AuditSeal s(w.home, clock, w.home / "audit.key");
  auto v = s.verify(*w.store);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_FALSE(std::filesystem::exists(w.home / "audit.key"));
  EXPECT_FALSE(std::filesystem::exists(w.home / "audit.seal"));
}

TEST_F(AuditSealTest, UpdateRefusesABrokenChain) {
  sealedTen();
  w.append(2);
  ASSERT_EQ(w.sql("UPDATE audit_events SET kind = 'x' WHERE seq = 11"), "");
  w.reopen();
  AuditSeal other(w.home, clock, w.home / "audit.key");
  auto u = other.update(*w.store);
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("seq 11"), std::string::npos) << u.error().describe();
  EXPECT_EQ(verifyFresh().sealedCount, 10);  // the seal did not move
}

TEST_F(AuditSealTest, KeyReadableByOthersIsRefused) {
  sealedTen();
  std::filesystem::permissions(w.home / "audit.key", std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  w.append(1);
  AuditSeal other(w.home, clock, w.home / "audit.key");
  auto u = other.update(*w.store);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().where, (w.home / "audit.key").string());
  EXPECT_NE(u.error().message.find("chmod 600"), std::string::npos);
  auto v = other.verify(*w.store);
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->ok);
  EXPECT_NE(v->problem.find("audit.key"), std::string::npos) << v->problem;
}

TEST_F(AuditSealTest, MalformedKeyIsNamed) {
  w.append(1);
  std::ofstream(w.home / "audit.key") << "not-hex\n";
  std::filesystem::permissions(w.home / "audit.key", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto u = seal.update(*w.store);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().where, (w.home / "audit.key").string());
  EXPECT_NE(u.error().message.find("64 hex"), std::string::npos);
}

TEST(AuditQueryTest, SinceAcceptsRfc3339MillisAndDurations) {
  ManualClock clock(fromUnixMillis(1'700'000'000'000));
  auto t = AuditQuery::parseSince("2023-11-14T22:13:20Z", clock);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, 1'700'000'000'000);
  t = AuditQuery::parseSince("2023-11-14T23:13:20.250+01:00", clock);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, 1'700'000'000'250);
  t = AuditQuery::parseSince("1699999999000", clock);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, 1'699'999'999'000);
  t = AuditQuery::parseSince("2h", clock);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, 1'700'000'000'000 - 7'200'000);
  for (const char* bad : {"yesterday", "2023-13-01T00:00:00Z", "2023-11-14T22:13:20", "2023-02-30T00:00:00Z",
                          "2023-11-14T22:13:20+25:00", "-5"}) {
    auto b = AuditQuery::parseSince(bad, clock);
    ASSERT_FALSE(b) << bad;
    EXPECT_EQ(b.error().where, "since") << bad;
  }
}

TEST(AuditQueryTest, FilterNamesTheBadField) {
  ManualClock clock;
  auto f = AuditQuery::parse({{"service", "crawler"}, {"env", "prod"}, {"after", "5"}, {"limit", "20"}}, clock);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->service, "crawler");
  EXPECT_EQ(f->env, "prod");
  EXPECT_EQ(f->afterSeq, 5);
  EXPECT_EQ(f->limit, 20);
  auto bad = AuditQuery::parse({{"limit", "0"}}, clock);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "limit");
  bad = AuditQuery::parse({{"after", "x"}}, clock);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "after");
  bad = AuditQuery::parse({{"since", "soon"}}, clock);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "since");
}

TEST_F(AuditSealTest, QueryFiltersTheLog) {
  w.append(5, "crawler", "prod");
  w.append(3, "indexer", "int");
  AuditFilter f;
  f.service = "indexer";
  auto evs = w.store->listEvents(f);
  ASSERT_TRUE(evs);
  ASSERT_EQ(evs->size(), 3u);
  json j = AuditQuery::eventToJson(evs->front());
  EXPECT_EQ(j["seq"], 6);
  EXPECT_EQ(j["service"], "indexer");
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20.000Z");
  EXPECT_TRUE(j.contains("hash") && j.contains("prev_hash"));
}

}  // namespace
}  // namespace ramp::store
