#pragma once

#include <string>

#include "options.h"
#include "proc_stats.h"
#include "publisher.h"
#include "wire.h"

namespace pushy::bench {

// Everything one run measured, summed over workers; the coordinator fills it.
struct RunReport {
  EstablishedMsg established;
  ResultMsg result;
  PublishStats publish;
  bool published = false;
  double open_seconds = 0;
  ProcSample base;        // before any stream opened
  ProcSample idle;        // streams open, settled, nothing published yet
  ProcSample pub_before;  // just before the first publish
  ProcSample pub_after;   // every worker reported (all delivered, or drain timeout)
};

// The human-readable table (to stdout).
void PrintTable(const Options& o, const RunReport& r);
// One line of JSON with every figure (to stdout, last line).
std::string JsonLine(const Options& o, const RunReport& r);

}  // namespace pushy::bench
