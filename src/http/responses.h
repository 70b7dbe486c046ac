#pragma once

#include <boost/system/error_code.hpp>
#include <string>
#include <string_view>

#include "core/error.h"
#include "http/types.h"

namespace pushy::http {

// The one place that decides which HTTP status an error becomes.
Status StatusFor(const boost::system::error_code& ec);

// `{"error": "<message>"}` with the status StatusFor() picks (and Allow, Retry-After where due).
Response ErrorResponse(const boost::system::error_code& ec, unsigned version = 11);
Response ErrorResponse(Status status, std::string_view message, unsigned version = 11);

// A JSON body that is already serialised.
Response JsonResponse(Status status, std::string body, unsigned version = 11);

// Escapes `text` as the inside of a JSON string.
std::string JsonEscape(std::string_view text);

}  // namespace pushy::http
