// ClientSession.h — one client connection to an entry point, and the
// exchanges (request → backend → response) on it, one at a time.
//
// Per request: parse the head strictly (HttpRequestParser; 400 and close on
// any error, nothing forwarded), pick the fleet (pinning, then smooth
// weighted round robin) and an instance, buffer the body (answering
// `Expect: 100-continue` itself; 413 above the limit), forward with
// hop-by-hop headers removed over a pooled keep-alive connection, and relay
// the response as it arrives. A backend that cannot be connected to is
// retried on another instance of the fleet for any method (nothing was
// sent); when no instance of the chosen fleet takes the connection, the
// split's stable fleet serves the request instead (fallback; counted as the
// chosen fleet's upstream error, once). A connection that fails before the
// first response byte is retried (fresh connection, next instance) for
// idempotent methods only. At most kMaxAttempts tries per fleet, then 502;
// no response within the deadline: 504.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "router/ByteBuffer.h"
#include "router/ChunkedBodyScanner.h"
#include "router/Entrypoint.h"
#include "router/HttpRequestParser.h"
#include "router/HttpResponseParser.h"

namespace ramp::router {

class DataPlane;

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(DataPlane& plane, std::shared_ptr<Entrypoint> ep, boost::asio::ip::tcp::socket socket);
  ~ClientSession();
  void start();
  // Enforces deadlines (called by DataPlane's tick).
  void onTick(MonoTime now);
  // Shutdown: close now when waiting for a request, else after this exchange.
  void closeIfIdle();

  static constexpr int kMaxAttempts = 4;

 private:
  enum class Phase { kIdle, kHead, kBody, kUpstream, kResponse, kRelay, kReply, kClosed };

  void readRequest();
  void readMore(Phase phase);
  void onHead();
  void onBodyComplete();
  void dispatch();
  void connectFresh();
  void sendRequest();
  void readResponse();
  void onResponseHead();
  void relay(size_t headLen);
  void writeToClient(size_t bodyLen, bool last);
  void finishExchange(bool upstreamReusable);
  void upstreamFailed(const std::string& why, bool afterSend, bool timeout);
  void reply(int status, const std::string& reason, const std::string& detail, bool close);
  void releaseUpstream(bool reusable);
  void account(int status, bool upstreamError);
  void closeClient();
  bool pickBackend();
  // Every instance of the chosen fleet refused the connection (nothing was
  // sent): count the request as that fleet's error and dispatch it to the
  // split's stable fleet instead. False when there is no other stable fleet
  // or the request already fell back once.
  bool fallBackToStable();

  DataPlane& plane_;
  std::shared_ptr<Entrypoint> ep_;
  boost::asio::ip::tcp::socket client_;
  Phase phase_ = Phase::kIdle;
  MonoTime deadline_{};
  bool timedOut_ = false;

  ByteBuffer in_;
  HttpRequestParser parser_;
  ChunkedBodyScanner chunks_;
  size_t bodyScanned_ = 0;   // request body bytes checked so far (after the head)
  size_t headBytes_ = 0;
  size_t requestBytes_ = 0;  // head + body, once complete
  std::string reqHead_;      // rewritten head sent upstream
  bool clientKeepAlive_ = true;
  bool clientHttp10_ = false;
  bool idempotent_ = false;
  bool isHead_ = false;
  bool expectContinue_ = false;
  bool continueSent_ = false;

  std::shared_ptr<ActiveSplit> split_;
  int fleet_ = -1;
  bool fellBack_ = false;
  std::shared_ptr<FleetCounters> counters_;
  bool inflightHeld_ = false;
  std::shared_ptr<Backend> backend_;
  std::vector<Backend*> tried_;
  std::unique_ptr<UpstreamConnection> conn_;
  bool reused_ = false;
  int attempts_ = 0;
  MonoTime started_{};

  ByteBuffer up_;
  HttpResponseParser respParser_;
  ChunkedBodyScanner respChunks_;
  std::string respHead_;
  int status_ = 0;
  ResponseHead::Framing respFraming_ = ResponseHead::Framing::kNone;
  uint64_t respRemaining_ = 0;
  bool upstreamKeepAlive_ = false;
  bool responseStarted_ = false;  // bytes of the response went to the client
  uint64_t bytesOut_ = 0;
  std::string replyText_;
};

}  // namespace ramp::router
