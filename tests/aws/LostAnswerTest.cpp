// A create whose answer is lost reaches the service once, through the real
// libcurl transport (AwsHttpClient), on a kept-alive connection.
//
// Found by aws_provider_e2e_faults (#21): ramp apply under a proxy that
// drops answers after moto carried the request out left a second load
// balancer named like the first. AwsClient did not send the create again
// (Retry::kIfNotCarriedOut), but two layers below and above it did:
//   - libcurl replays a request by itself on a new connection when a
//     connection it reused closes before any answer byte;
//   - a reset connection ("Connection reset by peer") was read as "could
//     not connect" (its text contains "onnect"), i.e. surely not sent, and
//     retried.
// The server here keeps connections alive, answers describes, and resets
// the connection after reading each create, as the fault proxy does.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "LoopbackServer.h"
#include "providers/aws/AwsClient.h"
#include "providers/aws/AwsHttpClient.h"
#include "providers/aws/RateBudget.h"
#include "providers/aws/StaticCredentialsProvider.h"
#include "providers/aws/ThreadSleeper.h"

using namespace ramp;
using namespace ramp::providers::aws;
using test::LoopbackServer;

namespace {

// HTTP/1.1 keep-alive on 127.0.0.1:0: answers each request with 200 and
// keeps the connection, except a request whose body holds `dropOn`: that
// one is read in full, counted, and its connection reset (SO_LINGER 0).
class KeepAliveServer {
 public:
  explicit KeepAliveServer(std::string dropOn) : dropOn_(std::move(dropOn)) {
    fd_ = LoopbackServer::listenOnLoopback(port_);
    acceptor_ = std::thread([this] { run(); });
  }
  ~KeepAliveServer() {
    stop_ = true;
    acceptor_.join();
    for (int c : fds_) ::shutdown(c, SHUT_RDWR);  // wakes a connection waiting for its next request
    for (auto& t : connections_) t.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int dropped() const { return dropped_; }
  int connections() const { return accepted_; }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++accepted_;
      fds_.push_back(c);
      connections_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    for (int i = 0; i < 100 && !stop_; ++i) {  // bounded: at most 100 requests per connection
      std::string req = LoopbackServer::readRequest(c);
      if (req.empty()) break;
      if (req.find(dropOn_) != std::string::npos) {
        ++dropped_;
        linger l{1, 0};
        ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);  // close = RST
        break;
      }
      std::string body = "<DescribeLoadBalancersResponse><DescribeLoadBalancersResult><LoadBalancers/>"
                         "</DescribeLoadBalancersResult></DescribeLoadBalancersResponse>";
      LoopbackServer::writeAll(c, "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: " +
                                      std::to_string(body.size()) + "\r\n\r\n" + body);
    }
    ::close(c);
  }

  std::string dropOn_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> dropped_{0}, accepted_{0};
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // touched by the acceptor thread only, joined after it
  std::vector<int> fds_;                  // likewise
};

AwsClient clientOf(const std::string& url, RateBudget& budget) {
  AwsClientOptions o;
  o.endpointOverride = url;
  o.retry.maxAttempts = 5;
  o.retry.base = Millis(1);
  return AwsClient(o, std::make_shared<StaticCredentialsProvider>(AwsCredentials{"AKID", "SECRET", "", {}, "test"}),
                   AwsHttpClient::shared(), SystemClock::instance(), ThreadSleeper::instance(), budget);
}

}  // namespace

TEST(LostAnswer, ACreateOnAKeptAliveConnectionIsSentOnce) {
  KeepAliveServer server("Action=CreateLoadBalancer");
  RateBudget budget(SystemClock::instance(), ThreadSleeper::instance());
  auto c = clientOf(server.url(), budget);
  // Warm a kept-alive connection: libcurl reuses it for the create.
  for (int i = 0; i < 3; ++i) {
    auto d = c.query("elasticloadbalancing", "DescribeLoadBalancers", {});
    ASSERT_TRUE(d) << d.error().describe();
  }
  ASSERT_EQ(server.connections(), 1) << "the describes did not share one connection: the test proves nothing";
  auto r = c.query("elasticloadbalancing", "CreateLoadBalancer", {{"Name", "ramp-twin"}},
                   AwsClient::Retry::kIfNotCarriedOut);
  ASSERT_FALSE(r) << "an answer that never came was taken for success";
  EXPECT_TRUE(AwsClient::maybeCarriedOut(r.error())) << r.error().describe();
  EXPECT_EQ(server.dropped(), 1) << "the create reached the service " << server.dropped()
                                 << " times (libcurl's replay on a new connection, or a reset read as not sent)";
}

TEST(LostAnswer, ADescribeWhoseAnswerIsLostIsSentAgain) {
  // Describes are safe to repeat: the client retries them (up to its
  // attempts), so the reset one is seen more than once and ends in an error.
  KeepAliveServer server("Action=DescribeLoadBalancers");
  RateBudget budget(SystemClock::instance(), ThreadSleeper::instance());
  auto c = clientOf(server.url(), budget);
  auto r = c.query("elasticloadbalancing", "DescribeLoadBalancers", {});
  ASSERT_FALSE(r);
  EXPECT_FALSE(AwsClient::maybeCarriedOut(r.error())) << r.error().describe();
  EXPECT_GE(server.dropped(), 2) << r.error().describe();
}

TEST(LostAnswer, ARefusedConnectionIsSurelyNotSent) {
  // Nothing listens on the port: the create surely never left, so the
  // client may retry it and the error does not say "may have been carried out".
  int port = 0;
  ::close(LoopbackServer::listenOnLoopback(port));  // closed: connections to it are refused
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  RateBudget budget(SystemClock::instance(), ThreadSleeper::instance());
  auto c = clientOf(url, budget);
  auto r = c.query("elasticloadbalancing", "CreateLoadBalancer", {{"Name", "x"}}, AwsClient::Retry::kIfNotCarriedOut);
  ASSERT_FALSE(r);
  EXPECT_FALSE(AwsClient::maybeCarriedOut(r.error())) << r.error().describe();
  EXPECT_GT(c.stats().attempts.load(), 1) << "a request that never left may be sent again";
}
