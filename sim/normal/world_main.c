/*
 * A guest process: the normal world of one VM (or the lone normal world
 * without a hypervisor).  It maps only its own RAM -- in IPA order through its
 * stage-2 map, so it cannot even address secure memory or another guest --
 * brings up the OP-TEE driver on its SMC mailbox, runs a client scenario over
 * the GP TEE Client API, and prints one JSON line.  Exit status 0 when every
 * call succeeded with the right data and the driver gave every page back.
 */
#define _GNU_SOURCE
#include "sim/normal/world_main.h"

#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "sim/common/channels.h"
#include "sim/common/opts.h"
#include "sim/common/stage2.h"
#include "sim/common/strategy.h"
#include "sim/common/ts_err.h"
#include "sim/common/world_args.h"
#include "sim/normal/guest_mem.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/scenario.h"
#include "sim/normal/teec_sim.h"

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
	struct scenario_result res = { 0 };
	struct guest_mem_stats gst;
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
	 * world owns it all (per-VM partitions under a hypervisor are not built yet).
	 */
	if (sid == STRATEGY_CARVEOUT) {
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
	teec_set_default_driver(drv);
	scenario_basic((uint32_t)vm, iterations, &res);
	teec_set_default_driver(NULL);
	rc = optee_drv_check(drv);
	optee_drv_destroy(drv);
	drv = NULL;
	guest_mem_get_stats(&gm, &gst);
	printf("{\"role\": \"guest\", \"vm\": %" PRIu64 ", \"scenario\": \"%s\", \"operations\": %" PRIu64
	       ", \"failures\": %" PRIu64 ", \"bytes_verified\": %" PRIu64 ", \"pages_in_use\": %zu"
	       ", \"pages_peak\": %zu, \"first_failure\": \"%s\"}\n",
	       vm, scenarios[scenario], res.operations, res.failures, res.bytes_verified, gst.pages_in_use,
	       gst.pages_in_use_peak, res.first_failure);
	fflush(stdout);
	status = res.failures || gst.pages_in_use || rc ? 1 : 0;
out:
	optee_drv_destroy(drv);
	if (gm_ready)
		guest_mem_fini(&gm);
	dram_view_close(carveout_view);
	stage2_unmap_guest_ram(&s2, host);
	stage2_free(&s2);
	channels_close(&ch);
	dram_destroy(dram);
	return status;
}
