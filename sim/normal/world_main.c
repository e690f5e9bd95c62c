/*
 * A guest process: the normal world of one VM (or the lone normal world
 * without a hypervisor).  It maps only its own RAM -- in IPA order through its
 * stage-2 map, so it cannot even address secure memory or another guest --
 * brings up the OP-TEE driver on its SMC mailbox, runs a client scenario over
 * the GP TEE Client API, and prints one JSON line.  Exit status 0 when every
 * call succeeded with the right data and the driver gave every page back.
 *
 * Under "carveout" it also maps the static carveout: all of it for a lone
 * normal world; under a hypervisor (a non-zero stage-2 seed) only the guest
 * part of its own slice (sim/common/strategy.h), so it cannot touch the
 * mediator's shadow pages or another VM's slice either.
 */
#define _GNU_SOURCE
#include "sim/normal/world_main.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim/common/channels.h"
#include "sim/common/errmsg.h"
#include "sim/common/opts.h"
#include "sim/common/stage2.h"
#include "sim/common/strategy.h"
#include "sim/common/ts_err.h"
#include "sim/common/world_args.h"
#include "workloads/record.h"
#include "workloads/replay.h"
#include "workloads/trace.h"
#include "sim/normal/guest_mem.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/scenario.h"
#include "sim/normal/teec_sim.h"

/* Where this VM's carveout slice is mapped here (the guest part only). */
struct slice_map {
	void *host;
	uint64_t bytes;
	uint64_t window_ipa;  /* where GET_SHM_CONFIG must say it is */
	uint64_t file_offset; /* of the guest part in the DRAM memfd */
};

/*
 * Under a hypervisor: map the guest part of VM vm's carveout slice from the
 * DRAM memfd (before the fd is dropped), by the split rule the mediator and
 * the secure world apply to the same layout.  0 or TS_E* with a message.
 */
static int map_carveout_slice(const struct dram *dram, const struct stage2_map *s2, uint32_t vm,
			      uint64_t vm_bytes, struct slice_map *out, char *err, size_t err_len)
{
	const struct dram_region *co = dram_region_find(dram->layout, DRAM_CARVEOUT, 0);
	struct carveout_split split;
	struct carveout_slice slice;
	void *p;
	int rc;

	if (!co)
		return ts_errf(err, err_len, TS_ENOENT, "the DRAM layout has no carveout");
	if ((rc = carveout_split_init(&split, co->base, co->size_bytes, dram->config.n_guests,
				      vm_bytes, err, err_len)))
		return rc;
	if ((rc = carveout_split_slice(&split, vm, &slice)))
		return ts_errf(err, err_len, rc, "carveout split: VM %u has no slice", vm);
	if ((rc = carveout_window_ipa(s2->ipa_base, (uint64_t)s2->n_chunks * s2->chunk_bytes,
				      slice.guest_bytes, &out->window_ipa)))
		return ts_errf(err, err_len, rc, "carveout window: no IPA room below 4 GiB");
	out->file_offset = co->file_offset + (pa_addr(slice.guest_pa) - pa_addr(co->base));
	p = mmap(NULL, slice.guest_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, dram->fd,
		 (off_t)out->file_offset);
	if (p == MAP_FAILED)
		return ts_errf(err, err_len, TS_ENOMEM, "mapping the carveout slice: %s",
			       strerror(errno));
	out->host = p;
	out->bytes = slice.guest_bytes;
	return 0;
}

/*
 * This guest's part of a workload trace, through its driver: every op of
 * VM vm in trace order (other VMs' ops belong to their own processes), with
 * real sleeps.  A `vm crash` of this VM ends the process at once with
 * WORLD_EXIT_TRACE_CRASH, nothing cleaned up, as a killed guest; `vm stop`
 * ends the replay (a second boot would be a new process: not replayed).
 */
static int replay_own_ops(const struct trace *t, uint16_t vm, struct optee_drv *drv,
			  struct replay_counts *c, char *err, size_t err_bytes)
{
	struct replay_vm *v;
	bool started = false;
	size_t i;
	int rc;

	if ((rc = replay_vm_create(drv, vm, t->seed, &v)))
		return ts_errf(err, err_bytes, rc, "TEEC context: %s", ts_strerror(rc));
	for (i = 0; i < t->n_ops && !rc; i++) {
		const struct trace_op *op = &t->ops[i];

		if (op->verb == TRACE_CHECKPOINT || op->vm != vm)
			continue;
		if (op->verb == TRACE_VM_START) {
			if (started)
				break; /* a reboot: not in one process */
			started = true;
			continue;
		}
		if (op->verb == TRACE_VM_STOP)
			break;
		if (op->verb == TRACE_VM_CRASH) {
			fflush(stdout);
			_exit(WORLD_EXIT_TRACE_CRASH);
		}
		if (op->verb == TRACE_SLEEP) {
			struct timespec ts = { (time_t)(op->sleep_us / 1000000),
					       (long)(op->sleep_us % 1000000) * 1000 };

			c->ops++;
			nanosleep(&ts, NULL);
			continue;
		}
		rc = replay_vm_op(v, op, c, err, err_bytes);
	}
	replay_vm_destroy(v);
	return rc;
}

/*
 * The isolation the host MMU gives this guest, checked from inside: no
 * descriptor of the DRAM memfd is left open, and every mapping of it in
 * this process lies in the guest's own RAM or its own carveout part.  So no
 * bug of the guest's (or a hostile guest) can reach secure memory or
 * another guest's RAM.  0, or TS_EACCES with what is wrong in why.
 */
static int check_isolation(const struct dram_region *ram, const struct dram_region *co_allowed,
			   const struct slice_map *slice, char *why, size_t why_bytes)
{
	char line[512], path[64], target[256];
	FILE *maps = fopen("/proc/self/maps", "r");
	int fd, rc = 0;

	if (!maps)
		return ts_errf(why, why_bytes, TS_EIO, "cannot read /proc/self/maps");
	while (!rc && fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi, off;

		if (!strstr(line, "teeshm-dram") ||
		    sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) != 3)
			continue;
		if (off >= ram->file_offset && off + (hi - lo) <= ram->file_offset + ram->size_bytes)
			continue;
		if (co_allowed && off >= co_allowed->file_offset &&
		    off + (hi - lo) <= co_allowed->file_offset + co_allowed->size_bytes)
			continue;
		if (slice->host && off >= slice->file_offset &&
		    off + (hi - lo) <= slice->file_offset + slice->bytes)
			continue;
		rc = ts_errf(why, why_bytes, TS_EACCES, "DRAM mapped outside the guest: offset "
			     "0x%lx + 0x%lx", off, hi - lo);
	}
	fclose(maps);
	for (fd = 0; !rc && fd < 1024; fd++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strstr(target, "teeshm-dram"))
			rc = ts_errf(why, why_bytes, TS_EACCES, "the DRAM memfd is still open (fd %d)",
				     fd);
	}
	return rc;
}

/* Who a copy line names: "vmN" under the hypervisor, "nw" for a lone normal world. */
struct copy_event_ctx {
	char who[16];
};

/*
 * --events: this guest's bounce copies, on stderr next to the secure world's
 * timeline.  A guest does not see the secure world's modeled clock, so the
 * time column is "-"; the lines fall between the SMCs they belong to.
 */
static void print_copy_event(void *ctx, const char *what, uint64_t bytes)
{
	const struct copy_event_ctx *c = ctx;
	char line[160];
	int n = snprintf(line, sizeof(line), "%12s     %-5s copy   %" PRIu64 " bytes %s\n", "-",
			 c->who, bytes, what);

	/* one write, so the secure world's lines on the same stderr do not cut it */
	if (n > 0)
		fwrite(line, 1, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1, stderr);
}

int guest_world_main(int argc, char **argv)
{
	static const char *const scenarios[] = { "basic", NULL };
	struct world_args wa;
	uint64_t vm = 0, mailbox = 0, seed = 0, iterations = 4;
	unsigned scenario = 0;
	struct opt_spec specs[WORLD_ARGS_N_SPECS + 9];
	struct copy_event_ctx copy_ctx;
	bool events = false;
	const char *workload = NULL, *record = getenv("TEESHM_RECORD");
	struct trace *trace = NULL;
	struct trace_recorder *rec = NULL;
	FILE *rec_out = NULL;
	struct replay_counts rcounts = { 0 };
	const char *strategy = "dynamic";
	struct strategy_params sp;
	int sid;
	struct dram *dram = NULL;
	struct channels ch = { .fd = -1 };
	struct stage2_map s2 = { 0 };
	struct guest_mem gm;
	bool gm_ready = false;
	void *host = NULL;
	struct smc_mailbox *mb;
	struct smc_mailbox_client client;
	struct smc_conduit conduit;
	struct optee_drv *drv = NULL;
	struct optee_drv_config dcfg = { 0 };
	struct dram_view *carveout_view = NULL;
	struct slice_map slice = { 0 };
	struct scenario_result res = { 0 };
	struct guest_mem_stats gst;
	struct optee_drv_stats dst;
	char err[256] = "";
	int rc, status = 1;

	world_args_default(&wa);
	world_args_specs(&wa, specs);
	specs[WORLD_ARGS_N_SPECS + 0] = OPT_SPEC_U64("--vm", &vm, 0, 4095, "this guest's VM id (its RAM region)");
	specs[WORLD_ARGS_N_SPECS + 1] = OPT_SPEC_U64("--mailbox", &mailbox, 0, 8191, "the mailbox this guest calls through");
	specs[WORLD_ARGS_N_SPECS + 2] = OPT_SPEC_U64("--stage2-seed", &seed, 0, UINT32_MAX, "0: IPA == PA; else the hypervisor's scatter seed");
	specs[WORLD_ARGS_N_SPECS + 3] = OPT_SPEC_U64("--iterations", &iterations, 1, 1000000, "scenario iterations");
	specs[WORLD_ARGS_N_SPECS + 4] = OPT_SPEC_ENUM("--scenario", &scenario, scenarios, "the client program");
	specs[WORLD_ARGS_N_SPECS + 5] = OPT_SPEC_STR("--strategy", &strategy, "shared-memory strategy (normal-world half)");
	specs[WORLD_ARGS_N_SPECS + 6] = OPT_SPEC_STR("--workload", &workload, "replay this VM's ops of a trace file instead of the scenario");
	specs[WORLD_ARGS_N_SPECS + 7] = OPT_SPEC_STR("--record", &record, "write a trace of what the client program does (also TEESHM_RECORD)");
	specs[WORLD_ARGS_N_SPECS + 8] = OPT_SPEC_FLAG("--events", &events, "print each bounce copy on stderr (the secure world prints the rest of the timeline)");
	rc = opts_parse("world-guest", argc, argv, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc)
		return rc > 0 ? 0 : 2;
	sid = strategy_find(strategy);
	if (sid < 0) {
		fprintf(stderr, "teeshm world-guest: unknown --strategy '%s'\n", strategy);
		return 2;
	}
	strategy_params_default((enum strategy_id)sid, &sp);
	if (workload && trace_load(workload, &trace, err, sizeof(err))) {
		fprintf(stderr, "teeshm world-guest: --workload: %s\n", err);
		return 2;
	}
	if (vm >= wa.guests || mailbox >= wa.n_channels) {
		fprintf(stderr, "teeshm world-guest: --vm %" PRIu64 " / --mailbox %" PRIu64 " out of range\n", vm, mailbox);
		return 2;
	}
	if (world_die_with_parent())
		return 1;
	if ((rc = world_args_open(&wa, &dram, &ch, err, sizeof(err)))) {
		fprintf(stderr, "teeshm world-guest %" PRIu64 ": %s\n", vm, err);
		return 1;
	}
	{
		const struct dram_region *ram = dram_region_find(dram->layout, DRAM_GUEST_RAM, (uint32_t)vm);

		rc = seed ? stage2_build(&s2, ram, STAGE2_GUEST_IPA_BASE, seed) : stage2_build_identity(&s2, ram);
		if (!rc)
			rc = stage2_map_guest_ram(&s2, dram->fd, &host);
		if (!rc)
			rc = guest_mem_init(&gm, pa_init(s2.ipa_base), host, ram->size_bytes);
		if (rc) {
			fprintf(stderr, "teeshm world-guest %" PRIu64 ": mapping guest RAM: %s\n", vm, ts_strerror(rc));
			goto out;
		}
		gm_ready = true;
	}
	/*
	 * The static carveout, for the strategy that shares memory through it: a lone normal
	 * world owns it all; under a hypervisor (seed != 0) a VM maps only its own slice.
	 */
	if (sid == STRATEGY_CARVEOUT && seed) {
		if ((rc = map_carveout_slice(dram, &s2, (uint32_t)vm, sp.carveout_vm_bytes, &slice,
					     err, sizeof(err)))) {
			fprintf(stderr, "teeshm world-guest %" PRIu64 ": %s\n", vm, err);
			goto out;
		}
		dcfg.carveout_host = slice.host;
	} else if (sid == STRATEGY_CARVEOUT) {
		const struct dram_region *co = dram_region_find(dram->layout, DRAM_CARVEOUT, 0);

		if ((rc = dram_view_open(dram, &co, 1, &carveout_view))) {
			fprintf(stderr, "teeshm world-guest %" PRIu64 ": mapping the carveout: %s\n", vm,
				ts_strerror(rc));
			goto out;
		}
		dcfg.carveout_host = dram_view_ptr(carveout_view, co->base, co->size_bytes);
	}
	/* Its RAM is mapped: drop the DRAM memfd so the guest cannot map anything else later. */
	close(dram->fd);
	dram->fd = -1;
	{
		const struct dram_region *ram = dram_region_find(dram->layout, DRAM_GUEST_RAM,
								 (uint32_t)vm);

		if ((rc = check_isolation(ram, carveout_view ? dram_region_find(dram->layout,
										DRAM_CARVEOUT, 0) :
							       NULL,
					  &slice, err, sizeof(err)))) {
			fprintf(stderr, "teeshm world-guest %" PRIu64 ": isolation: %s\n", vm, err);
			goto out;
		}
	}
	mb = channels_mailbox(&ch, (uint32_t)mailbox);
	smc_mailbox_client_init(&client, mb, SMC_MAILBOX_DEFAULT_SPIN_NS, SMC_MAILBOX_DEFAULT_TIMEOUT_MS);
	conduit = smc_mailbox_conduit(&client);
	dcfg.mem = &gm;
	dcfg.conduits = &conduit;
	dcfg.n_conduits = 1;
	dcfg.strategy = &sp;
	if (events) {
		if (seed)
			snprintf(copy_ctx.who, sizeof(copy_ctx.who), "vm%" PRIu64, vm);
		else
			snprintf(copy_ctx.who, sizeof(copy_ctx.who), "nw");
		dcfg.copy_event = print_copy_event;
		dcfg.copy_event_ctx = &copy_ctx;
	}
	dcfg.err = err;
	dcfg.err_bytes = sizeof(err);
	if ((rc = optee_drv_create(&dcfg, &drv))) {
		fprintf(stderr, "teeshm world-guest %" PRIu64 ": OP-TEE driver: %s (%s)\n", vm, ts_strerror(rc), err);
		goto out;
	}
	if (slice.host) {
		/* The driver must allocate from exactly what this process mapped. */
		const struct optee_drv_info *info = optee_drv_get_info(drv);

		if (pa_addr(info->carveout_base) != slice.window_ipa ||
		    info->carveout_bytes != slice.bytes) {
			fprintf(stderr, "teeshm world-guest %" PRIu64 ": GET_SHM_CONFIG says the "
				"carveout is 0x%" PRIx64 " + %" PRIu64 " bytes; this VM's slice is 0x%" PRIx64
				" + %" PRIu64 "\n", vm, pa_addr(info->carveout_base),
				info->carveout_bytes, slice.window_ipa, slice.bytes);
			goto out;
		}
	}
	if (record && record[0]) {
		if (!(rec_out = fopen(record, "w")) ||
		    trace_recorder_attach(drv, (uint16_t)vm, rec_out, true, &rec)) {
			fprintf(stderr, "teeshm world-guest %" PRIu64 ": --record %s: cannot write it\n",
				vm, record);
			goto out;
		}
	}
	if (trace) {
		if ((rc = replay_own_ops(trace, (uint16_t)vm, drv, &rcounts, err, sizeof(err))))
			fprintf(stderr, "teeshm world-guest %" PRIu64 ": %s\n", vm, err);
		res.operations = rcounts.ops;
		res.failures = rcounts.failures + rcounts.divergences + (rc != 0);
		/* The first failure, cut to the scenario's field. */
		memcpy(res.first_failure, rcounts.first_failure, sizeof(res.first_failure) - 1);
		res.first_failure[sizeof(res.first_failure) - 1] = '\0';
	} else {
		teec_set_default_driver(drv);
		scenario_basic((uint32_t)vm, iterations, &res);
		teec_set_default_driver(NULL);
	}
	if (rec && trace_recorder_detach(rec, false)) {
		fprintf(stderr, "teeshm world-guest %" PRIu64 ": --record %s: write failed\n", vm,
			record);
		res.failures++;
	}
	rec = NULL;
	rc = optee_drv_check(drv);
	optee_drv_get_stats(drv, &dst);
	optee_drv_destroy(drv);
	drv = NULL;
	guest_mem_get_stats(&gm, &gst);
	printf("{\"role\": \"guest\", \"vm\": %" PRIu64 ", \"scenario\": \"%s\", \"operations\": %" PRIu64
	       ", \"failures\": %" PRIu64 ", \"bytes_verified\": %" PRIu64 ", \"pages_in_use\": %zu"
	       ", \"pages_peak\": %zu, \"bytes_copied\": %" PRIu64 ", \"first_failure\": \"%s\"}\n",
	       vm, trace ? "workload" : scenarios[scenario], res.operations, res.failures, res.bytes_verified, gst.pages_in_use,
	       gst.pages_in_use_peak, dst.bytes_copied, res.first_failure);
	fflush(stdout);
	status = res.failures || gst.pages_in_use || rc ? 1 : 0;
out:
	trace_recorder_detach(rec, false);
	if (rec_out)
		fclose(rec_out);
	trace_free(trace);
	optee_drv_destroy(drv);
	if (gm_ready)
		guest_mem_fini(&gm);
	dram_view_close(carveout_view);
	if (slice.host)
		munmap(slice.host, slice.bytes);
	stage2_unmap_guest_ram(&s2, host);
	stage2_free(&s2);
	channels_close(&ch);
	dram_destroy(dram);
	return status;
}
