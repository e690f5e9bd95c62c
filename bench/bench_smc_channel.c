/*
 * Round-trip latency of the SMC channel transports (sim/common/smc_channel),
 * next to raw ping-pongs between two threads that use none of our code, all
 * measured in the same run so the comparison holds on this machine:
 *
 *   smc/inproc                         direct call on a private copy of the registers
 *   smc/mailbox_threads/spin_ns:N      mailbox, server thread, both sides spin N ns then futex
 *                                      (N = 0: pure futex; 20000: the default budget)
 *   smc/mailbox_procs/spin_ns:N        the same with the server in a forked process
 *   raw/futex_pingpong                 two threads, one shared futex word, a wait and a
 *                                      wake on every hop (the blocking floor)
 *   raw/spin_pingpong                  two threads, one atomic word, pause-spinning (the
 *                                      spinning floor)
 *
 * One iteration is one round trip (call, handler, reply).  The handler adds
 * one to a0, and the final a0 is checked after the loop.  Mailbox rows also
 * report, per call, how many client waits outlasted the spin (client_blocked),
 * the FUTEX_WAIT and FUTEX_WAKE system calls both sides made, and the
 * server's hit rate while spinning.
 *
 * Only the client runs in the benchmark's thread, so the CPU column is the
 * client's alone; read the Time (wall) column.  Servers spin for a bounded
 * time only (two cores here); the raw spin partner spins while the timed
 * loop feeds it and stops with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/gbench.h"
#include "sim/common/smc_channel.h"
#include "sim/common/ts_err.h"

#ifndef TEESHM_BUILD_TYPE
#define TEESHM_BUILD_TYPE "unknown"
#endif

/* A call that takes this long means the benchmark is broken, not slow. */
#define CALL_TIMEOUT_MS 5000
#define SERVER_POLL_MS 100
#define REAP_TIMEOUT_MS 5000
/* The in-process call is a few ns: batch it so the loop's own call does not dominate. */
#define INPROC_BATCH 64

static void fail(gbench_state *state, const char *what, int err)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s: %s", what, ts_err_name(err));
	gbench_skip_with_error(state, msg);
}

static void handler_inc(void *ctx, struct smc_regs *regs)
{
	(void)ctx;
	regs->a[0]++;
}

/* ---- Harness floor ---- */

static void bench_loop_overhead(gbench_state *state, void *ctx)
{
	(void)ctx;
	while (gbench_keep_running(state))
		gbench_clobber_memory();
}

/* ---- (a) in-process ---- */

static void bench_inproc(gbench_state *state, void *ctx)
{
	struct smc_inproc inproc;
	struct smc_conduit conduit = smc_inproc_conduit(&inproc, handler_inc, NULL);
	struct smc_regs regs = { 0 };
	int err = 0;

	(void)ctx;
	while (gbench_keep_running_batch(state, INPROC_BATCH)) {
		for (int i = 0; i < INPROC_BATCH; i++)
			err |= smc_conduit_call(&conduit, &regs);
		gbench_do_not_optimize(&regs);
	}
	if (err || regs.a[0] != inproc.calls) {
		gbench_skip_with_error(state, "in-process results wrong");
		return;
	}
	gbench_set_items_processed(state, gbench_iterations_done(state));
}

/* ---- Mailbox: common client loop and counters ---- */

/* Time round trips through mb; returns 0 or the failing call's error. */
static int time_calls(gbench_state *state, struct smc_mailbox *mb, uint32_t spin_ns,
		      uint64_t *calls_out)
{
	struct smc_mailbox_client client;
	struct smc_conduit conduit;
	struct smc_regs regs = { 0 };
	uint64_t calls = 0;
	int err = 0;

	smc_mailbox_client_init(&client, mb, spin_ns, CALL_TIMEOUT_MS);
	conduit = smc_mailbox_conduit(&client);
	while (gbench_keep_running(state)) {
		err = smc_conduit_call(&conduit, &regs);
		if (err) {
			fail(state, "smc_mailbox_call", err);
			continue; /* keep_running returns false after an error */
		}
		calls++;
	}
	*calls_out = calls;
	if (!err && regs.a[0] != calls) {
		gbench_skip_with_error(state, "mailbox results wrong");
		return TS_EIO;
	}
	return err;
}

static void report_mailbox(gbench_state *state, const struct smc_mailbox *mb, uint64_t calls)
{
	struct smc_mailbox_stats c, s;
	int err = smc_mailbox_check(mb);

	if (err) {
		fail(state, "smc_mailbox_check", err);
		return;
	}
	smc_mailbox_get_stats(mb, SMC_MB_CLIENT, &c);
	smc_mailbox_get_stats(mb, SMC_MB_SERVER, &s);
	if (c.calls != calls || s.calls != calls) {
		gbench_skip_with_error(state, "call counters do not match the loop");
		return;
	}
	gbench_set_items_processed(state, gbench_iterations_done(state));
	gbench_set_counter_per_iteration(state, "client_blocked", (double)c.blocked);
	gbench_set_counter_per_iteration(state, "futex_waits", (double)(c.futex_waits +
									 s.futex_waits));
	gbench_set_counter_per_iteration(state, "futex_wakes", (double)(c.wakes + s.wakes));
	gbench_set_counter_per_iteration(state, "server_spin_hits", (double)s.spin_hits);
}

/* ---- (b, c) mailbox between two threads ---- */

struct server_thread {
	struct smc_mailbox *mb;
	uint32_t spin_ns;
	atomic_int stop;
	int result;
};

static void *server_main(void *arg)
{
	struct server_thread *s = arg;

	s->result = smc_mailbox_serve(s->mb, handler_inc, NULL, &s->stop, SERVER_POLL_MS,
				      s->spin_ns);
	return NULL;
}

static void bench_mailbox_threads(gbench_state *state, void *ctx)
{
	uint32_t spin_ns = (uint32_t)gbench_range(state, 0);
	struct smc_mailbox *mb = aligned_alloc(SMC_MAILBOX_ALIGN_BYTES, smc_mailbox_bytes());
	struct server_thread server = { .spin_ns = spin_ns };
	pthread_t tid;
	uint64_t calls = 0;
	int err;

	(void)ctx;
	if (!mb || smc_mailbox_init(mb, smc_mailbox_bytes()) ||
	    smc_mailbox_attach(mb, smc_mailbox_bytes(), &server.mb)) {
		gbench_skip_with_error(state, "mailbox set-up failed");
		free(mb);
		return;
	}
	atomic_init(&server.stop, 0);
	if (pthread_create(&tid, NULL, server_main, &server)) {
		gbench_skip_with_error(state, "pthread_create failed");
		free(mb);
		return;
	}
	err = time_calls(state, mb, spin_ns, &calls);
	atomic_store(&server.stop, 1);
	smc_mailbox_kick(mb);
	pthread_join(tid, NULL);
	if (!err && server.result)
		fail(state, "smc_mailbox_serve", server.result);
	else if (!err)
		report_mailbox(state, mb, calls);
	free(mb);
}

/* ---- (e) mailbox between two processes ---- */

/* Child: serve until the parent marks the mailbox DEAD (or disappears). */
static void child_serve(struct smc_mailbox *mb, uint32_t spin_ns, pid_t parent)
{
	for (;;) {
		int err = smc_mailbox_serve_one(mb, handler_inc, NULL, SERVER_POLL_MS, spin_ns);

		if (err == TS_EIO)
			_exit(0);
		if (err == TS_ETIMEDOUT && getppid() != parent)
			_exit(1); /* orphaned: never outlive the benchmark */
	}
}

static void bench_mailbox_procs(gbench_state *state, void *ctx)
{
	uint32_t spin_ns = (uint32_t)gbench_range(state, 0);
	size_t bytes = smc_mailbox_bytes();
	struct smc_mailbox *mb;
	uint64_t calls = 0, end;
	pid_t parent = getpid(), pid;
	void *mem;
	int err, status = 0;

	(void)ctx;
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		gbench_skip_with_error(state, "mmap failed");
		return;
	}
	if (smc_mailbox_init(mem, bytes) || smc_mailbox_attach(mem, bytes, &mb)) {
		gbench_skip_with_error(state, "mailbox set-up failed");
		munmap(mem, bytes);
		return;
	}
	pid = fork();
	if (pid < 0) {
		gbench_skip_with_error(state, "fork failed");
		munmap(mem, bytes);
		return;
	}
	if (pid == 0)
		child_serve(mb, spin_ns, parent);

	err = time_calls(state, mb, spin_ns, &calls);
	/* The counters are read before DEAD, while the mailbox is quiescent. */
	if (!err)
		report_mailbox(state, mb, calls);
	smc_mailbox_mark_dead(mb);
	end = (uint64_t)time(NULL) + REAP_TIMEOUT_MS / 1000;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if ((uint64_t)time(NULL) > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		usleep(1000);
	}
	if (!err && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		gbench_skip_with_error(state, "server process did not exit cleanly");
	munmap(mem, bytes);
}

/* ---- (d) raw ping-pongs, none of our code ---- */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * The word counts hops: the client turns even into odd, the partner odd into
 * even.  In the futex variant each side wakes the other after every store and
 * sleeps whenever it has to wait (a shared, not private, futex, as the
 * mailbox's), which is the classic blocking IPC round trip.
 */
struct pingpong {
	_Atomic uint32_t word;
	atomic_int stop;
	int use_futex;
};

static void raw_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, (void *)word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Sleep while *word == expected, at most 100 ms (the partner re-checks its stop flag). */
static void raw_wait(_Atomic uint32_t *word, uint32_t expected)
{
	struct timespec rel = { .tv_sec = 0, .tv_nsec = 100 * 1000000L };

	syscall(SYS_futex, (void *)word, FUTEX_WAIT, expected, &rel, NULL, 0);
}

static void *pingpong_partner(void *arg)
{
	struct pingpong *p = arg;

	while (!atomic_load_explicit(&p->stop, memory_order_acquire)) {
		uint32_t w = atomic_load_explicit(&p->word, memory_order_acquire);

		if (w & 1) {
			atomic_store_explicit(&p->word, w + 1, memory_order_release);
			if (p->use_futex)
				raw_wake(&p->word);
		} else if (p->use_futex) {
			raw_wait(&p->word, w);
		} else {
			cpu_relax();
		}
	}
	return NULL;
}

static void bench_pingpong(gbench_state *state, void *ctx)
{
	struct pingpong p = { .use_futex = ctx != NULL };
	uint32_t w = 0;
	pthread_t tid;

	atomic_init(&p.word, 0);
	atomic_init(&p.stop, 0);
	if (pthread_create(&tid, NULL, pingpong_partner, &p)) {
		gbench_skip_with_error(state, "pthread_create failed");
		return;
	}
	while (gbench_keep_running(state)) {
		atomic_store_explicit(&p.word, w + 1, memory_order_release);
		if (p.use_futex) {
			raw_wake(&p.word);
			while (atomic_load_explicit(&p.word, memory_order_acquire) == w + 1)
				raw_wait(&p.word, w + 1);
		} else {
			while (atomic_load_explicit(&p.word, memory_order_acquire) == w + 1)
				cpu_relax();
		}
		w += 2;
	}
	atomic_store_explicit(&p.stop, 1, memory_order_release);
	raw_wake(&p.word);
	pthread_join(tid, NULL);
	if (atomic_load(&p.word) != w) {
		gbench_skip_with_error(state, "ping-pong lost a hop");
		return;
	}
	gbench_set_items_processed(state, gbench_iterations_done(state));
}

int main(int argc, char **argv)
{
	static const int64_t spin_budgets_ns[] = { 0, 2000, SMC_MAILBOX_DEFAULT_SPIN_NS };
	gbench_benchmark *b;
	char text[32];

	gbench_add_context("teeshm_build_type", TEESHM_BUILD_TYPE);
	snprintf(text, sizeof(text), "%u", SMC_MAILBOX_DEFAULT_SPIN_NS);
	gbench_add_context("smc_default_spin_ns", text);

	gbench_register("gbench/loop_overhead", bench_loop_overhead, NULL);
	gbench_register("smc/inproc", bench_inproc, NULL);

	b = gbench_register("smc/mailbox_threads", bench_mailbox_threads, NULL);
	gbench_arg_name(b, "spin_ns");
	for (size_t i = 0; i < sizeof(spin_budgets_ns) / sizeof(spin_budgets_ns[0]); i++)
		gbench_arg(b, spin_budgets_ns[i]);
	b = gbench_register("smc/mailbox_procs", bench_mailbox_procs, NULL);
	gbench_arg_name(b, "spin_ns");
	gbench_arg(b, 0);
	gbench_arg(b, SMC_MAILBOX_DEFAULT_SPIN_NS);

	/* ctx is only tested for NULL: non-NULL selects the futex variant. */
	gbench_register("raw/futex_pingpong", bench_pingpong, (void *)1);
	gbench_register("raw/spin_pingpong", bench_pingpong, NULL);

	return gbench_main(argc, argv);
}
