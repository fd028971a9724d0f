#include "router/RouterDaemon.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <iostream>
#include <functional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/Home.h"
#include "core/Sha256.h"
#include "router/AdminApi.h"
#include "router/ControllerWatch.h"
#include "router/DataPlane.h"
#include "router/RouteState.h"
#include "router/TlsCertificates.h"

namespace ramp::router {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

Result<std::string> loadOrCreateToken(const fs::path& file) {
  if (fs::exists(file)) {
    auto t = readFile(file, 4096);
    if (!t) return t;
    std::string s = *t;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    if (s.size() < 16) return invalid("admin token too short", file.string());
    return s;
  }
  std::string token = randomHex(32);
  if (auto st = writeFileAtomic(file, token + "\n"); !st) return std::unexpected(st.error());
  return token;
}

int previousAdminPort(const fs::path& adminJson) {
  auto text = readFile(adminJson, 4096);
  if (!text) return 0;
  try {
    auto j = nlohmann::json::parse(*text);
    std::string addr = j.at("address").get<std::string>();
    return std::stoi(addr.substr(addr.rfind(':') + 1));
  } catch (...) {
    return 0;
  }
}

// Many idle connections need many descriptors: use what the hard limit allows.
void raiseOpenFilesLimit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &r);
  }
}

Result<DataPlaneOptions> planeOptions(const RouterRunOptions& o) {
  DataPlaneOptions p;
  if (o.threads < 0 || o.threads > 64) return invalid("must be 1..64 (0: the machine's cores)", "--threads");
  p.threads = o.threads == 0 ? defaultThreads() : static_cast<size_t>(o.threads);
  if (o.accept == "reuseport") {
    p.accept = AcceptMode::kReusePort;
  } else if (o.accept == "single") {
    p.accept = AcceptMode::kSingle;
  } else {
    return invalid("must be single or reuseport", "--accept");
  }
  return p;
}

}  // namespace

int RouterDaemon::runManaged(const fs::path& home, const RouterRunOptions& options) {
  ::signal(SIGPIPE, SIG_IGN);
  raiseOpenFilesLimit();
  auto popts = planeOptions(options);
  if (!popts) {
    std::cerr << "ramp router: " << popts.error().where << ": " << popts.error().message << "\n";
    return 1;
  }
  fs::path dir = home / "router";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "ramp router: cannot create " << dir << ": " << ec.message() << "\n";
    return 1;
  }
  auto token = loadOrCreateToken(dir / "admin.token");
  if (!token) {
    std::cerr << "ramp router: " << token.error().describe() << "\n";
    return 1;
  }
  asio::io_context io(1);
  DataPlane plane(io, SystemClock::instance(), *popts);
  RouteState state(plane, dir / "routes.json");
  if (auto st = state.load(); !st) {
    std::cerr << "ramp router: cannot load routes: " << st.error().describe() << "\n";
    return 1;
  }
  AdminApi admin(io, state, *token);
  int want = previousAdminPort(dir / "admin.json");
  auto port = admin.listen(want);
  if (!port && want != 0) port = admin.listen(0);
  if (!port) {
    std::cerr << "ramp router: " << port.error().describe() << "\n";
    return 1;
  }
  nlohmann::json info = {{"address", "127.0.0.1:" + std::to_string(*port)}, {"pid", ::getpid()}};
  if (auto st = writeFileAtomic(dir / "admin.json", info.dump() + "\n"); !st) {
    std::cerr << "ramp router: " << st.error().describe() << "\n";
    return 1;
  }
  plane.start();
  spdlog::info("ramp router: admin on 127.0.0.1:{}, pid {}, {} entry point(s), {} io thread(s)", *port, ::getpid(),
               state.table().entrypoints.size(), plane.workerCount());
  // The controller of this home, when supervised, is brought back by us.
  ControllerWatch controllerWatch(home);
  controllerWatch.start();
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code e, int sig) {
    if (e) return;
    spdlog::info("ramp router: signal {}, draining", sig);
    controllerWatch.stop();
    admin.close();
    plane.beginShutdown([&] { io.stop(); });
  });
  asio::signal_set hup(io, SIGHUP);
  std::function<void()> onHup = [&] {
    hup.async_wait([&](boost::system::error_code e, int) {
      if (e) return;
      spdlog::info("ramp router: SIGHUP, reloading TLS certificates");
      state.reloadTls(false);
      onHup();
    });
  };
  onHup();
  io.run();
  plane.stop();
  // Remove admin.json only if it is still ours.
  auto text = readFile(dir / "admin.json", 4096);
  if (text && text->find("\"pid\":" + std::to_string(::getpid())) != std::string::npos) fs::remove(dir / "admin.json", ec);
  spdlog::info("ramp router: stopped");
  return 0;
}

int RouterDaemon::runStandalone(const std::string& listen, const std::vector<std::string>& backends,
                                const RouterRunOptions& options) {
  ::signal(SIGPIPE, SIG_IGN);
  raiseOpenFilesLimit();
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "ramp router: --listen: expected HOST:PORT, got '" << listen << "'\n";
    return 1;
  }
  std::string host = listen.substr(0, colon);
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    std::cerr << "ramp router: --listen: bad port in '" << listen << "'\n";
    return 1;
  }
  nlohmann::json body = {{"epoch", 0}, {"fleets", {{{"id", "default"}, {"weight", 100}, {"backends", backends}}}}};
  auto split = RouteTable::parseSplit(body);
  if (!split) {
    std::string where = split.error().where;
    if (where.find("backends") != std::string::npos) where = "--backend";
    std::cerr << "ramp router: " << where << ": " << split.error().message << "\n";
    return 1;
  }
  auto popts = planeOptions(options);
  if (!popts) {
    std::cerr << "ramp router: " << popts.error().where << ": " << popts.error().message << "\n";
    return 1;
  }
  std::shared_ptr<TlsCertificates> certs;
  if (!options.tlsCert.empty() || !options.tlsKey.empty()) {
    auto loaded = TlsCertificates::load(TlsSettings{{TlsCertificateFiles{options.tlsCert, options.tlsKey}}}, "--tls");
    if (!loaded) {
      std::cerr << "ramp router: " << loaded.error().describe() << "\n";
      return 1;
    }
    certs = *loaded;
  }
  asio::io_context io(1);
  DataPlane plane(io, SystemClock::instance(), *popts);
  (void)plane.configure("standalone", EntrypointLimits{}, certs);
  auto bound = plane.listen("standalone", port, host);
  if (!bound) {
    std::cerr << "ramp router: --listen: " << bound.error().message << "\n";
    return 1;
  }
  (void)plane.apply("standalone", *split, 1);
  plane.start();
  std::cout << "ramp router: listening on " << host << ":" << *bound << " (" << plane.workerCount()
            << " thread(s), " << options.accept << (certs ? ", TLS" : "") << ")" << std::endl;
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code e, int) {
    if (e) return;
    plane.beginShutdown([&] { io.stop(); });
  });
  io.run();
  plane.stop();
  return 0;
}

}  // namespace ramp::router
