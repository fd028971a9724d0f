// StoreUrlTest — parsing store URLs and hiding their passwords.
#include "store/StoreUrl.h"

#include <gtest/gtest.h>

using namespace ramp::store;

TEST(StoreUrl, SqliteForms) {
  auto a = parseStoreUrl("sqlite:///var/lib/ramp/state.db");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, StoreUrl::Kind::kSqlite);
  EXPECT_EQ(a->target, "/var/lib/ramp/state.db");
  auto b = parseStoreUrl("relative/state.db");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->kind, StoreUrl::Kind::kSqlite);
  EXPECT_EQ(b->target, "relative/state.db");
}

TEST(StoreUrl, PostgresFormsPassThrough) {
  for (std::string u : {"postgresql://u:p@db.example:5432/ramp", "postgres:///ramp?host=/run/pg"}) {
    auto r = parseStoreUrl(u);
    ASSERT_TRUE(r) << u;
    EXPECT_EQ(r->kind, StoreUrl::Kind::kPostgres);
    EXPECT_EQ(r->target, u);
  }
}

TEST(StoreUrl, BadUrlsAreRefusedClearly) {
  auto empty = parseStoreUrl("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ramp::ErrorCode::kInvalid);
  EXPECT_NE(empty.error().describe().find("store URL"), std::string::npos);

  auto rel = parseStoreUrl("sqlite://relative.db");
  ASSERT_FALSE(rel);
  EXPECT_NE(rel.error().message.find("absolute"), std::string::npos) << rel.error().message;

  auto mysql = parseStoreUrl("mysql://root:hunter2@localhost/db");
  ASSERT_FALSE(mysql);
  EXPECT_NE(mysql.error().message.find("'mysql'"), std::string::npos) << mysql.error().message;
  EXPECT_EQ(mysql.error().message.find("hunter2"), std::string::npos) << mysql.error().message;
}

TEST(StoreUrl, PasswordsAreRedacted) {
  EXPECT_EQ(redactStoreUrl("postgresql://ramp:s3cr%40t@db:5432/ramp"),
            "postgresql://ramp:***@db:5432/ramp");
  EXPECT_EQ(redactStoreUrl("postgresql://db/ramp?user=x&password=s3cret&sslmode=require"),
            "postgresql://db/ramp?user=x&password=***&sslmode=require");
  EXPECT_EQ(redactStoreUrl("host=db password=s3cret user=x"), "host=db password=*** user=x");
  EXPECT_EQ(redactStoreUrl("postgresql://ramp@db/ramp"), "postgresql://ramp@db/ramp");
  EXPECT_EQ(redactStoreUrl("/var/lib/ramp/state.db"), "/var/lib/ramp/state.db");
}
