// AuditChainTest — hashing and verification of the audit chain, no store.
#include "store/AuditChain.h"

#include <gtest/gtest.h>

#include "core/Sha256.h"

using namespace ramp::store;

namespace {

// A well-formed chain of n events, built the way the stores build it.
std::vector<AuditEvent> makeChain(int n) {
  std::vector<AuditEvent> out;
  std::string prev = kGenesisHash;
  for (int i = 1; i <= n; ++i) {
    AuditEvent e;
    e.seq = i;
    e.time = 1'700'000'000'000 + i;
    e.actor = i % 2 ? "ramp" : "alice";
    e.kind = "deployment.step";
    e.service = "crawler";
    e.env = "prod";
    e.deploymentId = "dep-1";
    e.data = Json{{"step", i}, {"weight", i * 10}, {"note", "é✓"}};
    e.prevHash = prev;
    e.hash = hashOf(e);
    prev = e.hash;
    out.push_back(e);
  }
  return out;
}

}  // namespace

TEST(AuditChain, EncodingIsDocumentedAndLengthPrefixed) {
  AuditEvent e;
  e.seq = 7;
  e.time = 42;
  e.actor = "bob";
  e.kind = "k";
  e.data = Json{{"b", 1}, {"a", "x"}};
  e.prevHash = "p";
  EXPECT_EQ(canonicalEncoding(e),
            "ramp-audit-v1\n1:7\n2:42\n3:bob\n1:k\n0:\n0:\n0:\n15:{\"a\":\"x\",\"b\":1}\n1:p\n");
  EXPECT_EQ(hashOf(e), ramp::sha256Hex(canonicalEncoding(e)));
}

TEST(AuditChain, FieldBoundariesMatter) {
  AuditEvent a;
  a.actor = "ab";
  a.kind = "c";
  AuditEvent b;
  b.actor = "a";
  b.kind = "bc";
  EXPECT_NE(hashOf(a), hashOf(b));
}

TEST(AuditChain, KeyOrderOfDataDoesNotMatter) {
  AuditEvent a;
  a.data = Json::parse(R"({"z":1,"a":{"y":2,"b":3}})");
  AuditEvent b;
  b.data = Json::parse(R"({"a":{"b":3,"y":2},"z":1})");
  EXPECT_EQ(hashOf(a), hashOf(b));
  b.data["z"] = 2;
  EXPECT_NE(hashOf(a), hashOf(b));
}

TEST(AuditChain, IntactChainVerifies) {
  auto chain = makeChain(10);
  ChainCheck c = verifyChain(chain);
  EXPECT_TRUE(c.ok) << c.problem;
  EXPECT_EQ(c.count, 10);
  EXPECT_EQ(c.headHash, chain.back().hash);
  EXPECT_FALSE(c.firstBrokenSeq.has_value());
}

TEST(AuditChain, EmptyChainVerifies) {
  ChainCheck c = verifyChain({});
  EXPECT_TRUE(c.ok);
  EXPECT_EQ(c.count, 0);
  EXPECT_EQ(c.headHash, kGenesisHash);
}

TEST(AuditChain, EditedFieldIsNamed) {
  for (int field = 0; field < 8; ++field) {
    auto chain = makeChain(10);
    AuditEvent& e = chain[5];  // seq 6
    switch (field) {
      case 0: e.actor = "mallory"; break;
      case 1: e.kind = "deployment.abort"; break;
      case 2: e.service = "other"; break;
      case 3: e.env = "int"; break;
      case 4: e.deploymentId = "dep-2"; break;
      case 5: e.data["weight"] = 100; break;
      case 6: e.time += 1; break;
      case 7: e.data["extra"] = true; break;
    }
    ChainCheck c = verifyChain(chain);
    EXPECT_FALSE(c.ok) << "field " << field;
    ASSERT_TRUE(c.firstBrokenSeq.has_value()) << "field " << field;
    EXPECT_EQ(*c.firstBrokenSeq, 6) << "field " << field;
    EXPECT_NE(c.problem.find("edited"), std::string::npos) << c.problem;
    EXPECT_EQ(c.headHash, chain[4].hash);
  }
}

TEST(AuditChain, EditWithRecomputedHashBreaksTheNextLink) {
  auto chain = makeChain(10);
  chain[3].actor = "mallory";
  chain[3].hash = hashOf(chain[3]);
  ChainCheck c = verifyChain(chain);
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(*c.firstBrokenSeq, 5);
  EXPECT_NE(c.problem.find("prevHash"), std::string::npos) << c.problem;
}

TEST(AuditChain, DeletedEventIsNamed) {
  auto chain = makeChain(10);
  chain.erase(chain.begin() + 3);  // seq 4
  ChainCheck c = verifyChain(chain);
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(*c.firstBrokenSeq, 4);
  EXPECT_NE(c.problem.find("missing"), std::string::npos) << c.problem;
}

TEST(AuditChain, DeletedLastEventIsNotDetectableWithoutAnAnchor) {
  // Documented limit: truncating the tail leaves a valid shorter chain;
  // comparing headHash with a kept copy is what detects it.
  auto chain = makeChain(10);
  std::string head = chain.back().hash;
  chain.pop_back();
  ChainCheck c = verifyChain(chain);
  EXPECT_TRUE(c.ok);
  EXPECT_NE(c.headHash, head);
}

TEST(AuditChain, DeletedAndRenumberedIsNamed) {
  auto chain = makeChain(10);
  chain.erase(chain.begin() + 3);
  for (size_t i = 3; i < chain.size(); ++i) chain[i].seq -= 1;  // hide the gap
  ChainCheck c = verifyChain(chain);
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(*c.firstBrokenSeq, 4);
}

TEST(AuditChain, InsertedEventIsNamed) {
  auto chain = makeChain(10);
  AuditEvent forged = chain[4];  // a copy of seq 5, altered, hash recomputed
  forged.actor = "mallory";
  forged.hash = hashOf(forged);
  chain.insert(chain.begin() + 5, forged);  // after the real seq 5
  ChainCheck c = verifyChain(chain);
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(*c.firstBrokenSeq, 6);
  EXPECT_NE(c.problem.find("inserted"), std::string::npos) << c.problem;
}

TEST(AuditChain, InsertedAndRenumberedIsNamed) {
  auto chain = makeChain(10);
  AuditEvent forged;
  forged.seq = 5;
  forged.time = chain[3].time;
  forged.actor = "mallory";
  forged.kind = "approval";
  forged.prevHash = chain[3].hash;  // links correctly to seq 4
  forged.hash = hashOf(forged);
  chain.insert(chain.begin() + 4, forged);
  for (size_t i = 5; i < chain.size(); ++i) chain[i].seq += 1;
  ChainCheck c = verifyChain(chain);
  ASSERT_FALSE(c.ok);
  // The forged event itself is well formed; the event after it is where the
  // chain breaks (its prevHash names the real seq 4... and its seq changed).
  EXPECT_EQ(*c.firstBrokenSeq, 6);
}

TEST(AuditChain, SwappedEventsAreNamed) {
  auto chain = makeChain(10);
  std::swap(chain[6], chain[7]);  // seq 7 and 8
  ChainCheck c = verifyChain(chain);
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(*c.firstBrokenSeq, 7);
}

TEST(AuditChain, SwappedAndRenumberedAreNamed) {
  auto chain = makeChain(10);
  std::swap(chain[6], chain[7]);
  chain[6].seq = 7;
  chain[7].seq = 8;
  ChainCheck c = verifyChain(chain);
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(*c.firstBrokenSeq, 7);
}

TEST(AuditChain, WrongGenesisIsNamed) {
  auto chain = makeChain(3);
  chain[0].prevHash = std::string(64, 'f');
  chain[0].hash = hashOf(chain[0]);
  ChainCheck c = verifyChain(chain);
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(*c.firstBrokenSeq, 1);
}

TEST(AuditChain, SegmentsVerifyPageByPage) {
  auto chain = makeChain(10);
  std::vector<AuditEvent> first(chain.begin(), chain.begin() + 4);
  std::vector<AuditEvent> second(chain.begin() + 4, chain.end());
  ChainCheck a = verifyChain(first);
  ASSERT_TRUE(a.ok);
  ChainCheck b = verifyChain(second, 5, a.headHash);
  EXPECT_TRUE(b.ok) << b.problem;
  EXPECT_EQ(b.headHash, chain.back().hash);
  ChainCheck wrong = verifyChain(second, 5, kGenesisHash);
  EXPECT_FALSE(wrong.ok);
  EXPECT_EQ(*wrong.firstBrokenSeq, 5);
}
