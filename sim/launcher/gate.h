/*
 * Performance regression gate over two teeshm.result/1 documents
 * (docs/results.md): a baseline and a current run of the same strategy,
 * workload, VM count and profile.
 *
 * Every number in the baseline is compared with the same path in the
 * current document:
 *  - deterministic figures (modeled cycles and time, counts, TLB flushes,
 *    waste, leaks: everything but host timings) must be equal; a change in
 *    the worse direction is a regression, in the better direction an
 *    improvement (reported, so the baseline can be renewed), and a change in
 *    a figure that only describes the run (ops counts, samples) makes the
 *    documents not comparable;
 *  - host timings (`host_ns` p50/p90/mean, `time.wall_ns`) may be worse by
 *    up to the tolerance in percent before they count as a regression;
 *    latency tails (p99, max) are reported, never judged (a few samples on a
 *    shared machine), and with judge_host false no host timing is judged.
 * A figure the current document lacks is a regression; one it adds is noted.
 */
#ifndef TEESHM_LAUNCHER_GATE_H
#define TEESHM_LAUNCHER_GATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum gate_verdict { GATE_SAME, GATE_IMPROVED, GATE_WITHIN, GATE_REGRESSED, GATE_CHANGED };

struct gate_result {
	uint64_t compared;       /* numbers compared */
	uint64_t regressions;    /* REGRESSED: worse deterministic figures, host timings over tolerance,
				  * figures missing */
	uint64_t improvements;   /* deterministic figures that got better */
	uint64_t changed;        /* CHANGED: the runs differ in what they did */
	uint64_t within;         /* host timings worse but within tolerance */
	uint64_t added;          /* figures only the current document has */
};

/*
 * Compare; one line per figure that is not the same is written to report
 * (NULL: none).  0 when the two documents are comparable (whatever the
 * verdicts), TS_EINVAL with a message when they are not teeshm.result/1 or
 * describe different runs (strategy, workload, vms, profile).
 */
int gate_compare(const json_t *baseline, const json_t *current, unsigned tolerance_pct,
		 bool judge_host, FILE *report, struct gate_result *out, char *err,
		 size_t err_bytes);

#endif
