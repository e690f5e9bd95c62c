/*
 * The secure world's statistics as one JSON line: its own counters, the
 * memory manager's, the TLB's, the mailboxes' (when there are any), the
 * modeled cost of it all on a profile, and its part of the run's
 * teeshm.result/1 document ("result": ops, map, unmap, tlb, memory, leaks;
 * docs/results.md).  The secure world process prints it at exit, the
 * in-process replayer writes it to a memory stream; the launcher reads both
 * the same way (sim/launcher/run_result.h).
 */
#ifndef TEESHM_SECURE_SW_STATS_LINE_H
#define TEESHM_SECURE_SW_STATS_LINE_H

#include <stdio.h>

#include "sim/common/profile.h"
#include "sim/common/smc_channel.h"
#include "sim/secure/secure_world.h"

/*
 * Write the line (and its newline) to out.  check_rc is sw_check's verdict;
 * mailboxes NULL when SMCs did not come through mailboxes.  Read while no
 * SMC is in flight.  0, TS_EINVAL (writer misuse), TS_EIO (stream failed).
 */
int sw_write_stats_line(FILE *out, struct secure_world *sw, const struct profile *prof, int check_rc,
			const struct smc_mailbox_stats *mailboxes);

#endif
