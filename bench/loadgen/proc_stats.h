#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace pushy::bench {

// Resource use of the server under test, read from /proc. A server may be several processes
// (nginx: a master and its workers; a cluster: two nodes and Redis), so every figure is a sum.
// Called from the coordinator only.
struct ProcSample {
  std::int64_t rss_kb = 0;  // sum of VmRSS
  std::int64_t pss_kb = 0;  // sum of Pss (smaps_rollup): shared pages counted once in total
  double cpu_s = 0;         // sum of utime + stime
  int processes = 0;        // how many of the processes could be read
};

// `roots` plus every live descendant of each (nginx workers are children of the master).
std::vector<pid_t> WithDescendants(const std::vector<pid_t>& roots);

ProcSample SampleProcesses(const std::vector<pid_t>& pids);

}  // namespace pushy::bench
