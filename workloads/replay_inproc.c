/*
 * The in-process replay engine (replay.h): every world in this process,
 * every SMC through an in-process conduit, the trace's ops one at a time.
 *
 * One VM and no --hv: a lone normal world (client 0) calls the secure world
 * directly, with the whole carveout.  Otherwise the hypervisor's mediator
 * stands between each guest and the secure world, each guest's RAM behind a
 * scattered stage-2 map, and a `vm crash` is the mediator removing a guest
 * that said nothing (VM_DESTROYED), after which its driver only frees its
 * own memory.
 *
 * --dump-mmu DIR (replay_config.dump_mmu_dir) lays its dumps out as:
 *
 *   DIR/01-before-crash/   the 1st `checkpoint before-crash` of the trace
 *   DIR/02-after-crash/    the 2nd checkpoint, and so on: <k>-<NAME>, k from 1,
 *                          zero-padded to two digits, or to as many as the
 *                          trace's checkpoint count needs, so `ls` lists them
 *                          in trace order
 *   DIR/final/             after the last op and after the VMs the trace left
 *                          running have stopped: what outlives every client
 *                          (not written when the replay stops on an error)
 *
 * each holding regs.json, tables.bin and mappings.tsv (sim/secure/mmu_dump.h).
 * The secure world has one core memory manager for all VMs (one stage-1
 * table tree, one VA space; each mapping carries its VM id, the `vm` column
 * of mappings.tsv), so each tag holds one dump and no per-VM subdirectory.
 * Should VMs ever get partitions of their own, each would go to
 * DIR/<tag>/vm<N>/.  A checkpoint falls between two ops, when no SMC is in
 * flight, so the manager is read at rest.  A dump that cannot be written
 * stops the replay with an error naming the path.
 */
#include "workloads/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/dram.h"
#include "sim/common/errmsg.h"
#include "sim/common/optee_smc.h"
#include "sim/common/smc_channel.h"
#include "sim/common/stage2.h"
#include "sim/common/ts_err.h"
#include "sim/hv/mediator.h"
#include "sim/normal/guest_mem.h"
#include "sim/normal/optee_drv.h"
#include "sim/secure/mmu_dump.h"
#include "sim/secure/secure_world.h"
#include "sim/secure/sw_stats_line.h"
#include "workloads/record.h"

struct guest {
	bool up;                      /* started, not stopped or crashed */
	bool mem_ready;               /* RAM mapped and guest_mem set up (kept across reboots) */
	struct stage2_map s2;
	void *ram_host;
	struct guest_mem gm;
	struct smc_inproc to_sw_p, from_guest_p;
	struct smc_conduit to_sw, from_guest;
	struct hv_guest *hg;
	struct optee_drv *drv;
	struct replay_vm *rv;
	struct trace_recorder *rec;
	uint64_t bytes_copied;        /* over every boot */
	uint64_t boots;
	struct engine *e;             /* for the copy_event hook */
	uint32_t vm;
};

struct engine {
	const struct trace *t;
	const struct replay_config *cfg;
	struct strategy_params params;
	enum strategy_id sid;
	bool hv;
	struct dram *dram;
	struct dram_view *view;       /* all non-secure memory (hypervisor's, and the guests') */
	struct secure_world *sw;
	struct hv_mediator *med;
	struct carveout_split split;  /* "carveout" under the hypervisor */
	struct guest *g;
	uint32_t n_vms;
	unsigned checkpoint_digits;   /* of the --dump-mmu sequence numbers */
	struct replay_counts *c;
	char *err;
	size_t err_bytes;
};

static void dead_machine(void *ctx, struct smc_regs *regs)
{
	(void)ctx;
	regs->a[0] = OPTEE_SMC_RETURN_UNKNOWN_FUNCTION;
}

static int boot_worlds(struct engine *e)
{
	const struct dram_region *ns[8 + TRACE_MAX_VMS];
	struct dram_config dc;
	struct sw_config sc;
	struct hv_limits lim;
	uint32_t i, n = 0;
	int rc;

	dram_config_default(&dc);
	dc.n_guests = e->n_vms;
	if (e->cfg->guest_ram_bytes)
		dc.guest_ram_bytes = e->cfg->guest_ram_bytes;
	if (e->cfg->carveout_bytes)
		dc.carveout_bytes = e->cfg->carveout_bytes;
	if ((rc = dram_create(&dc, &e->dram, e->err, e->err_bytes)))
		return rc;
	for (i = 0; i < e->dram->layout->n_regions && n < sizeof(ns) / sizeof(ns[0]); i++)
		if (!e->dram->layout->regions[i].secure)
			ns[n++] = &e->dram->layout->regions[i];
	if ((rc = dram_view_open(e->dram, ns, n, &e->view)))
		return ts_errf(e->err, e->err_bytes, rc, "replay: mapping DRAM: %s", ts_strerror(rc));
	sw_config_default(&sc);
	sc.virtualization = e->hv;
	sc.max_guests = (uint16_t)e->n_vms;
	sc.strategy = strategy_name(e->sid);
	sc.strategy_params = &e->params;
	sc.profile = e->cfg->profile;
	sc.events = e->cfg->events;
	if (e->cfg->threads)
		sc.num_threads = e->cfg->threads;
	if ((rc = sw_create(&sc, e->dram, &e->sw, e->err, e->err_bytes)))
		return rc;
	if (!e->hv)
		return 0;
	hv_limits_default(&lim);
	if ((rc = hv_mediator_create(e->view, &lim, &e->med)))
		return ts_errf(e->err, e->err_bytes, rc, "replay: mediator: %s", ts_strerror(rc));
	if (e->sid == STRATEGY_CARVEOUT) {
		const struct dram_region *co = dram_region_find(e->dram->layout, DRAM_CARVEOUT, 0);

		if ((rc = hv_mediator_offer_carveout(e->med, e->n_vms, e->params.carveout_vm_bytes,
						     e->err, e->err_bytes)) ||
		    (rc = carveout_split_init(&e->split, co->base, co->size_bytes, e->n_vms,
					      e->params.carveout_vm_bytes, e->err, e->err_bytes)))
			return rc;
	}
	return 0;
}

/* The guest's RAM: behind a scattered stage-2 map under the hypervisor, else at its PA. */
static int guest_mem_up(struct engine *e, uint32_t vm, struct guest *g)
{
	const struct dram_region *ram = dram_region_find(e->dram->layout, DRAM_GUEST_RAM, vm);
	int rc;

	if (g->mem_ready)
		return 0;
	if (e->hv) {
		if ((rc = stage2_build(&g->s2, ram, STAGE2_GUEST_IPA_BASE, vm + 1)) ||
		    (rc = stage2_map_guest_ram(&g->s2, e->dram->fd, &g->ram_host)))
			return ts_errf(e->err, e->err_bytes, rc, "replay: VM %u's RAM: %s", vm,
				       ts_strerror(rc));
		rc = guest_mem_init(&g->gm, pa_init(STAGE2_GUEST_IPA_BASE), g->ram_host,
				    ram->size_bytes);
	} else {
		rc = guest_mem_init(&g->gm, ram->base,
				    dram_view_ptr(e->view, ram->base, ram->size_bytes),
				    ram->size_bytes);
	}
	if (rc)
		return ts_errf(e->err, e->err_bytes, rc, "replay: VM %u's RAM: %s", vm, ts_strerror(rc));
	g->mem_ready = true;
	return 0;
}

/* Where this guest's driver sees the carveout, for the strategy that shares through it. */
static void *carveout_host(struct engine *e, uint32_t vm)
{
	const struct dram_region *co = dram_region_find(e->dram->layout, DRAM_CARVEOUT, 0);
	struct carveout_slice sl;

	if (e->sid != STRATEGY_CARVEOUT || !co)
		return NULL;
	if (!e->hv)
		return dram_view_ptr(e->view, co->base, co->size_bytes);
	if (carveout_split_slice(&e->split, vm, &sl))
		return NULL;
	return dram_view_ptr(e->view, sl.guest_pa, sl.guest_bytes);
}

/*
 * The driver's copy_event hook: the copy goes on the secure world's timeline
 * (a guest's copies happen between its SMCs), with its own modeled cost at
 * the profile's memcpy rate; the timeline's clock is the secure world's and
 * does not advance for it (docs/results.md: time.modeled_copy_ns).
 */
static void copy_event(void *ctx, const char *what, uint64_t bytes)
{
	struct guest *g = ctx;
	const struct profile *prof = g->e->cfg->profile;
	char line[160];

	if (prof)
		snprintf(line, sizeof(line), "copy   %llu bytes %s (%.3f us at the memcpy rate)",
			 (unsigned long long)bytes, what,
			 profile_cycles_to_ns(prof, profile_copy_cycles(prof, bytes)) / 1000.0);
	else
		snprintf(line, sizeof(line), "copy   %llu bytes %s", (unsigned long long)bytes, what);
	sw_timeline_note(g->e->sw, g->e->hv ? g->vm + 1 : 0, line);
}

static int vm_start(struct engine *e, const struct trace_op *op)
{
	struct guest *g = &e->g[op->vm];
	struct optee_drv_config dcfg = { 0 };
	char derr[256] = "";
	int rc;

	if ((rc = guest_mem_up(e, op->vm, g)))
		return rc;
	if (e->hv) {
		g->to_sw = smc_inproc_conduit(&g->to_sw_p, sw_smc, e->sw);
		if ((rc = hv_guest_add(e->med, op->vm, &g->s2, &g->to_sw, &g->hg)))
			return ts_errf(e->err, e->err_bytes, rc, "line %u: VM %u: the hypervisor "
				       "refused it: %s", op->line, op->vm, ts_strerror(rc));
		g->from_guest = smc_inproc_conduit(&g->from_guest_p, hv_guest_smc, g->hg);
	} else {
		g->from_guest = smc_inproc_conduit(&g->from_guest_p, sw_smc, e->sw);
	}
	dcfg.mem = &g->gm;
	dcfg.conduits = &g->from_guest;
	dcfg.n_conduits = 1;
	dcfg.strategy = &e->params;
	dcfg.carveout_host = carveout_host(e, op->vm);
	if (e->cfg->events) {
		g->e = e;
		g->vm = op->vm;
		dcfg.copy_event = copy_event;
		dcfg.copy_event_ctx = g;
	}
	dcfg.err = derr;
	dcfg.err_bytes = sizeof(derr);
	if ((rc = optee_drv_create(&dcfg, &g->drv)))
		return ts_errf(e->err, e->err_bytes, rc, "line %u: VM %u: driver: %s (%s)", op->line,
			       op->vm, ts_strerror(rc), derr);
	if (e->cfg->record_out &&
	    (rc = trace_recorder_attach(g->drv, op->vm, e->cfg->record_out, false, &g->rec)))
		return ts_errf(e->err, e->err_bytes, rc, "line %u: VM %u: recorder: %s", op->line,
			       op->vm, ts_strerror(rc));
	if ((rc = replay_vm_create(g->drv, op->vm, e->t->seed + g->boots, &g->rv)))
		return ts_errf(e->err, e->err_bytes, rc, "line %u: VM %u: TEEC context: %s",
			       op->line, op->vm, ts_strerror(rc));
	g->up = true;
	g->boots++;
	return 0;
}

/* The driver goes (orderly or not); its copies are kept for the guest's line. */
static void driver_down(struct guest *g, bool crashed)
{
	struct optee_drv_stats st;

	/* A crashed VM's clients say nothing more: the recorder stops before their cleanup. */
	if (crashed)
		(void)trace_recorder_detach(g->rec, true);
	replay_vm_destroy(g->rv);
	g->rv = NULL;
	if (!crashed)
		(void)trace_recorder_detach(g->rec, false);
	g->rec = NULL;
	optee_drv_get_stats(g->drv, &st);
	g->bytes_copied += st.bytes_copied;
	optee_drv_destroy(g->drv);
	g->drv = NULL;
	g->up = false;
}

static int vm_stop(struct engine *e, uint32_t vm)
{
	struct guest *g = &e->g[vm];
	int rc = 0;

	driver_down(g, false);
	if (e->hv) {
		rc = hv_guest_remove(e->med, g->hg);
		g->hg = NULL;
	}
	return rc ? ts_errf(e->err, e->err_bytes, rc, "VM %u: VM_DESTROYED failed", vm) : 0;
}

static int vm_crash(struct engine *e, const struct trace_op *op)
{
	struct guest *g = &e->g[op->vm];
	int rc;

	if (!e->hv)
		return ts_errf(e->err, e->err_bytes, TS_EINVAL, "line %u: `vm crash` needs a "
			       "hypervisor to notice (replay with one, or use more than one VM)",
			       op->line);
	/* The hypervisor notices the guest is gone, reclaims it; nothing answers its driver. */
	rc = hv_guest_remove(e->med, g->hg);
	g->hg = NULL;
	g->from_guest_p.fn = dead_machine;
	g->from_guest_p.ctx = NULL;
	driver_down(g, true);
	e->c->crashes++;
	return rc ? ts_errf(e->err, e->err_bytes, rc, "line %u: VM %u: VM_DESTROYED failed",
			    op->line, op->vm) : 0;
}

/* --dump-mmu: the secure MMU into <dir>/<tag>/; where names the moment for the message. */
static int dump_mmu(struct engine *e, const char *tag, const char *where)
{
	char msg[512];
	int rc;

	rc = mmu_dump_write(sw_mm(e->sw), e->cfg->dump_mmu_dir, tag, msg, sizeof(msg));
	if (rc)
		return ts_errf(e->err, e->err_bytes, rc, "--dump-mmu at %s: %s", where, msg);
	return 0;
}

static int checkpoint(struct engine *e, const struct trace_op *op)
{
	char tag[24 + TRACE_CHECKPOINT_MAX], where[32 + TRACE_CHECKPOINT_MAX];

	e->c->ops++;
	e->c->checkpoints++;
	if (!e->cfg->dump_mmu_dir)
		return 0;
	snprintf(tag, sizeof(tag), "%0*llu-%s", (int)e->checkpoint_digits,
		 (unsigned long long)e->c->checkpoints, op->checkpoint);
	snprintf(where, sizeof(where), "line %u (checkpoint %s)", op->line, op->checkpoint);
	return dump_mmu(e, tag, where);
}

/* Digits of the largest --dump-mmu sequence number, at least two. */
static unsigned checkpoint_digits(const struct trace *t)
{
	uint64_t n = 0;
	unsigned digits = 2;
	size_t i;

	for (i = 0; i < t->n_ops; i++)
		n += t->ops[i].verb == TRACE_CHECKPOINT;
	for (n /= 100; n; n /= 10)
		digits++;
	return digits;
}

static int run_ops(struct engine *e)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < e->t->n_ops && !rc; i++) {
		const struct trace_op *op = &e->t->ops[i];
		struct guest *g = op->verb == TRACE_CHECKPOINT ? NULL : &e->g[op->vm];

		switch (op->verb) {
		case TRACE_CHECKPOINT:
			rc = checkpoint(e, op);
			break;
		case TRACE_VM_START:
			e->c->ops++;
			rc = vm_start(e, op);
			break;
		case TRACE_VM_STOP:
			e->c->ops++;
			rc = vm_stop(e, op->vm);
			break;
		case TRACE_VM_CRASH:
			e->c->ops++;
			rc = vm_crash(e, op);
			break;
		default:
			if (!g->up) /* the parser's checks make this impossible; never trust it blindly */
				return ts_errf(e->err, e->err_bytes, TS_EINVAL,
					       "line %u: VM %u is not running", op->line, op->vm);
			rc = replay_vm_op(g->rv, op, e->c, e->err, e->err_bytes);
			break;
		}
	}
	/* VMs the trace left running stop in order. */
	for (i = 0; i < e->n_vms && !rc; i++)
		if (e->g[i].up)
			rc = vm_stop(e, (uint32_t)i);
	if (!rc && e->cfg->dump_mmu_dir)
		rc = dump_mmu(e, "final", "the end of the trace");
	return rc;
}

static int write_lines(struct engine *e, FILE *out)
{
	uint32_t i;
	int rc;

	rc = sw_write_stats_line(out, e->sw, e->cfg->profile, sw_check(e->sw), NULL);
	for (i = 0; i < e->n_vms && !rc; i++)
		if (fprintf(out, "{\"role\": \"guest\", \"vm\": %u, \"boots\": %llu, "
			    "\"bytes_copied\": %llu}\n", i, (unsigned long long)e->g[i].boots,
			    (unsigned long long)e->g[i].bytes_copied) < 0)
			rc = TS_EIO;
	return rc;
}

static void teardown(struct engine *e)
{
	uint32_t i;

	for (i = 0; e->g && i < e->n_vms; i++) {
		struct guest *g = &e->g[i];

		if (g->drv) { /* an error left it running: nothing is asked of it any more */
			g->from_guest_p.fn = dead_machine;
			driver_down(g, true);
		}
		if (g->hg)
			(void)hv_guest_remove(e->med, g->hg);
		if (g->mem_ready) {
			guest_mem_fini(&g->gm);
			if (e->hv) {
				stage2_unmap_guest_ram(&g->s2, g->ram_host);
				stage2_free(&g->s2);
			}
		}
	}
	free(e->g);
	hv_mediator_destroy(e->med);
	sw_destroy(e->sw);
	dram_view_close(e->view);
	dram_destroy(e->dram);
}

int replay_inproc(const struct trace *t, const struct replay_config *cfg, FILE *lines_out,
		  struct replay_counts *counts, char *err, size_t err_bytes)
{
	struct engine e;
	int id, rc;

	memset(&e, 0, sizeof(e));
	memset(counts, 0, sizeof(*counts));
	e.t = t;
	e.cfg = cfg;
	e.c = counts;
	e.err = err;
	e.err_bytes = err_bytes;
	id = strategy_find(cfg->strategy ? cfg->strategy : "dynamic");
	if (id < 0)
		return ts_errf(err, err_bytes, TS_EINVAL, "replay: unknown strategy \"%s\"",
			       cfg->strategy);
	if (!cfg->profile)
		return ts_errf(err, err_bytes, TS_EINVAL, "replay: no profile");
	e.sid = (enum strategy_id)id;
	if (cfg->params)
		e.params = *cfg->params;
	else
		strategy_params_default(e.sid, &e.params);
	e.params.id = e.sid;
	e.n_vms = t->n_vms ? t->n_vms : 1;
	e.hv = e.n_vms > 1 || cfg->force_hypervisor;
	e.checkpoint_digits = checkpoint_digits(t);
	e.g = calloc(e.n_vms, sizeof(*e.g));
	if (!e.g)
		return ts_errf(err, err_bytes, TS_ENOMEM, "replay: out of memory");
	if (cfg->record_out)
		fprintf(cfg->record_out, "%s\nseed %llu\n", TRACE_MAGIC, (unsigned long long)t->seed);
	rc = boot_worlds(&e);
	if (!rc)
		rc = run_ops(&e);
	if (!rc)
		rc = write_lines(&e, lines_out);
	teardown(&e);
	return rc;
}
