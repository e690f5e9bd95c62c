/*
 * SMC channel transports: how an SMC (struct smc_regs) travels from the
 * world that issues it to the world that handles it.  Both offer the
 * struct smc_conduit of smc.h, so callers do not know which one they use.
 *
 * - Mailbox: a small block of memory shared by two processes (the launcher
 *   puts every mailbox in one memfd).  The caller writes a0..a7 and rings a
 *   doorbell; the handler answers in the same registers.  Each side waits by
 *   spinning for a bounded time, then sleeping on a futex (DESIGN.md 8: a
 *   blocking round trip costs ~20 us across cores here, a spinning one ~1 us).
 * - In-process: a direct, synchronous call of the handler; deterministic, no
 *   threads.  Used for tests, fuzzing and large sweeps.
 *
 * Host code (POSIX, Linux futexes, C11 atomics); not part of the secure core.
 *
 * Mailbox protocol.  One state word drives everything; it is also the futex
 * word both sides sleep on.  Only the transitions below are legal:
 *
 *	 client                              server
 *	IDLE    --write regs, seq------> REQUEST
 *	REQUEST --(timeout: withdraw)--> IDLE
 *	                                 REQUEST --copy regs out--> BUSY
 *	                                 BUSY    --write results--> REPLY
 *	REPLY   --copy results out-----> IDLE
 *	any     --smc_mailbox_mark_dead()--> DEAD   (final; peer gone)
 *
 * BUSY exists so that a client that gave up (timeout) can withdraw a request
 * the server has not taken yet, but never one it is working on: once BUSY,
 * the server owns the registers until it publishes REPLY.  A reply that comes
 * after the client timed out is discarded by the client's next call.
 *
 * One mailbox carries one call at a time: one mailbox per calling CPU (as an
 * SMC blocks the CPU that issues it).  Two threads calling through the same
 * mailbox at once is a caller bug; the second gets TS_EBUSY when it notices,
 * but may already have overwritten the first one's registers.
 *
 * Hostile peers.  Each side copies the registers OUT of shared memory once
 * (server: after taking the request; client: after seeing the reply) and
 * works on the private copy only, so a peer rewriting the mailbox cannot
 * change what the handler already read (no double fetch).  Every shared
 * field is accessed through atomics, so a racing peer is never undefined
 * behaviour, only garbage values, which the state machine refuses.
 */
#ifndef TEESHM_COMMON_SMC_CHANNEL_H
#define TEESHM_COMMON_SMC_CHANNEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/common/smc.h"

/* ---- Mailbox layout (shared memory; the same in every process) ---- */

#define SMC_MAILBOX_MAGIC 0x4d434d53u /* "SMCM" in little-endian memory */
#define SMC_MAILBOX_VERSION 1u
#define SMC_MAILBOX_ALIGN_BYTES 64u

enum smc_mailbox_state {
	SMC_MB_IDLE = 0,    /* no call in flight; the client may write a request */
	SMC_MB_REQUEST = 1, /* regs hold a request, not yet taken by the server */
	SMC_MB_BUSY = 2,    /* the server took the request and owns the regs */
	SMC_MB_REPLY = 3,   /* regs hold the results for the client */
	SMC_MB_DEAD = 4,    /* a peer is gone; final */
};

enum smc_mailbox_side {
	SMC_MB_CLIENT = 0,
	SMC_MB_SERVER = 1,
};

/*
 * Per-side counters, as an X-macro so that exporters (JSON) list them by name.
 * A side writes only its own counters.
 *   calls        client: calls issued (whatever their outcome);
 *                server: requests taken and handled
 *   spin_hits    of those, answered (client) / taken (server) while spinning
 *   blocked      of those, answered / taken only after the spin ran out
 *                (client: spin_hits + blocked = calls that returned 0;
 *                 server: spin_hits + blocked = calls)
 *   futex_waits  FUTEX_WAIT system calls (one blocked wait may make several)
 *   wakes        FUTEX_WAKE system calls (made only when the peer sleeps)
 *   timeouts     client: calls that returned TS_ETIMEDOUT; server: waits
 *                that timed out (serve_one's TS_ETIMEDOUT, serve()'s polls)
 *   stale        client: late replies to timed-out calls, discarded
 *   protocol_errors  illegal states or transitions seen (a misbehaving peer)
 */
#define SMC_MAILBOX_STATS(XX)                                                                      \
	XX(calls)                                                                                  \
	XX(spin_hits)                                                                              \
	XX(blocked)                                                                                \
	XX(futex_waits)                                                                            \
	XX(wakes)                                                                                  \
	XX(timeouts)                                                                               \
	XX(stale)                                                                                  \
	XX(protocol_errors)

#define SMC_MAILBOX_STATS_VERSION 1

struct smc_mailbox_stats {
#define SMC_MB_STAT_FIELD(name) uint64_t name;
	SMC_MAILBOX_STATS(SMC_MB_STAT_FIELD)
#undef SMC_MB_STAT_FIELD
};

/* The shared-memory form: each counter written by one side only, read by anyone. */
struct smc_mailbox_shared_stats {
#define SMC_MB_STAT_SHARED(name) _Atomic uint64_t name;
	SMC_MAILBOX_STATS(SMC_MB_STAT_SHARED)
#undef SMC_MB_STAT_SHARED
};

/*
 * The mailbox as it lies in shared memory: 320 bytes, five 64-byte lines.
 *
 *	offset  bytes  field
 *	     0      4  magic           SMC_MAILBOX_MAGIC, written last by init
 *	     4      4  version         SMC_MAILBOX_VERSION
 *	     8      4  size_bytes      sizeof(struct smc_mailbox)
 *	    64      4  state           enum smc_mailbox_state; the futex word
 *	    68      4  seq             request number, written by the client
 *	    72      4  reply_seq       seq of the request the reply answers (server)
 *	    76      4  client_sleeping 1 while the client is in FUTEX_WAIT
 *	    80      4  server_sleeping 1 while the server is in FUTEX_WAIT
 *	   128     64  regs            a0..a7
 *	   192     64  stats[CLIENT]
 *	   256     64  stats[SERVER]
 *
 * The header line is read-only after init; the state and register lines are
 * the only ones that move between cores on a call.  The sleeping flags let a
 * side skip the FUTEX_WAKE system call while its peer is still spinning.
 * Peers use the functions below; the layout is public so the launcher and
 * tests can inspect (or, for tests, attack) a mailbox.
 */
struct smc_mailbox {
	uint32_t magic;
	uint32_t version;
	uint32_t size_bytes;
	uint32_t reserved0[13];

	_Alignas(64) _Atomic uint32_t state;
	_Atomic uint32_t seq;
	_Atomic uint32_t reply_seq;
	_Atomic uint32_t client_sleeping;
	_Atomic uint32_t server_sleeping;

	_Alignas(64) _Atomic uint64_t regs[8];

	_Alignas(64) struct smc_mailbox_shared_stats stats[2];
};

/* Bytes one mailbox needs (a multiple of SMC_MAILBOX_ALIGN_BYTES). */
size_t smc_mailbox_bytes(void);

/*
 * Format mem (64-byte aligned, at least smc_mailbox_bytes()) as an IDLE
 * mailbox: zero it, then write the header.  Call before either peer attaches.
 * Returns 0 or TS_EINVAL (NULL, misaligned or too small).
 */
int smc_mailbox_init(void *mem, size_t bytes);

/*
 * Use an initialised mailbox at mem (as mapped in this process).  Checks
 * alignment, size, magic and version; *out = the mailbox.  Returns 0 or
 * TS_EINVAL (with *out untouched).
 */
int smc_mailbox_attach(void *mem, size_t bytes, struct smc_mailbox **out);

/*
 * Invariant check: valid header, state a legal value, counters consistent
 * (client: spin_hits + blocked + timeouts <= calls; server: spin_hits +
 * blocked == calls).  Meaningful on a quiescent mailbox (no call in flight)
 * whose peers behaved.  Returns 0, TS_EINVAL (bad header or state) or
 * TS_ERANGE (inconsistent counters).
 */
int smc_mailbox_check(const struct smc_mailbox *mb);

/* A snapshot of one side's counters. */
void smc_mailbox_get_stats(const struct smc_mailbox *mb, enum smc_mailbox_side side,
			   struct smc_mailbox_stats *out);

/* The current state (for monitoring and tests; may change at once). */
enum smc_mailbox_state smc_mailbox_state(const struct smc_mailbox *mb);

/*
 * Mark the mailbox DEAD (a peer process is gone) and wake every waiter: a
 * client in call() returns TS_EIO, a server in serve_one()/serve() TS_EIO.
 * Final: every later call or serve returns TS_EIO at once.  Async-signal-safe.
 */
void smc_mailbox_mark_dead(struct smc_mailbox *mb);

/*
 * Wake whoever sleeps on the mailbox without changing its state, so that a
 * server in smc_mailbox_serve() looks at its stop flag now rather than at
 * its next poll.  Async-signal-safe.
 */
void smc_mailbox_kick(struct smc_mailbox *mb);

/* ---- Client side ---- */

/*
 * Defaults.  Spinning pays when the reply comes within about the cost of a
 * futex round trip (~20 us here); longer and the sleep is cheap in
 * comparison, so spinning longer only burns a core (we have two).
 */
#define SMC_MAILBOX_DEFAULT_SPIN_NS 20000u
#define SMC_MAILBOX_DEFAULT_TIMEOUT_MS 10000

struct smc_mailbox_client {
	struct smc_mailbox *mb;
	uint32_t spin_ns; /* spin this long for the reply before sleeping; 0: sleep at once */
	int timeout_ms;   /* give up after this long asleep; < 0: never */
	uint32_t seq;     /* our own count of requests (the shared one is not trusted) */
	uint32_t abandoned_seq; /* seq of a call that timed out while BUSY, or 0 */
};

/* Set up a client of mb with the given spin budget and timeout. */
void smc_mailbox_client_init(struct smc_mailbox_client *c, struct smc_mailbox *mb,
			     uint32_t spin_ns, int timeout_ms);

/*
 * Issue one SMC and wait for its results (in regs).  Returns 0, TS_ETIMEDOUT
 * (no reply within the timeout: the request is withdrawn if the server had
 * not taken it yet, otherwise its late reply is discarded by the next call),
 * TS_EIO (DEAD, or the server broke the protocol), TS_EBUSY (another call is
 * in flight on this mailbox: a caller bug).  The timeout counts from the end
 * of the spin.  regs is untouched unless 0 is returned.
 */
int smc_mailbox_call(struct smc_mailbox_client *c, struct smc_regs *regs);

/* The conduit for c (c must outlive it). */
struct smc_conduit smc_mailbox_conduit(struct smc_mailbox_client *c);

/* ---- Server side ---- */

/*
 * Wait for one request (spin up to spin_ns, then sleep; timeout_ms < 0 waits
 * forever, 0 does not sleep), copy its registers out, run fn(ctx, copy),
 * publish the results and wake the client.  Returns 0 (one request handled),
 * TS_ETIMEDOUT (none came) or TS_EIO (DEAD).
 */
int smc_mailbox_serve_one(struct smc_mailbox *mb, smc_handler_fn fn, void *ctx, int timeout_ms,
			  uint32_t spin_ns);

/*
 * Serve requests until *stop becomes non-zero (returns 0) or the mailbox is
 * DEAD (returns TS_EIO).  The flag is looked at while spinning, whenever the
 * server wakes, and at least every poll_ms (< 0: only when woken).  Raise it,
 * then smc_mailbox_kick(): the server notices at once, or at its next poll if
 * the kick landed just before it went to sleep (the kick cannot change the
 * futex word, so that wake-up can be lost).  TS_EINVAL for a NULL flag or
 * poll_ms == 0 (a busy loop).  Every poll that expires counts as a server
 * timeout.
 */
int smc_mailbox_serve(struct smc_mailbox *mb, smc_handler_fn fn, void *ctx,
		      const atomic_int *stop, int poll_ms, uint32_t spin_ns);

/* ---- In-process transport ---- */

struct smc_inproc {
	smc_handler_fn fn;
	void *ctx;
	uint64_t calls;
};

/*
 * A conduit that runs fn(ctx, copy) synchronously on a private copy of the
 * caller's registers and copies the results back (so a caller whose regs lie
 * in memory a peer can write still gives the handler a stable input).  p must
 * outlive the conduit.  Never fails.  Re-entrant (a handler may call again).
 */
struct smc_conduit smc_inproc_conduit(struct smc_inproc *p, smc_handler_fn fn, void *ctx);

#endif
