/*
 * The secure world process.  It adopts the DRAM and channel memfds it
 * inherited, boots the secure world, and serves its mailboxes, one host
 * thread per mailbox as one CPU per channel would enter the secure monitor.
 * SIGTERM (from the launcher) stops it cleanly; it then checks every
 * invariant and prints one JSON line of statistics.  Exit status: 0 when the
 * secure world ended clean, 1 otherwise, 2 for bad arguments.
 *
 * --dump-mmu DIR: once the servers have stopped (the guests are gone, no SMC
 * in flight), the secure MMU goes to DIR/final/ (sim/secure/mmu_dump.h), the
 * layout of `teeshm replay --dump-mmu`.  Checkpoints are not dumped here:
 * each guest process runs its own VM's ops at its own pace and skips
 * `checkpoint` lines, and nothing but OP-TEE's SMCs and the launcher's
 * SIGTERM reaches this process, so no moment of it is "checkpoint k".  A
 * dump that cannot be written makes the exit status 1.
 */
#define _GNU_SOURCE
#include "sim/secure/world_main.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "sim/common/channels.h"
#include "sim/common/opts.h"
#include "sim/common/profile.h"
#include "sim/common/ts_err.h"
#include "sim/common/world_args.h"
#include "sim/secure/mmu_dump.h"
#include "sim/secure/secure_world.h"
#include "sim/secure/sw_stats_line.h"

struct server {
	pthread_t thread;
	struct smc_mailbox *mb;
	struct secure_world *sw;
	int rc;
};

static atomic_int stop_flag;
static struct server *servers;
static uint64_t n_servers;

/* The statistics line, with the mailboxes' counters summed over our servers. */
static void print_stats(struct secure_world *sw, const struct profile *prof, int check_rc)
{
	struct smc_mailbox_stats st, mb = { 0 };
	uint64_t i;

	for (i = 0; i < n_servers; i++) {
		smc_mailbox_get_stats(servers[i].mb, SMC_MB_SERVER, &st);
#define SUM(name) mb.name += st.name;
		SMC_MAILBOX_STATS(SUM)
#undef SUM
	}
	if (sw_write_stats_line(stdout, sw, prof, check_rc, &mb))
		fprintf(stderr, "teeshm world-secure: statistics line malformed\n");
	fflush(stdout);
}

static void *serve_thread(void *arg)
{
	struct server *s = arg;

	s->rc = smc_mailbox_serve(s->mb, sw_smc, s->sw, &stop_flag, 100, SMC_MAILBOX_DEFAULT_SPIN_NS);
	return NULL;
}

static void on_signal(uv_signal_t *h, int signum)
{
	uint64_t i;

	(void)signum;
	atomic_store(&stop_flag, 1);
	for (i = 0; i < n_servers; i++)
		smc_mailbox_kick(servers[i].mb);
	uv_stop(h->loop);
}

int secure_world_main(int argc, char **argv)
{
	struct world_args wa;
	uint64_t first = 0, stride = 1, count = 1, threads = 8, max_guests = 64, i;
	bool virt = false;
	struct opt_spec specs[WORLD_ARGS_N_SPECS + 10];
	bool events = false;
	const char *strategy = "dynamic", *profile_path = TEESHM_PROFILE_DIR "/cortex-a53.ini";
	const char *dump_dir = NULL;
	struct profile prof;
	struct sw_config cfg;
	struct secure_world *sw = NULL;
	struct dram *dram = NULL;
	struct channels ch = { .fd = -1 };
	uv_signal_t sigterm, sigint;
	uv_loop_t loop;
	char err[512];
	int rc, dump_rc = 0, status = 1;

	world_args_default(&wa);
	world_args_specs(&wa, specs);
	specs[WORLD_ARGS_N_SPECS + 0] = OPT_SPEC_U64("--serve-first", &first, 0, 8191, "first mailbox served");
	specs[WORLD_ARGS_N_SPECS + 1] = OPT_SPEC_U64("--serve-stride", &stride, 1, 8192, "step between mailboxes");
	specs[WORLD_ARGS_N_SPECS + 2] = OPT_SPEC_U64("--serve-count", &count, 1, 4096, "mailboxes served");
	specs[WORLD_ARGS_N_SPECS + 3] = OPT_SPEC_U64("--threads", &threads, 1, 256, "secure threads (CFG_NUM_THREADS)");
	specs[WORLD_ARGS_N_SPECS + 4] = OPT_SPEC_FLAG("--virt", &virt, "virtualization: guests come through a hypervisor");
	specs[WORLD_ARGS_N_SPECS + 5] = OPT_SPEC_U64("--max-guests", &max_guests, 1, 4096, "guests accepted");
	specs[WORLD_ARGS_N_SPECS + 6] = OPT_SPEC_STR("--strategy", &strategy, "shared-memory strategy (secure half)");
	specs[WORLD_ARGS_N_SPECS + 7] = OPT_SPEC_STR("--profile", &profile_path, "platform profile for modeled costs");
	specs[WORLD_ARGS_N_SPECS + 8] = OPT_SPEC_FLAG("--events", &events, "the event timeline on stderr");
	specs[WORLD_ARGS_N_SPECS + 9] = OPT_SPEC_STR("--dump-mmu", &dump_dir, "write the secure MMU state to final/ under this directory once serving stops");
	rc = opts_parse("world-secure", argc, argv, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc)
		return rc > 0 ? 0 : 2;
	if (first + (count - 1) * stride >= wa.n_channels) {
		fprintf(stderr, "teeshm world-secure: mailboxes %" PRIu64 "+%" PRIu64 "*k exceed --channels %" PRIu64 "\n",
			first, stride, wa.n_channels);
		return 2;
	}
	if ((rc = profile_load_file(profile_path, &prof, err, sizeof(err)))) {
		fprintf(stderr, "teeshm world-secure: --profile: %s\n", err);
		return 2;
	}
	if (world_die_with_parent()) {
		fprintf(stderr, "teeshm world-secure: launcher already gone\n");
		return 1;
	}
	if ((rc = world_args_open(&wa, &dram, &ch, err, sizeof(err)))) {
		fprintf(stderr, "teeshm world-secure: %s\n", err);
		return 1;
	}
	sw_config_default(&cfg);
	cfg.num_threads = (uint32_t)threads;
	cfg.virtualization = virt;
	cfg.max_guests = (uint16_t)max_guests;
	cfg.strategy = strategy;
	cfg.profile = &prof;
	cfg.events = events ? stderr : NULL;
	if ((rc = sw_create(&cfg, dram, &sw, err, sizeof(err)))) {
		fprintf(stderr, "teeshm world-secure: boot failed: %s\n", err);
		goto out;
	}
	servers = calloc(count, sizeof(*servers));
	if (!servers)
		goto out;
	for (i = 0; i < count; i++) {
		servers[i].mb = channels_mailbox(&ch, (uint32_t)(first + i * stride));
		servers[i].sw = sw;
		if (!servers[i].mb || pthread_create(&servers[i].thread, NULL, serve_thread, &servers[i])) {
			fprintf(stderr, "teeshm world-secure: cannot serve mailbox %" PRIu64 "\n", first + i * stride);
			atomic_store(&stop_flag, 1);
			count = i;
			break;
		}
		n_servers = i + 1;
	}
	/* The event loop only waits for the launcher's signal; the servers do the work. */
	uv_loop_init(&loop);
	uv_signal_init(&loop, &sigterm);
	uv_signal_init(&loop, &sigint);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	uv_signal_start(&sigint, on_signal, SIGINT);
	if (!atomic_load(&stop_flag))
		uv_run(&loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&sigterm, NULL);
	uv_close((uv_handle_t *)&sigint, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	for (i = 0; i < n_servers; i++)
		pthread_join(servers[i].thread, NULL);

	rc = sw_check(sw);
	/* Every server has returned: the manager is at rest and may be read. */
	if (dump_dir && (dump_rc = mmu_dump_write(sw_mm(sw), dump_dir, "final", err, sizeof(err))))
		fprintf(stderr, "teeshm world-secure: --dump-mmu: %s\n", err);
	print_stats(sw, &prof, rc);
	status = rc || dump_rc ? 1 : 0;
out:
	free(servers);
	sw_destroy(sw);
	channels_close(&ch);
	dram_destroy(dram);
	return status;
}
