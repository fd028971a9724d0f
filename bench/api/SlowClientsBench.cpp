// api_slow_clients RAMP_BIN [SLOW=3000] [REQUESTS=200]
//
// Starts a real `ramp serve` in a fresh home, measures a normal client
// (GET /api/v1/health and GET /api/v1/deployments, one at a time, 20 ms
// apart) with no other client, then again while SLOW clients each trickle a
// request one byte a second (the slowloris pattern), and prints latency
// percentiles, the controller's thread count and its resident memory for
// both. docs/benchmarks.md records the figures; the functional guarantee
// (answered, threads bounded) is controller_api_input_test.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t sink(char* p, size_t s, size_t n, void* u) {
  static_cast<std::string*>(u)->append(p, s * n);
  return s * n;
}

struct Sample {
  std::vector<double> ms;
  int failures = 0;
};

Sample measure(const std::string& base, const std::string& token, int requests) {
  Sample s;
  CURL* c = curl_easy_init();
  curl_slist* h = curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str());
  for (int i = 0; i < requests; ++i) {
    std::string body, url = base + (i % 2 ? "/api/v1/deployments?limit=5" : "/api/v1/health");
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);  // a new connection each time, like a fresh CLI call
    auto t0 = Clock::now();
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (rc != CURLE_OK || status != 200) ++s.failures;
    else s.ms.push_back(ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  std::sort(s.ms.begin(), s.ms.end());
  return s;
}

double pct(const std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

std::string procField(pid_t pid, const std::string& name) {
  std::string status = slurp("/proc/" + std::to_string(pid) + "/status");
  auto at = status.find(name + ":");
  if (at == std::string::npos) return "?";
  auto end = status.find('\n', at);
  std::string v = status.substr(at + name.size() + 1, end - at - name.size() - 1);
  v.erase(0, v.find_first_not_of(" \t"));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: api_slow_clients RAMP_BIN [SLOW=3000] [REQUESTS=200]\n";
    return 2;
  }
  std::string bin = argv[1];
  int slow = argc > 2 ? std::atoi(argv[2]) : 3000;
  int requests = argc > 3 ? std::atoi(argv[3]) : 200;
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, static_cast<rlim_t>(slow) + 1024);
  setrlimit(RLIMIT_NOFILE, &lim);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  char tmpl[] = "/tmp/ramp-bench-api.XXXXXX";
  fs::path home = mkdtemp(tmpl);
  pid_t serve = fork();
  if (serve == 0) {
    int fd = ::open((home / "serve.log").c_str(), O_CREAT | O_WRONLY | O_APPEND, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(bin.c_str(), "ramp", "serve", "--home", home.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200 && !fs::exists(home / "controller.json"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto cj = nlohmann::json::parse(slurp(home / "controller.json"), nullptr, false);
  std::string address = cj.is_object() ? cj.value("address", "") : "";
  std::string token = slurp(home / "admin.token");
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (address.empty() || token.empty()) {
    std::cerr << "the controller did not start: " << slurp(home / "serve.log") << "\n";
    kill(serve, SIGKILL);
    return 1;
  }
  std::string base = "http://" + address;
  auto quiet = measure(base, token, requests);
  std::string quietThreads = procField(serve, "Threads"), quietRss = procField(serve, "VmRSS");

  // The slow clients: connect, then one byte a second of a request.
  auto colon = address.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::atoi(address.c_str() + colon + 1)));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr);
  const std::string request = "GET /api/v1/deployments HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer x\r\n";
  std::vector<int> fds;
  for (int i = 0; i < slow; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      close(fd);
      continue;
    }
    fds.push_back(fd);
  }
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (size_t byte = 0; !stop && byte < request.size(); ++byte) {
      for (int fd : fds) (void)send(fd, request.data() + byte, 1, MSG_NOSIGNAL);
      for (int i = 0; i < 10 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto loaded = measure(base, token, requests);
  std::string loadedThreads = procField(serve, "Threads"), loadedRss = procField(serve, "VmRSS");
  stop = true;
  trickle.join();
  for (int fd : fds) close(fd);

  std::cout << fmt::format("{:<34} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>12}\n", "normal client, one request at a time",
                           "p50 ms", "p99 ms", "max ms", "answered", "failed", "threads", "RSS");
  for (const auto& [name, s, t, r] :
       {std::tuple{std::string("alone"), quiet, quietThreads, quietRss},
        std::tuple{fmt::format("with {} slow clients", fds.size()), loaded, loadedThreads, loadedRss}}) {
    std::cout << fmt::format("{:<34} {:>9.2f} {:>9.2f} {:>9.2f} {:>9} {:>9} {:>8} {:>12}\n", name, pct(s.ms, 0.5),
                             pct(s.ms, 0.99), s.ms.empty() ? 0.0 : s.ms.back(), s.ms.size(), s.failures, t, r);
  }
  // `ramp down` stops the controller and the router it started.
  pid_t down = fork();
  if (down == 0) {
    int fd = ::open("/dev/null", O_WRONLY);
    dup2(fd, 1);
    execl(bin.c_str(), "ramp", "--home", home.c_str(), "down", static_cast<char*>(nullptr));
    _exit(127);
  }
  waitpid(down, nullptr, 0);
  int st = 0;
  for (int i = 0; i < 100 && waitpid(serve, &st, WNOHANG) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(serve, SIGKILL);
  waitpid(serve, &st, 0);
  std::error_code ec;
  fs::remove_all(home, ec);
  return loaded.failures == 0 ? 0 : 1;
}
