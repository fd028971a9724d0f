// Bad input on the controller API: malformed JSON, wrong types, unknown
// fields, bodies over 1 MiB, unknown ids, missing or bad tokens, unknown
// endpoints and wrong methods each get a 4xx whose JSON error names the
// field (or the part of the request) at fault, and change nothing: the
// deployments and the audit log are the same before and after.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "ControllerWorld.h"

using namespace ctl;

namespace {

struct Case {
  std::string name;
  std::string method;
  std::string path;
  std::optional<std::string> body;
  enum class Token { kGood, kNone, kBad, kMalformed } token = Token::kGood;
  long status;
  std::string field;
};

class ApiInput : public ::testing::Test {
 protected:
  void SetUp() override {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    world_ = std::make_unique<World>("api");
    ASSERT_TRUE(world_->createReleases());
    serve_ = startServe({"serve", "--home", world_->home().string()}, world_->home() / "serve.log");
    ASSERT_TRUE(world_->waitController(serve_, std::chrono::seconds(20))) << slurp(world_->home() / "serve.log");
    // One real deployment, so that lists and ids are not trivially empty.
    ASSERT_EQ(world_->run({"deploy", "crawler", "--env", "int", "--version", "1.0.0"}), 0);
  }
  void TearDown() override {
    if (serve_ > 0) {
      bool stopped = false;
      EXPECT_EQ(downAndReap(*world_, {serve_}, &stopped), 0);
      EXPECT_TRUE(stopped) << "the controller did not stop after `ramp down`";
    }
  }
  // Everything an accepted request could have changed.
  std::string snapshot() {
    auto d = world_->api("GET", "/api/v1/deployments?limit=1000");
    auto e = world_->api("GET", "/api/v1/events");
    auto ej = e.parsed();
    return d.body + "\n#events=" + std::to_string(ej.is_array() ? ej.size() : 0);
  }
  std::unique_ptr<World> world_;
  pid_t serve_ = 0;
};

std::string validDeployBody() {
  return json{{"service", "crawler"}, {"env", "int"}, {"version", "2.0.0"}, {"rendered", json::object()},
              {"config_digest", "sha256:00"}}
      .dump();
}

}  // namespace

TEST_F(ApiInput, BadInputGets4xxNamingTheFieldAndChangesNothing) {
  std::string bigBody = "{\"service\":\"" + std::string(1100 * 1024, 'x') + "\"}";
  std::vector<Case> cases{
      {"malformed JSON", "POST", "/api/v1/deployments", "{\"service\": \"crawler\",", Case::Token::kGood, 400, "body"},
      {"JSON array body", "POST", "/api/v1/deployments", "[1,2]", Case::Token::kGood, 400, "body"},
      {"wrong type: service", "POST", "/api/v1/deployments",
       json{{"service", 5}, {"env", "int"}, {"version", "2.0.0"}, {"rendered", json::object()}, {"config_digest", "x"}}.dump(),
       Case::Token::kGood, 400, "service"},
      {"wrong type: rendered", "POST", "/api/v1/deployments",
       json{{"service", "crawler"}, {"env", "int"}, {"version", "2.0.0"}, {"rendered", "yes"}, {"config_digest", "x"}}.dump(),
       Case::Token::kGood, 400, "rendered"},
      {"wrong type: git_dirty", "POST", "/api/v1/deployments",
       json{{"service", "crawler"}, {"env", "int"}, {"version", "2.0.0"}, {"rendered", json::object()},
            {"config_digest", "x"}, {"git_dirty", "no"}}.dump(),
       Case::Token::kGood, 400, "git_dirty"},
      {"missing field: env", "POST", "/api/v1/deployments",
       json{{"service", "crawler"}, {"version", "2.0.0"}, {"rendered", json::object()}, {"config_digest", "x"}}.dump(),
       Case::Token::kGood, 400, "env"},
      {"unknown field", "POST", "/api/v1/deployments",
       json{{"service", "crawler"}, {"env", "int"}, {"version", "2.0.0"}, {"rendered", json::object()},
            {"config_digest", "x"}, {"colour", "blue"}}.dump(),
       Case::Token::kGood, 400, "colour"},
      {"unknown field: rollback", "POST", "/api/v1/rollback", json{{"service", "crawler"}, {"env", "int"}, {"force", true}}.dump(),
       Case::Token::kGood, 400, "force"},
      {"wrong type: down env", "POST", "/api/v1/down", json{{"env", 3}}.dump(), Case::Token::kGood, 400, "env"},
      {"body over 1 MiB", "POST", "/api/v1/deployments", bigBody, Case::Token::kGood, 413, "body"},
      {"unknown deployment id", "GET", "/api/v1/deployments/d-nope", std::nullopt, Case::Token::kGood, 404, "id"},
      {"bad number: limit", "GET", "/api/v1/deployments?limit=lots", std::nullopt, Case::Token::kGood, 400, "limit"},
      {"out of range: limit", "GET", "/api/v1/deployments?limit=0", std::nullopt, Case::Token::kGood, 400, "limit"},
      {"bad number: after", "GET", "/api/v1/events?after=x", std::nullopt, Case::Token::kGood, 400, "after"},
      {"no token", "POST", "/api/v1/deployments", validDeployBody(), Case::Token::kNone, 401, "Authorization"},
      {"bad token", "POST", "/api/v1/deployments", validDeployBody(), Case::Token::kBad, 401, "Authorization"},
      {"not a bearer token", "GET", "/api/v1/deployments", std::nullopt, Case::Token::kMalformed, 401, "Authorization"},
      {"bad token on down", "POST", "/api/v1/down", "{}", Case::Token::kBad, 401, "Authorization"},
      {"unknown endpoint", "GET", "/api/v1/nothing-here", std::nullopt, Case::Token::kGood, 404, "path"},
      {"unknown version", "GET", "/api/v2/deployments", std::nullopt, Case::Token::kGood, 404, "path"},
      {"wrong method", "DELETE", "/api/v1/deployments", std::nullopt, Case::Token::kGood, 405, "method"},
      {"wrong method on down", "GET", "/api/v1/down", std::nullopt, Case::Token::kGood, 405, "method"},
  };
  const std::string before = snapshot();
  ASSERT_NE(before.find("1.0.0"), std::string::npos) << before;
  for (const auto& c : cases) {
    std::vector<std::string> headers{"Expect:"};
    std::string token = world_->token();
    if (c.token == Case::Token::kNone) token.clear();
    if (c.token == Case::Token::kBad) token = "ramp_" + std::string(48, '0');
    if (c.token == Case::Token::kMalformed) {
      token.clear();
      headers.push_back("Authorization: Basic dXNlcjpwYXNz");
    }
    auto r = http(c.method, world_->apiBase() + c.path, token, c.body, 10000, headers);
    ASSERT_TRUE(r.ok) << c.name << ": no answer";
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    auto j = r.parsed();
    ASSERT_TRUE(j.is_object() && j.contains("error") && j["error"].is_object()) << c.name << ": not a JSON error: " << r.body;
    EXPECT_EQ(j["error"].value("field", ""), c.field) << c.name << ": " << r.body;
    EXPECT_FALSE(j["error"].value("message", "").empty()) << c.name;
    EXPECT_EQ(snapshot(), before) << c.name << " changed something";
  }
  // The server is still healthy and the good token still works.
  auto ok = world_->api("GET", "/api/v1/deployments");
  EXPECT_EQ(ok.status, 200) << ok.body;
}
