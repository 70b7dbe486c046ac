#include "proc_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace pushy::bench {
namespace {

// Reads "Key:   123 kB" from a /proc status-like file; -1 when absent.
std::int64_t ReadKbField(const std::string& path, const char* key) {
  std::ifstream in(path);
  std::string line;
  const std::size_t key_len = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, key_len, key) == 0) return std::atoll(line.c_str() + key_len);
  }
  return -1;
}

// Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command, which may hold
// spaces), and field 4 (ppid).
bool ReadStat(pid_t pid, long& ppid, double& cpu_s) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 4) ppid = std::atol(field.c_str());
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  const long hz = sysconf(_SC_CLK_TCK);
  cpu_s = static_cast<double>(utime + stime) / static_cast<double>(hz > 0 ? hz : 100);
  return true;
}

}  // namespace

std::vector<pid_t> WithDescendants(const std::vector<pid_t>& roots) {
  std::multimap<long, pid_t> children;  // ppid -> pid
  if (DIR* dir = opendir("/proc")) {
    while (const dirent* entry = readdir(dir)) {
      const long pid = std::atol(entry->d_name);
      long ppid = 0;
      double cpu = 0;
      if (pid > 0 && ReadStat(static_cast<pid_t>(pid), ppid, cpu)) {
        children.emplace(ppid, static_cast<pid_t>(pid));
      }
    }
    closedir(dir);
  }
  std::vector<pid_t> out = roots;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto [lo, hi] = children.equal_range(out[i]);
    for (auto it = lo; it != hi; ++it) {
      if (std::find(out.begin(), out.end(), it->second) == out.end()) out.push_back(it->second);
    }
  }
  return out;
}

ProcSample SampleProcesses(const std::vector<pid_t>& pids) {
  ProcSample sample;
  for (const pid_t pid : pids) {
    const std::string base = "/proc/" + std::to_string(pid);
    long ppid = 0;
    double cpu = 0;
    if (!ReadStat(pid, ppid, cpu)) continue;
    sample.cpu_s += cpu;
    sample.rss_kb += std::max<std::int64_t>(ReadKbField(base + "/status", "VmRSS:"), 0);
    sample.pss_kb += std::max<std::int64_t>(ReadKbField(base + "/smaps_rollup", "Pss:"), 0);
    ++sample.processes;
  }
  return sample;
}

}  // namespace pushy::bench
