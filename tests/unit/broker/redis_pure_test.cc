// The Redis broker's pure parts: key and glob layout, the message codec, and the replay rules
// applied to what the script read (no Redis needed).
#include <gtest/gtest.h>

#include "broker/redis/redis_keys.h"
#include "broker/redis/redis_replay.h"

namespace pushy::broker::redis {
namespace {

using Status = ReplayResult::Status;

TEST(RedisKeysTest, PatternsMapToGlobsThatCoverThem) {
  const struct {
    const char* pattern;
    const char* glob;
  } cases[] = {
      {"a.*", "a.*"},           {"a.**", "a.*"},
      {"*.b", "*.b"},           {"**", "*"},
      {"a.*.c.**", "a.*.c.*"},  {"x:y@z=1.*", "x:y@z=1.*"},
      {"a[1].*", "a\\[1\\].*"},  // cannot be a valid name, escaped all the same
  };
  for (const auto& c : cases) EXPECT_EQ(GlobFor(c.pattern), c.glob) << c.pattern;
  EXPECT_EQ(EscapeGlob("p*?[]\\:"), "p\\*\\?\\[\\]\\\\:");
}

TEST(RedisKeysTest, EntriesBecomeSubscriptions) {
  const KeySpace keys("pushy:");
  EXPECT_EQ(SubscriptionFor(keys, "news.sports"), (Subscription{false, "pushy:c:news.sports"}));
  EXPECT_EQ(SubscriptionFor(keys, "news.*"), (Subscription{true, "pushy:c:news.*"}));
  EXPECT_EQ(SubscriptionFor(keys, "news.**"), (Subscription{true, "pushy:c:news.*"}));
  EXPECT_EQ(SubscriptionFor(KeySpace("t*1:"), "a.*").target, "t\\*1:c:a.*");
  EXPECT_EQ(keys.ChannelOf("pushy:c:news.sports"), "news.sports");
  EXPECT_EQ(keys.ChannelOf("other:c:news"), std::nullopt);
  EXPECT_EQ(keys.ChannelOf("pushy:c:"), std::nullopt);
  EXPECT_EQ(keys.ChannelOf("pushy:h:news"), std::nullopt);
}

Event MakeEvent(std::uint64_t seq, std::string name, std::string data) {
  Event event;
  event.id = EventId{0xabc, seq};
  event.channel = "a.b";
  event.name = std::move(name);
  event.data = std::move(data);
  event.ts_ms = 1'700'000'000'123;
  return event;
}

TEST(RedisKeysTest, MessagesRoundTrip) {
  const std::vector<Event> events{
      MakeEvent(42, "update", R"({"text":"with spaces ","x":[1, 2]})"),
      MakeEvent(43, "m", "7 n 1 x"),  // data that looks like a record
      MakeEvent(45, "message", "\"a\nb\""),
  };
  const std::string body = EncodeMessage(events);
  EXPECT_EQ(body, "000000000abc 1700000000123 42 update 34 " + events[0].data + " 43 m 7 " +
                      events[1].data + " 45 message 5 " + events[2].data);
  const std::optional<std::vector<Event>> back = DecodeMessage("a.b", body);
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = (*back)[i];
    EXPECT_EQ(e.id, events[i].id) << i;
    EXPECT_EQ(e.channel, "a.b") << i;
    EXPECT_EQ(e.name, events[i].name) << i;
    EXPECT_EQ(e.data, events[i].data) << i;
    EXPECT_EQ(e.ts_ms, events[i].ts_ms) << i;
  }
  const auto one = DecodeMessage("c", EncodeMessage(std::span(events).subspan(1, 1)));
  ASSERT_TRUE(one.has_value());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().data, "7 n 1 x");
}

TEST(RedisKeysTest, MalformedMessagesAreRefused) {
  for (const char* body : {
           "", "000000000abc", "000000000abc 2",
           "000000000abc 2 ",                     // no event
           "000000000abc 42 1700000000123 n {}",  // the old single-event format
           "abc 2 1 n 2 {}",                      // short epoch
           "00000000zabc 2 1 n 2 {}",             // not hex
           "000000000abc x 1 n 2 {}",             // ts
           "000000000abc 2 0 n 2 {}",             // seq 0
           "000000000abc 2 -1 n 2 {}",            // negative seq
           "000000000abc 2 x n 2 {}",             // seq
           "000000000abc 2 1  2 {}",              // empty name
           "000000000abc 2 1 n 3 {}",             // data shorter than its size
           "000000000abc 2 1 n 1 {}",             // data longer than its size
           "000000000abc 2 1 n 2 {} ",            // trailing space
           "000000000abc 2 1 n 2 {}x2 n 2 {}",    // no separator
           "000000000abc 2 1 n 2 {} 2 n",         // truncated second event
       }) {
    EXPECT_FALSE(DecodeMessage("a", body).has_value()) << body;
  }
  EXPECT_TRUE(DecodeMessage("a", "000000000abc 2 1 n 2 {} 2 n 0 ").has_value()) << "empty data";
}

// Builds a snapshot: epoch 7, head 100, events below old_bound may have expired.
HistorySnapshot Snapshot(std::uint64_t old_bound, std::vector<HistorySnapshot::Channel> channels) {
  return HistorySnapshot{7, 100, old_bound, std::move(channels)};
}

HistorySnapshot::Channel Channel(std::string name, std::uint64_t dropped,
                                 std::vector<std::uint64_t> seqs) {
  HistorySnapshot::Channel channel{std::move(name), false, dropped, {}};
  for (std::uint64_t seq : seqs) {
    auto e = std::make_shared<Event>();
    e->id = EventId{7, seq};
    e->channel = channel.name;
    channel.events.push_back(e);
  }
  return channel;
}

HistorySnapshot::Channel Gone(std::string name) { return {std::move(name), true, 0, {}}; }

std::string After(std::uint64_t seq) { return FormatEventId(EventId{7, seq}); }

TEST(RedisReplayTest, AppliesHistorysGapRules) {
  const struct {
    const char* what;
    HistorySnapshot snapshot;
    std::uint64_t after;
    std::vector<std::string> entries;
    Status status;
    std::vector<std::uint64_t> seqs;
  } cases[] = {
      {"retained events",
       Snapshot(1, {Channel("a", 0, {12, 15})}),
       10,
       {"a"},
       Status::kReplayed,
       {12, 15}},
      {"dropped after the resume point",
       Snapshot(1, {Channel("a", 11, {12})}),
       10,
       {"a"},
       Status::kGap,
       {}},
      {"dropped exactly up to it",
       Snapshot(1, {Channel("a", 10, {12})}),
       10,
       {"a"},
       Status::kReplayed,
       {12}},
      {"gone channel, recent resume", Snapshot(11, {Gone("a")}), 10, {"a"}, Status::kReplayed, {}},
      {"gone channel, old resume", Snapshot(12, {Gone("a")}), 10, {"a"}, Status::kGap, {}},
      {"pattern, old resume", Snapshot(12, {Channel("a.x", 0, {})}), 10, {"a.*"}, Status::kGap, {}},
      {"pattern, recent resume",
       Snapshot(11, {Channel("a.x", 0, {20})}),
       10,
       {"a.*"},
       Status::kReplayed,
       {20}},
      {"name, old resume, channel alive",
       Snapshot(50, {Channel("a", 0, {60})}),
       10,
       {"a"},
       Status::kReplayed,
       {60}},
      {"glob over-match ignored",
       Snapshot(1, {Channel("a.x.y", 99, {30})}),
       10,
       {"a.*"},
       Status::kReplayed,
       {}},
      {"overlapping entries merged in order",
       Snapshot(1, {Channel("a.x", 0, {13, 17}), Channel("a.y", 0, {12, 20})}),
       10,
       {"a.x", "a.*"},
       Status::kReplayed,
       {12, 13, 17, 20}},
      {"beyond the head", Snapshot(1, {}), 101, {"a"}, Status::kGap, {}},
      {"at the head", Snapshot(1, {Channel("a", 0, {})}), 100, {"a"}, Status::kReplayed, {}},
  };
  for (const auto& c : cases) {
    const ReplayResult r = BuildReplay(c.snapshot, After(c.after), c.entries);
    EXPECT_EQ(r.status, c.status) << c.what;
    EXPECT_EQ(r.head, (EventId{7, 100})) << c.what;
    std::vector<std::uint64_t> seqs;
    for (const EventPtr& e : r.events) seqs.push_back(e->id.seq);
    EXPECT_EQ(seqs, c.seqs) << c.what;
  }
}

TEST(RedisReplayTest, LiveAndUnknownEpoch) {
  const HistorySnapshot snapshot = Snapshot(1, {});
  EXPECT_EQ(BuildReplay(snapshot, std::nullopt, {}).status, Status::kLive);
  EXPECT_EQ(BuildReplay(snapshot, "x", {}).status, Status::kUnknownEpoch);
  EXPECT_EQ(BuildReplay(snapshot, FormatEventId({8, 1}), {}).status, Status::kUnknownEpoch);
}

TEST(RedisReplayTest, ParsesTheScriptReply) {
  const Reply reply = Reply::Array({
      Reply::String("000000000007"),
      Reply::Integer(100),
      Reply::Integer(3),
      Reply::Array({Reply::String("a"), Reply::Integer(2), Reply::Integer(5),
                    Reply::String("1700000000000"), Reply::String("message"), Reply::String("{}")}),
      Reply::Array({Reply::String("b"), Reply::Integer(-1)}),
  });
  const std::optional<HistorySnapshot> s = ParseSnapshot(reply);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->epoch, 7u);
  EXPECT_EQ(s->head, 100u);
  EXPECT_EQ(s->old_bound, 3u);
  ASSERT_EQ(s->channels.size(), 2u);
  EXPECT_EQ(s->channels[0].dropped_through, 2u);
  ASSERT_EQ(s->channels[0].events.size(), 1u);
  EXPECT_EQ(s->channels[0].events[0]->id, (EventId{7, 5}));
  EXPECT_EQ(s->channels[0].events[0]->ts_ms, 1'700'000'000'000);
  EXPECT_TRUE(s->channels[1].gone);

  EXPECT_FALSE(ParseSnapshot(Reply::Error("ERR")).has_value());
  EXPECT_FALSE(
      ParseSnapshot(Reply::Array({Reply::String("7"), Reply::Integer(1), Reply::Integer(1)}))
          .has_value());
  EXPECT_FALSE(
      ParseSnapshot(
          Reply::Array({Reply::String("000000000007"), Reply::Integer(1), Reply::Integer(1),
                        Reply::Array({Reply::String("a"), Reply::Integer(0), Reply::Integer(5)})}))
          .has_value());
}

TEST(RedisReplayTest, ScriptArgumentsNameGlobsAndSkipChannelsWithoutAnId) {
  const std::vector<std::string> entries{"a.b", "a.**"};
  const history::Options history{1000, 5000};
  EXPECT_EQ(ReplayArguments("p:", history, 0x1234, EventId{7, 9}, entries),
            (std::vector<std::string>{"p:", "5000", "000000001234", "000000000007", "9", "1000",
                                      "n", "a.b", "p", "a.*"}));
  EXPECT_EQ(ReplayArguments("p:", history, 0x1234, std::nullopt, entries),
            (std::vector<std::string>{"p:", "5000", "000000001234", "", "0", "1000"}));
}

}  // namespace
}  // namespace pushy::broker::redis
