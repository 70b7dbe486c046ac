#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>

namespace pushy::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;
using Status = beast_http::status;
using Verb = beast_http::verb;

struct Limits {
  std::size_t max_request_line = 8192;                // longer: 414
  std::size_t max_header_bytes = 16384;               // request line + headers; more: 431
  std::size_t max_body_bytes = 65536;                 // more: 413
  std::chrono::milliseconds request_timeout{10'000};  // whole request, and keep-alive idle
};

}  // namespace pushy::http
