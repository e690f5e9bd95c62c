/*
 * The secure thread pool (OP-TEE's threads[CFG_NUM_THREADS]), on pthreads.
 *
 * Each secure thread is a host thread that runs one call at a time.  The
 * CPU passes between a call's caller (the host thread inside sw_smc) and its
 * secure thread by a strict hand-off under the secure world's big lock:
 * the caller sets the turn to the secure thread and sleeps until the turn
 * comes back, which happens when the call finishes or suspends for an RPC.
 * So exactly one of the two runs, nothing spins, and a run under the
 * in-process transport is deterministic.
 *
 * States: FREE -> RUNNING (a yielding call claims it) -> SUSPENDED (RPC
 * returned to the normal world) -> RUNNING (RETURN_FROM_RPC of the same
 * client) -> ... -> FREE (call done).  A suspended thread can also be
 * abandoned (its client died) or time out (rpc_timeout_ms): its call then
 * unwinds without the normal world and the thread becomes FREE.
 */
#ifndef TEESHM_SECURE_SW_THREAD_H
#define TEESHM_SECURE_SW_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/common/smc.h"
#include "sim/secure/sw_msg.h"

struct secure_world;
struct sw_handoff;

enum sw_thread_state { SW_THREAD_FREE, SW_THREAD_RUNNING, SW_THREAD_SUSPENDED };

struct sw_thread {
	struct secure_world *sw;
	uint32_t id;
	enum sw_thread_state state;
	bool secure_turn;   /* hand-off token: the secure thread may run */
	bool abandon;       /* unwind without the normal world (client gone, teardown) */
	bool exit;          /* leave the thread loop (sw_destroy) */
	uint16_t client;
	uint32_t rpc_func;  /* the RPC a suspended thread waits on */
	struct smc_regs regs; /* call regs in; result or RPC request out; RPC answer in */
	struct sw_call call;
	paddr_t *pages;     /* scratch for page lists: max_pages_per_buffer entries */
	uint8_t *bounce;    /* one page */
	struct sw_handoff *waiter; /* the caller waiting for this thread to yield, if any */
	pthread_t pthread;
	bool started;
	bool cond_ready;
	pthread_cond_t cv_secure; /* the secure thread waits here for its turn */
};

/* Start num_threads secure threads.  TS_ENOMEM / TS_EAGAIN. */
int sw_threads_start(struct secure_world *sw);
/* Abandoned calls must have been unwound; stops and joins every thread. */
void sw_threads_stop(struct secure_world *sw);

/* Caller side, big lock held: a FREE thread now RUNNING for client, or NULL. */
struct sw_thread *sw_thread_claim(struct secure_world *sw, uint16_t client);
/*
 * Caller side, big lock held: give t the CPU with io (the call's registers,
 * or the normal world's RPC answer) and wait until it suspends or finishes;
 * io then holds what the SMC returns.
 */
void sw_thread_run(struct secure_world *sw, struct sw_thread *t, struct smc_regs *io);
/* Wait until no thread of client runs or is being handed the CPU (big lock held). */
void sw_threads_wait_quiet(struct secure_world *sw, uint16_t client);

/*
 * Secure side: return rpc_func to the normal world with regs a1, a2 (and a3 =
 * thread id), sleep until resumed; regs then hold the answer (a1..a5).
 * Returns 0, or TS_EIO when the call was abandoned instead, or TS_ETIMEDOUT
 * when nobody answered in rpc_timeout_ms (the call is dead either way).
 */
int sw_thread_rpc(struct sw_thread *t, uint32_t rpc_func, struct smc_regs *regs);

#endif
