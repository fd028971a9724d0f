#include "router/RouterDaemon.h"

#include <signal.h>
#include <unistd.h>

#include <iostream>
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

}  // namespace

int RouterDaemon::runManaged(const fs::path& home) {
  ::signal(SIGPIPE, SIG_IGN);
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
  DataPlane plane(io, SystemClock::instance());
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
  spdlog::info("ramp router: admin on 127.0.0.1:{}, pid {}, {} entry point(s)", *port, ::getpid(),
               state.table().entrypoints.size());
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
  io.run();
  // Remove admin.json only if it is still ours.
  auto text = readFile(dir / "admin.json", 4096);
  if (text && text->find("\"pid\":" + std::to_string(::getpid())) != std::string::npos) fs::remove(dir / "admin.json", ec);
  spdlog::info("ramp router: stopped");
  return 0;
}

int RouterDaemon::runStandalone(const std::string& listen, const std::vector<std::string>& backends, int threads) {
  ::signal(SIGPIPE, SIG_IGN);
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
  if (threads < 1 || threads > 64) {
    std::cerr << "ramp router: --threads: must be 1..64\n";
    return 1;
  }
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<std::unique_ptr<DataPlane>> planes;
  int bound = port;
  for (int t = 0; t < threads; ++t) {
    ios.push_back(std::make_unique<asio::io_context>(1));
    planes.push_back(std::make_unique<DataPlane>(*ios.back(), SystemClock::instance()));
    auto p = planes.back()->listen("standalone", bound, host, threads > 1);
    if (!p) {
      std::cerr << "ramp router: --listen: " << p.error().message << "\n";
      return 1;
    }
    bound = *p;
    (void)planes.back()->apply("standalone", *split, 1);
  }
  std::cout << "ramp router: listening on " << host << ":" << bound << " (" << threads << " thread(s))" << std::endl;
  asio::signal_set signals(*ios[0], SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code e, int) {
    if (e) return;
    for (size_t i = 0; i < planes.size(); ++i) {
      asio::io_context* io = ios[i].get();
      DataPlane* plane = planes[i].get();
      asio::post(*io, [io, plane] { plane->beginShutdown([io] { io->stop(); }); });
    }
  });
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t) workers.emplace_back([&, t] { ios[t]->run(); });
  ios[0]->run();
  for (auto& w : workers) w.join();
  return 0;
}

}  // namespace ramp::router
