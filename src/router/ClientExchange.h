// ClientExchange.h — the state of one request/response exchange on a
// client connection (ClientSession): the parsed head, how the body is
// framed and how much of it went upstream, the fleet and instance chosen,
// the upstream connection, the response being relayed, and — after a 101 —
// the tunnel. Allocated while the connection is busy and given back when it
// has been idle a moment, so idle keep-alive connections stay small; the
// worker keeps a few given back, warm, for new connections.
// Data only; ClientSession.cpp is the logic.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/Clock.h"
#include "router/ActiveSplit.h"
#include "router/ByteBuffer.h"
#include "router/ChunkedBodyScanner.h"
#include "router/HttpRequestParser.h"
#include "router/HttpResponseParser.h"
#include "router/UpstreamConnection.h"

namespace ramp::router {

struct ClientExchange {
  // The request.
  HttpRequestParser parser;
  std::string reqHead;            // the head as it goes upstream
  BodyFraming framing = BodyFraming::kNone;
  ChunkedBodyScanner chunks;
  uint64_t bodyRemaining = 0;     // kLength: body bytes not yet sent upstream
  uint64_t bodyBytes = 0;         // body bytes received so far (max_request_body)
  size_t bodyStart = 0;           // where in the session's input the unsent body bytes start
  size_t framed = 0;              // of those, bytes known to belong to this request's body
  bool bodyComplete = false;      // the whole body has been received (framed or sent)
  bool whole = false;             // dispatched with the whole request buffered: kept for retries
  size_t requestBytes = 0;        // whole: bytes of the input the request occupies
  bool bodySent = false;          // body bytes went upstream and left the buffer: never retried
  bool uploadDone = false;        // everything went upstream
  bool uploadStopped = false;     // the response came first: the rest of the body is not sent
  bool clientKeepAlive = true;
  bool clientClose = false;       // the client asked to close after this request (or is HTTP/1.0 without keep-alive)
  bool clientHttp10 = false;
  bool idempotent = false;
  bool isHead = false;
  bool expectContinue = false;
  bool continueSent = false;
  bool upgrade = false;           // the client asked to switch protocols (Upgrade + Connection: upgrade)

  // Where it goes.
  std::shared_ptr<ActiveSplit> split;
  int fleet = -1;
  bool fellBack = false;
  CounterShard* shard = nullptr;
  bool inflightHeld = false;
  std::shared_ptr<Backend> backend;
  std::vector<Backend*> tried;
  std::unique_ptr<UpstreamConnection> conn;
  bool reused = false;            // conn came from the pool (not connected for this request)
  uint64_t connSerial = 0;        // changes with every upstream connection (stale handlers compare it)
  int attempts = 0;
  MonoTime started{};

  // The response.
  ByteBuffer up;
  HttpResponseParser respParser;
  ChunkedBodyScanner respChunks;
  std::string respHead;
  int status = 0;
  ResponseHead::Framing respFraming = ResponseHead::Framing::kNone;
  uint64_t respRemaining = 0;
  bool upstreamKeepAlive = false;
  bool gotResponseBytes = false;  // a byte came back: never retried
  bool responseStarted = false;   // bytes of the response went to the client
  uint64_t bytesOut = 0;
  std::string replyText;

  // After a 101: bytes both ways until either side is done.
  bool tunnel = false;
  bool clientDone = false;        // the client finished sending
  bool upstreamDone = false;      // the backend finished sending
  MonoTime drainingSince{};       // the tunnel's fleet stopped taking traffic at

  // Ready for the next request on the connection (buffers keep their memory).
  void reset() {
    parser.reset();
    reqHead.clear();
    framing = BodyFraming::kNone;
    chunks.reset();
    bodyRemaining = bodyBytes = 0;
    bodyStart = framed = 0;
    bodyComplete = whole = bodySent = uploadDone = uploadStopped = false;
    requestBytes = 0;
    clientKeepAlive = true;
    clientClose = false;
    clientHttp10 = idempotent = isHead = expectContinue = continueSent = upgrade = false;
    split.reset();
    fleet = -1;
    fellBack = false;
    shard = nullptr;
    inflightHeld = false;
    backend.reset();
    tried.clear();
    conn.reset();
    reused = false;
    attempts = 0;
    started = MonoTime{};
    up.clear();
    up.shrink();
    respParser.reset();
    respChunks.reset();
    respHead.clear();
    status = 0;
    respFraming = ResponseHead::Framing::kNone;
    respRemaining = 0;
    upstreamKeepAlive = gotResponseBytes = responseStarted = false;
    bytesOut = 0;
    replyText.clear();
    tunnel = clientDone = upstreamDone = false;
    drainingSince = MonoTime{};
  }
};

}  // namespace ramp::router
