// The AWS client over TLS: moto behind tests/aws_provider/fault_proxy.py
// serving HTTPS with a certificate of a throwaway CA made here with the
// openssl CLI (in the test's RAMP_HOME). With AWS_CA_BUNDLE naming that CA
// the client verifies the proxy's certificate and its calls reuse one
// connection (the proxy counts the connections it accepted); without it the
// certificate is refused and the call fails saying so.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "MotoWorld.h"
#include "providers/aws/AwsHttpClient.h"
#include "providers/aws/ElbV2Api.h"

extern char** environ;

using namespace ramp;
using namespace ramp::providers::aws;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path tlsDir() {
  const char* home = std::getenv("RAMP_HOME");
  return fs::path(home ? home : "/tmp") / "tls";
}

// A CA and a certificate for localhost/127.0.0.1 signed by it (once per home).
bool makeCertificates(std::string& why) {
  fs::path d = tlsDir();
  if (fs::exists(d / "proxy.pem")) return true;
  fs::create_directories(d);
  std::ofstream(d / "ext.cnf") << "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n";
  std::string q = "cd '" + d.string() + "' && ";
  std::string cmd =
      q + "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj '/CN=ramp test CA' " +
      ">openssl.log 2>&1 && openssl req -newkey rsa:2048 -nodes -keyout proxy.key -out proxy.csr " +
      "-subj '/CN=localhost' >>openssl.log 2>&1 && openssl x509 -req -in proxy.csr -CA ca.pem -CAkey ca.key " +
      "-CAcreateserial -out proxy.pem -days 1 -extfile ext.cnf >>openssl.log 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    why = "openssl failed: " + slurp(d / "openssl.log");
    return false;
  }
  return true;
}

class TlsProxy : public test::MotoWorld {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(makeCertificates(why)) << why;
    ASSERT_GT(test::motoPort(), 0) << "moto fixture did not start (RAMP_MOTO_STATE)";
    fs::path state = tlsDir() / ("proxy-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(state);
    const char* src = std::getenv("RAMP_SOURCE_DIR");
    ASSERT_NE(src, nullptr) << "RAMP_SOURCE_DIR";
    std::string script = std::string(src) + "/tests/aws_provider/fault_proxy.py";
    std::string up = test::motoUrl(), st = state.string(), cert = (tlsDir() / "proxy.pem").string(),
                key = (tlsDir() / "proxy.key").string();
    std::vector<std::string> args{"python3", script, "--upstream", up, "--state", st, "--cert", cert, "--key", key};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawnp(&proxy_, "python3", nullptr, nullptr, argv.data(), environ), 0);
    statePath_ = state;
    for (int i = 0; i < 200 && !fs::exists(state / "proxy.port"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(fs::exists(state / "proxy.port")) << "the TLS proxy did not start";
    port_ = std::stoi(slurp(state / "proxy.port"));
    setenv("AWS_CA_BUNDLE", (tlsDir() / "ca.pem").c_str(), 1);
    test::MotoWorld::SetUp();  // its calls go through the proxy, verified
  }
  void TearDown() override {
    unsetenv("AWS_CA_BUNDLE");
    if (proxy_ > 0) {
      kill(proxy_, SIGTERM);
      int st = 0;
      for (int i = 0; i < 100 && waitpid(proxy_, &st, WNOHANG) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (waitpid(proxy_, &st, WNOHANG) == 0) {
        kill(proxy_, SIGKILL);
        waitpid(proxy_, &st, 0);
      }
    }
  }
  std::string endpoint() override { return "https://localhost:" + std::to_string(port_); }
  nlohmann::json stats() { return nlohmann::json::parse(slurp(statePath_ / "proxy.stats.json"), nullptr, false); }

  pid_t proxy_ = 0;
  int port_ = 0;
  fs::path statePath_;
};

}  // namespace

TEST_F(TlsProxy, VerifiesTheCertificateAndReusesOneConnection) {
  ElbV2Api elb(clients->forRegion("us-east-1"));
  for (int i = 0; i < 10; ++i) {
    auto r = elb.describeTargetGroups();
    ASSERT_TRUE(r) << "call " << i << ": " << r.error().describe();
  }
  auto s = stats();
  ASSERT_TRUE(s.is_object()) << "no proxy stats";
  int calls = s.value("requests", 0), connections = s.value("connections", 0);
  std::cout << "TLS proxy: " << calls << " calls over " << connections << " connection(s)\n";
  EXPECT_GE(calls, 12) << "2 set-up calls + 10 here, all through the TLS proxy";
  EXPECT_GE(connections, 1);
  EXPECT_LT(connections, calls) << "connections are not reused";
  EXPECT_LE(connections, 2) << "one thread, one endpoint: one kept-alive connection expected";
}

TEST_F(TlsProxy, WithoutTheCaTheCertificateIsRefused) {
  unsetenv("AWS_CA_BUNDLE");  // back to the system's CAs, which never signed the proxy's certificate
  auto before = stats().value("requests", 0);
  auto r = ElbV2Api(clients->forRegion("us-east-1")).describeTargetGroups();
  ASSERT_FALSE(r) << "a certificate of an unknown CA was accepted";
  std::string msg = r.error().describe();
  for (auto& c : msg) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_NE(msg.find("certificate"), std::string::npos) << r.error().describe();
  EXPECT_EQ(stats().value("requests", 0), before) << "no request may reach the proxy over an unverified TLS connection";
}
