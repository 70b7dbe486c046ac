// Unit tests of the load generator's own parsing and statistics: if these are wrong, every
// benchmark figure is.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "histogram.h"
#include "stream_parser.h"

namespace pushy::bench {
namespace {

using Samples = std::vector<StreamParser::Sample>;

constexpr char kPushyHead[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

std::string Chunk(const std::string& text) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", text.size());
  return size + text + "\r\n";
}

std::string PushyEvent(int seq, long long t) {
  return "id: 0123456789ab-" + std::to_string(seq) +
         "\nevent: message\ndata: {\"channel\":\"c0\"," +
         "\"data\":{\"seq\":" + std::to_string(seq) + ",\"t\":" + std::to_string(t) +
         ",\"pad\":\"xx\"},\"ts\":1795829584547}\n\n";
}

// Feeds `bytes` in pieces of `step` bytes (every split point gets exercised).
Samples FeedInPieces(StreamParser& parser, const std::string& bytes, std::size_t step) {
  Samples out;
  for (std::size_t i = 0; i < bytes.size(); i += step) {
    const std::size_t n = std::min(step, bytes.size() - i);
    parser.Feed(bytes.data() + i, n, [&](const StreamParser::Sample& s) { out.push_back(s); });
  }
  return out;
}

TEST(StreamParserTest, ChunkedPushyStreamAtEverySplit) {
  const std::string bytes = std::string(kPushyHead) + Chunk("retry: 1500\n\n") +
                            Chunk(PushyEvent(7, 111)) + Chunk(": heartbeat\n\n") +
                            Chunk(PushyEvent(8, 222) + PushyEvent(9, 333));
  for (std::size_t step = 1; step <= bytes.size(); ++step) {
    StreamParser parser;
    const Samples got = FeedInPieces(parser, bytes, step);
    ASSERT_EQ(got.size(), 3u) << "step " << step;
    EXPECT_EQ(got[0].seq, 7u);
    EXPECT_EQ(got[0].sent_ns, 111);
    EXPECT_EQ(got[2].seq, 9u);
    EXPECT_EQ(got[2].sent_ns, 333);
    EXPECT_EQ(parser.state(), StreamParser::State::kBody);
  }
}

TEST(StreamParserTest, RawNchanStream) {
  const std::string bytes =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n\r\n: hi\n\n"
      "id: 1795830614:0\ndata: {\"data\":{\"seq\":1,\"t\":123,\"pad\":\"xx\"}}\n\n";
  StreamParser parser;
  const Samples got = FeedInPieces(parser, bytes, 5);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, 1u);
  EXPECT_EQ(got[0].sent_ns, 123);
}

TEST(StreamParserTest, FinalChunkEndsTheStream) {
  StreamParser parser;
  const std::string bytes = std::string(kPushyHead) + Chunk(PushyEvent(1, 5)) + "0\r\n\r\n";
  EXPECT_EQ(FeedInPieces(parser, bytes, bytes.size()).size(), 1u);
  EXPECT_EQ(parser.state(), StreamParser::State::kEnded);
}

TEST(StreamParserTest, NonOkStatusAndGarbageAreErrors) {
  const std::vector<std::string> cases = {
      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\r\n{}",
      "HTTP/1.1 401 Unauthorized\r\n\r\n", "SSH-2.0-OpenSSH\r\n\r\n",
      std::string(kPushyHead) + "zz\r\n",  // not a chunk size
  };
  for (const std::string& bytes : cases) {
    StreamParser parser;
    FeedInPieces(parser, bytes, bytes.size());
    EXPECT_EQ(parser.state(), StreamParser::State::kError) << bytes;
  }
}

TEST(StreamParserTest, DataLineRules) {
  StreamParser::Sample s{};
  EXPECT_TRUE(StreamParser::ParseDataLine(R"(data: {"data":{"seq":42,"t":9}})", s));
  EXPECT_EQ(s.seq, 42u);
  EXPECT_EQ(s.sent_ns, 9);
  // "ts" must not be mistaken for "t"; a line without "t" still counts, with no send time.
  EXPECT_TRUE(StreamParser::ParseDataLine(R"(data: {"seq":3,"ts":77})", s));
  EXPECT_EQ(s.sent_ns, 0);
  EXPECT_FALSE(StreamParser::ParseDataLine(R"(id: {"seq":3})", s));
  EXPECT_FALSE(StreamParser::ParseDataLine(R"(data: {"event":"pushy.reset"})", s));
}

TEST(HistogramTest, QuantilesWithinTwoPercent) {
  Histogram h;
  for (int v = 1; v <= 100000; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.max(), 100000);
  const struct {
    double q;
    double want;
  } cases[] = {{0.5, 50000}, {0.9, 90000}, {0.99, 99000}, {0.999, 99900}, {1.0, 100000}};
  for (const auto& c : cases) {
    const double got = static_cast<double>(h.Quantile(c.q));
    EXPECT_GE(got, c.want) << c.q;
    EXPECT_LE(got, c.want * 1.02) << c.q;
  }
}

TEST(HistogramTest, SmallValuesExactAndMergeAdds) {
  Histogram a, b;
  a.Record(3);
  a.Record(-5);  // clock skew: counted as 0
  b.Record(100);
  a.Merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.Quantile(0.0), 0);
  EXPECT_EQ(a.Quantile(0.5), 3);
  EXPECT_EQ(a.Quantile(1.0), 100);
  EXPECT_EQ(Histogram().Quantile(0.5), 0);
}

}  // namespace
}  // namespace pushy::bench
