#include "http/session.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http_test_util.h"

// Session: keep-alive, pipelining, the request limits, framing checks, the request deadline and
// `Expect: 100-continue`, all over real loopback connections.
namespace pushy::http {
namespace {

using std::chrono::milliseconds;
using test_util::RawClient;
using test_util::TestServer;
using Field = beast_http::field;

std::string PostHead(std::string_view target, std::string_view headers) {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" + std::string(headers) + "\r\n";
}

std::string Post(std::string_view target, std::string_view body) {
  return PostHead(target, "Content-Length: " + std::to_string(body.size()) + "\r\n") +
         std::string(body);
}

std::string ParamOf(const Response& res) {
  const auto start = res.body().find("\"param\":\"");
  return start == std::string::npos ? "?"
                                    : res.body().substr(start + 9, res.body().size() - start - 11);
}

// Expects exactly one error response with `status`, then a clean close by the server.
void ExpectRejectedAndClosed(TestServer& server, const std::string& request, unsigned status) {
  RawClient client(server);
  client.Send(request);
  const auto responses = client.Await(1);
  ASSERT_EQ(responses.size(), 1u) << client.data();
  EXPECT_EQ(responses[0].result_int(), status) << responses[0].body();
  EXPECT_EQ(responses[0][Field::content_type], "application/json");
  EXPECT_FALSE(responses[0].keep_alive());
  client.ShutdownSend();  // done sending: the server's lingering read sees the end
  EXPECT_TRUE(client.AwaitEof()) << "connection left open";
  EXPECT_EQ(test_util::ParseResponses(client.data()).size(), 1u);
  EXPECT_TRUE(server.seen.empty()) << "a rejected request reached a handler";
}

TEST(SessionTest, KeepAliveAnswersPipelinedRequestsInOrder) {
  TestServer server;
  RawClient client(server);
  client.Send(Post("/publish/first", "{\"data\":1}") + "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n" +
              Post("/publish/third", "[]"));
  const auto responses = client.Await(3);
  ASSERT_EQ(responses.size(), 3u) << client.data();
  EXPECT_EQ(ParamOf(responses[0]), "first");
  EXPECT_TRUE(responses[1].body().find("healthz") != std::string::npos);
  EXPECT_EQ(ParamOf(responses[2]), "third");
  for (const Response& res : responses) {
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_TRUE(res.keep_alive());
  }
  ASSERT_EQ(server.seen.size(), 3u);
  EXPECT_EQ(server.seen[0].body, "{\"data\":1}");
  EXPECT_EQ(server.seen[2].body, "[]");
  EXPECT_EQ(server.statuses(), (std::vector<unsigned>{200, 200, 200}));
  // The connection is still usable afterwards.
  client.Send(Post("/publish/fourth", "{}"));
  const auto more = client.Await(4);
  ASSERT_EQ(more.size(), 4u);
  EXPECT_EQ(ParamOf(more[3]), "fourth");
  EXPECT_FALSE(client.ended());
}

TEST(SessionTest, ConnectionCloseIsHonoured) {
  TestServer server;
  RawClient client(server);
  client.Send(
      "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_TRUE(client.AwaitEof());
  const auto responses = test_util::ParseResponses(client.data());
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_FALSE(responses[0].keep_alive());
  EXPECT_EQ(server.seen.size(), 1u);
}

// Regression (fixed): src/http/session.cc, Session::OnReadError(), header_limit branch: it looks
// for the request line in buffer_, but Beast's parser has already consumed the parsed start line
// from buffer_ (basic_parser::put returns its length and read.hpp consumes it), so `seen` starts at
// the header fields. When one header line is longer than max_request_line the answer is 414
// "request line too long" instead of 431. A fix: decide from the parser, e.g. 414 only while
// parser_->get().target() is still empty (start line not parsed) or longer than the limit.
TEST(SessionTest, OneHugeHeaderIs431) {
  TestServer server;  // 16 KiB of request line and headers
  const std::string big_header = "X-Filler: " + std::string(17'000, 'h') + "\r\n";
  ExpectRejectedAndClosed(server, PostHead("/publish/a", big_header), 431);
}

TEST(SessionTest, ManyHeadersTooLargeIs431) {
  TestServer server;
  std::string headers;
  for (int i = 0; i < 400; ++i)
    headers += "X-H" + std::to_string(i) + ": " + std::string(50, 'v') + "\r\n";
  ExpectRejectedAndClosed(server, PostHead("/publish/a", headers), 431);
}

TEST(SessionTest, RequestLineTooLongIs414) {
  TestServer server;  // request line limit 8 KiB, header limit 16 KiB
  ExpectRejectedAndClosed(server,
                          "GET /" + std::string(9'000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", 414);
}

TEST(SessionTest, RequestLineBeyondTheHeaderLimitIs414) {
  TestServer server;
  ExpectRejectedAndClosed(server,
                          "GET /" + std::string(20'000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", 414);
}

TEST(SessionTest, DeclaredBodyOverLimitIs413) {
  Limits limits;
  limits.max_body_bytes = 1000;
  TestServer server(limits);
  ExpectRejectedAndClosed(server, Post("/publish/a", std::string(1001, 'b')), 413);
}

TEST(SessionTest, RejectionsCarryCorsHeadersForAnAllowedOrigin) {
  Limits limits;
  limits.max_body_bytes = 1000;
  TestServer server(limits, {"https://app.example"});
  for (const std::string origin : {"https://app.example", "https://evil.example"}) {
    RawClient client(server);
    client.Send(PostHead("/publish/a", "Origin: " + origin + "\r\nContent-Length: 1001\r\n") +
                std::string(1001, 'b'));
    const auto responses = client.Await(1);
    ASSERT_EQ(responses.size(), 1u) << client.data();
    EXPECT_EQ(responses[0].result_int(), 413u);
    const bool allowed = origin == "https://app.example";
    EXPECT_EQ(responses[0][Field::access_control_allow_origin], allowed ? origin : "") << origin;
  }
}

TEST(SessionTest, ChunkedBodyOverLimitIs413) {
  Limits limits;
  limits.max_body_bytes = 1000;
  TestServer server(limits);
  const std::string chunk(600, 'c');
  const std::string chunked = "258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n";
  ExpectRejectedAndClosed(server,
                          PostHead("/publish/a", "Transfer-Encoding: chunked\r\n") + chunked, 413);
}

TEST(SessionTest, BodyAtTheLimitIsAccepted) {
  Limits limits;
  limits.max_body_bytes = 1000;
  TestServer server(limits);
  RawClient client(server);
  client.Send(Post("/publish/a", std::string(1000, 'b')));
  const auto responses = client.Await(1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result_int(), 200u);
  ASSERT_EQ(server.seen.size(), 1u);
  EXPECT_EQ(server.seen[0].body.size(), 1000u);
}

TEST(SessionTest, ContentLengthWithTransferEncodingIs400AndClosed) {
  TestServer server;
  ExpectRejectedAndClosed(
      server,
      PostHead("/publish/a", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") +
          "5\r\nhello\r\n0\r\n\r\n",
      400);
}

TEST(SessionTest, TransferEncodingThenContentLengthIs400AndClosed) {
  TestServer server;
  ExpectRejectedAndClosed(
      server,
      PostHead("/publish/a", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n") +
          "5\r\nhello\r\n0\r\n\r\n",
      400);
}

TEST(SessionTest, ConflictingContentLengthsAre400AndClosed) {
  TestServer server;
  ExpectRejectedAndClosed(
      server, PostHead("/publish/a", "Content-Length: 2\r\nContent-Length: 4\r\n") + "{}{}", 400);
}

TEST(SessionTest, MalformedRequestIs400AndClosed) {
  TestServer server;
  ExpectRejectedAndClosed(server, "this is not http\r\n\r\n", 400);
}

// Regression (fixed): src/http/session.cc, Session::OnReadError(), `ec == beast::error::timeout`
// branch: Beast's tcp_stream closes the socket when its expiry fires (basic_stream timeout_handler
// calls impl->close()), so Reject(kRequestTimeout) writes the 408 to a closed socket and the
// client only sees the connection drop. A fix: time requests with a separate steady_timer that
// cancels (not closes) the pending read, then answer 408 and close.
TEST(SessionTest, StalledRequestGets408ThenClose) {
  Limits limits;
  limits.request_timeout = milliseconds(200);
  TestServer server(limits);
  RawClient client(server);
  client.Send("POST /publish/a HTTP/1.1\r\nHost: t\r\nContent-Le");  // and then nothing
  const auto responses = client.Await(1, milliseconds(2000));
  ASSERT_EQ(responses.size(), 1u) << "got: '" << client.data() << "'";
  EXPECT_EQ(responses[0].result_int(), 408u);
  EXPECT_TRUE(client.AwaitEof());
  EXPECT_TRUE(server.seen.empty());
}

TEST(SessionTest, StalledBodyGets408ThenClose) {
  Limits limits;
  limits.request_timeout = milliseconds(200);
  TestServer server(limits);
  RawClient client(server);
  client.Send(PostHead("/publish/a", "Content-Length: 10\r\n") + "{\"da");
  const auto responses = client.Await(1, milliseconds(2000));
  ASSERT_EQ(responses.size(), 1u) << "got: '" << client.data() << "'";
  EXPECT_EQ(responses[0].result_int(), 408u);
  EXPECT_TRUE(client.AwaitEof());
  EXPECT_TRUE(server.seen.empty());
}

TEST(SessionTest, StalledRequestIsCutAfterTheTimeout) {
  Limits limits;
  limits.request_timeout = milliseconds(200);
  TestServer server(limits);
  RawClient client(server);
  const auto start = std::chrono::steady_clock::now();
  client.Send(PostHead("/publish/a", "Content-Length: 10\r\n") + "{\"da");
  test_util::RunUntil(
      server.ioc, [&] { return client.ended(); }, milliseconds(2000));
  EXPECT_TRUE(client.ended()) << "a trickling request was never cut";
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(190));
  EXPECT_TRUE(server.seen.empty());
}

TEST(SessionTest, IdleKeepAliveConnectionClosesQuietly) {
  Limits limits;
  limits.request_timeout = milliseconds(200);
  TestServer server(limits);
  RawClient client(server);
  client.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_EQ(client.Await(1).size(), 1u);
  const std::size_t after_first = client.data().size();
  EXPECT_TRUE(client.AwaitEof(milliseconds(2000)));
  EXPECT_EQ(client.data().size(), after_first) << "an idle connection needs no 408";
}

TEST(SessionTest, ExpectContinueGets100BeforeTheFinalResponse) {
  TestServer server;
  RawClient client(server);
  const std::string body = "{\"data\":true}";
  client.Send(PostHead("/publish/a", "Expect: 100-continue\r\nContent-Length: " +
                                         std::to_string(body.size()) + "\r\n"));
  const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  ASSERT_TRUE(client.AwaitBytes(kContinue.size()));
  EXPECT_EQ(client.data(), kContinue);
  EXPECT_TRUE(server.seen.empty()) << "dispatched before the body came";
  client.Send(body);
  const auto responses = client.Await(2);
  ASSERT_EQ(responses.size(), 2u) << client.data();
  EXPECT_EQ(responses[0].result_int(), 100u);
  EXPECT_EQ(responses[1].result_int(), 200u);
  ASSERT_EQ(server.seen.size(), 1u);
  EXPECT_EQ(server.seen[0].body, body);
}

TEST(SessionTest, NoContinueWithoutExpect) {
  TestServer server;
  RawClient client(server);
  client.Send(Post("/publish/a", "{}"));
  const auto responses = client.Await(1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result_int(), 200u);
}

TEST(SessionTest, ListenerStopClosesIdleConnections) {
  TestServer server;
  RawClient client(server);
  client.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_EQ(client.Await(1).size(), 1u);
  ASSERT_EQ(server.session_count(), 1u);
  server.Stop();
  EXPECT_TRUE(client.AwaitEof());
  EXPECT_TRUE(test_util::RunUntil(server.ioc, [&] { return server.session_count() == 0; }));
}

}  // namespace
}  // namespace pushy::http
