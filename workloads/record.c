/* The trace recorder (see record.h). */
#include "workloads/record.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/ta_ids.h"
#include "sim/common/tee_result.h"
#include "sim/common/ts_err.h"
#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"
#include "workloads/trace.h"

/* A TEEC object (session or block) and the name the trace gives it. */
struct named {
	const void *object;
	uint32_t name;
	uint32_t dir;           /* blocks: TRACE_DIR_* from their flags */
};

struct names {
	struct named *v;
	size_t n, cap;
	uint32_t next;          /* the next name handed out */
};

struct trace_recorder {
	struct optee_drv *drv;
	uint16_t vm;
	FILE *out;
	bool write_failed;
	pthread_mutex_t lock;
	struct names sessions, blocks;
};

static struct named *find(struct names *ns, const void *object)
{
	size_t i;

	for (i = ns->n; i-- > 0;) /* the newest first: a reused address is the live object */
		if (ns->v[i].object == object)
			return &ns->v[i];
	return NULL;
}

/* A new name for object; 0 when out of memory (or names), which the caller records as a failure. */
static uint32_t add(struct names *ns, const void *object, uint32_t dir)
{
	if (ns->next >= TRACE_MAX_NAME)
		return 0;
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? 2 * ns->cap : 16;
		struct named *v = realloc(ns->v, cap * sizeof(*v));

		if (!v)
			return 0;
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n++] = (struct named){ object, ++ns->next, dir };
	return ns->next;
}

static void drop(struct names *ns, struct named *x)
{
	*x = ns->v[--ns->n];
}

static const char *dir_name(uint32_t dir)
{
	return dir == TRACE_DIR_IN ? "in" : dir == TRACE_DIR_OUT ? "out" : "inout";
}

static uint32_t flags_dir(uint32_t flags)
{
	uint32_t d = (flags & TEEC_MEM_INPUT ? TRACE_DIR_IN : 0) |
		     (flags & TEEC_MEM_OUTPUT ? TRACE_DIR_OUT : 0);

	return d ? d : TRACE_DIR_INOUT;
}

/* TEMP/PARTIAL/VALUE direction of a param type (their _INPUT is +0, _OUTPUT +1, _INOUT +2). */
static uint32_t type_dir(uint32_t ty, uint32_t input_type)
{
	return ty == input_type ? TRACE_DIR_IN : ty == input_type + 1 ? TRACE_DIR_OUT : TRACE_DIR_INOUT;
}

static void put_expect(struct trace_recorder *r, uint32_t res)
{
	const char *name = tee_result_name(res);

	if (strstr(name, "unknown"))
		fprintf(r->out, " expect=0x%08x\n", res);
	else
		fprintf(r->out, " expect=%s\n", name);
}

/* The TA by its name when it is one of ours, else its UUID. */
static void put_ta(struct trace_recorder *r, const uint8_t u[16])
{
	static const struct {
		const char *name;
		struct ta_uuid uuid;
	} tas[] = { { "echo", TA_ECHO_UUID }, { "storage", TA_STORAGE_UUID },
		    { "bigload", TA_BIGLOAD_UUID } };
	uint8_t o[16];
	unsigned i;

	for (i = 0; i < sizeof(tas) / sizeof(tas[0]); i++) {
		optee_uuid_to_octets(o, tas[i].uuid.time_low, tas[i].uuid.time_mid,
				     tas[i].uuid.time_hi_and_version, tas[i].uuid.clock_seq_and_node);
		if (!memcmp(o, u, 16)) {
			fputs(tas[i].name, r->out);
			return;
		}
	}
	fprintf(r->out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-", u[0], u[1], u[2], u[3],
		u[4], u[5], u[6], u[7], u[8], u[9]);
	for (i = 10; i < 16; i++)
		fprintf(r->out, "%02x", u[i]);
}

static void put_param(struct trace_recorder *r, const struct optee_trace_op *op, unsigned i)
{
	uint32_t ty = TEEC_PARAM_TYPE_GET(op->param_types, i);
	struct named *b;

	if (ty >= TEEC_VALUE_INPUT && ty <= TEEC_VALUE_INOUT) {
		fprintf(r->out, " val:%s:%u:%u", dir_name(type_dir(ty, TEEC_VALUE_INPUT)),
			(uint32_t)op->param_sizes[i], op->param_values_b[i]);
	} else if (ty >= TEEC_MEMREF_TEMP_INPUT && ty <= TEEC_MEMREF_TEMP_INOUT) {
		fprintf(r->out, " %s:%s:%zu", op->param_null[i] ? "null" : "tmp",
			dir_name(type_dir(ty, TEEC_MEMREF_TEMP_INPUT)), op->param_sizes[i]);
	} else if (ty == TEEC_MEMREF_WHOLE || (ty >= TEEC_MEMREF_PARTIAL_INPUT &&
					       ty <= TEEC_MEMREF_PARTIAL_INOUT)) {
		b = find(&r->blocks, op->param_parents[i]);
		if (!b) { /* a block recorded nowhere: the TEEC layer refused the call anyway */
			fprintf(r->out, " none");
		} else if (ty == TEEC_MEMREF_WHOLE) {
			fprintf(r->out, " whole:m%u", b->name);
		} else {
			fprintf(r->out, " part:%s:m%u:%zu:%zu",
				dir_name(type_dir(ty, TEEC_MEMREF_PARTIAL_INPUT)), b->name,
				op->param_offsets[i], op->param_sizes[i]);
		}
	} else {
		fprintf(r->out, " none");
	}
}

static void on_end(void *ctx, const struct optee_trace_op *op)
{
	struct trace_recorder *r = ctx;
	struct named *x;
	unsigned i, last;
	uint32_t name;

	pthread_mutex_lock(&r->lock);
	switch (op->kind) {
	case OPTEE_TRACE_OPEN_SESSION:
		if (!(name = add(&r->sessions, op->object, 0)))
			break;
		fprintf(r->out, "%u open s%u ", r->vm, name);
		put_ta(r, op->uuid);
		put_expect(r, op->result);
		break;
	case OPTEE_TRACE_CLOSE_SESSION:
		if ((x = find(&r->sessions, op->object))) {
			fprintf(r->out, "%u close s%u\n", r->vm, x->name);
			drop(&r->sessions, x);
		}
		break;
	case OPTEE_TRACE_REGISTER_SHM:
	case OPTEE_TRACE_ALLOCATE_SHM:
		if (!(name = add(&r->blocks, op->object, flags_dir(op->shm_flags))))
			break;
		fprintf(r->out, "%u %s m%u %zu %s", r->vm,
			op->kind == OPTEE_TRACE_ALLOCATE_SHM ? "alloc" : "register", name,
			op->shm_size_bytes, dir_name(flags_dir(op->shm_flags)));
		put_expect(r, op->result);
		break;
	case OPTEE_TRACE_RELEASE_SHM:
		if ((x = find(&r->blocks, op->object))) {
			fprintf(r->out, "%u release m%u\n", r->vm, x->name);
			drop(&r->blocks, x);
		}
		break;
	case OPTEE_TRACE_INVOKE:
		if (!(x = find(&r->sessions, op->object)))
			break;
		fprintf(r->out, "%u invoke s%u %u", r->vm, x->name, op->command);
		for (last = 4; last > 0 && !TEEC_PARAM_TYPE_GET(op->param_types, last - 1); last--)
			;
		for (i = 0; i < last; i++)
			put_param(r, op, i);
		put_expect(r, op->result);
		break;
	default: /* contexts are implied; cancellation has no trace op */
		break;
	}
	if (ferror(r->out))
		r->write_failed = true;
	pthread_mutex_unlock(&r->lock);
}

static const struct optee_trace_ops recorder_ops = { .op_end = on_end };

int trace_recorder_attach(struct optee_drv *drv, uint16_t vm, FILE *out, bool header,
			  struct trace_recorder **rec)
{
	struct trace_recorder *r = calloc(1, sizeof(*r));

	*rec = NULL;
	if (!r)
		return TS_ENOMEM;
	r->drv = drv;
	r->vm = vm;
	r->out = out;
	pthread_mutex_init(&r->lock, NULL);
	if (header)
		fprintf(out, "%s\n", TRACE_MAGIC);
	fprintf(out, "%u vm start\n", vm);
	optee_drv_set_trace(drv, &recorder_ops, r);
	*rec = r;
	return 0;
}

int trace_recorder_detach(struct trace_recorder *r, bool crashed)
{
	int rc;

	if (!r)
		return 0;
	optee_drv_set_trace(r->drv, NULL, NULL);
	fprintf(r->out, "%u vm %s\n", r->vm, crashed ? "crash" : "stop");
	rc = r->write_failed || fflush(r->out) || ferror(r->out) ? TS_EIO : 0;
	pthread_mutex_destroy(&r->lock);
	free(r->sessions.v);
	free(r->blocks.v);
	free(r);
	return rc;
}
