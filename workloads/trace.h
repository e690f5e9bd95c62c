/*
 * Workload traces, format teeshm-trace 1 (docs/trace-format.md): what client
 * programs did through the TEEC API in one or more guest VMs, plus VM
 * lifecycle and hand-made bad input, one operation per line.  This module
 * parses a trace (with FILE:LINE:COL errors, never a crash on bad input),
 * checks it statically (names live, ranges inside blocks, VMs started), and
 * writes it back in canonical form.  The recorder (workloads/record.h) writes
 * traces; the replayer (workloads/replay.h) runs them under any strategy.
 * Host code; no locking.
 */
#ifndef TEESHM_WORKLOADS_TRACE_H
#define TEESHM_WORKLOADS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TRACE_MAGIC "teeshm-trace 1"
#define TRACE_MAX_LINE_BYTES 4096u
#define TRACE_MAX_OPS 1000000u
#define TRACE_MAX_VMS 4096u
#define TRACE_MAX_NAME 65535u          /* sN / mN numbers: 1 .. 65535 */
#define TRACE_MAX_SIZE_BYTES (1ull << 30)
#define TRACE_MAX_PARAMS 4u
#define TRACE_MAX_RAW_WORDS 7u         /* a0 .. a6 */
#define TRACE_MAX_RAW_PAGES 4096u
#define TRACE_CHECKPOINT_MAX 64u       /* with the NUL */

enum trace_verb {
	TRACE_CHECKPOINT,
	TRACE_VM_START,
	TRACE_VM_STOP,
	TRACE_VM_CRASH,
	TRACE_OPEN,
	TRACE_CLOSE,
	TRACE_ALLOC,
	TRACE_REGISTER,
	TRACE_RELEASE,
	TRACE_INVOKE,
	TRACE_SLEEP,
	TRACE_RAW_SMC,
	TRACE_RAW_PAGELIST,
};

/* Directions (bits), as TEEC_MEM_INPUT / TEEC_MEM_OUTPUT. */
#define TRACE_DIR_IN 1u
#define TRACE_DIR_OUT 2u
#define TRACE_DIR_INOUT 3u

enum trace_param_kind {
	TRACE_P_NONE,
	TRACE_P_VALUE,   /* val:DIR[:A[:B]] */
	TRACE_P_TMP,     /* tmp:DIR:SIZE */
	TRACE_P_NULL,    /* null:DIR:SIZE */
	TRACE_P_WHOLE,   /* whole:mN */
	TRACE_P_PART,    /* part:DIR:mN:OFFSET:SIZE */
};

struct trace_param {
	enum trace_param_kind kind;
	uint32_t dir;           /* TRACE_DIR_*; for WHOLE, the block's */
	uint32_t shm;           /* mN for WHOLE / PART */
	uint64_t offset_bytes;  /* PART */
	uint64_t size_bytes;    /* TMP, NULL, PART (WHOLE: the block's size) */
	uint32_t a, b;          /* VALUE */
};

/* The TAs the simulator has, by name (trace_ta_* below). */
enum trace_ta { TRACE_TA_ECHO, TRACE_TA_STORAGE, TRACE_TA_BIGLOAD, TRACE_TA_UUID };

struct trace_op {
	enum trace_verb verb;
	uint32_t line;          /* in the source, for messages */
	uint16_t vm;            /* all but CHECKPOINT */
	uint32_t name;          /* sN (OPEN, CLOSE, INVOKE) or mN (ALLOC, REGISTER, RELEASE) */
	/* OPEN */
	enum trace_ta ta;
	uint8_t uuid[16];       /* the TA's UUID (filled for named TAs too) */
	/* ALLOC, REGISTER, RAW_PAGELIST */
	uint64_t size_bytes;
	uint32_t dir;
	/* INVOKE */
	uint32_t cmd;
	struct trace_param params[TRACE_MAX_PARAMS];
	/* OPEN, ALLOC, REGISTER, INVOKE: the result the recorder saw */
	bool has_expect;
	uint32_t expect;        /* a TEEC result */
	/* SLEEP */
	uint64_t sleep_us;
	/* RAW_SMC: a0 .. a(n-1); RAW_PAGELIST: n page addresses */
	uint64_t raw[TRACE_MAX_RAW_WORDS];
	uint32_t n_raw;
	uint64_t *pages;        /* RAW_PAGELIST, n_pages entries (owned by the trace) */
	uint32_t n_pages;
	/* CHECKPOINT */
	char checkpoint[TRACE_CHECKPOINT_MAX];
};

struct trace {
	char name[256];         /* for messages: the file name given */
	uint64_t seed;          /* data seed: `seed N`, default 1 */
	struct trace_op *ops;
	size_t n_ops;
	uint32_t n_vms;         /* highest VM id used + 1 */
};

/*
 * Parse text (len bytes, need not be NUL-terminated).  0 and *out, or a
 * negative TS_E* code (TS_EINVAL for bad content, TS_E2BIG over a limit,
 * TS_ENOMEM) with "NAME:LINE:COL: message" in err; nothing is allocated then.
 */
int trace_parse(const char *text, size_t len, const char *name, struct trace **out, char *err,
		size_t err_bytes);
/* Read and parse a file (TS_ENOENT / TS_EACCES / TS_EIO naming it when it cannot be read). */
int trace_load(const char *path, struct trace **out, char *err, size_t err_bytes);
void trace_free(struct trace *t);
/* Canonical text: parse(write(t)) equals t.  0, or TS_EIO when the stream fails. */
int trace_write(const struct trace *t, FILE *out);

/* TA names: "echo", "storage", "bigload"; their UUIDs (sim/common/ta_ids.h). */
const char *trace_ta_name(enum trace_ta ta);
/* A command's name for a TA ("transform", ...), or NULL when it has none. */
const char *trace_cmd_name(enum trace_ta ta, uint32_t cmd);

#endif
