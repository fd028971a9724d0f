// TlsTest — `ramp serve --tls-cert --tls-key` serves HTTPS (here on
// loopback), the CLI talks to it with --ca-cert / RAMP_CA_CERT, a plain-HTTP
// request to the TLS port gets no answer, a CLI trusting another CA fails
// with a message that says TLS and names --ca-cert, and a non-loopback
// address without TLS (or half a TLS configuration) is refused at start.
// The CA and the server certificate (SAN 127.0.0.1) are made with the
// openssl command line for this test only.
#include <cstdlib>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "IdentityWorld.h"

namespace {

using idt::json;
using idt::World;
namespace fs = std::filesystem;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

// A CA (DIR/NAME-ca.pem) and, when `server`, a server key/cert signed by it.
bool makeCa(const fs::path& dir, const std::string& name) {
  return sh(fmt::format("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN={0}-ca "
                        "-keyout {1}/{0}-ca.key -out {1}/{0}-ca.pem",
                        name, dir.string())) == 0;
}

bool makeServerCert(const fs::path& dir, const std::string& ca) {
  std::string d = dir.string();
  std::ofstream(dir / "san.ext") << "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                    "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n";
  return sh(fmt::format("openssl req -newkey rsa:2048 -nodes -subj /CN=ramp-test -keyout {0}/server.key "
                        "-out {0}/server.csr",
                        d)) == 0 &&
         sh(fmt::format("openssl x509 -req -in {0}/server.csr -CA {0}/{1}-ca.pem -CAkey {0}/{1}-ca.key "
                        "-CAcreateserial -days 2 -extfile {0}/san.ext -out {0}/server.pem",
                        d, ca)) == 0;
}

TEST(Tls, ServesHttpsAndTheCliChecksTheCertificate) {
  World w("tls");
  fs::path pki = w.home() / "pki";
  fs::create_directories(pki);
  ASSERT_TRUE(makeCa(pki, "good"));
  ASSERT_TRUE(makeCa(pki, "other"));
  ASSERT_TRUE(makeServerCert(pki, "good"));
  std::string ca = (pki / "good-ca.pem").string();
  std::string otherCa = (pki / "other-ca.pem").string();

  ASSERT_TRUE(w.start({"--listen", "127.0.0.1:0", "--tls-cert", (pki / "server.pem").string(), "--tls-key",
                       (pki / "server.key").string()},
                      ca))
      << ctl::slurp(w.home() / "serve.log");
  ASSERT_TRUE(w.base().starts_with("https://127.0.0.1:")) << w.base();
  const std::string admin = w.adminToken();
  const std::vector<std::string> tls{"--server", w.base(), "--ca-cert", ca};

  // The CLI over HTTPS, trusting the right CA (flag, then environment).
  std::string out;
  std::vector<std::string> args = tls;
  args.insert(args.end(), {"user", "list", "--json"});
  ASSERT_EQ(w.cli(args, &out), 0) << out;
  EXPECT_TRUE(json::parse(out, nullptr, false).is_array()) << out;
  out.clear();
  ASSERT_EQ(w.cli({"--server", w.base(), "user", "list"}, &out, {{"RAMP_CA_CERT", ca}}), 0) << out;

  // The API over HTTPS with a token.
  auto r = w.get("/api/v1/users", admin, ca);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200) << r.body;

  // Plain HTTP to the TLS port: no HTTP answer.
  std::string plainBase = "http://" + w.base().substr(std::string("https://").size());
  auto plain = ctl::http("GET", plainBase + "/api/v1/health", "", std::nullopt, 3000);
  EXPECT_FALSE(plain.ok && plain.status == 200) << plain.status << " " << plain.body;

  // Trusting another CA (or none): refused, saying it is TLS and what to do.
  out.clear();
  EXPECT_NE(w.cli({"--server", w.base(), "--ca-cert", otherCa, "user", "list"}, &out), 0);
  EXPECT_TRUE(contains(out, "TLS failure")) << out;
  EXPECT_TRUE(contains(out, "--ca-cert")) << out;
  out.clear();
  EXPECT_NE(w.cli({"--server", w.base(), "user", "list"}, &out), 0);
  EXPECT_TRUE(contains(out, "TLS failure")) << out;
  out.clear();
  EXPECT_NE(w.cli({"--server", w.base(), "--ca-cert", (pki / "missing.pem").string(), "user", "list"}, &out), 0);
  EXPECT_TRUE(contains(out, "--ca-cert")) << out;

  EXPECT_TRUE(w.stop(tls));
}

TEST(Tls, NonLoopbackWithoutTlsAndHalfATlsSetupAreRefusedAtStart) {
  World w("tls-refused");
  fs::path pki = w.home() / "pki";
  fs::create_directories(pki);
  ASSERT_TRUE(makeCa(pki, "good"));
  ASSERT_TRUE(makeServerCert(pki, "good"));
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  std::vector<Case> cases = {
      {{"--listen", "0.0.0.0:0"}, "requires TLS"},
      {{"--listen", "127.0.0.1:0", "--tls-cert", (pki / "server.pem").string()}, "--tls-key"},
      {{"--listen", "127.0.0.1:0", "--tls-key", (pki / "server.key").string()}, "--tls-cert"},
      {{"--listen", "127.0.0.1:0", "--tls-cert", (pki / "nope.pem").string(), "--tls-key",
        (pki / "server.key").string()},
       "--tls-cert: no such file"},
      // A key that is not the certificate's.
      {{"--listen", "127.0.0.1:0", "--tls-cert", (pki / "server.pem").string(), "--tls-key",
        (pki / "good-ca.key").string()},
       "--tls-key: cannot load the TLS key"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"serve", "--home", w.home().string()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    fs::path log = w.home() / "refused.log";
    fs::remove(log);
    pid_t pid = ctl::startServe(args, log);
    auto st = ctl::waitChild(pid, std::chrono::seconds(20));
    if (!st) {
      kill(pid, SIGKILL);
      ctl::waitChild(pid, std::chrono::seconds(5));
    }
    ASSERT_TRUE(st.has_value()) << "still running with " << c.args[1];
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 1) << ctl::slurp(log);
    EXPECT_TRUE(contains(ctl::slurp(log), c.says)) << c.says << " not in: " << ctl::slurp(log);
  }
  // Refused before anything started: no controller address, no router.
  EXPECT_FALSE(fs::exists(w.home() / "controller.json"));
  EXPECT_FALSE(fs::exists(w.home() / "router"));
}

}  // namespace
