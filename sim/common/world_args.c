/* Common arguments of spawned world processes (see world_args.h). */
#define _GNU_SOURCE
#include "sim/common/world_args.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sim/common/ts_err.h"

void world_args_default(struct world_args *wa)
{
	struct dram_config dc;

	dram_config_default(&dc);
	*wa = (struct world_args){
		.n_channels = 1,
		.guests = 1,
		.guest_ram_mib = dc.guest_ram_bytes >> 20,
		.carveout_kib = dc.carveout_bytes >> 10,
		.xlat_kib = dc.xlat_pool_bytes >> 10,
		.hv_ram_kib = dc.hv_ram_bytes >> 10,
	};
}

void world_args_specs(struct world_args *wa, struct opt_spec *s)
{
	s[0] = OPT_SPEC_U64("--channels", &wa->n_channels, 1, 8192, "SMC mailboxes in the channels memfd");
	s[1] = OPT_SPEC_U64("--guests", &wa->guests, 1, 4096, "guest RAM regions in DRAM");
	s[2] = OPT_SPEC_U64("--guest-ram-mib", &wa->guest_ram_mib, 1, 65536, "RAM per guest");
	s[3] = OPT_SPEC_U64("--carveout-kib", &wa->carveout_kib, 4, 1 << 20, "static shm carveout");
	s[4] = OPT_SPEC_U64("--xlat-kib", &wa->xlat_kib, 4, 1 << 20, "secure translation-table pool");
	s[5] = OPT_SPEC_U64("--hv-ram-kib", &wa->hv_ram_kib, 4, 1 << 20, "hypervisor RAM");
}

void world_args_dram_config(const struct world_args *wa, struct dram_config *dc)
{
	dram_config_default(dc);
	dc->n_guests = (uint32_t)wa->guests;
	dc->guest_ram_bytes = wa->guest_ram_mib << 20;
	dc->carveout_bytes = wa->carveout_kib << 10;
	dc->xlat_pool_bytes = wa->xlat_kib << 10;
	dc->hv_ram_bytes = wa->hv_ram_kib << 10;
}

int world_args_open(const struct world_args *wa, struct dram **dram, struct channels *ch, char *err,
		    size_t err_len)
{
	struct dram_config dc;
	int rc;

	world_args_dram_config(wa, &dc);
	rc = dram_adopt_fd(&dc, WORLD_DRAM_FD, dram, err, err_len);
	if (rc)
		return rc;
	rc = channels_adopt(WORLD_CHANNELS_FD, (uint32_t)wa->n_channels, ch);
	if (rc) {
		snprintf(err, err_len, "channels memfd (fd %d) does not hold %" PRIu64 " mailboxes",
			 WORLD_CHANNELS_FD, wa->n_channels);
		dram_destroy(*dram);
		*dram = NULL;
	}
	return rc;
}

int world_args_append(const struct world_args *wa, const char **argv, int *argc, int max,
		      char (*store)[24])
{
	const struct {
		const char *name;
		uint64_t v;
	} items[] = {
		{ "--channels", wa->n_channels },   { "--guests", wa->guests },
		{ "--guest-ram-mib", wa->guest_ram_mib }, { "--carveout-kib", wa->carveout_kib },
		{ "--xlat-kib", wa->xlat_kib },     { "--hv-ram-kib", wa->hv_ram_kib },
	};
	size_t i;

	if (*argc + 2 * (int)(sizeof(items) / sizeof(items[0])) > max)
		return TS_E2BIG;
	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		snprintf(store[i], 24, "%" PRIu64, items[i].v);
		argv[(*argc)++] = items[i].name;
		argv[(*argc)++] = store[i];
	}
	return 0;
}

int world_die_with_parent(void)
{
	pid_t parent = getppid();

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		return TS_EIO;
	/* The parent may have died before prctl took effect: then we were re-parented. */
	return getppid() == parent ? 0 : TS_EIO;
}
