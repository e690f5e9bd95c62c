/* Secure thread pool with a strict caller <-> secure-thread hand-off (see sw_thread.h). */
#define _POSIX_C_SOURCE 200809L
#include "sim/secure/sw_thread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/common/optee_smc.h"
#include "sim/common/ts_err.h"
#include "sim/secure/sw_internal.h"

/*
 * Where a waiting caller gets its answer.  It lives on the caller's stack,
 * not in the thread: once the thread is FREE another call may claim it
 * before this caller has woken up and read its result.
 */
struct sw_handoff {
	struct smc_regs regs;
	bool done;
};

/* Secure side: hand the CPU (and out) back to whoever waits, if anyone still does. */
static void yield_to_caller(struct sw_thread *t, const struct smc_regs *out)
{
	struct sw_handoff *h = t->waiter;

	if (h) {
		h->regs = *out;
		h->done = true;
		t->waiter = NULL;
	}
	t->secure_turn = false;
	pthread_cond_broadcast(&t->sw->cv_yield);
}

void sw_thread_run(struct secure_world *sw, struct sw_thread *t, struct smc_regs *io)
{
	struct sw_handoff h = { .done = false };

	t->regs = *io;
	t->waiter = &h;
	t->secure_turn = true;
	pthread_cond_signal(&t->cv_secure);
	while (!h.done)
		pthread_cond_wait(&sw->cv_yield, &sw->lock);
	*io = h.regs;
}

/* Sleep until it is our turn; with a timeout, reclaim the thread if nobody answers. */
static int wait_turn(struct sw_thread *t)
{
	struct secure_world *sw = t->sw;
	struct timespec deadline;

	if (!sw->cfg.rpc_timeout_ms) {
		while (!t->secure_turn)
			pthread_cond_wait(&t->cv_secure, &sw->lock);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += sw->cfg.rpc_timeout_ms / 1000;
	deadline.tv_nsec += (long)(sw->cfg.rpc_timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	while (!t->secure_turn) {
		int rc = pthread_cond_timedwait(&t->cv_secure, &sw->lock, &deadline);

		if (rc == ETIMEDOUT && !t->secure_turn) {
			/* Take the CPU ourselves: a late RETURN_FROM_RPC now finds us RUNNING. */
			t->secure_turn = true;
			t->waiter = NULL;
			sw_client_of(sw, t->client)->stats.rpc_timeouts++;
			return TS_ETIMEDOUT;
		}
	}
	return 0;
}

int sw_thread_rpc(struct sw_thread *t, uint32_t rpc_func, struct smc_regs *regs)
{
	struct sw_client *c = sw_client_of(t->sw, t->client);
	struct smc_regs out = { { 0 } };
	int rc;

	if (t->abandon || t->call.dead)
		return TS_EIO;
	out.a[0] = rpc_func;
	out.a[1] = (uint32_t)regs->a[1];
	out.a[2] = (uint32_t)regs->a[2];
	out.a[3] = t->id;
	c->stats.rpcs++;
	if (rpc_func == OPTEE_SMC_RETURN_RPC_ALLOC)
		c->stats.rpc_allocs++;
	else if (rpc_func == OPTEE_SMC_RETURN_RPC_FREE)
		c->stats.rpc_frees++;
	else if (rpc_func == OPTEE_SMC_RETURN_RPC_CMD)
		c->stats.rpc_cmds++;
	t->state = SW_THREAD_SUSPENDED;
	t->rpc_func = rpc_func;
	yield_to_caller(t, &out);
	rc = wait_turn(t);
	t->state = SW_THREAD_RUNNING;
	t->rpc_func = 0;
	if (!rc && t->abandon)
		rc = TS_EIO;
	if (rc) {
		t->call.dead = true;
		return rc;
	}
	*regs = t->regs;
	return 0;
}

/* Run the call the caller handed us, then give the thread back to the pool. */
static void run_call(struct sw_thread *t)
{
	struct secure_world *sw = t->sw;
	struct sw_call *call = &t->call;
	struct smc_regs out = { { 0 } };

	memset(call, 0, sizeof(*call));
	call->sw = sw;
	call->thread = t;
	call->client = t->client;
	call->smc_func = (uint32_t)t->regs.a[0];
	call->smc_a1 = (uint32_t)t->regs.a[1];
	call->smc_a2 = (uint32_t)t->regs.a[2];
	call->smc_a3 = (uint32_t)t->regs.a[3];
	call->pages = t->pages;
	call->bounce = t->bounce;
	call->dead = t->abandon;
	out.a[0] = sw_msg_std_entry(call);
	if (call->dead && t->abandon)
		sw_client_of(sw, t->client)->stats.threads_abandoned++;
	sw_client_of(sw, t->client)->n_threads--;
	memset(call, 0, sizeof(*call));
	t->state = SW_THREAD_FREE;
	t->client = 0;
	t->abandon = false;
	yield_to_caller(t, &out);
}

static void *thread_main(void *arg)
{
	struct sw_thread *t = arg;
	struct secure_world *sw = t->sw;

	pthread_mutex_lock(&sw->lock);
	for (;;) {
		while (!t->secure_turn && !t->exit)
			pthread_cond_wait(&t->cv_secure, &sw->lock);
		if (!t->secure_turn)
			break;
		run_call(t);
	}
	pthread_mutex_unlock(&sw->lock);
	return NULL;
}

int sw_threads_start(struct secure_world *sw)
{
	pthread_condattr_t attr;
	uint32_t i;
	int rc = 0;

	sw->threads = calloc(sw->cfg.num_threads, sizeof(*sw->threads));
	if (!sw->threads)
		return TS_ENOMEM;
	if (pthread_condattr_init(&attr))
		return TS_ENOMEM;
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	for (i = 0; i < sw->cfg.num_threads && !rc; i++) {
		struct sw_thread *t = &sw->threads[i];

		t->sw = sw;
		t->id = i;
		t->pages = malloc((size_t)sw->cfg.max_pages_per_buffer * sizeof(*t->pages));
		t->bounce = malloc(SMALL_PAGE_SIZE);
		if (!t->pages || !t->bounce || pthread_cond_init(&t->cv_secure, &attr)) {
			rc = TS_ENOMEM;
			break;
		}
		t->cond_ready = true;
		if (pthread_create(&t->pthread, NULL, thread_main, t))
			rc = TS_EAGAIN;
		else
			t->started = true;
	}
	pthread_condattr_destroy(&attr);
	return rc;
}

void sw_threads_stop(struct secure_world *sw)
{
	uint32_t i;

	if (!sw->threads)
		return;
	pthread_mutex_lock(&sw->lock);
	for (i = 0; i < sw->cfg.num_threads; i++) {
		sw->threads[i].exit = true;
		if (sw->threads[i].cond_ready)
			pthread_cond_signal(&sw->threads[i].cv_secure);
	}
	pthread_mutex_unlock(&sw->lock);
	for (i = 0; i < sw->cfg.num_threads; i++) {
		struct sw_thread *t = &sw->threads[i];

		if (t->started)
			pthread_join(t->pthread, NULL);
		if (t->cond_ready)
			pthread_cond_destroy(&t->cv_secure);
		free(t->pages);
		free(t->bounce);
	}
	free(sw->threads);
	sw->threads = NULL;
}

struct sw_thread *sw_thread_claim(struct secure_world *sw, uint16_t client)
{
	uint32_t i;

	/* Lowest free id first, so a run is reproducible. */
	for (i = 0; i < sw->cfg.num_threads; i++) {
		struct sw_thread *t = &sw->threads[i];

		if (t->state == SW_THREAD_FREE && !t->secure_turn) {
			t->state = SW_THREAD_RUNNING;
			t->client = client;
			t->abandon = false;
			sw_client_of(sw, client)->n_threads++;
			return t;
		}
	}
	return NULL;
}

void sw_threads_wait_quiet(struct secure_world *sw, uint16_t client)
{
	for (;;) {
		bool busy = false;
		uint32_t i;

		/*
		 * Running, or handed the CPU by a resume it has not woken up for
		 * yet: either way a caller waits for it, so it is not ours to abandon.
		 */
		for (i = 0; i < sw->cfg.num_threads; i++)
			busy |= sw->threads[i].state != SW_THREAD_FREE &&
				sw->threads[i].client == client &&
				(sw->threads[i].state == SW_THREAD_RUNNING ||
				 sw->threads[i].secure_turn);
		if (!busy)
			return;
		pthread_cond_wait(&sw->cv_yield, &sw->lock);
	}
}
