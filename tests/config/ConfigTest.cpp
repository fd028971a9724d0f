// Unit tests of the config layer: model, overrides, digest, merge of a
// directory, references, secret store, git state, schema.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/ConfigKeys.h"
#include "config/ConfigLoader.h"
#include "config/EffectiveService.h"
#include "config/GitState.h"
#include "config/Reference.h"
#include "config/Schema.h"
#include "config/SecretStore.h"

namespace fs = std::filesystem;
using namespace ramp::config;

namespace {

fs::path sourceDir() {
  const char* s = std::getenv("RAMP_SOURCE_DIR");
  return s ? fs::path(s) : fs::path(RAMP_TEST_SOURCE_DIR);
}

fs::path tempDir(const std::string& name) {
  const char* home = std::getenv("RAMP_HOME");
  fs::path d = fs::path(home ? home : "/tmp") / ("config-test-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

const char* kBase = R"(project: shop
environments:
  int: {}
  prod: {regions: [eu-west-1, us-east-1]}
services:
  web:
    run:
      command: bin/web
      env: {TOKEN: "${secret:web-token}", HOME_DIR: "${env:HOME}"}
    health: {path: /healthz, interval: 90s}
    instances: 1
    overrides:
      env:
        prod: {instances: 4, instance_type: large}
      region:
        us-east-1: {instances: 6}
)";

Config load(const std::string& text) {
  auto r = loadConfigText(text, "test.yaml");
  std::string all;
  for (const auto& d : r.diagnostics) all += d.format() + "\n";
  EXPECT_TRUE(r.ok()) << all;
  return r.ok() ? *r.config : Config{};
}

std::string digestOf(const std::string& text, const std::string& env = "prod", const std::string& region = "") {
  auto c = loadConfigText(text, "t.yaml");
  if (!c.ok()) return "invalid: " + c.diagnostics.front().format();
  auto r = render(*c.config, "web", env, region);
  return r ? r->digest : "error: " + r.error().describe();
}

}  // namespace

TEST(ConfigLoader, ExampleCrawlerLoadsWithInstanceCountsPerEnvironment) {
  auto r = loadConfigPath(sourceDir() / "examples/crawler/ramp.yaml");
  ASSERT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics.front().format());
  const Config& c = *r.config;
  EXPECT_EQ(c.project, "crawler");
  EXPECT_EQ(c.pipeline, (std::vector<std::string>{"int", "uat", "prod"}));
  int expected[] = {1, 2, 3};
  int i = 0;
  for (const char* env : {"int", "uat", "prod"}) {
    auto e = render(c, "crawler", env);
    ASSERT_TRUE(e) << e.error().describe();
    EXPECT_EQ(e->service.instances, expected[i++]) << env;
    EXPECT_EQ(e->region, "local");
    EXPECT_EQ(e->service.release.build, "./build.sh");
    EXPECT_EQ(e->service.release.output, "dist");
    ASSERT_TRUE(e->service.health);
    EXPECT_LT(e->service.health->interval.count(), 1000);
  }
  auto prod = render(c, "crawler", "prod");
  EXPECT_EQ(prod->service.strategy.type, "canary");
  EXPECT_EQ(prod->environment.approval.approvals, 1);
  EXPECT_EQ(prod->environment.approval.roles, std::vector<std::string>{"approver"});
  auto integ = render(c, "crawler", "int");
  EXPECT_EQ(integ->service.strategy.type, "bluegreen");
  EXPECT_EQ(integ->service.strategy.bake.count(), 0);
}

TEST(ConfigLoader, OverridesApplyPerEnvironmentThenRegion) {
  Config c = load(kBase);
  auto i = render(c, "web", "int");
  auto eu = render(c, "web", "prod", "eu-west-1");
  auto us = render(c, "web", "prod", "us-east-1");
  ASSERT_TRUE(i && eu && us);
  EXPECT_EQ(i->service.instances, 1);
  EXPECT_EQ(i->service.instanceType, "");
  EXPECT_EQ(eu->service.instances, 4);
  EXPECT_EQ(eu->service.instanceType, "large");
  EXPECT_EQ(us->service.instances, 6);
  EXPECT_EQ(us->service.instanceType, "large");
  // Maps merge key by key: the health path survives an override of interval.
  Config c2 = load(std::string(kBase).replace(std::string(kBase).find("        prod: {instances"), 0,
                                                  "        int: {health: {interval: 2m}}\n"));
  auto i2 = render(c2, "web", "int");
  ASSERT_TRUE(i2);
  EXPECT_EQ(i2->service.health->interval.count(), 120000);
  EXPECT_EQ(i2->service.health->path, "/healthz");
}

// A region's deployment places its fleets and load balancer in that
// region's own network: rendering for a region takes
// aws.region_settings.<region>'s vpc / subnets / security groups (the
// providers read them from the rendered config); other regions keep the
// environment's.
TEST(ConfigRender, AwsRegionTakesItsOwnNetworkFromRegionSettings) {
  auto c = load(R"(project: shop
environments:
  prod:
    provider: aws
    regions: [us-east-1, eu-west-1]
    aws:
      vpc: vpc-0a1
      subnets: [subnet-0a1, subnet-0a2]
      security_groups: [sg-0a1]
      image: ami-0abc
      region_settings:
        eu-west-1:
          vpc: vpc-0e1
          subnets: [subnet-0e1, subnet-0e2]
          security_groups: [sg-0e1]
pipeline: [prod]
services:
  web:
    run: {command: bin/web}
)");
  auto us = render(c, "web", "prod", "us-east-1");
  auto eu = render(c, "web", "prod", "eu-west-1");
  ASSERT_TRUE(us && eu);
  const auto& ua = us->json["environment"]["aws"];
  const auto& ea = eu->json["environment"]["aws"];
  EXPECT_EQ(ua["vpc"], "vpc-0a1");
  EXPECT_EQ(ua["subnets"], nlohmann::json::array({"subnet-0a1", "subnet-0a2"}));
  EXPECT_EQ(ua["security_groups"], nlohmann::json::array({"sg-0a1"}));
  EXPECT_EQ(ea["vpc"], "vpc-0e1");
  EXPECT_EQ(ea["subnets"], nlohmann::json::array({"subnet-0e1", "subnet-0e2"}));
  EXPECT_EQ(ea["security_groups"], nlohmann::json::array({"sg-0e1"}));
  EXPECT_EQ(ea["image"], "ami-0abc");
  EXPECT_NE(us->digest, eu->digest);
}

TEST(ConfigLoader, NullInOverrideResetsToDefault) {
  std::string text = std::string(kBase);
  text.replace(text.find("{instances: 4, instance_type: large}"), 36, "{instances: 4, health: null}");
  Config c = load(text);
  auto p = render(c, "web", "prod", "eu-west-1");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->service.health.has_value());
  EXPECT_TRUE(render(c, "web", "int")->service.health.has_value());
}

TEST(ConfigLoader, ReportsEveryProblemNotJustTheFirst) {
  auto r = loadConfigText(R"(project: shop
environments:
  int: {providr: local}
pipeline: [int, nope]
services:
  web:
    run: {command: x}
    instances: many
    health: {interval: 5 s}
)",
                          "many.yaml");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 4u);
  EXPECT_EQ(r.diagnostics[0].format().rfind("many.yaml:3:9: error: unknown key 'providr'", 0), 0u)
      << r.diagnostics[0].format();
  EXPECT_EQ(r.diagnostics[1].line, 4);
  EXPECT_EQ(r.diagnostics[1].col, 17);
  EXPECT_EQ(r.diagnostics[2].line, 8);
  EXPECT_EQ(r.diagnostics[3].line, 9);
  EXPECT_NE(r.diagnostics[3].message.find("health.interval"), std::string::npos);
}

TEST(ConfigLoader, UnknownKeySuggestsTheClosestKey) {
  auto r = loadConfigText("project: a\nenvironments: {int: {}}\nservices: {web: {run: {comand: x}}}\n", "s.yaml");
  ASSERT_FALSE(r.ok());
  bool found = false;
  for (const auto& d : r.diagnostics) {
    if (d.message.find("unknown key 'comand' in services.web.run (did you mean 'command'?)") != std::string::npos)
      found = true;
  }
  EXPECT_TRUE(found);
}

TEST(ConfigDigest, IgnoresKeyOrderCommentsWhitespaceAndDurationSpelling) {
  std::string base = digestOf(kBase);
  ASSERT_EQ(base.rfind("sha256:", 0), 0u) << base;
  std::string reordered = R"(# a comment
services:
  web:
    overrides:
      region:
        us-east-1: {instances: 6}   # comment
      env:
        prod: {instance_type: large, instances: 4}
    instances:    1
    health: {interval: 1m30s, path: "/healthz"}
    run:
      env: {HOME_DIR: "${env:HOME}", TOKEN: "${secret:web-token}"}
      command: 'bin/web'

environments:
  prod: {regions: [eu-west-1, us-east-1]}
  int: {}
project: shop
)";
  EXPECT_EQ(digestOf(reordered), base);
  // A change that does not touch prod leaves prod's digest alone.
  std::string intOnly = kBase;
  intOnly.replace(intOnly.find("        prod: {instances"), 0, "        int: {instances: 2}\n");
  EXPECT_EQ(digestOf(intOnly), base);
  EXPECT_NE(digestOf(intOnly, "int"), digestOf(kBase, "int"));
  EXPECT_EQ(digestOf(kBase, "prod", "eu-west-1"), base);
}

TEST(ConfigDigest, ChangesOnEverySemanticChange) {
  std::string base = digestOf(kBase);
  auto changed = [&](const std::string& from, const std::string& to) {
    std::string t = kBase;
    size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    t.replace(at, from.size(), to);
    return digestOf(t);
  };
  EXPECT_NE(changed("instances: 4", "instances: 5"), base);
  EXPECT_NE(changed("interval: 90s", "interval: 91s"), base);
  EXPECT_NE(changed("command: bin/web", "command: bin/web2"), base);
  EXPECT_NE(changed("${secret:web-token}", "${secret:web-token2}"), base);
  EXPECT_NE(changed("path: /healthz", "path: /health"), base);
  EXPECT_NE(changed("project: shop", "project: shop2"), base);
  EXPECT_NE(changed("prod: {regions", "prod: {approval: {approvals: 1}, regions"), base);
  // Region and environment are part of what is digested.
  EXPECT_NE(digestOf(kBase, "prod", "us-east-1"), base);
}

// The router block (issue #18): timeouts, limits and TLS certificates are
// read into the model, digested only when set (configs without them keep
// their digests: the golden renders are unchanged), and spelled durations
// digest alike.
TEST(ConfigRouter, TimeoutsLimitsAndTlsAreReadAndDigestedOnlyWhenSet) {
  auto withRouter = [](const std::string& block) {
    std::string t = kBase;
    t.replace(t.find("prod: {regions"), std::string("prod: {").size(), "prod: {router: " + block + ", ");
    return t;
  };
  Config c = load(withRouter(
      "{port: 8443, timeouts: {head: 5s, idle: 30s, request: 0s, upgrade_drain: 10m}, max_connections: 2000, "
      "max_request_body: 1048576, tls: {certificates: [{cert: /etc/ramp/www.crt, key: \"${secret:www-key}\"}, "
      "{cert: /etc/ramp/api.crt, key: /etc/ramp/api.key}]}}"));
  const Environment* prod = c.environment("prod");
  ASSERT_NE(prod, nullptr);
  const RouterSettings& r = prod->router;
  EXPECT_EQ(r.port, 8443);
  EXPECT_EQ(r.timeouts.size(), 4u);
  EXPECT_EQ(r.timeouts.at("head").count(), 5000);
  EXPECT_EQ(r.timeouts.at("idle").count(), 30000);
  EXPECT_EQ(r.timeouts.at("request").count(), 0);  // 0s = none, allowed for request
  EXPECT_EQ(r.timeouts.at("upgrade_drain").count(), 600000);
  EXPECT_EQ(r.maxConnections, 2000);
  EXPECT_EQ(r.maxRequestBody, 1048576);
  ASSERT_EQ(r.certificates.size(), 2u);
  EXPECT_EQ(r.certificates[0].key, "${secret:www-key}");  // unresolved: the router reads the secret's file
  EXPECT_EQ(r.certificates[1].cert, "/etc/ramp/api.crt");
  EXPECT_FALSE(c.environment("int")->router.port);
  EXPECT_TRUE(c.environment("int")->router.timeouts.empty());

  // Only the keys set are digested: the port alone digests as before (the
  // golden renders hold the old form); each new key changes the digest;
  // the same duration spelled differently does not.
  std::string portOnly = digestOf(withRouter("{port: 8443}"));
  auto rendered = render(load(withRouter("{port: 8443}")), "web", "prod");
  ASSERT_TRUE(rendered);
  EXPECT_EQ(rendered->json["environment"]["router"], nlohmann::json({{"port", 8443}}));
  EXPECT_NE(digestOf(withRouter("{port: 8443, timeouts: {head: 5s}}")), portOnly);
  EXPECT_EQ(digestOf(withRouter("{port: 8443, timeouts: {head: 5s}}")),
            digestOf(withRouter("{port: 8443, timeouts: {head: 5000ms}}")));
  EXPECT_NE(digestOf(withRouter("{port: 8443, max_connections: 10}")), portOnly);
  EXPECT_NE(digestOf(withRouter("{port: 8443, tls: {certificates: [{cert: /a.crt, key: /a.key}]}}")), portOnly);
}

TEST(ConfigRender, RenderedJsonKeepsReferencesUnresolvedAndHasDigest) {
  setenv("HOME", "/resolved/home", 1);
  Config c = load(kBase);
  auto r = render(c, "web", "prod");
  ASSERT_TRUE(r);
  std::string dump = r->json.dump();
  EXPECT_NE(dump.find("${secret:web-token}"), std::string::npos);
  EXPECT_NE(dump.find("${env:HOME}"), std::string::npos);
  EXPECT_EQ(dump.find("/resolved/home"), std::string::npos);
  EXPECT_EQ(r->json["config_digest"], r->digest);
  EXPECT_EQ(r->json["health"]["interval"], "1m30s");
  EXPECT_EQ(r->json["region"], "eu-west-1");
  EXPECT_EQ(configDigest(r->json), r->digest);  // undigested keys are ignored
}

TEST(ConfigRender, UnknownNamesNameTheFlagAndTheValidNames) {
  Config c = load(kBase);
  auto e = render(c, "web", "prd");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().where, "--env");
  EXPECT_NE(e.error().message.find("did you mean 'prod'"), std::string::npos);
  auto s = render(c, "wbe", "prod");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().where, "--service");
  EXPECT_NE(s.error().message.find("'web'"), std::string::npos);
  auto g = render(c, "web", "prod", "mars-1");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().where, "--region");
}

TEST(ConfigLoader, DirectoryOfFilesIsMergedAndClashesNameBothPlaces) {
  fs::path d = tempDir("dir");
  write(d / "10-project.yaml", "project: shop\nenvironments:\n  int: {}\n");
  write(d / "20-services.yml", "services:\n  web: {run: {command: x}}\nenvironments:\n  prod: {}\n");
  auto r = loadConfigPath(d);
  ASSERT_TRUE(r.ok()) << r.diagnostics.front().format();
  EXPECT_EQ(r.config->environmentNames(), (std::vector<std::string>{"int", "prod"}));
  write(d / "30-clash.yaml", "project: other\n");
  auto bad = loadConfigPath(d);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.diagnostics[0].file, (d / "30-clash.yaml").string());
  EXPECT_NE(bad.diagnostics[0].message.find("10-project.yaml:1"), std::string::npos) << bad.diagnostics[0].message;
}

TEST(ConfigLoader, HostileBuffersEndWithPositionedErrors) {
  std::string bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string p(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [*" + p + ",*" + p + ",*" + p + ",*" + p + ",*" + p + ",*" + p +
            ",*" + p + ",*" + p + ",*" + p + ",*" + p + "]\n";
  }
  for (const std::string& text : {bomb, std::string(5000, '[') + std::string(5000, ']'), std::string(""),
                                   std::string("\x01\x02\x03", 3), std::string(5u << 20, 'a')}) {
    auto r = loadConfigText(text, "h.yaml");
    ASSERT_FALSE(r.ok());
    ASSERT_FALSE(r.diagnostics.empty());
    EXPECT_EQ(r.diagnostics[0].file, "h.yaml");
    EXPECT_GE(r.diagnostics[0].line, 1);
  }
}

TEST(References, SyntaxProblemsAreFound) {
  EXPECT_TRUE(checkReferences("a ${env:HOME} b ${secret:x.y-z} $HOME $$ $${literal}").empty());
  EXPECT_EQ(checkReferences("${vault:x}").size(), 1u);
  EXPECT_EQ(checkReferences("${secret:}").size(), 1u);
  EXPECT_EQ(checkReferences("${env:HOME").size(), 1u);
  EXPECT_EQ(checkReferences("${HOME}").size(), 1u);
  EXPECT_EQ(checkReferences("${env:A-B}").size(), 1u);
  auto refs = findReferences("x${env:A}y${secret:b}");
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[1].scheme, "secret");
  EXPECT_EQ(refs[1].name, "b");
}

TEST(References, ExpandResolvesEnvAndSecretsAndNamesWhatIsMissing) {
  fs::path home = tempDir("refs");
  SecretStore store(home);
  ASSERT_TRUE(store.set("db.password", "s3cret"));
  setenv("RAMP_CONFIG_TEST_VAR", "value", 1);
  auto r = expandReferences("u=${env:RAMP_CONFIG_TEST_VAR};p=${secret:db.password};l=$${x}", home);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r, "u=value;p=s3cret;l=${x}");
  auto missing = expandReferences("${secret:nope}", home);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().where, "${secret:nope}");
  unsetenv("RAMP_CONFIG_TEST_UNSET");
  auto missingEnv = expandReferences("${env:RAMP_CONFIG_TEST_UNSET}", home);
  ASSERT_FALSE(missingEnv);
  EXPECT_NE(missingEnv.error().message.find("RAMP_CONFIG_TEST_UNSET"), std::string::npos);
}

TEST(SecretStoreTest, OwnerOnlyFilesListRemoveAndNameChecks) {
  fs::path home = tempDir("secrets");
  SecretStore store(home);
  ASSERT_TRUE(store.set("b", "2"));
  ASSERT_TRUE(store.set("a", "1"));
  struct stat st{};
  ASSERT_EQ(::stat((home / "secrets").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((home / "secrets" / "a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*store.list(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*store.get("a"), "1");
  EXPECT_TRUE(store.remove("a"));
  EXPECT_FALSE(store.remove("a"));
  EXPECT_FALSE(store.get("a"));
  EXPECT_FALSE(store.set("../escape", "x"));
  EXPECT_FALSE(store.set("", "x"));
  EXPECT_FALSE(fs::exists(home / "escape"));
}

TEST(GitStateTest, NotARepositoryGivesUnknownARepositoryGivesCommitAndDirty) {
  fs::path d = tempDir("git");
  GitState none = gitStateOf(d);
  EXPECT_FALSE(none.commit);
  EXPECT_FALSE(none.dirty);
  std::string q = "'" + d.string() + "'";
  if (std::system(("git -C " + q + " init -q 2>/dev/null").c_str()) != 0) GTEST_SKIP() << "no git";
  write(d / "ramp.yaml", "project: x\n");
  ASSERT_EQ(std::system(("git -C " + q + " add ramp.yaml && git -C " + q +
                         " -c user.name=t -c user.email=t@t -c commit.gpgsign=false commit -qm init")
                            .c_str()),
            0);
  GitState clean = gitStateOf(d);
  ASSERT_TRUE(clean.commit);
  EXPECT_EQ(clean.commit->size(), 40u);
  ASSERT_TRUE(clean.dirty);
  EXPECT_FALSE(*clean.dirty);
  write(d / "ramp.yaml", "project: y\n");
  GitState dirty = gitStateOf(d);
  EXPECT_EQ(dirty.commit, clean.commit);
  ASSERT_TRUE(dirty.dirty);
  EXPECT_TRUE(*dirty.dirty);
}

TEST(SchemaTest, PropertiesMatchTheKeysTheLoaderAccepts) {
  auto s = configSchema();
  auto names = [](const nlohmann::json& props) {
    std::vector<std::string> out;
    for (auto it = props.begin(); it != props.end(); ++it) out.push_back(it.key());
    std::sort(out.begin(), out.end());
    return out;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(names(s["properties"]), sorted(keys::kTop));
  const auto& svc = s["properties"]["services"]["additionalProperties"]["properties"];
  EXPECT_EQ(names(svc), sorted(keys::kService));
  EXPECT_EQ(names(svc["run"]["properties"]), sorted(keys::kRun));
  EXPECT_EQ(names(svc["health"]["properties"]), sorted(keys::kHealth));
  EXPECT_EQ(names(svc["strategy"]["properties"]), sorted(keys::kStrategy));
  EXPECT_EQ(names(svc["analysis"]["properties"]), sorted(keys::kAnalysis));
  EXPECT_EQ(names(svc["analysis"]["properties"]["metrics"]["items"]["properties"]), sorted(keys::kMetric));
  EXPECT_EQ(names(svc["analysis"]["properties"]["metrics"]["items"]["properties"]["prometheus"]["properties"]),
            sorted(keys::kMetricQueries));
  EXPECT_EQ(names(svc["analysis"]["properties"]["prometheus"]["properties"]), sorted(keys::kPrometheus));
  const auto& env = s["properties"]["environments"]["additionalProperties"]["anyOf"][0]["properties"];
  EXPECT_EQ(names(env), sorted(keys::kEnvironment));
  EXPECT_EQ(names(env["approval"]["properties"]), sorted(keys::kApproval));
  EXPECT_EQ(names(env["aws"]["properties"]), sorted(keys::kAws));
  EXPECT_EQ(names(env["aws"]["properties"]["region_settings"]["additionalProperties"]["properties"]),
            sorted(keys::kAwsRegion));
  EXPECT_EQ(names(env["aws"]["properties"]["dns"]["properties"]), sorted(keys::kAwsDns));
  EXPECT_EQ(names(env["aws"]["properties"]["alarm_definitions"]["items"]["properties"]),
            sorted(keys::kAwsAlarmDefinition));
}

TEST(ConfigAnalysis, EveryKeyOfTheAnalysisBlockIsReadAndRendered) {
  const char* text = R"(project: shop
environments:
  prod: {}
services:
  web:
    run: {command: bin/web}
    health: {path: /healthz}
    strategy:
      type: canary
      steps:
        - weight: 10
        - analysis: {interval: 2s}
        - weight: 50
        - analysis: {duration: 45s}
    analysis:
      max_false_rollback: 0.02
      max_false_pass: 0.05
      error_rate_objective: 0.01
      error_rate_tolerance: 1.5
      min_error_rate: 0.002
      min_requests: 60
      latency_tolerance: 0.2
      latency_deadline_tolerance: 0.5
      pass_score: 80
      marginal_score: 50
      on_inconclusive: pause_at_zero
      deadline: 2m
      groups: {errors: 60}
      prometheus: {url: "http://127.0.0.1:9090", timeout: 500ms}
      metrics:
        - {name: error_rate, kind: error_rate, critical: true, group: errors}
        - {name: latency, kind: latency, direction: either, weight: 2}
        - name: pages
          kind: error_rate
          group: errors
          prometheus:
            successes: 'sum(pages_ok_total{ramp_fleet="{{ fleet }}"})'
            errors: 'sum(page_failures_total{ramp_fleet="{{fleet}}"})'
        - name: fetch
          kind: latency
          prometheus: {histogram: 'sum by (le) (fetch_seconds_bucket{ramp_release="{{release}}"})'}
)";
  Config c = load(text);
  auto r = render(c, "web", "prod");
  ASSERT_TRUE(r) << r.error().describe();
  const auto& a = r->json["analysis"];
  EXPECT_DOUBLE_EQ(a["max_false_rollback"].get<double>(), 0.02);
  EXPECT_DOUBLE_EQ(a["max_false_pass"].get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(a["error_rate_objective"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(a["error_rate_tolerance"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(a["latency_deadline_tolerance"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(a["min_error_rate"].get<double>(), 0.002);
  EXPECT_EQ(a["min_requests"], 60);
  EXPECT_EQ(a["on_inconclusive"], "pause_at_zero");
  EXPECT_EQ(a["deadline"], "2m");
  EXPECT_DOUBLE_EQ(a["groups"]["errors"].get<double>(), 60);
  EXPECT_EQ(a["prometheus"]["url"], "http://127.0.0.1:9090");
  EXPECT_EQ(a["prometheus"]["timeout"], "500ms");
  ASSERT_EQ(a["metrics"].size(), 4u);
  EXPECT_EQ(a["metrics"][0]["group"], "errors");
  EXPECT_EQ(a["metrics"][1]["direction"], "either");
  EXPECT_DOUBLE_EQ(a["metrics"][1]["weight"].get<double>(), 2);
  EXPECT_EQ(a["metrics"][2]["prometheus"]["successes"], "sum(pages_ok_total{ramp_fleet=\"{{ fleet }}\"})");
  EXPECT_FALSE(a["metrics"][2]["prometheus"].contains("total"));
  EXPECT_EQ(a["metrics"][3]["prometheus"]["histogram"], "sum by (le) (fetch_seconds_bucket{ramp_release=\"{{release}}\"})");
  // The step without a duration collects until analysis.deadline; the other keeps its own.
  const auto& steps = r->json["strategy"]["steps"];
  EXPECT_EQ(steps[1]["analysis"]["duration"], "2m");
  EXPECT_EQ(steps[1]["analysis"]["interval"], "2s");
  EXPECT_EQ(steps[3]["analysis"]["duration"], "45s");
  // Changing the deadline changes what runs, so the digest.
  std::string other = text;
  other.replace(other.find("deadline: 2m"), 12, "deadline: 3m");
  EXPECT_NE(digestOf(text), digestOf(other));

  // Without the new keys the rendered block is as before (digests of
  // existing configurations do not move).
  auto plain = render(load(kBase), "web", "prod");
  ASSERT_TRUE(plain);
  for (const char* k : {"max_false_pass", "error_rate_objective", "error_rate_tolerance", "latency_deadline_tolerance",
                        "groups", "prometheus"})
    EXPECT_FALSE(plain->json["analysis"].contains(k)) << k;
  EXPECT_FALSE(plain->json["analysis"]["metrics"][0].contains("group"));
}
