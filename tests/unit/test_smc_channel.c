/*
 * SMC channel transports: in-process calls, the shared-memory mailbox between
 * threads and between processes, timeouts, DEAD marking, header validation,
 * and hostile peers that rewrite the mailbox during a call.
 *
 * Every wait is bounded: calls and serves carry timeouts, helper threads and
 * processes are joined or reaped with a deadline, and alarm() kills the
 * binary if anything hangs anyway.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/common/smc_channel.h"
#include "sim/common/ts_err.h"

/* Bound on any single call or serve in these tests: generous, so only a real hang trips it. */
#define LONG_TIMEOUT_MS 5000
#define SERVER_POLL_MS 50
/* A call of the stress loops taking this long waited out a lost wake-up (they take ~1-30 us). */
#define SLOW_CALL_MS 1000
#define WATCHDOG_S 60

/* ---- Helpers ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A known function of all eight registers, so a result proves which input the handler saw. */
static void mix_regs(const struct smc_regs *in, struct smc_regs *out)
{
	for (int i = 0; i < 8; i++) {
		uint64_t x = in->a[i] * 0x9e3779b97f4a7c15ull + (uint64_t)i;

		out->a[i] = x ^ (in->a[(i + 1) % 8] >> 3) ^ (in->a[(i + 7) % 8] << 5);
	}
}

static void request_for(uint64_t n, struct smc_regs *r)
{
	for (int i = 0; i < 8; i++)
		r->a[i] = n * 8 + (uint64_t)i + ((uint64_t)i << 40);
}

struct mix_ctx {
	atomic_uint_fast64_t handled;
	bool hold_first;          /* the first request waits for `release` (a late reply) */
	atomic_int release;
};

static void handler_mix(void *ctx, struct smc_regs *regs)
{
	struct mix_ctx *m = ctx;
	struct smc_regs out;

	if (m && atomic_fetch_add(&m->handled, 1) == 0 && m->hold_first) {
		uint64_t end = now_ms() + LONG_TIMEOUT_MS;

		while (!atomic_load(&m->release) && now_ms() < end)
			sleep_ms(1);
	}
	mix_regs(regs, &out);
	*regs = out;
}

/* A 64-byte aligned, zeroed block for one mailbox (thread tests). */
static struct smc_mailbox *new_mailbox(void)
{
	void *mem = aligned_alloc(SMC_MAILBOX_ALIGN_BYTES, smc_mailbox_bytes());
	struct smc_mailbox *mb;

	assert_non_null(mem);
	assert_int_equal(smc_mailbox_init(mem, smc_mailbox_bytes()), 0);
	assert_int_equal(smc_mailbox_attach(mem, smc_mailbox_bytes(), &mb), 0);
	return mb;
}

/* A server thread running smc_mailbox_serve() until stopped. */
struct server_thread {
	pthread_t tid;
	struct smc_mailbox *mb;
	smc_handler_fn fn;
	void *ctx;
	uint32_t spin_ns;
	atomic_int stop;
	int result;
};

static void *server_main(void *arg)
{
	struct server_thread *s = arg;

	s->result = smc_mailbox_serve(s->mb, s->fn, s->ctx, &s->stop, SERVER_POLL_MS, s->spin_ns);
	return NULL;
}

static void server_start(struct server_thread *s, struct smc_mailbox *mb, smc_handler_fn fn,
			 void *ctx, uint32_t spin_ns)
{
	s->mb = mb;
	s->fn = fn;
	s->ctx = ctx;
	s->spin_ns = spin_ns;
	s->result = 1;
	atomic_init(&s->stop, 0);
	assert_int_equal(pthread_create(&s->tid, NULL, server_main, s), 0);
}

/* Stop the server (it looks at the flag at least every SERVER_POLL_MS) and join it. */
static int server_stop(struct server_thread *s)
{
	atomic_store(&s->stop, 1);
	smc_mailbox_kick(s->mb);
	assert_int_equal(pthread_join(s->tid, NULL), 0);
	return s->result;
}

/* Post a request by writing the shared layout directly, as a (possibly hostile) peer would. */
static void post_raw(struct smc_mailbox *mb, const struct smc_regs *r, uint32_t seq)
{
	for (int i = 0; i < 8; i++)
		atomic_store_explicit(&mb->regs[i], r->a[i], memory_order_relaxed);
	atomic_store_explicit(&mb->seq, seq, memory_order_relaxed);
	atomic_store_explicit(&mb->state, SMC_MB_REQUEST, memory_order_release);
}

static void read_raw(struct smc_mailbox *mb, struct smc_regs *r)
{
	for (int i = 0; i < 8; i++)
		r->a[i] = atomic_load_explicit(&mb->regs[i], memory_order_relaxed);
}

/* ---- In-process transport ---- */

struct inproc_probe {
	struct smc_regs *caller_regs; /* the caller's struct, which the "peer" rewrites */
	struct smc_regs seen_before, seen_after;
	int depth;
	struct smc_conduit *self;
};

static void handler_inproc_probe(void *ctx, struct smc_regs *regs)
{
	struct inproc_probe *p = ctx;
	struct smc_regs out;

	p->seen_before = *regs;
	/* A peer rewrites the caller's registers mid-call; our input must not move. */
	memset(p->caller_regs, 0xee, sizeof(*p->caller_regs));
	p->seen_after = *regs;
	mix_regs(regs, &out);
	*regs = out;
}

/* The in-process conduit runs the handler on a private copy and returns its results. */
static void test_inproc_round_trip(void **state)
{
	struct inproc_probe probe = { 0 };
	struct smc_inproc inproc;
	struct smc_conduit conduit = smc_inproc_conduit(&inproc, handler_inproc_probe, &probe);
	struct smc_regs regs, input, want;

	(void)state;
	for (uint64_t n = 0; n < 100; n++) {
		request_for(n, &regs);
		input = regs;
		probe.caller_regs = &regs;
		assert_int_equal(smc_conduit_call(&conduit, &regs), 0);
		mix_regs(&input, &want);
		assert_memory_equal(&regs, &want, sizeof(want));
		assert_memory_equal(&probe.seen_before, &input, sizeof(input));
		assert_memory_equal(&probe.seen_after, &input, sizeof(input));
	}
	assert_int_equal(inproc.calls, 100);
}

static void handler_nested(void *ctx, struct smc_regs *regs)
{
	struct inproc_probe *p = ctx;

	if (p->depth++ == 0) {
		struct smc_regs inner = { .a = { regs->a[0] + 1 } };

		assert_int_equal(smc_conduit_call(p->self, &inner), 0);
		regs->a[1] = inner.a[1];
	} else {
		regs->a[1] = regs->a[0] * 10;
	}
}

/* A handler may issue a nested call through the same in-process conduit (an RPC). */
static void test_inproc_nested(void **state)
{
	struct inproc_probe probe = { 0 };
	struct smc_inproc inproc;
	struct smc_conduit conduit = smc_inproc_conduit(&inproc, handler_nested, &probe);
	struct smc_regs regs = { .a = { 4 } };

	(void)state;
	probe.self = &conduit;
	assert_int_equal(smc_conduit_call(&conduit, &regs), 0);
	assert_int_equal(regs.a[0], 4);
	assert_int_equal(regs.a[1], 50);
	assert_int_equal(inproc.calls, 2);
}

/* ---- Mailbox header ---- */

/* init and attach accept a well-formed block and refuse bad pointers, sizes, magic and versions. */
static void test_init_attach_validation(void **state)
{
	size_t bytes = smc_mailbox_bytes();
	unsigned char *mem = aligned_alloc(SMC_MAILBOX_ALIGN_BYTES, 2 * bytes);
	struct smc_mailbox *mb = NULL, *untouched = (struct smc_mailbox *)(uintptr_t)0x1;

	(void)state;
	assert_non_null(mem);
	assert_int_equal(bytes % SMC_MAILBOX_ALIGN_BYTES, 0);
	assert_true(bytes >= sizeof(struct smc_mailbox));

	assert_int_equal(smc_mailbox_init(NULL, bytes), TS_EINVAL);
	assert_int_equal(smc_mailbox_init(mem + 8, bytes), TS_EINVAL);
	assert_int_equal(smc_mailbox_init(mem, bytes - 1), TS_EINVAL);

	memset(mem, 0xa5, 2 * bytes);
	assert_int_equal(smc_mailbox_init(mem, 2 * bytes), 0);
	assert_int_equal(smc_mailbox_attach(mem, bytes, &mb), 0);
	assert_ptr_equal(mb, (void *)mem);
	assert_int_equal(smc_mailbox_state(mb), SMC_MB_IDLE);
	assert_int_equal(smc_mailbox_check(mb), 0);
	/* init zeroed the counters and registers it had scribbled over. */
	assert_int_equal(atomic_load(&mb->stats[SMC_MB_SERVER].calls), 0);
	assert_int_equal(atomic_load(&mb->regs[7]), 0);

	assert_int_equal(smc_mailbox_attach(mem, bytes - 1, &untouched), TS_EINVAL);
	assert_int_equal(smc_mailbox_attach(mem + 64, bytes, &untouched), TS_EINVAL); /* no magic */
	assert_int_equal(smc_mailbox_attach(NULL, bytes, &untouched), TS_EINVAL);
	assert_int_equal(smc_mailbox_attach(mem, bytes, NULL), TS_EINVAL);

	mb->magic ^= 1;
	assert_int_equal(smc_mailbox_attach(mem, bytes, &untouched), TS_EINVAL);
	assert_int_equal(smc_mailbox_check(mb), TS_EINVAL);
	mb->magic ^= 1;
	mb->version = SMC_MAILBOX_VERSION + 1;
	assert_int_equal(smc_mailbox_attach(mem, bytes, &untouched), TS_EINVAL);
	mb->version = SMC_MAILBOX_VERSION;
	mb->size_bytes = 64;
	assert_int_equal(smc_mailbox_attach(mem, bytes, &untouched), TS_EINVAL);
	mb->size_bytes = (uint32_t)sizeof(*mb);
	assert_ptr_equal(untouched, (void *)(uintptr_t)0x1);
	assert_int_equal(smc_mailbox_attach(mem, bytes, &mb), 0);
	free(mem);
}

/* ---- Mailbox between two threads ---- */

static void run_thread_calls(uint32_t client_spin_ns, uint32_t server_spin_ns, uint64_t n_calls,
			     struct smc_mailbox_stats *cs, struct smc_mailbox_stats *ss)
{
	struct smc_mailbox *mb = new_mailbox();
	struct mix_ctx mix = { 0 };
	struct server_thread server;
	struct smc_mailbox_client client;
	struct smc_conduit conduit;
	uint64_t bad = 0, t0;

	server_start(&server, mb, handler_mix, &mix, server_spin_ns);
	smc_mailbox_client_init(&client, mb, client_spin_ns, LONG_TIMEOUT_MS);
	conduit = smc_mailbox_conduit(&client);
	for (uint64_t n = 0; n < n_calls; n++) {
		struct smc_regs regs, want;
		int err;

		request_for(n, &regs);
		mix_regs(&regs, &want);
		t0 = now_ms();
		err = smc_conduit_call(&conduit, &regs);
		/* A call as slow as SLOW_CALL_MS means a lost wake-up rescued by the timeout. */
		if (err || memcmp(&regs, &want, sizeof(want)) != 0 || now_ms() - t0 >= SLOW_CALL_MS) {
			bad++;
			break; /* one failure is enough; do not wait out thousands of timeouts */
		}
	}
	assert_int_equal(server_stop(&server), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(atomic_load(&mix.handled), n_calls);
	assert_int_equal(smc_mailbox_state(mb), SMC_MB_IDLE);
	assert_int_equal(smc_mailbox_check(mb), 0);
	smc_mailbox_get_stats(mb, SMC_MB_CLIENT, cs);
	smc_mailbox_get_stats(mb, SMC_MB_SERVER, ss);
	free(mb);
}

/*
 * 10,000 calls between two threads with spin-then-futex each return the handler's function of their
 * input.
 */
static void test_threads_spin_then_futex(void **state)
{
	struct smc_mailbox_stats cs, ss;

	(void)state;
	run_thread_calls(SMC_MAILBOX_DEFAULT_SPIN_NS, SMC_MAILBOX_DEFAULT_SPIN_NS, 10000, &cs, &ss);
	assert_int_equal(cs.calls, 10000);
	assert_int_equal(cs.spin_hits + cs.blocked, 10000);
	assert_int_equal(cs.timeouts, 0);
	assert_int_equal(cs.protocol_errors, 0);
	assert_int_equal(ss.calls, 10000);
	assert_int_equal(ss.spin_hits + ss.blocked, 10000);
	/*
	 * A side wakes its peer only when the peer announced a sleep: never more wakes than calls.
	 */
	assert_true(cs.wakes <= cs.calls);
	assert_true(ss.wakes <= ss.calls);
}

/* With no spinning every wait goes through the futex, and the results are still all correct. */
static void test_threads_pure_futex(void **state)
{
	struct smc_mailbox_stats cs, ss;

	(void)state;
	run_thread_calls(0, 0, 2000, &cs, &ss);
	assert_int_equal(cs.calls, 2000);
	assert_int_equal(cs.spin_hits + cs.blocked, 2000);
	assert_int_equal(ss.calls, 2000);
	/* The server sleeps between requests, so the client must have woken it. */
	assert_true(cs.wakes > 0);
	assert_true(ss.futex_waits > 0);
	assert_true(cs.blocked > 0);
}

/* ---- Mailbox between two processes ---- */

#define PROC_CALLS 1000

/* Child: map the memfd afresh (another virtual address), serve PROC_CALLS requests, exit. */
static void child_serve(int fd, size_t map_bytes, size_t offset)
{
	unsigned char *base = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct smc_mailbox *mb;
	int served = 0;

	if (base == MAP_FAILED)
		_exit(10);
	if (smc_mailbox_attach(base + offset, smc_mailbox_bytes(), &mb))
		_exit(11);
	while (served < PROC_CALLS) {
		int err = smc_mailbox_serve_one(mb, handler_mix, NULL, LONG_TIMEOUT_MS,
						SMC_MAILBOX_DEFAULT_SPIN_NS);

		if (err)
			_exit(12);
		served++;
	}
	_exit(0);
}

/* Reap the child within timeout_ms (killing it on expiry); returns its wait status or -1. */
static int reap_child(pid_t pid, unsigned timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 || now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		sleep_ms(5);
	}
}

/*
 * 1,000 calls to a server in another process, through a memfd both map, all return correct results.
 */
static void test_processes(void **state)
{
	size_t bytes = smc_mailbox_bytes();
	size_t map_bytes = 4096, offset = bytes; /* the second mailbox slot of the memfd */
	int fd = memfd_create("smc_channel_test", MFD_CLOEXEC);
	unsigned char *base;
	struct smc_mailbox *mb;
	struct smc_mailbox_client client;
	struct smc_mailbox_stats ss;
	uint64_t bad = 0, t0;
	pid_t pid;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)map_bytes), 0);
	base = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(base != MAP_FAILED);
	assert_int_equal(smc_mailbox_init(base, bytes), 0);
	assert_int_equal(smc_mailbox_init(base + offset, bytes), 0);
	assert_int_equal(smc_mailbox_attach(base + offset, bytes, &mb), 0);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_serve(fd, map_bytes, offset);

	smc_mailbox_client_init(&client, mb, SMC_MAILBOX_DEFAULT_SPIN_NS, LONG_TIMEOUT_MS);
	for (uint64_t n = 0; n < PROC_CALLS; n++) {
		struct smc_regs regs, want;

		request_for(n + 77, &regs);
		mix_regs(&regs, &want);
		t0 = now_ms();
		if (smc_mailbox_call(&client, &regs) || memcmp(&regs, &want, sizeof(want)) ||
		    now_ms() - t0 >= SLOW_CALL_MS) {
			bad++;
			break;
		}
	}
	{
		int status = reap_child(pid, 2 * LONG_TIMEOUT_MS);

		assert_true(status != -1);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(bad, 0);
	/* The server's counters live in the shared block: this process sees them. */
	smc_mailbox_get_stats(mb, SMC_MB_SERVER, &ss);
	assert_int_equal(ss.calls, PROC_CALLS);
	assert_int_equal(smc_mailbox_check(mb), 0);
	/* The neighbouring mailbox in the same memfd was not touched. */
	{
		struct smc_mailbox *other;
		struct smc_mailbox_stats os;

		assert_int_equal(smc_mailbox_attach(base, bytes, &other), 0);
		smc_mailbox_get_stats(other, SMC_MB_SERVER, &os);
		assert_int_equal(os.calls, 0);
		assert_int_equal(smc_mailbox_check(other), 0);
	}
	munmap(base, map_bytes);
	close(fd);
}

/* ---- Timeouts ---- */

/*
 * With no server, a call returns TS_ETIMEDOUT after its timeout, withdraws its request, and the
 * mailbox works afterwards.
 */
static void test_client_timeout_no_server(void **state)
{
	struct smc_mailbox *mb = new_mailbox();
	struct smc_mailbox_client client;
	struct smc_mailbox_stats cs;
	struct server_thread server;
	struct smc_regs regs, input, want;
	uint64_t t0, elapsed;

	(void)state;
	smc_mailbox_client_init(&client, mb, 1000, 50);
	request_for(5, &regs);
	input = regs;
	t0 = now_ms();
	assert_int_equal(smc_mailbox_call(&client, &regs), TS_ETIMEDOUT);
	elapsed = now_ms() - t0;
	assert_true(elapsed >= 50);
	assert_true(elapsed < 2000);
	assert_memory_equal(&regs, &input, sizeof(regs)); /* untouched on failure */
	assert_int_equal(smc_mailbox_state(mb), SMC_MB_IDLE); /* withdrawn */
	smc_mailbox_get_stats(mb, SMC_MB_CLIENT, &cs);
	assert_int_equal(cs.timeouts, 1);
	assert_true(cs.futex_waits >= 1);
	assert_int_equal(smc_mailbox_check(mb), 0);

	/* A server that starts now never sees the withdrawn request, only the next one. */
	server_start(&server, mb, handler_mix, NULL, SMC_MAILBOX_DEFAULT_SPIN_NS);
	client.timeout_ms = LONG_TIMEOUT_MS;
	request_for(6, &regs);
	mix_regs(&regs, &want);
	assert_int_equal(smc_mailbox_call(&client, &regs), 0);
	assert_memory_equal(&regs, &want, sizeof(want));
	assert_int_equal(server_stop(&server), 0);
	smc_mailbox_get_stats(mb, SMC_MB_SERVER, &cs);
	assert_int_equal(cs.calls, 1);

	/* timeout 0 on the server side: look (and spin), never sleep. */
	assert_int_equal(smc_mailbox_serve_one(mb, handler_mix, NULL, 0, 0), TS_ETIMEDOUT);
	assert_int_equal(smc_mailbox_check(mb), 0);
	free(mb);
}

/* A reply that arrives after its call timed out is discarded; the next call gets its own answer. */
static void test_late_reply_discarded(void **state)
{
	struct smc_mailbox *mb = new_mailbox();
	struct mix_ctx mix = { .hold_first = true };
	struct smc_mailbox_client client;
	struct smc_mailbox_stats cs;
	struct server_thread server;
	struct smc_regs regs, want;

	(void)state;
	server_start(&server, mb, handler_mix, &mix, SMC_MAILBOX_DEFAULT_SPIN_NS);
	smc_mailbox_client_init(&client, mb, SMC_MAILBOX_DEFAULT_SPIN_NS, 300);
	request_for(1, &regs);
	assert_int_equal(smc_mailbox_call(&client, &regs), TS_ETIMEDOUT);
	/* The server took it (BUSY) before the timeout: the client must not have withdrawn it. */
	assert_int_not_equal(client.abandoned_seq, 0);
	assert_int_equal(smc_mailbox_state(mb), SMC_MB_BUSY);
	atomic_store(&mix.release, 1); /* now the first reply comes, late */

	client.timeout_ms = LONG_TIMEOUT_MS;
	request_for(2, &regs);
	mix_regs(&regs, &want);
	assert_int_equal(smc_mailbox_call(&client, &regs), 0);
	assert_memory_equal(&regs, &want, sizeof(want));
	assert_int_equal(client.abandoned_seq, 0);
	assert_int_equal(server_stop(&server), 0);

	smc_mailbox_get_stats(mb, SMC_MB_CLIENT, &cs);
	assert_int_equal(cs.calls, 2);
	assert_int_equal(cs.timeouts, 1);
	assert_int_equal(cs.stale, 1);
	assert_int_equal(atomic_load(&mix.handled), 2);
	assert_int_equal(smc_mailbox_check(mb), 0);
	free(mb);
}

/* ---- DEAD ---- */

struct blocked_call {
	pthread_t tid;
	struct smc_mailbox_client client;
	int result;
	uint64_t returned_ms;
};

static void *blocked_call_main(void *arg)
{
	struct blocked_call *b = arg;
	struct smc_regs regs = { .a = { 1 } };

	b->result = smc_mailbox_call(&b->client, &regs);
	b->returned_ms = now_ms();
	return NULL;
}

/* Wait (bounded) until a side of mb has gone to sleep in FUTEX_WAIT at least once. */
static void wait_until_asleep(struct smc_mailbox *mb, enum smc_mailbox_side side)
{
	uint64_t end = now_ms() + 2000;
	struct smc_mailbox_stats st;

	do {
		sleep_ms(2);
		smc_mailbox_get_stats(mb, side, &st);
	} while (st.futex_waits == 0 && now_ms() < end);
	assert_true(st.futex_waits > 0);
	sleep_ms(10); /* let it actually enter the kernel */
}

/*
 * Marking the mailbox DEAD wakes a client asleep in call() at once with TS_EIO, and later calls
 * fail fast.
 */
static void test_dead_wakes_client(void **state)
{
	struct smc_mailbox *mb = new_mailbox();
	struct blocked_call b = { 0 };
	struct smc_regs regs = { 0 };
	uint64_t marked_ms, t0;

	(void)state;
	smc_mailbox_client_init(&b.client, mb, 0, LONG_TIMEOUT_MS);
	assert_int_equal(pthread_create(&b.tid, NULL, blocked_call_main, &b), 0);
	wait_until_asleep(mb, SMC_MB_CLIENT);
	marked_ms = now_ms();
	smc_mailbox_mark_dead(mb);
	assert_int_equal(pthread_join(b.tid, NULL), 0);
	assert_int_equal(b.result, TS_EIO);
	assert_true(b.returned_ms - marked_ms < 500);
	assert_int_equal(smc_mailbox_state(mb), SMC_MB_DEAD);

	t0 = now_ms();
	assert_int_equal(smc_mailbox_call(&b.client, &regs), TS_EIO);
	assert_int_equal(smc_mailbox_serve_one(mb, handler_mix, NULL, LONG_TIMEOUT_MS, 0), TS_EIO);
	assert_true(now_ms() - t0 < 500);
	assert_int_equal(smc_mailbox_check(mb), 0);
	free(mb);
}

/* Marking the mailbox DEAD wakes a server asleep in serve() with TS_EIO. */
static void test_dead_wakes_server(void **state)
{
	struct smc_mailbox *mb = new_mailbox();
	struct server_thread server;
	uint64_t marked_ms;

	(void)state;
	server_start(&server, mb, handler_mix, NULL, 0);
	wait_until_asleep(mb, SMC_MB_SERVER);
	marked_ms = now_ms();
	smc_mailbox_mark_dead(mb);
	assert_int_equal(pthread_join(server.tid, NULL), 0);
	assert_int_equal(server.result, TS_EIO);
	assert_true(now_ms() - marked_ms < 500);
	free(mb);
}

/* serve() returns 0 soon after its stop flag is raised and the mailbox kicked. */
static void test_serve_stop(void **state)
{
	struct smc_mailbox *mb = new_mailbox();
	struct server_thread server;
	atomic_int stop = 0;
	uint64_t t0;

	(void)state;
	assert_int_equal(smc_mailbox_serve(mb, handler_mix, NULL, NULL, 10, 0), TS_EINVAL);
	assert_int_equal(smc_mailbox_serve(mb, handler_mix, NULL, &stop, 0, 0), TS_EINVAL);
	server_start(&server, mb, handler_mix, NULL, 0);
	wait_until_asleep(mb, SMC_MB_SERVER);
	t0 = now_ms();
	assert_int_equal(server_stop(&server), 0);
	assert_true(now_ms() - t0 < 500);
	assert_int_equal(smc_mailbox_state(mb), SMC_MB_IDLE);
	free(mb);
}

/* ---- Hostile peers ---- */

struct scribble_probe {
	struct smc_mailbox *mb;
	struct smc_regs seen_before, seen_after;
	atomic_int entered;
	atomic_int scribbles_done; /* set by a racing scribbler thread */
	bool scribble_inline;      /* the handler itself plays the hostile peer */
};

static void scribble_all(struct smc_mailbox *mb, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		atomic_store_explicit(&mb->regs[i], v + (uint64_t)i, memory_order_relaxed);
	atomic_store_explicit(&mb->seq, (uint32_t)v, memory_order_relaxed);
}

static void handler_scribble_probe(void *ctx, struct smc_regs *regs)
{
	struct scribble_probe *p = ctx;
	struct smc_regs out;

	p->seen_before = *regs;
	if (p->scribble_inline) {
		scribble_all(p->mb, 0xbad0000000000000ull);
	} else {
		uint64_t end = now_ms() + 2000;

		atomic_store(&p->entered, 1);
		while (!atomic_load(&p->scribbles_done) && now_ms() < end)
			sleep_ms(1);
	}
	p->seen_after = *regs;
	mix_regs(regs, &out);
	*regs = out;
}

/*
 * A peer rewriting the shared registers after the server took the request does not change the
 * handler's input or the reply.
 */
static void test_hostile_rewrite_inline(void **state)
{
	struct smc_mailbox *mb = new_mailbox();
	struct scribble_probe probe = { .mb = mb, .scribble_inline = true };
	struct smc_regs input, want, reply;

	(void)state;
	request_for(9, &input);
	post_raw(mb, &input, 42);
	assert_int_equal(smc_mailbox_serve_one(mb, handler_scribble_probe, &probe, 100, 0), 0);
	assert_memory_equal(&probe.seen_before, &input, sizeof(input));
	assert_memory_equal(&probe.seen_after, &input, sizeof(input));
	/* The reply is the function of the input, not of the scribbles, and answers seq 42. */
	mix_regs(&input, &want);
	read_raw(mb, &reply);
	assert_memory_equal(&reply, &want, sizeof(want));
	assert_int_equal(atomic_load(&mb->reply_seq), 42);
	assert_int_equal(smc_mailbox_state(mb), SMC_MB_REPLY);
	free(mb);
}

struct scribbler {
	pthread_t tid;
	struct scribble_probe *probe;
	uint64_t rounds;
};

static void *scribbler_main(void *arg)
{
	struct scribbler *s = arg;
	uint64_t end = now_ms() + 2000;

	while (!atomic_load(&s->probe->entered) && now_ms() < end)
		sleep_ms(1);
	for (s->rounds = 0; s->rounds < 20000; s->rounds++)
		scribble_all(s->probe->mb, 0xdead000000000000ull + s->rounds * 8);
	atomic_store(&s->probe->scribbles_done, 1);
	return NULL;
}

/*
 * A client thread calls while a hostile thread of the same peer rewrites the
 * mailbox during the call: the handler's input stays the posted one and the
 * client still gets the right result.
 */
static void test_hostile_rewrite_threads(void **state)
{
	struct smc_mailbox *mb = new_mailbox();
	struct scribble_probe probe = { .mb = mb };
	struct scribbler scribbler = { .probe = &probe };
	struct server_thread server;
	struct smc_mailbox_client client;
	struct smc_regs regs, input, want;

	(void)state;
	server_start(&server, mb, handler_scribble_probe, &probe, SMC_MAILBOX_DEFAULT_SPIN_NS);
	assert_int_equal(pthread_create(&scribbler.tid, NULL, scribbler_main, &scribbler), 0);
	smc_mailbox_client_init(&client, mb, SMC_MAILBOX_DEFAULT_SPIN_NS, LONG_TIMEOUT_MS);
	request_for(3, &regs);
	input = regs;
	mix_regs(&input, &want);
	assert_int_equal(smc_mailbox_call(&client, &regs), 0);
	assert_int_equal(pthread_join(scribbler.tid, NULL), 0);
	assert_int_equal(server_stop(&server), 0);
	assert_int_equal(scribbler.rounds, 20000);
	assert_true(atomic_load(&probe.scribbles_done));
	assert_memory_equal(&probe.seen_before, &input, sizeof(input));
	assert_memory_equal(&probe.seen_after, &input, sizeof(input));
	assert_memory_equal(&regs, &want, sizeof(want));
	free(mb);
}

static void handler_break_state(void *ctx, struct smc_regs *regs)
{
	struct smc_mailbox *mb = ctx;

	/* The peer overwrites the state word while the server owns the mailbox. */
	atomic_store(&mb->state, 77);
	regs->a[0] = 1;
}

/*
 * Garbage in the state word is survived: counted, refused by both sides, never a crash or a hang.
 */
static void test_hostile_state(void **state)
{
	struct smc_mailbox *mb = new_mailbox();
	struct smc_mailbox_client client;
	struct smc_mailbox_stats cs, ss;
	struct smc_regs regs;
	uint64_t t0;

	(void)state;
	request_for(1, &regs);
	post_raw(mb, &regs, 1);
	assert_int_equal(smc_mailbox_serve_one(mb, handler_break_state, mb, 100, 0), 0);
	smc_mailbox_get_stats(mb, SMC_MB_SERVER, &ss);
	assert_int_equal(ss.protocol_errors, 1);
	assert_int_equal(ss.calls, 1);
	assert_int_equal(atomic_load(&mb->state), 77); /* left alone */
	assert_int_equal(smc_mailbox_check(mb), TS_EINVAL);

	/* A server does not take garbage for a request: it times out. */
	t0 = now_ms();
	assert_int_equal(smc_mailbox_serve_one(mb, handler_mix, NULL, 20, 1000), TS_ETIMEDOUT);
	assert_true(now_ms() - t0 < 2000);
	/* A client refuses to start on garbage. */
	smc_mailbox_client_init(&client, mb, 0, 100);
	assert_int_equal(smc_mailbox_call(&client, &regs), TS_EIO);
	smc_mailbox_get_stats(mb, SMC_MB_CLIENT, &cs);
	assert_int_equal(cs.protocol_errors, 1);

	/*
	 * A request this client did not post (a second caller) is refused with TS_EBUSY, untouched.
	 */
	post_raw(mb, &regs, 1234);
	assert_int_equal(smc_mailbox_call(&client, &regs), TS_EBUSY);
	assert_int_equal(smc_mailbox_state(mb), SMC_MB_REQUEST);
	assert_int_equal(atomic_load(&mb->seq), 1234);
	free(mb);
}

/* A fake server: takes nothing, answers the next REQUEST with a reply for another seq. */
static void *wrong_seq_server_main(void *arg)
{
	struct smc_mailbox *mb = arg;
	uint64_t end = now_ms() + 2000;

	while (atomic_load(&mb->state) != SMC_MB_REQUEST && now_ms() < end)
		sleep_ms(1);
	atomic_store(&mb->reply_seq, atomic_load(&mb->seq) + 1);
	atomic_store(&mb->state, SMC_MB_REPLY);
	smc_mailbox_kick(mb);
	return NULL;
}

/*
 * A client refuses replies that are not for its call: a stray REPLY at the start, or a wrong
 * reply_seq.
 */
static void test_hostile_server_reply(void **state)
{
	struct smc_mailbox *mb = new_mailbox();
	struct smc_mailbox_client client;
	struct smc_mailbox_stats cs;
	struct smc_regs regs = { 0 }, input;
	pthread_t fake;

	(void)state;
	/* A REPLY that no call of this client asked for: refused at the start, left alone. */
	atomic_store(&mb->reply_seq, 5);
	atomic_store(&mb->state, SMC_MB_REPLY);
	smc_mailbox_client_init(&client, mb, 0, LONG_TIMEOUT_MS);
	request_for(2, &regs);
	input = regs;
	assert_int_equal(smc_mailbox_call(&client, &regs), TS_EBUSY);
	assert_memory_equal(&regs, &input, sizeof(regs));
	assert_int_equal(smc_mailbox_state(mb), SMC_MB_REPLY);

	/* A reply carrying the wrong seq: TS_EIO, results not taken. */
	atomic_store(&mb->state, SMC_MB_IDLE);
	assert_int_equal(pthread_create(&fake, NULL, wrong_seq_server_main, mb), 0);
	assert_int_equal(smc_mailbox_call(&client, &regs), TS_EIO);
	assert_int_equal(pthread_join(fake, NULL), 0);
	assert_memory_equal(&regs, &input, sizeof(regs));
	smc_mailbox_get_stats(mb, SMC_MB_CLIENT, &cs);
	assert_int_equal(cs.stale, 0);
	assert_int_equal(cs.protocol_errors, 1);
	free(mb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inproc_round_trip),
		cmocka_unit_test(test_inproc_nested),
		cmocka_unit_test(test_init_attach_validation),
		cmocka_unit_test(test_threads_spin_then_futex),
		cmocka_unit_test(test_threads_pure_futex),
		cmocka_unit_test(test_processes),
		cmocka_unit_test(test_client_timeout_no_server),
		cmocka_unit_test(test_late_reply_discarded),
		cmocka_unit_test(test_dead_wakes_client),
		cmocka_unit_test(test_dead_wakes_server),
		cmocka_unit_test(test_serve_stop),
		cmocka_unit_test(test_hostile_rewrite_inline),
		cmocka_unit_test(test_hostile_rewrite_threads),
		cmocka_unit_test(test_hostile_state),
		cmocka_unit_test(test_hostile_server_reply),
	};

	/* Last resort: a hang anywhere kills the binary instead of the CI job. */
	alarm(WATCHDOG_S);
	return cmocka_run_group_tests_name("smc_channel", tests, NULL, NULL);
}
