#include "server/ForwardRequest.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace ramp::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Result<ApiResponse> forwardRequest(const std::string& leaderAddress, const ApiRequest& request,
                                   std::chrono::milliseconds timeout) {
  auto colon = leaderAddress.rfind(':');
  if (colon == std::string::npos) return unavailable("bad leader address '" + leaderAddress + "'", "leader");
  std::string host = leaderAddress.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  std::string port = leaderAddress.substr(colon + 1);
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    tcp::resolver resolver(io);
    stream.connect(resolver.resolve(host, port));
    http::request<http::string_body> req{http::string_to_verb(request.method), request.target, 11};
    req.set(http::field::host, leaderAddress);
    req.set(http::field::authorization, "Bearer " + request.token);
    req.set(http::field::content_type, "application/json");
    req.set("X-Ramp-Forwarded", "1");
    if (request.method != "GET") req.body() = request.body.dump();
    req.keep_alive(false);
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    http::read(stream, buffer, parser);
    auto res = parser.release();
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    ApiResponse out;
    out.status = static_cast<int>(res.result_int());
    out.body = nlohmann::json::parse(res.body(), nullptr, false);
    if (out.body.is_discarded()) {
      return unavailable("the leader at " + leaderAddress + " answered something that is not JSON", "leader");
    }
    return out;
  } catch (const std::exception& e) {
    return unavailable("cannot reach the leader at " + leaderAddress + ": " + e.what(), "leader");
  }
}

}  // namespace ramp::server
