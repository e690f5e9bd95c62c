/*
 * SMC channel transports: the shared-memory mailbox (spin, then futex) and
 * the in-process direct call.  Protocol and layout: smc_channel.h.
 *
 * Waking costs a system call (~1 us here), so each side announces that it
 * is about to sleep in its *_sleeping flag and the other side calls
 * FUTEX_WAKE only when it sees that flag.  Lost wake-ups are excluded the
 * usual way: the sleeper stores its flag, then re-reads the state; the waker
 * stores the state, then reads the flag (all sequentially consistent), so at
 * least one of them sees the other's store, and FUTEX_WAIT itself refuses to
 * sleep when the state word no longer holds the value the sleeper last saw.
 */
#define _GNU_SOURCE
#include "sim/common/smc_channel.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sim/common/ts_err.h"

/* Atomics shared between processes must be lock-free (a lock would be per process). */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_LONG_LOCK_FREE == 2,
	       "64-bit atomics must be lock-free");
_Static_assert(sizeof(_Atomic uint32_t) == 4, "the futex word is 32 bits");
_Static_assert(sizeof(_Atomic uint64_t) == 8, "registers are 64 bits");
/* The documented layout (smc_channel.h) is what the compiler produces. */
_Static_assert(offsetof(struct smc_mailbox, version) == 4, "layout");
_Static_assert(offsetof(struct smc_mailbox, size_bytes) == 8, "layout");
_Static_assert(offsetof(struct smc_mailbox, state) == 64, "layout");
_Static_assert(offsetof(struct smc_mailbox, seq) == 68, "layout");
_Static_assert(offsetof(struct smc_mailbox, reply_seq) == 72, "layout");
_Static_assert(offsetof(struct smc_mailbox, client_sleeping) == 76, "layout");
_Static_assert(offsetof(struct smc_mailbox, server_sleeping) == 80, "layout");
_Static_assert(offsetof(struct smc_mailbox, regs) == 128, "layout");
_Static_assert(offsetof(struct smc_mailbox, stats) == 192, "layout");
_Static_assert(sizeof(struct smc_mailbox_shared_stats) == 64, "one line of counters per side");
_Static_assert(sizeof(struct smc_mailbox) == 320, "layout");

/* Clock reads (~30 ns) between this many pause hints (~20 ns each here) while spinning. */
#define SPIN_CHECK_EVERY 8

#define STATE_BIT(s) (1u << (s))

/* ---- Host primitives ---- */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Sleep while *word == expected, until woken or the absolute CLOCK_MONOTONIC
 * deadline (NULL: none).  Not FUTEX_PRIVATE_FLAG: the word may be shared
 * between processes.  Returns 0 or an errno value.
 */
static int futex_wait_until(_Atomic uint32_t *word, uint32_t expected,
			    const struct timespec *deadline)
{
	long r = syscall(SYS_futex, (void *)word, FUTEX_WAIT_BITSET, expected, deadline, NULL,
			 FUTEX_BITSET_MATCH_ANY);

	return r == -1 ? errno : 0;
}

static void futex_wake_all(_Atomic uint32_t *word)
{
	/* errno is saved: mark_dead() and kick() may run in a signal handler. */
	int saved = errno;

	syscall(SYS_futex, (void *)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	errno = saved;
}

/*
 * Counters have one writer (their side), so a plain increment suffices; atomics keep it race-free.
 */
static void stat_inc(_Atomic uint64_t *counter)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* ---- Waiting: spin, then futex ---- */

struct wait_spec {
	uint32_t spin_ns;
	int timeout_ms;           /* < 0: forever; 0: never sleep */
	const atomic_int *stop;   /* server loop's stop flag, or NULL */
	bool have_deadline;       /* deadline computed (on first entry to the futex phase) */
	struct timespec deadline; /* absolute CLOCK_MONOTONIC */
};

enum wait_result {
	WAIT_DONE,    /* *state_out holds a state that ends the wait */
	WAIT_TIMEOUT, /* the timeout passed */
	WAIT_STOPPED, /* the stop flag was raised */
	WAIT_FAULT,   /* FUTEX_WAIT failed in a way that retrying cannot fix */
};

/* Does state s end a wait that continues while s is in keep_mask? */
static bool wait_over(uint32_t s, uint32_t keep_mask, bool keep_on_unknown)
{
	if (s > SMC_MB_DEAD)
		return !keep_on_unknown;
	return !(keep_mask & STATE_BIT(s));
}

static bool stop_raised(const struct wait_spec *ws)
{
	return ws->stop && atomic_load_explicit(ws->stop, memory_order_acquire);
}

static void set_deadline(struct wait_spec *ws)
{
	if (ws->have_deadline || ws->timeout_ms <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ws->deadline);
	ws->deadline.tv_sec += ws->timeout_ms / 1000;
	ws->deadline.tv_nsec += (long)(ws->timeout_ms % 1000) * 1000000L;
	if (ws->deadline.tv_nsec >= 1000000000L) {
		ws->deadline.tv_sec++;
		ws->deadline.tv_nsec -= 1000000000L;
	}
	ws->have_deadline = true;
}

/*
 * Wait on mb's state word, as `side`, until it leaves keep_mask (and, unless
 * keep_on_unknown, as soon as it holds an unknown value).  Every load is an
 * acquire, so what the peer wrote before publishing the state is visible.
 * *blocked_out tells whether the spin ran out before the wait ended.
 */
static enum wait_result wait_state(struct smc_mailbox *mb, enum smc_mailbox_side side,
				   uint32_t keep_mask, bool keep_on_unknown, struct wait_spec *ws,
				   uint32_t *state_out, bool *blocked_out)
{
	_Atomic uint32_t *my_flag = side == SMC_MB_CLIENT ? &mb->client_sleeping
							  : &mb->server_sleeping;
	struct smc_mailbox_shared_stats *st = &mb->stats[side];
	uint32_t s;

	*blocked_out = false;
	s = atomic_load_explicit(&mb->state, memory_order_acquire);
	if (wait_over(s, keep_mask, keep_on_unknown))
		goto done;

	if (ws->spin_ns) {
		uint64_t spin_end = now_ns() + ws->spin_ns;

		for (;;) {
			for (int i = 0; i < SPIN_CHECK_EVERY; i++) {
				cpu_relax();
				s = atomic_load_explicit(&mb->state, memory_order_acquire);
				if (wait_over(s, keep_mask, keep_on_unknown))
					goto done;
			}
			if (stop_raised(ws))
				return WAIT_STOPPED;
			if (now_ns() >= spin_end)
				break;
		}
	}

	*blocked_out = true;
	if (ws->timeout_ms == 0)
		return WAIT_TIMEOUT;
	set_deadline(ws);
	for (;;) {
		int err;

		if (stop_raised(ws))
			return WAIT_STOPPED;
		/* Announce the sleep, then look again (see the header comment). */
		atomic_store_explicit(my_flag, 1, memory_order_seq_cst);
		s = atomic_load_explicit(&mb->state, memory_order_seq_cst);
		if (wait_over(s, keep_mask, keep_on_unknown)) {
			atomic_store_explicit(my_flag, 0, memory_order_relaxed);
			goto done;
		}
		stat_inc(&st->futex_waits);
		err = futex_wait_until(&mb->state, s, ws->have_deadline ? &ws->deadline : NULL);
		atomic_store_explicit(my_flag, 0, memory_order_relaxed);
		if (err == 0 || err == EAGAIN || err == EINTR)
			continue; /* woken, raced, or a signal: look again */
		s = atomic_load_explicit(&mb->state, memory_order_acquire);
		if (wait_over(s, keep_mask, keep_on_unknown))
			goto done; /* it came just as the wait ended */
		return err == ETIMEDOUT ? WAIT_TIMEOUT : WAIT_FAULT;
	}
done:
	*state_out = s;
	return WAIT_DONE;
}

/* Wake the peer of `side` if it announced that it sleeps.  Call after publishing a state. */
static void wake_peer(struct smc_mailbox *mb, enum smc_mailbox_side side)
{
	_Atomic uint32_t *peer_flag = side == SMC_MB_CLIENT ? &mb->server_sleeping
							    : &mb->client_sleeping;

	if (atomic_load_explicit(peer_flag, memory_order_seq_cst)) {
		stat_inc(&mb->stats[side].wakes);
		futex_wake_all(&mb->state);
	}
}

/* ---- Mailbox set-up and inspection ---- */

size_t smc_mailbox_bytes(void)
{
	return sizeof(struct smc_mailbox);
}

static bool region_ok(const void *mem, size_t bytes)
{
	return mem && ((uintptr_t)mem % SMC_MAILBOX_ALIGN_BYTES) == 0 &&
	       bytes >= sizeof(struct smc_mailbox);
}

int smc_mailbox_init(void *mem, size_t bytes)
{
	struct smc_mailbox *mb = mem;

	if (!region_ok(mem, bytes))
		return TS_EINVAL;
	/* Nobody is attached yet, so plain stores are fine; the magic goes last. */
	memset(mem, 0, sizeof(*mb));
	mb->version = SMC_MAILBOX_VERSION;
	mb->size_bytes = (uint32_t)sizeof(*mb);
	mb->magic = SMC_MAILBOX_MAGIC;
	return 0;
}

static int header_check(const struct smc_mailbox *mb)
{
	if (mb->magic != SMC_MAILBOX_MAGIC || mb->version != SMC_MAILBOX_VERSION ||
	    mb->size_bytes != sizeof(*mb))
		return TS_EINVAL;
	return 0;
}

int smc_mailbox_attach(void *mem, size_t bytes, struct smc_mailbox **out)
{
	int err;

	if (!region_ok(mem, bytes) || !out)
		return TS_EINVAL;
	err = header_check(mem);
	if (err)
		return err;
	*out = mem;
	return 0;
}

void smc_mailbox_get_stats(const struct smc_mailbox *mb, enum smc_mailbox_side side,
			   struct smc_mailbox_stats *out)
{
	const struct smc_mailbox_shared_stats *st = &mb->stats[side == SMC_MB_SERVER];

#define SMC_MB_STAT_COPY(name) out->name = atomic_load_explicit(&st->name, memory_order_relaxed);
	SMC_MAILBOX_STATS(SMC_MB_STAT_COPY)
#undef SMC_MB_STAT_COPY
}

enum smc_mailbox_state smc_mailbox_state(const struct smc_mailbox *mb)
{
	return (enum smc_mailbox_state)atomic_load_explicit(&mb->state, memory_order_acquire);
}

int smc_mailbox_check(const struct smc_mailbox *mb)
{
	struct smc_mailbox_stats c, s;
	int err = header_check(mb);

	if (err)
		return err;
	if (atomic_load_explicit(&mb->state, memory_order_acquire) > SMC_MB_DEAD)
		return TS_EINVAL;
	smc_mailbox_get_stats(mb, SMC_MB_CLIENT, &c);
	smc_mailbox_get_stats(mb, SMC_MB_SERVER, &s);
	if (c.spin_hits + c.blocked + c.timeouts > c.calls)
		return TS_ERANGE;
	if (s.spin_hits + s.blocked != s.calls)
		return TS_ERANGE;
	/* A stale reply answers a call that timed out. */
	if (c.stale > c.timeouts)
		return TS_ERANGE;
	return 0;
}

void smc_mailbox_mark_dead(struct smc_mailbox *mb)
{
	atomic_store_explicit(&mb->state, SMC_MB_DEAD, memory_order_seq_cst);
	futex_wake_all(&mb->state);
}

void smc_mailbox_kick(struct smc_mailbox *mb)
{
	futex_wake_all(&mb->state);
}

/* ---- Client ---- */

void smc_mailbox_client_init(struct smc_mailbox_client *c, struct smc_mailbox *mb,
			     uint32_t spin_ns, int timeout_ms)
{
	*c = (struct smc_mailbox_client){
		.mb = mb,
		.spin_ns = spin_ns,
		.timeout_ms = timeout_ms,
	};
}

/*
 * The mailbox is not IDLE as a call starts.  If it still holds our own call
 * that timed out after the server took it, wait for that reply (within this
 * call's time) and drop it; any other state is someone else's.
 */
static int settle_abandoned(struct smc_mailbox_client *c, struct wait_spec *ws, uint32_t s)
{
	struct smc_mailbox *mb = c->mb;
	struct smc_mailbox_shared_stats *st = &mb->stats[SMC_MB_CLIENT];
	bool blocked;

	for (;;) {
		switch (s) {
		case SMC_MB_IDLE:
			return 0;
		case SMC_MB_DEAD:
			return TS_EIO;
		case SMC_MB_REQUEST:
			return TS_EBUSY; /* a request we did not post: a second caller */
		case SMC_MB_BUSY:
			if (!c->abandoned_seq)
				return TS_EBUSY;
			switch (wait_state(mb, SMC_MB_CLIENT, STATE_BIT(SMC_MB_BUSY), false, ws, &s,
					   &blocked)) {
			case WAIT_DONE:
				continue;
			case WAIT_FAULT:
				return TS_EIO;
			default:
				stat_inc(&st->timeouts);
				return TS_ETIMEDOUT;
			}
		case SMC_MB_REPLY:
			if (!c->abandoned_seq ||
			    atomic_load_explicit(&mb->reply_seq, memory_order_relaxed) !=
				    c->abandoned_seq)
				return TS_EBUSY;
			if (atomic_compare_exchange_strong_explicit(&mb->state, &s, SMC_MB_IDLE,
								    memory_order_acq_rel,
								    memory_order_acquire)) {
				stat_inc(&st->stale);
				c->abandoned_seq = 0;
				return 0;
			}
			continue; /* marked DEAD meanwhile */
		default:
			stat_inc(&st->protocol_errors);
			return TS_EIO;
		}
	}
}

int smc_mailbox_call(struct smc_mailbox_client *c, struct smc_regs *regs)
{
	struct smc_mailbox *mb = c->mb;
	struct smc_mailbox_shared_stats *st = &mb->stats[SMC_MB_CLIENT];
	struct wait_spec ws = { .spin_ns = c->spin_ns, .timeout_ms = c->timeout_ms };
	struct smc_regs out;
	enum wait_result wr;
	uint32_t s, expected, seq;
	bool blocked;
	int err;

	stat_inc(&st->calls);
	s = atomic_load_explicit(&mb->state, memory_order_acquire);
	if (s != SMC_MB_IDLE) {
		err = settle_abandoned(c, &ws, s);
		if (err)
			return err;
	}
	c->abandoned_seq = 0;

	/* IDLE: the registers are ours until we publish REQUEST. */
	seq = ++c->seq;
	if (seq == 0)
		seq = c->seq = 1; /* 0 means "none" in abandoned_seq */
	for (int i = 0; i < 8; i++)
		atomic_store_explicit(&mb->regs[i], regs->a[i], memory_order_relaxed);
	atomic_store_explicit(&mb->seq, seq, memory_order_relaxed);
	expected = SMC_MB_IDLE;
	if (!atomic_compare_exchange_strong_explicit(&mb->state, &expected, SMC_MB_REQUEST,
						     memory_order_seq_cst, memory_order_acquire))
		return expected == SMC_MB_DEAD ? TS_EIO : TS_EBUSY;
	wake_peer(mb, SMC_MB_CLIENT);

	wr = wait_state(mb, SMC_MB_CLIENT, STATE_BIT(SMC_MB_REQUEST) | STATE_BIT(SMC_MB_BUSY),
			false, &ws, &s, &blocked);
	switch (wr) {
	case WAIT_DONE:
		break;
	default:
		/* Give up: withdraw the request unless the server has it already. */
		expected = SMC_MB_REQUEST;
		if (!atomic_compare_exchange_strong_explicit(&mb->state, &expected, SMC_MB_IDLE,
							     memory_order_acq_rel,
							     memory_order_acquire)) {
			if (expected == SMC_MB_REPLY) {
				/* The reply came at the last moment: take it. */
				s = expected;
				break;
			}
			if (expected == SMC_MB_BUSY)
				c->abandoned_seq = seq;
		}
		if (expected == SMC_MB_DEAD || wr == WAIT_FAULT)
			return TS_EIO;
		stat_inc(&st->timeouts);
		return TS_ETIMEDOUT;
	}

	if (s == SMC_MB_DEAD)
		return TS_EIO;
	if (s != SMC_MB_REPLY ||
	    atomic_load_explicit(&mb->reply_seq, memory_order_relaxed) != seq) {
		/* IDLE, garbage, or an answer to another request: the server is broken. */
		stat_inc(&st->protocol_errors);
		return TS_EIO;
	}
	/* Copy the results out once; a server rewriting them later changes nothing here. */
	for (int i = 0; i < 8; i++)
		out.a[i] = atomic_load_explicit(&mb->regs[i], memory_order_relaxed);
	expected = SMC_MB_REPLY;
	/* Fails only if marked DEAD meanwhile; the results are complete either way. */
	atomic_compare_exchange_strong_explicit(&mb->state, &expected, SMC_MB_IDLE,
						memory_order_release, memory_order_relaxed);
	stat_inc(blocked ? &st->blocked : &st->spin_hits);
	*regs = out;
	return 0;
}

static int mailbox_conduit_call(void *ctx, struct smc_regs *regs)
{
	return smc_mailbox_call(ctx, regs);
}

struct smc_conduit smc_mailbox_conduit(struct smc_mailbox_client *c)
{
	return (struct smc_conduit){ .call = mailbox_conduit_call, .ctx = c };
}

/* ---- Server ---- */

/* Internal result of serve_once(): the stop flag was raised. */
#define SERVE_STOPPED 1

static int serve_once(struct smc_mailbox *mb, smc_handler_fn fn, void *ctx, int timeout_ms,
		      uint32_t spin_ns, const atomic_int *stop)
{
	struct smc_mailbox_shared_stats *st = &mb->stats[SMC_MB_SERVER];
	struct wait_spec ws = { .spin_ns = spin_ns, .timeout_ms = timeout_ms, .stop = stop };
	struct smc_regs in;
	uint32_t s, expected, seq;
	bool blocked;

	for (;;) {
		/* Anything but REQUEST and DEAD (garbage included) means: nothing to do yet. */
		switch (wait_state(mb, SMC_MB_SERVER,
				   ~(STATE_BIT(SMC_MB_REQUEST) | STATE_BIT(SMC_MB_DEAD)), true, &ws,
				   &s, &blocked)) {
		case WAIT_DONE:
			break;
		case WAIT_STOPPED:
			return SERVE_STOPPED;
		case WAIT_TIMEOUT:
			stat_inc(&st->timeouts);
			return TS_ETIMEDOUT;
		case WAIT_FAULT:
			return TS_EIO;
		}
		if (s == SMC_MB_DEAD)
			return TS_EIO;
		/* Take the request first, copy second: a withdrawn request is never half-read. */
		expected = SMC_MB_REQUEST;
		if (atomic_compare_exchange_strong_explicit(&mb->state, &expected, SMC_MB_BUSY,
							    memory_order_acq_rel,
							    memory_order_acquire))
			break;
		if (expected == SMC_MB_DEAD)
			return TS_EIO;
		/* The client withdrew it (timeout): wait on, within the same deadline. */
	}

	/* One fetch of each register: the handler works on this private copy only. */
	seq = atomic_load_explicit(&mb->seq, memory_order_relaxed);
	for (int i = 0; i < 8; i++)
		in.a[i] = atomic_load_explicit(&mb->regs[i], memory_order_relaxed);
	stat_inc(&st->calls);
	stat_inc(blocked ? &st->blocked : &st->spin_hits);

	fn(ctx, &in);

	for (int i = 0; i < 8; i++)
		atomic_store_explicit(&mb->regs[i], in.a[i], memory_order_relaxed);
	atomic_store_explicit(&mb->reply_seq, seq, memory_order_relaxed);
	expected = SMC_MB_BUSY;
	if (!atomic_compare_exchange_strong_explicit(&mb->state, &expected, SMC_MB_REPLY,
						     memory_order_seq_cst, memory_order_relaxed)) {
		if (expected == SMC_MB_DEAD)
			return TS_EIO;
		/*
		 * The client rewrote the state while we owned the mailbox.  It
		 * broke the protocol; leave its state alone (it will time out).
		 */
		stat_inc(&st->protocol_errors);
		return 0;
	}
	wake_peer(mb, SMC_MB_SERVER);
	return 0;
}

int smc_mailbox_serve_one(struct smc_mailbox *mb, smc_handler_fn fn, void *ctx, int timeout_ms,
			  uint32_t spin_ns)
{
	return serve_once(mb, fn, ctx, timeout_ms, spin_ns, NULL);
}

int smc_mailbox_serve(struct smc_mailbox *mb, smc_handler_fn fn, void *ctx,
		      const atomic_int *stop, int poll_ms, uint32_t spin_ns)
{
	if (!stop || poll_ms == 0)
		return TS_EINVAL;
	while (!atomic_load_explicit(stop, memory_order_acquire)) {
		int err = serve_once(mb, fn, ctx, poll_ms, spin_ns, stop);

		if (err == SERVE_STOPPED)
			break;
		if (err == TS_EIO)
			return err;
	}
	return 0;
}

/* ---- In-process transport ---- */

static int inproc_call(void *ctx, struct smc_regs *regs)
{
	struct smc_inproc *p = ctx;
	struct smc_regs priv;

	/* One fetch: whatever happens to *regs during fn, the handler sees priv. */
	memcpy(&priv, regs, sizeof(priv));
	p->calls++;
	p->fn(p->ctx, &priv);
	memcpy(regs, &priv, sizeof(priv));
	return 0;
}

struct smc_conduit smc_inproc_conduit(struct smc_inproc *p, smc_handler_fn fn, void *ctx)
{
	*p = (struct smc_inproc){ .fn = fn, .ctx = ctx };
	return (struct smc_conduit){ .call = inproc_call, .ctx = p };
}
