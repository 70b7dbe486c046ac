#include "broker/redis/redis_publish_queue.h"

#include <cstdint>

namespace pushy::broker::redis {
namespace {

std::size_t BytesOf(const std::vector<PublishRequest>& requests) {
  std::size_t bytes = 0;
  for (const PublishRequest& r : requests)
    bytes += r.channel.size() + r.name.size() + r.data.size();
  return bytes;
}

}  // namespace

void PublishBatch::Succeed(std::uint64_t epoch, std::uint64_t first) {
  std::uint64_t seq = first;
  for (Caller& caller : std::exchange(callers_, {})) {
    std::vector<EventId> ids;
    ids.reserve(caller.events);
    for (std::size_t i = 0; i < caller.events; ++i) ids.push_back(EventId{epoch, seq++});
    caller.done(std::move(ids));
  }
}

void PublishBatch::Fail(boost::system::error_code error) {
  for (Caller& caller : std::exchange(callers_, {})) caller.done(error);
}

bool PublishQueue::Fits(const std::vector<PublishRequest>& requests) const {
  return events_ + requests.size() <= limits_.queued_events &&
         bytes_ + BytesOf(requests) <= limits_.queued_bytes;
}

void PublishQueue::Push(std::vector<PublishRequest> requests, Broker::PublishCallback done) {
  const std::size_t bytes = BytesOf(requests);
  events_ += requests.size();
  bytes_ += bytes;
  waiting_.push_back(Waiting{std::move(requests), std::move(done), bytes});
}

PublishBatch PublishQueue::Take() { return Take(limits_.batch_events, limits_.batch_bytes); }

PublishBatch PublishQueue::TakeAll() { return Take(SIZE_MAX, SIZE_MAX); }

PublishBatch PublishQueue::Take(std::size_t max_events, std::size_t max_bytes) {
  PublishBatch batch;
  while (!waiting_.empty()) {
    Waiting& next = waiting_.front();
    const std::size_t events = next.requests.size();
    if (batch.callers() > 0 &&
        (batch.events() + events > max_events || batch.bytes_ + next.bytes > max_bytes)) {
      break;
    }
    for (PublishRequest& r : next.requests) {
      batch.arguments_.push_back(std::move(r.channel));
      batch.arguments_.push_back(std::move(r.name));
      batch.arguments_.push_back(std::move(r.data));
    }
    batch.callers_.push_back(PublishBatch::Caller{events, std::move(next.done)});
    batch.bytes_ += next.bytes;
    events_ -= events;
    bytes_ -= next.bytes;
    waiting_.pop_front();
  }
  return batch;
}

}  // namespace pushy::broker::redis
