#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>

namespace pushy::bench {

// Small socket helpers shared by the subscriber workers and the publisher. Any thread.

// Resolves a dotted IPv4 address (the benchmark only targets loopback).
bool ParseAddress(const std::string& host, int port, sockaddr_in& out);

// A non-blocking TCP socket bound to `source` (port chosen at connect time, so the ~28k
// ephemeral ports are per destination, not global) and connecting to `to`. -1 on error;
// errno tells why. Connection completes asynchronously (EPOLLOUT).
int ConnectFrom(const in_addr& source, const sockaddr_in& to);

// 127.0.0.(2 + k % 250): source addresses for client sockets.
in_addr LoopbackSource(int k);

// Closes with RST, so that tens of thousands of closes leave no TIME_WAIT behind them.
void CloseAbortive(int fd);

// Writes all of `data` to a non-blocking fd, polling when it would block; false on error.
bool WriteAll(int fd, const void* data, std::size_t size);
// Reads exactly `size` bytes from a blocking fd; false on EOF or error.
bool ReadAll(int fd, void* data, std::size_t size);

// One blocking HTTP/1.1 request with `Connection: close`; returns the status (0 on error)
// and the body in `body`. Bounded by `timeout_s`.
int BlockingRequest(const sockaddr_in& to, const std::string& request, std::string& body,
                    double timeout_s);

// CLOCK_REALTIME (what the payload carries: comparable across processes) and CLOCK_MONOTONIC.
std::int64_t RealtimeNs();
std::int64_t MonotonicNs();

}  // namespace pushy::bench
