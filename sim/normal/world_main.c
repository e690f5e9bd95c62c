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
#include "sim/normal/guest_mem.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/scenario.h"
#include "sim/normal/teec_sim.h"

/* Where this VM's carveout slice is mapped here (the guest part only). */
struct slice_map {
	void *host;
	uint64_t bytes;
	uint64_t window_ipa;  /* where GET_SHM_CONFIG must say it is */
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
	p = mmap(NULL, slice.guest_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, dram->fd,
		 (off_t)(co->file_offset + (pa_addr(slice.guest_pa) - pa_addr(co->base))));
	if (p == MAP_FAILED)
		return ts_errf(err, err_len, TS_ENOMEM, "mapping the carveout slice: %s",
			       strerror(errno));
	out->host = p;
	out->bytes = slice.guest_bytes;
	return 0;
}

int guest_world_main(int argc, char **argv)
{
	static const char *const scenarios[] = { "basic", NULL };
	struct world_args wa;
	uint64_t vm = 0, mailbox = 0, seed = 0, iterations = 4;
	unsigned scenario = 0;
	struct opt_spec specs[WORLD_ARGS_N_SPECS + 6];
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
	rc = opts_parse("world-guest", argc, argv, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc)
		return rc > 0 ? 0 : 2;
	sid = strategy_find(strategy);
	if (sid < 0) {
		fprintf(stderr, "teeshm world-guest: unknown --strategy '%s'\n", strategy);
		return 2;
	}
	strategy_params_default((enum strategy_id)sid, &sp);
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
	mb = channels_mailbox(&ch, (uint32_t)mailbox);
	smc_mailbox_client_init(&client, mb, SMC_MAILBOX_DEFAULT_SPIN_NS, SMC_MAILBOX_DEFAULT_TIMEOUT_MS);
	conduit = smc_mailbox_conduit(&client);
	dcfg.mem = &gm;
	dcfg.conduits = &conduit;
	dcfg.n_conduits = 1;
	dcfg.strategy = &sp;
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
	teec_set_default_driver(drv);
	scenario_basic((uint32_t)vm, iterations, &res);
	teec_set_default_driver(NULL);
	rc = optee_drv_check(drv);
	optee_drv_get_stats(drv, &dst);
	optee_drv_destroy(drv);
	drv = NULL;
	guest_mem_get_stats(&gm, &gst);
	printf("{\"role\": \"guest\", \"vm\": %" PRIu64 ", \"scenario\": \"%s\", \"operations\": %" PRIu64
	       ", \"failures\": %" PRIu64 ", \"bytes_verified\": %" PRIu64 ", \"pages_in_use\": %zu"
	       ", \"pages_peak\": %zu, \"bytes_copied\": %" PRIu64 ", \"first_failure\": \"%s\"}\n",
	       vm, scenarios[scenario], res.operations, res.failures, res.bytes_verified, gst.pages_in_use,
	       gst.pages_in_use_peak, dst.bytes_copied, res.first_failure);
	fflush(stdout);
	status = res.failures || gst.pages_in_use || rc ? 1 : 0;
out:
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
