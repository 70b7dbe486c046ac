#pragma once

#include <string>

#include "options.h"

namespace pushy::bench {

// One forked worker process: opens streams [first, first + count) of the run, reports to the
// coordinator when they are open, reads and checks every event until told publishing is done
// and everything expected arrived (or the drain timeout passed), reports, then waits for the
// word to close them all. Runs single-threaded on one epoll instance; `ctl_in` and
// `report_out` are its two pipe ends. Returns the process exit code.
int RunSubscriberWorker(const Options& options, const std::string& token, int first, int count,
                        int ctl_in, int report_out);

}  // namespace pushy::bench
