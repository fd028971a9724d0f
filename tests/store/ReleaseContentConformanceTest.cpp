// ReleaseContentConformanceTest — release contents in the store
// (store/ReleaseStore.h) on both backends: chunked, immutable, and verified
// on the way out.
#include "StoreConformance.h"

using namespace ramp;
using namespace ramp::store;
using namespace ramp::store::test;

namespace {

std::string bytesOf(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    s[i] = static_cast<char>(seed >> 24);  // every byte value, NULs included
  }
  return s;
}

TEST_P(StoreConformance, ReleaseContentRoundTripsInChunksAndIsImmutable) {
  ReleaseRecord r{"crawler", "1.4.0", "sha256:" + std::string(64, '1'), "alice", kT0, Json::object()};
  ASSERT_TRUE(store_->putRelease(r));
  EXPECT_FALSE(*store_->getReleaseContent("crawler", "1.4.0")) << "no content yet";

  const std::string big = bytesOf(2 * kReleaseChunkBytes + 12345, 7);
  const std::string sha = sha256Hex(big);
  ASSERT_TRUE(store_->putReleaseContent("crawler", "1.4.0", sha, big));
  ASSERT_TRUE(store_->putReleaseContent("crawler", "1.4.0", sha, big)) << "the same again: no change";
  auto got = reopen()->getReleaseContent("crawler", "1.4.0");
  ASSERT_TRUE(got) << got.error().describe();
  ASSERT_TRUE(*got);
  EXPECT_EQ((*got)->sha256, sha);
  EXPECT_TRUE((*got)->bytes == big) << "byte for byte";

  const std::string other = bytesOf(100, 9);
  auto st = store_->putReleaseContent("crawler", "1.4.0", sha256Hex(other), other);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(contains(st.error().message, sha)) << st.error().message;

  // An empty bundle is content too.
  ReleaseRecord e{"crawler", "0.0.1", "sha256:" + std::string(64, '3'), "alice", kT0, Json::object()};
  ASSERT_TRUE(store_->putRelease(e));
  ASSERT_TRUE(store_->putReleaseContent("crawler", "0.0.1", sha256Hex(""), ""));
  EXPECT_EQ((*store_->getReleaseContent("crawler", "0.0.1"))->bytes, "");
}

TEST_P(StoreConformance, ReleaseContentIsCheckedOnTheWayInAndOut) {
  const std::string data = bytesOf(5000, 3);
  auto none = store_->putReleaseContent("ghost", "1.0.0", sha256Hex(data), data);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);

  ReleaseRecord r{"crawler", "2.0.0", "sha256:" + std::string(64, '2'), "alice", kT0, Json::object()};
  ASSERT_TRUE(store_->putRelease(r));
  auto wrong = store_->putReleaseContent("crawler", "2.0.0", sha256Hex("something else"), data);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalid);
  EXPECT_FALSE(*store_->getReleaseContent("crawler", "2.0.0")) << "nothing written";
  EXPECT_EQ(store_->putReleaseContent("crawler", "2.0.0", "abc", data).error().where, "sha256");

  ASSERT_TRUE(store_->putReleaseContent("crawler", "2.0.0", sha256Hex(data), data));
  // Someone edits a chunk behind ramp's back: refused, both digests named.
  rawSql("UPDATE release_chunks SET data = (SELECT data FROM release_chunks WHERE seq = 0 AND version = '2.0.0') || "
         "(SELECT data FROM release_chunks WHERE seq = 0 AND version = '2.0.0') WHERE version = '2.0.0'");
  auto bad = store_->getReleaseContent("crawler", "2.0.0");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(bad.error().message, sha256Hex(data))) << bad.error().message;
  EXPECT_TRUE(contains(bad.error().message, "damaged")) << bad.error().message;
}

}  // namespace
