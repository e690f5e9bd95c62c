/*
 * Synthetic workload generators (see gen.h).
 *
 * Every VM runs the same program, in phases: vm start, setup (sessions and
 * blocks), main (the invokes), teardown (release and close), vm stop.  A
 * generator supplies the three middle phases as "emit your next op, or say
 * the phase is over" functions; the driver below interleaves the VMs one op
 * at a time and holds each VM at the end of setup and of main until every
 * VM got there, so that what one VM holds is held while the others work
 * (many-sessions needs its 32 clients live at once however they are spread).
 *
 * Randomness: one xorshift64* stream per VM, seeded from the seed and the VM
 * id through splitmix64, so the text depends on nothing but the parameters.
 */
#include "workloads/gen.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/errmsg.h"
#include "sim/common/rng.h"
#include "sim/common/ts_err.h"
#include "workloads/trace.h"

#define KIB 1024ull
#define MIB (1024ull * 1024ull)
#define PAGE_BYTES 4096ull

#define STREAM_MIN_BYTES (4 * KIB)
#define STREAM_MAX_BYTES (256 * KIB)
#define LARGE_MIN_BYTES (2 * MIB) /* exclusive: every size is over 2 MiB */
#define LARGE_MAX_BYTES (8 * MIB)
#define MANY_CLIENTS 32u
#define MANY_BLOCK_BYTES (64 * KIB)
#define REUSE_MAX_BLOCKS 4u

static const uint64_t reuse_block_bytes[] = { 4 * KIB,  8 * KIB,   16 * KIB, 32 * KIB,
					       64 * KIB, 128 * KIB, 256 * KIB };
#define N_REUSE_SIZES (sizeof(reuse_block_bytes) / sizeof(reuse_block_bytes[0]))

static const char *const dir_names[] = { NULL, "in", "out", "inout" };

struct gen_block {
	uint64_t size_bytes;
	uint32_t dir; /* TRACE_DIR_* */
	bool registered;
};

enum gen_phase { PH_START, PH_SETUP, PH_MAIN, PH_TEARDOWN, PH_STOP, PH_DONE };

struct gen_vm {
	uint32_t vm;           /* < TRACE_MAX_VMS */
	uint64_t rng;
	enum gen_phase phase;
	bool waiting;         /* at the end of a phase, until every VM is */
	uint32_t i;           /* ops emitted in the current phase */
	uint32_t invokes;     /* this VM's share of the main phase's invokes */
	uint32_t invokes_done;
	/* reuse-heavy: blocks m1 .. mN */
	uint32_t n_blocks;
	struct gen_block blocks[REUSE_MAX_BLOCKS];
	/* large-buffer: the one registration that may be live, always m1 */
	bool reg_live;
	struct gen_block reg;
	uint32_t reg_invokes_left;
	/* many-sessions: this VM's clients, s1/m1 .. sN/mN */
	uint32_t n_clients;
};

struct gen_ctx {
	FILE *out;
	const struct workload_gen_params *p; /* defaults filled in */
	bool io_failed;
};

struct generator {
	const char *name;
	const char *summary;
	uint32_t default_ops;
	uint32_t max_ops;
	void (*plan)(const struct gen_ctx *c, struct gen_vm *v);
	/* Each emits the phase's next op and returns true, or false when the phase is over. */
	bool (*setup)(struct gen_ctx *c, struct gen_vm *v);
	bool (*main)(struct gen_ctx *c, struct gen_vm *v);
	bool (*teardown)(struct gen_ctx *c, struct gen_vm *v);
};

/* ---- randomness -------------------------------------------------------- */

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}


/* Below bound (> 0); the modulo bias is irrelevant for workloads. */
static uint64_t rng_below(uint64_t *state, uint64_t bound)
{
	return rng_next(state) % bound;
}

/* In [lo, hi]. */
static uint64_t rng_range(uint64_t *state, uint64_t lo, uint64_t hi)
{
	return lo + rng_below(state, hi - lo + 1);
}

static uint32_t rng_dir(uint64_t *state)
{
	return (uint32_t)rng_range(state, TRACE_DIR_IN, TRACE_DIR_INOUT);
}

/* ---- output ------------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static void emit(struct gen_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vfprintf(c->out, fmt, ap) < 0)
		c->io_failed = true;
	va_end(ap);
}

/*
 * " part:DIR:mN:OFF:LEN" over a random range of block b (named mN), in a
 * direction the block allows; half of the offsets page-aligned, as real
 * clients mostly pass.
 */
static void emit_part(struct gen_ctx *c, struct gen_vm *v, uint32_t name,
		      const struct gen_block *b, uint64_t min_len_bytes)
{
	uint32_t dir = b->dir == TRACE_DIR_INOUT ? rng_dir(&v->rng) : b->dir;
	uint64_t len_bytes;
	uint64_t off_bytes;

	if (min_len_bytes > b->size_bytes)
		min_len_bytes = b->size_bytes;
	len_bytes = rng_range(&v->rng, min_len_bytes, b->size_bytes);
	off_bytes = rng_below(&v->rng, b->size_bytes - len_bytes + 1);
	if (rng_below(&v->rng, 2))
		off_bytes -= off_bytes % PAGE_BYTES;
	emit(c, " part:%s:m%" PRIu32 ":%" PRIu64 ":%" PRIu64, dir_names[dir], name, off_bytes,
	     len_bytes);
}

static void emit_block_op(struct gen_ctx *c, const struct gen_vm *v, uint32_t name,
			  const struct gen_block *b)
{
	emit(c, "%u %s m%" PRIu32 " %" PRIu64 " %s\n", v->vm, b->registered ? "register" : "alloc",
	     name, b->size_bytes, dir_names[b->dir]);
}

/* ---- reuse-heavy: a few blocks, each invoked many times ------------------ */

static void reuse_plan(const struct gen_ctx *c, struct gen_vm *v)
{
	uint32_t n;

	(void)c;
	v->n_blocks = (uint32_t)rng_range(&v->rng, 2, REUSE_MAX_BLOCKS);
	for (n = 0; n < v->n_blocks; n++) {
		struct gen_block *b = &v->blocks[n];
		uint64_t pick = rng_below(&v->rng, 4);

		b->size_bytes = reuse_block_bytes[rng_below(&v->rng, N_REUSE_SIZES)];
		/* Mostly both ways, as a buffer reused for requests and answers is. */
		b->dir = pick < 2 ? TRACE_DIR_INOUT : pick == 2 ? TRACE_DIR_IN : TRACE_DIR_OUT;
		b->registered = rng_below(&v->rng, 2);
	}
}

static bool reuse_setup(struct gen_ctx *c, struct gen_vm *v)
{
	if (v->i < 2) {
		emit(c, "%u open s%" PRIu32 " echo\n", v->vm, v->i + 1);
		return true;
	}
	if (v->i - 2 < v->n_blocks) {
		emit_block_op(c, v, v->i - 1, &v->blocks[v->i - 2]);
		return true;
	}
	return false;
}

static void emit_block_param(struct gen_ctx *c, struct gen_vm *v, uint32_t idx)
{
	if (rng_below(&v->rng, 2))
		emit(c, " whole:m%" PRIu32, idx + 1);
	else
		emit_part(c, v, idx + 1, &v->blocks[idx], 1);
}

static bool reuse_main(struct gen_ctx *c, struct gen_vm *v)
{
	uint32_t first;

	if (v->i >= v->invokes)
		return false;
	/* Every block is used once before the random picks, so each sees reuse. */
	first = v->i < v->n_blocks ? v->i : (uint32_t)rng_below(&v->rng, v->n_blocks);
	emit(c, "%u invoke s%u touch", v->vm, (unsigned int)rng_range(&v->rng, 1, 2));
	emit_block_param(c, v, first);
	if (rng_below(&v->rng, 4) == 0) {
		uint32_t other = (first + 1 + (uint32_t)rng_below(&v->rng, v->n_blocks - 1)) %
				 v->n_blocks;

		emit_block_param(c, v, other);
	}
	emit(c, "\n");
	return true;
}

static bool reuse_teardown(struct gen_ctx *c, struct gen_vm *v)
{
	if (v->i < v->n_blocks) {
		emit(c, "%u release m%" PRIu32 "\n", v->vm, v->i + 1);
		return true;
	}
	if (v->i - v->n_blocks < 2) {
		emit(c, "%u close s%" PRIu32 "\n", v->vm, v->i - v->n_blocks + 1);
		return true;
	}
	return false;
}

/* ---- streaming: a fresh TEMP buffer per call ----------------------------- */

static bool one_session_setup(struct gen_ctx *c, struct gen_vm *v)
{
	if (v->i > 0)
		return false;
	emit(c, "%u open s1 echo\n", v->vm);
	return true;
}

static bool one_session_teardown(struct gen_ctx *c, struct gen_vm *v)
{
	if (v->i > 0)
		return false;
	emit(c, "%u close s1\n", v->vm);
	return true;
}

static bool streaming_main(struct gen_ctx *c, struct gen_vm *v)
{
	uint64_t size_bytes;

	if (v->i >= v->invokes)
		return false;
	size_bytes = rng_range(&v->rng, STREAM_MIN_BYTES, STREAM_MAX_BYTES);
	emit(c, "%u invoke s1 touch tmp:%s:%" PRIu64, v->vm, dir_names[rng_dir(&v->rng)],
	     size_bytes);
	/* A third of the calls also take an answer buffer, as a transform does. */
	if (rng_below(&v->rng, 3) == 0)
		emit(c, " tmp:out:%" PRIu64,
		     rng_range(&v->rng, STREAM_MIN_BYTES, STREAM_MAX_BYTES));
	emit(c, "\n");
	return true;
}

/* ---- large-buffer: registrations and TEMP memrefs over 2 MiB -------------- */

static uint64_t large_bytes(uint64_t *rng)
{
	return rng_range(rng, LARGE_MIN_BYTES + 1, LARGE_MAX_BYTES);
}

static bool large_main(struct gen_ctx *c, struct gen_vm *v)
{
	if (v->reg_live && v->reg_invokes_left) {
		emit(c, "%u invoke s1 touch", v->vm);
		if (rng_below(&v->rng, 2))
			emit(c, " whole:m1");
		else
			emit_part(c, v, 1, &v->reg, LARGE_MIN_BYTES + 1);
		emit(c, "\n");
		v->reg_invokes_left--;
		v->invokes_done++;
		return true;
	}
	if (v->reg_live) {
		emit(c, "%u release m1\n", v->vm);
		v->reg_live = false;
		return true;
	}
	if (v->invokes_done >= v->invokes)
		return false;
	if (rng_below(&v->rng, 2)) {
		/* Registered once, used once or twice, released: the big-buffer client. */
		v->reg.size_bytes = large_bytes(&v->rng);
		v->reg.dir = rng_dir(&v->rng);
		v->reg.registered = true;
		v->reg_invokes_left = (uint32_t)rng_range(&v->rng, 1, 2);
		if (v->reg_invokes_left > v->invokes - v->invokes_done)
			v->reg_invokes_left = v->invokes - v->invokes_done;
		v->reg_live = true;
		emit_block_op(c, v, 1, &v->reg);
		return true;
	}
	emit(c, "%u invoke s1 touch tmp:%s:%" PRIu64 "\n", v->vm, dir_names[rng_dir(&v->rng)],
	     large_bytes(&v->rng));
	v->invokes_done++;
	return true;
}

/* ---- many-sessions: 32 clients, each a session and a 64 KiB block -------- */

static bool many_setup(struct gen_ctx *c, struct gen_vm *v)
{
	uint32_t client = v->i / 2 + 1;

	if (v->i >= 2 * v->n_clients)
		return false;
	/* A client process opens its session, then allocates its buffer. */
	if (v->i % 2 == 0)
		emit(c, "%u open s%" PRIu32 " echo\n", v->vm, client);
	else
		emit(c, "%u alloc m%" PRIu32 " %llu inout\n", v->vm, client, MANY_BLOCK_BYTES);
	return true;
}

static bool many_main(struct gen_ctx *c, struct gen_vm *v)
{
	uint32_t client;

	if (v->i >= v->invokes || !v->n_clients)
		return false;
	client = v->i % v->n_clients + 1;
	emit(c, "%u invoke s%" PRIu32 " touch whole:m%" PRIu32 "\n", v->vm, client, client);
	return true;
}

static bool many_teardown(struct gen_ctx *c, struct gen_vm *v)
{
	uint32_t client = v->i / 2 + 1;

	if (v->i >= 2 * v->n_clients)
		return false;
	if (v->i % 2 == 0)
		emit(c, "%u release m%" PRIu32 "\n", v->vm, client);
	else
		emit(c, "%u close s%" PRIu32 "\n", v->vm, client);
	return true;
}

/*
 * Client k (0 .. 31) lives in VM k % vms; invoke t goes to client t % 32, so
 * a VM's share is what its clients get.
 */
static void many_plan(const struct gen_ctx *c, struct gen_vm *v)
{
	uint32_t vms = c->p->vms;
	uint32_t ops = c->p->ops;
	uint32_t k;

	v->n_clients = 0;
	v->invokes = 0;
	for (k = v->vm; k < MANY_CLIENTS; k += vms) {
		v->n_clients++;
		v->invokes += ops / MANY_CLIENTS + (k < ops % MANY_CLIENTS);
	}
}

/* ---- the table and the driver --------------------------------------------- */

static const struct generator generators[] = {
	{ "reuse-heavy", "a few registered/allocated blocks (4 KiB .. 256 KiB) invoked many times",
	  1000, WORKLOAD_GEN_MAX_OPS, reuse_plan, reuse_setup, reuse_main, reuse_teardown },
	{ "streaming", "a fresh TEMP memref of 4 KiB .. 256 KiB per call, nothing reused", 500,
	  WORKLOAD_GEN_MAX_OPS, NULL, one_session_setup, streaming_main, one_session_teardown },
	{ "large-buffer", "registrations and TEMP memrefs over 2 MiB, up to 8 MiB", 16,
	  /* up to three ops per invoke (register, invoke, release) */
	  100000, NULL, one_session_setup, large_main, one_session_teardown },
	{ "many-sessions", "32 clients each holding a session and a 64 KiB allocated block at once",
	  64, WORKLOAD_GEN_MAX_OPS, many_plan, many_setup, many_main, many_teardown },
};
#define N_GENERATORS (sizeof(generators) / sizeof(generators[0]))

static const char *const generator_names[N_GENERATORS + 1] = {
	"reuse-heavy", "streaming", "large-buffer", "many-sessions", NULL
};

const char *const *workload_generator_names(void)
{
	return generator_names;
}

enum gen_step { GEN_EMITTED, GEN_BARRIER, GEN_DONE };

/* One op of VM v, or the news that it reached the end of a phase, or is done. */
static enum gen_step gen_step(struct gen_ctx *c, const struct generator *g, struct gen_vm *v)
{
	for (;;) {
		switch (v->phase) {
		case PH_START:
			emit(c, "%u vm start\n", v->vm);
			v->phase = PH_SETUP;
			v->i = 0;
			return GEN_EMITTED;
		case PH_SETUP:
			if (g->setup(c, v)) {
				v->i++;
				return GEN_EMITTED;
			}
			v->phase = PH_MAIN;
			v->i = 0;
			return GEN_BARRIER;
		case PH_MAIN:
			if (g->main(c, v)) {
				v->i++;
				return GEN_EMITTED;
			}
			v->phase = PH_TEARDOWN;
			v->i = 0;
			return GEN_BARRIER;
		case PH_TEARDOWN:
			if (g->teardown(c, v)) {
				v->i++;
				return GEN_EMITTED;
			}
			v->phase = PH_STOP;
			continue;
		case PH_STOP:
			emit(c, "%u vm stop\n", v->vm);
			v->phase = PH_DONE;
			return GEN_EMITTED;
		case PH_DONE:
			break;
		}
		return GEN_DONE;
	}
}

static void gen_run(struct gen_ctx *c, const struct generator *g, struct gen_vm *vms,
		    uint32_t n_vms)
{
	for (;;) {
		uint32_t not_done = 0;
		uint32_t waiting = 0;
		uint32_t k;

		for (k = 0; k < n_vms; k++) {
			struct gen_vm *v = &vms[k];

			if (v->phase == PH_DONE || v->waiting)
				continue;
			if (gen_step(c, g, v) == GEN_BARRIER)
				v->waiting = true;
		}
		for (k = 0; k < n_vms; k++) {
			if (vms[k].phase == PH_DONE)
				continue;
			not_done++;
			waiting += vms[k].waiting;
		}
		if (!not_done)
			return;
		if (waiting == not_done)
			for (k = 0; k < n_vms; k++)
				vms[k].waiting = false;
	}
}

static const struct generator *find_generator(const char *name)
{
	size_t n;

	for (n = 0; n < N_GENERATORS; n++)
		if (!strcmp(generators[n].name, name))
			return &generators[n];
	return NULL;
}

int workload_generate(const char *name, const struct workload_gen_params *p, FILE *out, char *err,
		      size_t err_bytes)
{
	struct workload_gen_params params = { 0 };
	const struct generator *g;
	struct gen_ctx c;
	struct gen_vm *vms;
	uint32_t k;

	if (!name || !out)
		return ts_errf(err, err_bytes, TS_EINVAL, "workload_generate: no %s",
			       name ? "output stream" : "generator name");
	g = find_generator(name);
	if (!g)
		return ts_errf(err, err_bytes, TS_EINVAL,
			       "unknown workload generator '%s' (known: reuse-heavy, streaming, "
			       "large-buffer, many-sessions)",
			       name);
	if (p)
		params = *p;
	if (!params.vms)
		params.vms = 1;
	if (!params.seed)
		params.seed = 1;
	if (!params.ops)
		params.ops = g->default_ops;
	if (params.vms > TRACE_MAX_VMS)
		return ts_errf(err, err_bytes, TS_EINVAL, "%s: vms %" PRIu32 " out of range 1..%u",
			       name, params.vms, TRACE_MAX_VMS);
	if (params.ops > g->max_ops)
		return ts_errf(err, err_bytes, TS_EINVAL,
			       "%s: ops %" PRIu32 " over the limit %" PRIu32, name, params.ops,
			       g->max_ops);

	vms = calloc(params.vms, sizeof(*vms));
	if (!vms)
		return ts_errf(err, err_bytes, TS_ENOMEM, "%s: no memory for %" PRIu32 " VMs", name,
			       params.vms);
	c.out = out;
	c.p = &params;
	c.io_failed = false;
	for (k = 0; k < params.vms; k++) {
		struct gen_vm *v = &vms[k];

		v->vm = k;
		v->rng = splitmix64(params.seed ^ splitmix64(k + 1));
		if (!v->rng)
			v->rng = 1; /* xorshift never leaves zero */
		v->phase = PH_START;
		v->invokes = params.ops / params.vms + (k < params.ops % params.vms);
		if (g->plan)
			g->plan(&c, v);
	}

	emit(&c, "%s\n", TRACE_MAGIC);
	emit(&c, "# generated by workload_generate: %s vms=%" PRIu32 " seed=%" PRIu64
		 " ops=%" PRIu32 "\n",
	     name, params.vms, params.seed, params.ops);
	emit(&c, "# %s\n", g->summary);
	emit(&c, "seed %" PRIu64 "\n", params.seed);
	gen_run(&c, g, vms, params.vms);
	free(vms);

	if (fflush(out) || ferror(out) || c.io_failed)
		return ts_errf(err, err_bytes, TS_EIO, "%s: writing the trace failed", name);
	return 0;
}
