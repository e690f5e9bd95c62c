/*
 * The trace recorder: what client programs do through our TEEC API on one
 * guest's driver, written as teeshm-trace 1 lines (workloads/trace.h) as
 * each operation completes, with the result it had (expect=), so the trace
 * replays the same calls under any strategy.  It rides the driver's trace
 * hook (optee_drv_set_trace); clients may call from several threads.
 *
 * Names: sessions and blocks get s1, s2, ... and m1, m2, ... in the order
 * they are created, never reused, so a failed open keeps its name.  Opens,
 * allocations, registrations and invokes carry the result they had
 * (expect=).  Not recorded: TEEC_RequestCancellation (no trace op),
 * contexts (one per VM is implied).
 */
#ifndef TEESHM_WORKLOADS_RECORD_H
#define TEESHM_WORKLOADS_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct optee_drv;
struct trace_recorder;

/*
 * Start recording drv's clients as VM vm into out: the magic line first when
 * header, then `vm start`.  out must outlive the recorder.  0 or TS_ENOMEM.
 */
int trace_recorder_attach(struct optee_drv *drv, uint16_t vm, FILE *out, bool header,
			  struct trace_recorder **rec);
/*
 * `vm stop` (or `vm crash` when the VM died), the hook removed, the recorder
 * freed.  0, or TS_EIO if writing ever failed.
 */
int trace_recorder_detach(struct trace_recorder *rec, bool crashed);

#endif
