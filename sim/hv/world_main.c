/*
 * The hypervisor process (a Xen-with-OP-TEE-mediator model).  It spawns one
 * process per guest with libuv, gives each a VM id and a scattered stage-2
 * map, serves each guest's SMC mailbox on its own thread through the
 * mediator, and forwards to the secure world on a mailbox per guest.  When a
 * guest exits -- or is killed, by the fault-injection timer or anyone else --
 * libuv's exit callback marks its mailbox dead, waits for its in-flight call,
 * and has the mediator tell the secure world VM_DESTROYED.  Prints a JSON
 * line per guest exit and one at the end.  Exit status 0 when every guest
 * that was not killed on purpose succeeded and nothing is left in hypervisor
 * RAM, 1 otherwise, 2 for bad arguments.
 *
 * Mailboxes: guest i <-> hypervisor is 2i, hypervisor <-> secure world for
 * guest i is 2i + 1.
 *
 * Under --strategy carveout the mediator offers each guest its slice of the
 * static carveout (one per guest RAM region, sim/common/strategy.h), which
 * the guest maps itself; otherwise the carveout stays the host's, as in Xen.
 */
#define _GNU_SOURCE
#include "sim/hv/world_main.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "sim/common/channels.h"
#include "sim/common/opts.h"
#include "sim/common/stage2.h"
#include "sim/common/strategy.h"
#include "sim/common/ts_err.h"
#include "sim/common/world_args.h"
#include "sim/hv/mediator.h"

struct guest_slot {
	uint32_t vm;
	uv_process_t proc;
	bool spawned, exited;
	int64_t exit_status;
	int term_signal;
	struct stage2_map s2;
	struct smc_mailbox *guest_mb;
	struct smc_mailbox_client sw_client;
	struct smc_conduit to_sw;
	struct hv_guest *g;
	pthread_t thread;
	bool thread_started;
	atomic_int stop;
	atomic_int pid;            /* set once spawned; read by the serving thread */
	uint64_t smcs_seen;        /* by the serving thread only */
	uint64_t kill_at_smc;      /* fault injection: kill -9 the guest as this SMC arrives (0: never) */
};

struct hv_state {
	struct world_args wa;
	uint64_t vms, iterations, kill_guest, kill_after_ms, kill_at_smc;
	const char *scenario;
	const char *workload;     /* passed to every guest, or NULL */
	bool events;              /* --events, passed to every guest */
	const char *strategy;
	struct dram *dram;
	struct channels ch;
	struct dram_view *view;
	struct hv_mediator *med;
	struct guest_slot *slots;
	uint64_t n_exited;
	uv_loop_t loop;
	uv_timer_t kill_timer;
	uv_signal_t sigterm;
	int failures;
};

/*
 * The guest's SMCs reach the mediator through here.  With --kill-at-smc the
 * guest is killed while it waits for exactly that call: a death mid-call,
 * whatever the machine's speed.
 */
static void guest_smc(void *ctx, struct smc_regs *regs)
{
	struct guest_slot *s = ctx;

	if (++s->smcs_seen == s->kill_at_smc && atomic_load(&s->pid) > 0)
		kill(atomic_load(&s->pid), SIGKILL);
	hv_guest_smc(s->g, regs);
}

static void *guest_serve_thread(void *arg)
{
	struct guest_slot *s = arg;

	smc_mailbox_serve(s->guest_mb, guest_smc, s, &s->stop, 100, SMC_MAILBOX_DEFAULT_SPIN_NS);
	return NULL;
}

static void print_guest_exit(const struct hv_state *st, const struct guest_slot *s)
{
	const struct hv_guest_stats *gs = s->g ? hv_guest_stats(s->g) : NULL;

	printf("{\"role\": \"hv-guest\", \"vm\": %u, \"exit_status\": %" PRId64 ", \"signal\": %d, "
	       "\"smcs\": %" PRIu64 ", \"std_calls\": %" PRIu64 ", \"rpcs\": %" PRIu64
	       ", \"pages_translated\": %" PRIu64 ", \"window_translated\": %" PRIu64
	       ", \"refused\": %" PRIu64 ", \"killed_on_purpose\": %s}\n",
	       s->vm, s->exit_status, s->term_signal, gs ? gs->smcs : 0, gs ? gs->std_calls : 0,
	       gs ? gs->rpcs : 0, gs ? gs->pages_translated : 0, gs ? gs->window_translated : 0,
	       gs ? gs->refused : 0,
	       st->kill_guest == s->vm && s->term_signal == SIGKILL ? "true" : "false");
	fflush(stdout);
}

static void on_guest_exit(uv_process_t *proc, int64_t exit_status, int term_signal)
{
	struct guest_slot *s = proc->data;
	struct hv_state *st = proc->loop->data;
	int rc;

	s->exited = true;
	s->exit_status = exit_status;
	s->term_signal = term_signal;
	/* Stop serving the dead guest: an in-flight secure call finishes, its reply has nowhere to go. */
	smc_mailbox_mark_dead(s->guest_mb);
	atomic_store(&s->stop, 1);
	if (s->thread_started)
		pthread_join(s->thread, NULL);
	print_guest_exit(st, s);
	/* Deaths on purpose: our fault injection, or the guest's trace saying `vm crash`. */
	if (!(st->kill_guest == s->vm && term_signal == SIGKILL) &&
	    !(st->workload && !term_signal && exit_status == WORLD_EXIT_TRACE_CRASH) &&
	    (exit_status || term_signal))
		st->failures++;
	/* The secure world reclaims everything the guest owned. */
	rc = hv_guest_remove(st->med, s->g);
	s->g = NULL;
	if (rc) {
		fprintf(stderr, "teeshm world-hv: VM_DESTROYED for guest %u failed: %s\n", s->vm,
			ts_strerror(rc));
		st->failures++;
	}
	uv_close((uv_handle_t *)proc, NULL);
	if (++st->n_exited == st->vms) {
		uv_timer_stop(&st->kill_timer);
		uv_close((uv_handle_t *)&st->kill_timer, NULL);
		uv_close((uv_handle_t *)&st->sigterm, NULL);
	}
}

static void on_kill_timer(uv_timer_t *t)
{
	struct hv_state *st = t->loop->data;
	struct guest_slot *s = &st->slots[st->kill_guest];

	if (s->spawned && !s->exited)
		uv_process_kill(&s->proc, SIGKILL);
}

static void on_sigterm(uv_signal_t *h, int signum)
{
	struct hv_state *st = h->loop->data;
	uint64_t i;

	(void)signum;
	for (i = 0; i < st->vms; i++)
		if (st->slots[i].spawned && !st->slots[i].exited)
			uv_process_kill(&st->slots[i].proc, SIGTERM);
}

static int spawn_guest(struct hv_state *st, struct guest_slot *s)
{
	char exe[4096], store[16][24];
	size_t exe_len = sizeof(exe);
	const char *argv[48];
	int argc = 0, rc;
	uv_process_options_t po = { 0 };
	uv_stdio_container_t stdio[5];

	if (uv_exepath(exe, &exe_len))
		return TS_EIO;
	argv[argc++] = exe;
	argv[argc++] = "world-guest";
	if (world_args_append(&st->wa, argv, &argc, 40, store))
		return TS_E2BIG;
	snprintf(store[12], 24, "%u", s->vm);
	snprintf(store[13], 24, "%u", 2 * s->vm);
	snprintf(store[14], 24, "%u", s->vm + 1);
	snprintf(store[15], 24, "%" PRIu64, st->iterations);
	argv[argc++] = "--vm";
	argv[argc++] = store[12];
	argv[argc++] = "--mailbox";
	argv[argc++] = store[13];
	argv[argc++] = "--stage2-seed";
	argv[argc++] = store[14];
	argv[argc++] = "--iterations";
	argv[argc++] = store[15];
	argv[argc++] = "--scenario";
	argv[argc++] = st->scenario;
	argv[argc++] = "--strategy";
	argv[argc++] = st->strategy;
	if (st->workload) {
		argv[argc++] = "--workload";
		argv[argc++] = st->workload;
	}
	if (st->events)
		argv[argc++] = "--events";
	argv[argc] = NULL;

	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = 1;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = WORLD_DRAM_FD;
	stdio[4].flags = UV_INHERIT_FD;
	stdio[4].data.fd = WORLD_CHANNELS_FD;
	po.file = exe;
	po.args = (char **)argv;
	po.stdio = stdio;
	po.stdio_count = 5;
	po.exit_cb = on_guest_exit;
	s->proc.data = s;
	rc = uv_spawn(&st->loop, &s->proc, &po);
	if (rc) {
		fprintf(stderr, "teeshm world-hv: spawning guest %u: %s\n", s->vm, uv_strerror(rc));
		return TS_EIO;
	}
	s->spawned = true;
	atomic_store(&s->pid, s->proc.pid);
	return 0;
}

/* Everything the hypervisor needs before the first guest runs. */
static int setup(struct hv_state *st)
{
	const struct dram_region **ns;
	struct hv_limits lim;
	uint32_t i, n = 0;
	char err[256];
	int rc;

	if ((rc = world_args_open(&st->wa, &st->dram, &st->ch, err, sizeof(err)))) {
		fprintf(stderr, "teeshm world-hv: %s\n", err);
		return rc;
	}
	/* The hypervisor maps all non-secure memory and nothing secure. */
	ns = calloc(st->dram->layout->n_regions, sizeof(*ns));
	if (!ns)
		return TS_ENOMEM;
	for (i = 0; i < st->dram->layout->n_regions; i++)
		if (!st->dram->layout->regions[i].secure)
			ns[n++] = &st->dram->layout->regions[i];
	rc = dram_view_open(st->dram, ns, n, &st->view);
	free(ns);
	if (rc)
		return rc;
	hv_limits_default(&lim);
	if ((rc = hv_mediator_create(st->view, &lim, &st->med)))
		return rc;
	if (strategy_find(st->strategy) == STRATEGY_CARVEOUT) {
		struct strategy_params sp;

		strategy_params_default(STRATEGY_CARVEOUT, &sp);
		if ((rc = hv_mediator_offer_carveout(st->med, (uint32_t)st->wa.guests,
						     sp.carveout_vm_bytes, err, sizeof(err)))) {
			fprintf(stderr, "teeshm world-hv: %s\n", err);
			return rc;
		}
	}
	st->slots = calloc(st->vms, sizeof(*st->slots));
	if (!st->slots)
		return TS_ENOMEM;
	for (i = 0; i < st->vms; i++) {
		struct guest_slot *s = &st->slots[i];
		struct smc_mailbox *sw_mb;

		s->vm = i;
		s->kill_at_smc = i == st->kill_guest ? st->kill_at_smc : 0;
		s->guest_mb = channels_mailbox(&st->ch, 2 * i);
		sw_mb = channels_mailbox(&st->ch, 2 * i + 1);
		if (!s->guest_mb || !sw_mb)
			return TS_EINVAL;
		rc = stage2_build(&s->s2, dram_region_find(st->dram->layout, DRAM_GUEST_RAM, i),
				  STAGE2_GUEST_IPA_BASE, (uint64_t)i + 1);
		if (rc)
			return rc;
		smc_mailbox_client_init(&s->sw_client, sw_mb, SMC_MAILBOX_DEFAULT_SPIN_NS,
					SMC_MAILBOX_DEFAULT_TIMEOUT_MS);
		s->to_sw = smc_mailbox_conduit(&s->sw_client);
		if ((rc = hv_guest_add(st->med, (uint16_t)i, &s->s2, &s->to_sw, &s->g))) {
			fprintf(stderr, "teeshm world-hv: VM_CREATED for guest %u: %s\n", i, ts_strerror(rc));
			return rc;
		}
		if (pthread_create(&s->thread, NULL, guest_serve_thread, s))
			return TS_EIO;
		s->thread_started = true;
	}
	return 0;
}

int hv_world_main(int argc, char **argv)
{
	static const char *const scenarios[] = { "basic", NULL };
	struct hv_state st = { .ch = { .fd = -1 }, .kill_guest = UINT64_MAX, .iterations = 4,
			       .strategy = "dynamic" };
	struct opt_spec specs[WORLD_ARGS_N_SPECS + 9];
	unsigned scenario = 0;
	uint64_t i;
	int rc;

	world_args_default(&st.wa);
	world_args_specs(&st.wa, specs);
	specs[WORLD_ARGS_N_SPECS + 0] = OPT_SPEC_U64("--vms", &st.vms, 1, 4096, "guests to run");
	specs[WORLD_ARGS_N_SPECS + 1] = OPT_SPEC_U64("--iterations", &st.iterations, 1, 1000000, "scenario iterations per guest");
	specs[WORLD_ARGS_N_SPECS + 2] = OPT_SPEC_U64("--kill-guest", &st.kill_guest, 0, 4095, "guest to kill -9 (fault injection)");
	specs[WORLD_ARGS_N_SPECS + 3] = OPT_SPEC_U64("--kill-after-ms", &st.kill_after_ms, 0, 3600000, "when to kill it");
	specs[WORLD_ARGS_N_SPECS + 4] = OPT_SPEC_ENUM("--scenario", &scenario, scenarios, "what each guest runs");
	specs[WORLD_ARGS_N_SPECS + 6] = OPT_SPEC_STR("--strategy", &st.strategy, "passed to every guest");
	specs[WORLD_ARGS_N_SPECS + 7] = OPT_SPEC_STR("--workload", &st.workload, "passed to every guest: its ops of this trace");
	specs[WORLD_ARGS_N_SPECS + 8] = OPT_SPEC_FLAG("--events", &st.events, "passed to every guest: print its bounce copies");
	specs[WORLD_ARGS_N_SPECS + 5] = OPT_SPEC_U64("--kill-at-smc", &st.kill_at_smc, 1, UINT64_MAX, "kill it as its Nth SMC arrives, instead of by time");
	rc = opts_parse("world-hv", argc, argv, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc)
		return rc > 0 ? 0 : 2;
	st.scenario = scenarios[scenario];
	if (st.vms == 0 || 2 * st.vms > st.wa.n_channels || st.vms > st.wa.guests ||
	    (st.kill_guest != UINT64_MAX && st.kill_guest >= st.vms)) {
		fprintf(stderr, "teeshm world-hv: --vms %" PRIu64 " needs %" PRIu64
			" channels and guest regions (have %" PRIu64 ", %" PRIu64 "), --kill-guest below it\n",
			st.vms, 2 * st.vms, st.wa.n_channels, st.wa.guests);
		return 2;
	}
	if (world_die_with_parent())
		return 1;
	uv_loop_init(&st.loop);
	st.loop.data = &st;
	rc = setup(&st);
	if (rc) {
		fprintf(stderr, "teeshm world-hv: setup failed: %s\n", ts_strerror(rc));
		st.failures++;
		/* Fall through: stop what started and tear down. */
		for (i = 0; st.slots && i < st.vms; i++) {
			if (st.slots[i].thread_started) {
				atomic_store(&st.slots[i].stop, 1);
				smc_mailbox_kick(st.slots[i].guest_mb);
				pthread_join(st.slots[i].thread, NULL);
			}
			if (st.slots[i].g)
				hv_guest_remove(st.med, st.slots[i].g);
		}
	} else {
		uv_timer_init(&st.loop, &st.kill_timer);
		uv_signal_init(&st.loop, &st.sigterm);
		uv_signal_start(&st.sigterm, on_sigterm, SIGTERM);
		for (i = 0; i < st.vms; i++)
			if (spawn_guest(&st, &st.slots[i])) {
				/* Never started: stop its server and count it as exited. */
				st.failures++;
				st.slots[i].exited = true;
				atomic_store(&st.slots[i].stop, 1);
				smc_mailbox_kick(st.slots[i].guest_mb);
				pthread_join(st.slots[i].thread, NULL);
				hv_guest_remove(st.med, st.slots[i].g);
				st.slots[i].g = NULL;
				st.n_exited++;
			}
		if (st.kill_guest != UINT64_MAX && !st.kill_at_smc)
			uv_timer_start(&st.kill_timer, on_kill_timer, st.kill_after_ms, 0);
		if (st.n_exited == st.vms) {
			uv_close((uv_handle_t *)&st.kill_timer, NULL);
			uv_close((uv_handle_t *)&st.sigterm, NULL);
		}
		uv_run(&st.loop, UV_RUN_DEFAULT);
	}
	uv_loop_close(&st.loop);
	printf("{\"role\": \"hv\", \"guests\": %" PRIu64 ", \"failures\": %d, \"hv_pages_in_use\": %u}\n",
	       st.vms, st.failures, st.med ? hv_mediator_pages_in_use(st.med) : 0);
	fflush(stdout);
	rc = st.failures || (st.med && hv_mediator_pages_in_use(st.med)) ? 1 : 0;
	for (i = 0; st.slots && i < st.vms; i++)
		stage2_free(&st.slots[i].s2);
	free(st.slots);
	hv_mediator_destroy(st.med);
	dram_view_close(st.view);
	channels_close(&st.ch);
	dram_destroy(st.dram);
	return rc;
}
