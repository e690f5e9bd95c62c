/* The secure world's run metrics (see sw_metrics.h). */
#define _GNU_SOURCE
#include "sim/secure/sw_metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim/common/optee_msg.h"
#include "sim/secure/cost.h"
#include "sim/secure/secure_world.h"
#include "sim/secure/sw_internal.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The cost model's counts of everything so far: the memory manager's and the SMCs. */
static void counts_now(struct secure_world *sw, struct cost_counts *c)
{
	core_mm_cost_counts(&sw->mm, c);
	c->smcs = sw->smcs;
}

void sw_metrics_init(struct sw_metrics *m, const struct profile *prof)
{
	memset(m, 0, sizeof(*m));
	m->prof = prof;
	m->series_stride = 1;
	lat_hist_init(&m->map_ns);
	lat_hist_init(&m->unmap_ns);
	usage_track_init(&m->usage, 0);
}

uint64_t sw_metrics_now(struct secure_world *sw)
{
	struct sw_metrics *m = &sw->metrics;
	struct cost_counts c;

	if (!m->prof)
		return m->ticks;
	counts_now(sw, &c);
	return profile_modeled_cycles(m->prof, &c);
}

void sw_metrics_op_begin(struct secure_world *sw, struct sw_metrics_op *op)
{
	counts_now(sw, &op->before);
	op->t0_ns = mono_ns();
}

void sw_metrics_op_end(struct secure_world *sw, struct sw_metrics_op *op, bool is_map,
		       uint64_t n_pages)
{
	struct sw_metrics *m = &sw->metrics;
	uint64_t ns = mono_ns() - op->t0_ns;
	struct cost_counts now, *acc = is_map ? &m->map_cost : &m->unmap_cost;

	counts_now(sw, &now);
#define ACC(name) acc->name += now.name - op->before.name;
	COST_COUNTS_FIELDS(ACC)
#undef ACC
	lat_hist_record(is_map ? &m->map_ns : &m->unmap_ns, ns);
	if (is_map)
		m->map_pages += n_pages;
	else
		m->unmap_pages += n_pages;
}

/* Bytes in use, and how many of them lie in the static carveout. */
struct in_use {
	uint64_t bytes;
	uint64_t static_bytes;
};

/*
 * A buffer a call can reach right now: static, or mapped.  A buffer
 * described but not (or no longer) mapped is not in use yet (or any more),
 * whatever the call still holds.
 */
static void add_mobj(struct in_use *u, const struct sw_mobj *m, uint64_t bytes)
{
	if (!va_addr(m->va))
		return;
	u->bytes += bytes;
	if (!sw_mobj_needs_map(m))
		u->static_bytes += bytes;
}

/* What one call holds: arg, memrefs (registered ones once per stamp), RPC arg and buffers. */
static void add_call(struct in_use *u, struct sw_call *c, uint64_t stamp)
{
	const struct sw_rpc_shm *b;
	uint32_t i;

	if (c->arg_shm)
		add_mobj(u, &c->arg_shm->mobj, OPTEE_MSG_GET_ARG_SIZE(c->num_params));
	else
		add_mobj(u, &c->arg_mobj, c->arg_mobj.size_bytes);
	for (i = 0; i < SW_MSG_MAX_PARAMS; i++) {
		struct sw_shm *shm = c->rmem[i];

		add_mobj(u, &c->tmem[i], c->tmem[i].size_bytes);
		if (shm && shm->metrics_stamp != stamp) {
			shm->metrics_stamp = stamp;
			add_mobj(u, &shm->mobj, shm->mobj.size_bytes);
		}
	}
	add_mobj(u, &c->rpc_arg_mobj, c->rpc_arg_mobj.size_bytes);
	/* A pool slice is reached through its chunk's mapping: in use, never static. */
	for (b = c->rpc_shms; b; b = b->next)
		if (va_addr(b->va)) {
			u->bytes += b->size_bytes;
			if (!sw_mobj_needs_map(&b->mobj) && va_addr(b->mobj.va))
				u->static_bytes += b->size_bytes;
		}
}

/* Keep every stride-th sample; when full, drop every other point and double the stride. */
static void series_add(struct sw_metrics *m, uint64_t now, uint64_t reserved, uint64_t in_use)
{
	uint32_t i;

	if (m->series_skip) {
		m->series_skip--;
		return;
	}
	if (m->n_series == SW_SERIES_POINTS) {
		for (i = 0; i < SW_SERIES_POINTS / 2; i++)
			m->series[i] = m->series[2 * i];
		m->n_series = SW_SERIES_POINTS / 2;
		m->series_stride *= 2;
	}
	m->series[m->n_series++] = (struct sw_series_point){ now, reserved, in_use };
	m->series_skip = m->series_stride - 1;
}

void sw_metrics_sample(struct secure_world *sw)
{
	struct sw_metrics *m = &sw->metrics;
	struct in_use u = { 0, 0 };
	uint64_t reserved, now, stamp = ++m->stamp;
	uint32_t i;

	for (i = 0; i < sw->cfg.num_threads; i++)
		if (sw->threads[i].state != SW_THREAD_FREE)
			add_call(&u, &sw->threads[i].call, stamp);
	reserved = sw->mm.stats.mapped_pages * SMALL_PAGE_SIZE;
	/*
	 * The carveout is reserved whole by the strategy that shares through it.
	 * Under the others it is there only as OP-TEE's default keeps it (and
	 * tests use it): what calls use of it counts as reserved and in use alike.
	 */
	if (sw->strategy_id == STRATEGY_CARVEOUT && sw->carveout)
		reserved += sw->carveout->size_bytes;
	else
		reserved += u.static_bytes;
	m->ticks++;
	now = sw_metrics_now(sw);
	usage_track_set(&m->usage, now, reserved, u.bytes);
	series_add(m, now, reserved, u.bytes);
}

static void op_report(const struct sw_metrics *m, const struct lat_hist *h,
		      const struct cost_counts *cost, uint64_t pages, struct sw_op_report *out)
{
	out->count = lat_hist_count(h);
	out->pages = pages;
	out->host_ns = *h;
	out->modeled_cycles = m->prof ? profile_modeled_cycles(m->prof, cost) : 0;
}

void sw_report(struct secure_world *sw, struct sw_report *out)
{
	struct sw_metrics *m = &sw->metrics;
	uint32_t v, c;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&sw->lock);
	usage_track_finish(&m->usage, sw_metrics_now(sw));
	op_report(m, &m->map_ns, &m->map_cost, m->map_pages, &out->map);
	op_report(m, &m->unmap_ns, &m->unmap_cost, m->unmap_pages, &out->unmap);
	out->reserved_peak_bytes = m->usage.reserved_peak_bytes;
	out->in_use_peak_bytes = m->usage.in_use_peak_bytes;
	out->waste_peak_bytes = m->usage.waste_peak_bytes;
	out->waste_mean_bytes = usage_track_waste_mean_bytes(&m->usage);
	out->usage_samples = m->usage.samples;
	out->usage_bad_samples = m->usage.bad_samples;
	out->modeled_time = usage_track_elapsed(&m->usage);
	out->series = m->series;
	out->n_series = m->n_series;
	for (v = 0; v < sw->mm.cfg.max_vms; v++) {
		const struct core_mapping *cm;

		out->leaked_mappings += sw->mm.vms[v].n_mappings;
		for (cm = sw->mm.vms[v].mappings; cm; cm = cm->vm_next)
			out->leaked_va_bytes += cm->area->size_bytes;
	}
	for (c = 0; c < sw->n_clients; c++) {
		const struct sw_shm *shm;

		for (shm = sw->clients[c].shm_list; shm; shm = shm->client_next)
			out->leaked_pinned_pages += shm->mobj.n_pages;
	}
	pthread_mutex_unlock(&sw->lock);
}

uint64_t sw_smcs(const struct secure_world *sw)
{
	return sw->smcs;
}

void sw_event(struct secure_world *sw, uint32_t client, const char *fmt, ...)
{
	const struct profile *prof = sw->metrics.prof;
	uint64_t now = sw_metrics_now(sw);
	char who[16], line[256];
	size_t n;
	va_list ap;

	if (!sw->cfg.events)
		return;
	if (client == 0)
		snprintf(who, sizeof(who), "%s", sw->cfg.virtualization ? "hv" : "nw");
	else
		snprintf(who, sizeof(who), "vm%u", client - 1);
	if (prof)
		n = (size_t)snprintf(line, sizeof(line), "%12.3f us  %-5s ",
				     profile_cycles_to_ns(prof, now) / 1000.0, who);
	else
		n = (size_t)snprintf(line, sizeof(line), "%12llu     %-5s ",
				     (unsigned long long)now, who);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	/*
	 * One write per line: under `teeshm run` the guests print their copies
	 * on the same stderr, and a line written piecemeal would be cut by theirs.
	 */
	n = strlen(line);
	line[n++] = '\n';
	fwrite(line, 1, n, sw->cfg.events);
}
