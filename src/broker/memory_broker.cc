#include "broker/memory_broker.h"

#include <utility>

namespace pushy::broker {

MemoryBroker::MemoryBroker(history::Options history_options, const Clock& clock)
    : clock_(clock), epoch_(NewEpoch()), history_(history_options, clock) {}

void MemoryBroker::Start(EventSink& sink) {
  std::lock_guard lock(mutex_);
  sink_ = &sink;
}

void MemoryBroker::Stop() {
  std::lock_guard lock(mutex_);
  sink_ = nullptr;
}

void MemoryBroker::Publish(std::vector<PublishRequest> requests, PublishCallback done) {
  std::vector<EventId> ids;
  ids.reserve(requests.size());
  {
    std::lock_guard lock(mutex_);
    const std::int64_t now = clock_.NowMs();
    for (PublishRequest& request : requests) {
      auto event = std::make_shared<Event>();
      event->id = EventId{epoch_, next_seq_++};
      event->channel = std::move(request.channel);
      event->name = std::move(request.name);
      event->data = std::move(request.data);
      event->ts_ms = now;
      EventPtr shared = std::move(event);
      history_.Append(shared);
      if (sink_ != nullptr) sink_->OnEvent(shared);
      ids.push_back(shared->id);
    }
  }
  done(std::move(ids));
}

void MemoryBroker::Replay(std::optional<std::string> after, std::vector<std::string> entries,
                          ReplayCallback done) {
  ReplayResult result;
  {
    std::lock_guard lock(mutex_);
    result = ReplayLocked(after, entries);
  }
  done(std::move(result));
}

ReplayResult MemoryBroker::ReplayLocked(const std::optional<std::string>& after,
                                        const std::vector<std::string>& entries) {
  ReplayResult result;
  result.head = EventId{epoch_, next_seq_ - 1};
  if (!after) return result;
  const std::optional<EventId> from = ParseEventId(*after);
  if (!from || from->epoch != epoch_) {
    result.status = ReplayResult::Status::kUnknownEpoch;
    return result;
  }
  history::History::Replay replay = history_.After(from->seq, entries);
  if (replay.gap) {
    result.status = ReplayResult::Status::kGap;
    return result;
  }
  result.status = ReplayResult::Status::kReplayed;
  result.events = std::move(replay.events);
  return result;
}

void MemoryBroker::Tick() {
  std::lock_guard lock(mutex_);
  history_.ExpireOld();
}

Broker::Stats MemoryBroker::GetStats() const {
  std::lock_guard lock(mutex_);
  return Stats{history_.event_count(), history_.channel_count()};
}

}  // namespace pushy::broker
