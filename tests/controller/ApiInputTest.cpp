// Bad input on the controller API: malformed JSON, wrong types, unknown
// fields, bodies over 1 MiB or nested 100,000 deep, unknown ids, missing or
// bad tokens, unknown endpoints and wrong methods, numbers like "5abc",
// regions outside the config, and every field a request may not set
// (rendered, pipeline, later_stages, config_digest, waves, auto_promote,
// approval: the controller computes them from its config of record) each
// get a 4xx whose JSON error names the field (or the part of the request)
// at fault, and change nothing: the deployments, the config versions and
// the audit log are the same before and after. Then what the protocol
// itself must hold: HTTP/1.1 without Host is a 400; every answer carries
// the security headers; 3,000 clients trickling a byte a second hold no
// thread each and do not keep a normal client from its answer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

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
    // A world per test (each starts its own controller).
    world_ = std::make_unique<World>(std::string("api-") +
                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(world_->createReleases());
    serve_ = startServe({"serve", "--home", world_->home().string()}, world_->home() / "serve.log");
    ASSERT_TRUE(world_->waitController(serve_, std::chrono::seconds(20))) << slurp(world_->home() / "serve.log");
    ASSERT_TRUE(world_->pushConfig());
    // One real deployment, so that lists and ids are not trivially empty
    // (the protocol-level tests need none).
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    if (name.find("BadInput") != std::string::npos || name.find("EditedLocal") != std::string::npos) {
      ASSERT_EQ(world_->run({"deploy", "crawler", "--env", "int", "--version", "1.0.0"}), 0);
    }
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
    auto cv = world_->api("GET", "/api/v1/config/versions");
    return d.body + "\n" + cv.body + "\n#events=" + std::to_string(ej.is_array() ? ej.size() : 0);
  }
  std::unique_ptr<World> world_;
  pid_t serve_ = 0;
};

std::string validDeployBody() {
  return json{{"service", "crawler"}, {"env", "int"}, {"version", "2.0.0"}}.dump();
}

// A deployment request that also tries to set `field` (computed by the
// controller from its config of record: issue 15).
std::string forged(const std::string& field, json value, const std::string& route = "deployments") {
  json body = route == "deployments" ? json{{"service", "crawler"}, {"env", "int"}, {"version", "2.0.0"}}
                                     : json{{"service", "crawler"}, {"to", "uat"}};
  body[field] = std::move(value);
  return body.dump();
}

// "[[[[...]]]]" nested `depth` deep.
std::string nested(int depth) { return "{\"service\":" + std::string(depth, '[') + std::string(depth, ']') + "}"; }

}  // namespace

TEST_F(ApiInput, BadInputGets4xxNamingTheFieldAndChangesNothing) {
  std::string bigBody = "{\"service\":\"" + std::string(1100 * 1024, 'x') + "\"}";
  std::vector<Case> cases{
      {"malformed JSON", "POST", "/api/v1/deployments", "{\"service\": \"crawler\",", Case::Token::kGood, 400, "body"},
      {"JSON array body", "POST", "/api/v1/deployments", "[1,2]", Case::Token::kGood, 400, "body"},
      {"wrong type: service", "POST", "/api/v1/deployments",
       json{{"service", 5}, {"env", "int"}, {"version", "2.0.0"}}.dump(), Case::Token::kGood, 400, "service"},
      {"missing field: env", "POST", "/api/v1/deployments", json{{"service", "crawler"}, {"version", "2.0.0"}}.dump(),
       Case::Token::kGood, 400, "env"},
      {"unknown field", "POST", "/api/v1/deployments",
       json{{"service", "crawler"}, {"env", "int"}, {"version", "2.0.0"}, {"colour", "blue"}}.dump(),
       Case::Token::kGood, 400, "colour"},
      // Policy and rendering are the controller's: a request that brings
      // them is refused naming the field (issue 15).
      {"forged rendered", "POST", "/api/v1/deployments",
       forged("rendered", {{"run", {{"command", "/bin/sh"}, {"args", {"-c", "cat $RAMP_HOME/admin.token"}}}}}),
       Case::Token::kGood, 400, "rendered"},
      {"forged config_digest", "POST", "/api/v1/deployments", forged("config_digest", "sha256:00"), Case::Token::kGood,
       400, "config_digest"},
      {"forged git_dirty", "POST", "/api/v1/deployments", forged("git_dirty", false), Case::Token::kGood, 400, "git_dirty"},
      {"forged pipeline", "POST", "/api/v1/deployments", forged("pipeline", json::array()), Case::Token::kGood, 400,
       "pipeline"},
      {"forged later_stages", "POST", "/api/v1/deployments",
       forged("later_stages", {{"prod", {{"environment", {{"approval", {{"approvals", 0}}}}}}}}), Case::Token::kGood, 400,
       "later_stages"},
      {"forged auto_promote", "POST", "/api/v1/deployments", forged("auto_promote", true), Case::Token::kGood, 400,
       "auto_promote"},
      {"forged approval", "POST", "/api/v1/deployments", forged("approval", {{"roles", {"viewer"}}}), Case::Token::kGood,
       400, "approval"},
      {"forged waves", "POST", "/api/v1/deployments",
       forged("waves", json::array({{{"region", "local"}, {"rendered", json::object()}, {"config_digest", "x"}}})),
       Case::Token::kGood, 400, "waves"},
      {"forged promotion pipeline", "POST", "/api/v1/promotions", forged("pipeline", {"int", "prod"}, "promotions"),
       Case::Token::kGood, 400, "pipeline"},
      {"forged promotion rendered", "POST", "/api/v1/promotions", forged("rendered", json::object(), "promotions"),
       Case::Token::kGood, 400, "rendered"},
      // Names that are not the config's.
      {"region outside the config", "POST", "/api/v1/deployments", forged("region", "../../x"), Case::Token::kGood, 400,
       "region"},
      {"unknown environment", "POST", "/api/v1/deployments",
       json{{"service", "crawler"}, {"env", "../prod"}, {"version", "2.0.0"}}.dump(), Case::Token::kGood, 400, "env"},
      {"unknown service", "POST", "/api/v1/deployments",
       json{{"service", "nope"}, {"env", "int"}, {"version", "2.0.0"}}.dump(), Case::Token::kGood, 400, "service"},
      {"nested 100,000 deep", "POST", "/api/v1/deployments", nested(100000), Case::Token::kGood, 400, "body"},
      {"nested 65 deep", "POST", "/api/v1/config", nested(65), Case::Token::kGood, 400, "body"},
      {"bad number: limit=5abc", "GET", "/api/v1/deployments?limit=5abc", std::nullopt, Case::Token::kGood, 400, "limit"},
      {"bad number: config version", "GET", "/api/v1/config?version=1x", std::nullopt, Case::Token::kGood, 400, "version"},
      {"config push of an invalid file", "POST", "/api/v1/config",
       json{{"files", json::array({{{"name", "ramp.yaml"}, {"text", "project: [\n"}}})}}.dump(), Case::Token::kGood, 400,
       ""},
      {"config push of a path", "POST", "/api/v1/config",
       json{{"files", json::array({{{"name", "../ramp.yaml"}, {"text", "x: 1\n"}}})}}.dump(), Case::Token::kGood, 400,
       "files[0].name"},
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
    if (!c.field.empty()) EXPECT_EQ(j["error"].value("field", ""), c.field) << c.name << ": " << r.body;
    EXPECT_FALSE(j["error"].value("message", "").empty()) << c.name;
    EXPECT_EQ(snapshot(), before) << c.name << " changed something";
  }
  // The server is still healthy and the good token still works.
  auto ok = world_->api("GET", "/api/v1/deployments");
  EXPECT_EQ(ok.status, 200) << ok.body;
}

namespace {

// host:port of the controller.
std::pair<std::string, int> addressOf(const World& w) {
  auto j = w.controllerJson();
  std::string a = j.is_object() ? j.value("address", "") : "";
  auto colon = a.rfind(':');
  return {a.substr(0, colon), std::atoi(a.substr(colon + 1).c_str())};
}

int connectTo(const std::pair<std::string, int>& addr) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(addr.second));
  ::inet_pton(AF_INET, addr.first.c_str(), &sa.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Sends `request` raw and returns what comes back until the server closes.
std::string rawExchange(const std::pair<std::string, int>& addr, const std::string& request) {
  int fd = connectTo(addr);
  if (fd < 0) return "";
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (int i = 0; i < 1000; ++i) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

int threadsOf(pid_t pid) {
  std::string status = slurp("/proc/" + std::to_string(pid) + "/status");
  auto at = status.find("Threads:");
  return at == std::string::npos ? -1 : std::atoi(status.c_str() + at + 8);
}

}  // namespace

TEST_F(ApiInput, Http11WithoutHostIs400) {
  auto addr = addressOf(*world_);
  std::string noHost = rawExchange(addr, "GET /api/v1/health HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_NE(noHost.find("HTTP/1.1 400"), std::string::npos) << noHost;
  EXPECT_NE(noHost.find("\"field\":\"Host\""), std::string::npos) << noHost;
  std::string withHost =
      rawExchange(addr, "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  EXPECT_NE(withHost.find("HTTP/1.1 200"), std::string::npos) << withHost;
  // HTTP/1.0 has no Host requirement.
  std::string old = rawExchange(addr, "GET /api/v1/health HTTP/1.0\r\n\r\n");
  EXPECT_NE(old.find(" 200 "), std::string::npos) << old;
}

TEST_F(ApiInput, EveryAnswerCarriesSecurityHeaders) {
  auto addr = addressOf(*world_);
  for (std::string path : {"/", "/ui/app.js", "/api/v1/health", "/api/v1/nothing"}) {
    std::string r = rawExchange(addr, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(r.find("Content-Security-Policy: default-src 'none'; script-src 'self'"), std::string::npos) << path << r;
    EXPECT_NE(r.find("X-Frame-Options: DENY"), std::string::npos) << path;
    EXPECT_NE(r.find("X-Content-Type-Options: nosniff"), std::string::npos) << path;
    EXPECT_NE(r.find("Referrer-Policy: no-referrer"), std::string::npos) << path;
  }
}

// 3,000 clients that send a request one byte a second: the controller holds
// them as sockets (no thread each: its thread count stays bounded) and a
// normal client still gets its answer. (How fast it gets it is a
// benchmark: bench/api, docs/benchmarks.md.)
TEST_F(ApiInput, SlowClientsHoldNoThreadAndStarveNoOne) {
  constexpr int kSlow = 3000;
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, kSlow + 512);
  setrlimit(RLIMIT_NOFILE, &lim);
  ASSERT_GE(lim.rlim_cur, static_cast<rlim_t>(kSlow + 256)) << "the test needs " << kSlow << " sockets";
  auto addr = addressOf(*world_);
  const int before = threadsOf(serve_);
  ASSERT_GT(before, 0);
  std::vector<int> fds;
  const std::string request = "GET /api/v1/deployments HTTP/1.1\r\nHost: localhost\r\n";
  for (int i = 0; i < kSlow; ++i) {
    int fd = connectTo(addr);
    ASSERT_GE(fd, 0) << "connection " << i;
    ASSERT_EQ(::send(fd, request.data(), 1, MSG_NOSIGNAL), 1);
    fds.push_back(fd);
  }
  int most = before;
  for (size_t byte = 1; byte < 4; ++byte) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    for (int fd : fds) (void)::send(fd, request.data() + byte, 1, MSG_NOSIGNAL);
    most = std::max(most, threadsOf(serve_));
    auto ok = world_->api("GET", "/api/v1/health");
    EXPECT_EQ(ok.status, 200) << "a normal client while " << kSlow << " slow ones hang on: " << ok.body;
    auto list = world_->api("GET", "/api/v1/deployments?limit=5");
    EXPECT_EQ(list.status, 200) << list.body;
  }
  EXPECT_LT(most, before + 32) << "threads went from " << before << " to " << most << " with " << kSlow
                               << " slow clients";
  for (int fd : fds) ::close(fd);
}

// The local ramp.yaml is only a preview: edited, it changes nothing of what
// is deployed; `ramp deploy` says so and deploys the version in force.
TEST_F(ApiInput, EditedLocalConfigIsNotWhatIsDeployed) {
  std::string text = slurp(world_->work() / "ramp.yaml");
  auto at = text.find("    instances: 2\n");
  ASSERT_NE(at, std::string::npos);
  std::string edited = text;
  edited.replace(at, std::string("    instances: 2\n").size(), "    instances: 3\n");
  edited.replace(edited.find("command: bin/crawler"), std::string("command: bin/crawler").size(), "command: /bin/sh");
  std::ofstream(world_->work() / "ramp.yaml") << edited;
  std::string out, err = (world_->home() / "deploy.err").string();
  int rc = world_->run({"deploy", "crawler", "--env", "int", "--version", "2.0.0", "--json"}, &out,
                       {{"RAMP_TEST_STDERR", err}});
  std::ofstream(world_->work() / "ramp.yaml") << text;
  ASSERT_EQ(rc, 0) << out;
  std::string note = slurp(err);
  EXPECT_NE(note.find("differs from config version 1 in force"), std::string::npos) << note;
  EXPECT_NE(note.find("deploying with version 1"), std::string::npos) << note;
  auto d = json::parse(out, nullptr, false);
  ASSERT_TRUE(d.is_object()) << out;
  EXPECT_EQ(d.value("config_version", json(0)), json(1)) << out;
  auto st = world_->api("GET", "/api/v1/status?service=crawler&env=int").parsed();
  ASSERT_TRUE(st.is_array() && !st.empty());
  for (const auto& f : st[0]["fleets"]) {
    if (f.value("version", "") == "2.0.0") EXPECT_EQ(f.value("instances", 0), 2) << st.dump();
  }
}
