#include <gtest/gtest.h>

#include <boost/beast/core/ostream.hpp>
#include <boost/beast/http/write.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "http/responses.h"
#include "http/session.h"

namespace pushy::http {
namespace {

// What Beast's own serializer writes for the same message: the reference for our fast path.
std::string BeastBytes(Response response) {
  if (response.count(beast_http::field::content_length) == 0 && !response.chunked()) {
    response.prepare_payload();
  }
  std::ostringstream out;
  out << response;
  return out.str();
}

std::vector<Response> Samples() {
  std::vector<Response> samples;
  samples.push_back(JsonResponse(Status::ok, R"({"id":"0000000000ab-1"})", 11));
  samples.push_back(ErrorResponse(make_error_code(Errc::kBrokerUnavailable), 11));
  samples.push_back(ErrorResponse(make_error_code(Errc::kBadCredentials), 10));
  Response no_content{Status::no_content, 11};
  no_content.set(beast_http::field::access_control_allow_origin, "*");
  samples.push_back(no_content);
  Response html{Status::ok, 11};
  html.set(beast_http::field::content_type, "text/html; charset=utf-8");
  html.body() = std::string(5000, 'x');  // no Content-Length yet: it must be added
  samples.push_back(html);
  Response custom{Status::not_found, 11};
  custom.reason("Nowhere");
  custom.set("X-Custom", "value with spaces");
  custom.body() = "{}";
  samples.push_back(custom);
  return samples;
}

TEST(SerializeResponseTest, SameBytesAsBeastsSerializer) {
  for (Response& response : Samples()) {
    for (bool keep_alive : {true, false}) {
      response.keep_alive(keep_alive);
      Response copy = response;
      EXPECT_EQ(SerializeResponse(copy), BeastBytes(response))
          << response.result_int() << " keep_alive=" << keep_alive;
    }
  }
}

TEST(SerializeResponseTest, FramesTheBodyByItsLength) {
  Response response{Status::ok, 11};
  response.body() = "hello";
  const std::string wire = SerializeResponse(response);
  EXPECT_NE(wire.find("\r\nContent-Length: 5\r\n"), std::string::npos) << wire;
  EXPECT_TRUE(wire.starts_with("HTTP/1.1 200 OK\r\n")) << wire;
  EXPECT_TRUE(wire.ends_with("\r\n\r\nhello")) << wire;
}

}  // namespace
}  // namespace pushy::http
