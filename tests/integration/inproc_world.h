/*
 * The in-process worlds the integration tests run on, brought up and torn
 * down in one place: simulated DRAM, the real secure world under one
 * strategy, and either a lone normal world (client 0: its guest RAM, SMC
 * conduits straight into sw_smc, the OP-TEE driver, optionally a TEEC
 * session) or a hypervisor (the non-secure view, the mediator, and per guest
 * a scattered stage-2 map, its RAM mapped here, conduits through the
 * mediator and a driver).
 *
 * Only plumbing lives here.  What a test asserts about its world -- the
 * books it expects closed at the end -- stays in the test, between the
 * *_down steps.  Setup failures fail the running test (cmocka asserts, with
 * the secure world's or the driver's message); teardown asserts only that
 * its own steps succeed.
 */
#ifndef TEESHM_TESTS_INPROC_WORLD_H
#define TEESHM_TESTS_INPROC_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/common/dram.h"
#include "sim/common/smc_channel.h"
#include "sim/common/stage2.h"
#include "sim/common/strategy.h"
#include "sim/hv/mediator.h"
#include "sim/normal/guest_mem.h"
#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"
#include "sim/secure/secure_world.h"

#define INPROC_MAX_CPUS 8
#define INPROC_MAX_GUESTS 4

/*
 * Puts something between a CPU (or a guest's mediator) and the secure world
 * -- counting, gating, spying: returns the conduit to use instead of inner.
 * i is the CPU index (lone world) or the guest id (hypervisor).
 */
typedef struct smc_conduit (*inproc_wrap_fn)(void *ctx, size_t i, struct smc_conduit inner);

/* ---- A lone normal world (client 0, no hypervisor: its IPAs are PAs) ---- */

struct inproc_lone_cfg {
	struct strategy_params params; /* both halves run strategy params.id with these */
	struct sw_config sw;       /* secure world knobs; its strategy fields come from params */
	uint64_t guest_ram_bytes;
	size_t n_cpus;             /* 1..INPROC_MAX_CPUS conduits, one per simulated CPU */
	bool no_rpc_arg;           /* the driver uses CALL_WITH_ARG (RPC args by RPC_ALLOC) */
	bool map_carveout;         /* the guest also maps the static carveout; the driver gets it */
	inproc_wrap_fn wrap_cpu;   /* NULL: the CPUs call sw_smc directly */
	void *wrap_ctx;
};

/* strategy_params_default(strategy), sw_config_default(), 16 MiB of guest RAM, one CPU. */
void inproc_lone_cfg_default(struct inproc_lone_cfg *cfg, enum strategy_id strategy);

struct inproc_lone {
	struct dram *dram;
	struct secure_world *sw;
	struct dram_view *view;          /* the guest's: its RAM (and the carveout, if mapped) */
	struct guest_mem gm;
	const struct dram_region *carveout;
	uint8_t *carveout_host;          /* NULL unless map_carveout */
	struct strategy_params params;   /* what both halves run */
	struct smc_inproc inproc[INPROC_MAX_CPUS];
	struct smc_conduit cpu[INPROC_MAX_CPUS]; /* what the driver calls (wrapped, if asked) */
	size_t n_cpus;
	struct optee_drv *drv;           /* also the default TEEC driver while up */
	TEEC_Context ctx;                /* with sess: see inproc_lone_open_session */
	TEEC_Session sess;
	bool session_open;
};

/* Bring the worlds up; the driver is the default TEEC driver on return. */
void inproc_lone_up(struct inproc_lone *w, const struct inproc_lone_cfg *cfg);
/* A TEEC context and a session (public login) on uuid, in w->ctx and w->sess. */
void inproc_lone_open_session(struct inproc_lone *w, const TEEC_UUID *uuid);
/* The client leaves: that session and context closed (if open), no default TEEC driver. */
void inproc_lone_client_down(struct inproc_lone *w);
/* The driver leaves (optee_drv_destroy); w->drv is NULL afterwards. */
void inproc_lone_drv_down(struct inproc_lone *w);
/* Whatever of the above is still up, then guest RAM, the view, the secure world, DRAM. */
void inproc_lone_down(struct inproc_lone *w);

/* A session (public login) on uuid in ctx; says why on failure. */
void inproc_open_session(TEEC_Context *ctx, TEEC_Session *s, const TEEC_UUID *uuid);
/* A TEEC context on the default driver and a session (public login) on uuid. */
void inproc_teec_open(TEEC_Context *ctx, TEEC_Session *s, const TEEC_UUID *uuid);

/* ---- A hypervisor and its guests (client id = guest id + 1) ---- */

struct inproc_hv_cfg {
	struct strategy_params params; /* the secure world and every driver run params.id */
	struct sw_config sw;       /* strategy, virtualization and max_guests are set for it */
	uint32_t n_guests;         /* 1..INPROC_MAX_GUESTS */
	uint64_t guest_ram_bytes;  /* each guest */
};

/* strategy_params_default(strategy), sw_config_default(), 2 guests of 16 MiB. */
void inproc_hv_cfg_default(struct inproc_hv_cfg *cfg, enum strategy_id strategy);

struct inproc_guest_cfg {
	uint64_t s2_seed;          /* how stage2_build scatters the guest's pages */
	bool no_rpc_arg;
	void *carveout_host;       /* for the carveout strategy: the guest's part, mapped here */
	inproc_wrap_fn wrap_to_sw; /* NULL: the mediator calls sw_smc directly */
	void *wrap_ctx;
};

struct inproc_guest {
	struct stage2_map s2;
	void *ram_host;                  /* its RAM, mapped here through s2 */
	struct guest_mem gm;
	struct smc_inproc to_sw_p, from_guest_p;
	struct smc_conduit to_sw;        /* the mediator's conduit to the secure world */
	struct smc_conduit from_guest;   /* the guest's CPU: into the mediator */
	struct hv_guest *hg;             /* NULL once removed */
	struct optee_drv *drv;           /* NULL once destroyed */
	bool up;
};

struct inproc_hv {
	struct dram *dram;
	struct dram_view *ns;            /* the hypervisor's view: all non-secure memory */
	struct secure_world *sw;
	struct hv_mediator *med;
	struct strategy_params params;   /* what the secure world and every driver run */
	uint32_t n_guests;
	struct inproc_guest g[INPROC_MAX_GUESTS];
};

/* DRAM, the non-secure view, the secure world (virtualized) and the mediator; no guest yet. */
void inproc_hv_up(struct inproc_hv *hv, const struct inproc_hv_cfg *cfg);
/* Guest id (< n_guests) boots: stage-2 map, RAM, conduits, hv_guest_add, its driver. */
void inproc_hv_guest_up(struct inproc_hv *hv, uint32_t id, const struct inproc_guest_cfg *cfg);
/* The guest leaves: its driver destroyed, then it is removed from the mediator (if still there). */
void inproc_hv_guest_leave(struct inproc_hv *hv, uint32_t id);
/* The guest's machine is gone: every SMC its driver makes answers UNKNOWN_FUNCTION. */
void inproc_hv_guest_orphan(struct inproc_hv *hv, uint32_t id);
/* Every guest left and its memory unmapped, then the mediator, the secure world, DRAM. */
void inproc_hv_down(struct inproc_hv *hv);

/* The echo TA's checksum of n bytes (p2.b of TRANSFORM). */
uint32_t inproc_sum_bytes(const uint8_t *p, size_t n);
/* The tests' data pattern: n bytes that differ with seed and along the buffer. */
void inproc_fill(uint8_t *p, size_t n, unsigned seed);
/*
 * Echo TRANSFORM of in[0, n) (TEMP input) into out (TEMP output offering
 * n + 50 bytes, zeroed here); asserts the TA's success, the size written
 * back, every byte (in ^ 0xA5), that nothing past n was copied back, the
 * value (a + 1) and the checksum.
 */
void inproc_transform_temp(TEEC_Session *s, const uint8_t *in, uint8_t *out, size_t n);
/* Echo INC_INPLACE on io[0, n) (TEMP inout), filled here with seed: every byte comes back + 1. */
void inproc_inc_inplace_temp(TEEC_Session *s, uint8_t *io, size_t n, unsigned seed);
/*
 * Echo TRANSFORM from [ioff, ioff + n) of in_shm into out_shm at ooff (room
 * bytes offered), by the given WHOLE / PARTIAL memref types; asserts success,
 * the size written back, every byte (in ^ 0xA5) and the checksum.
 */
void inproc_transform_memref(TEEC_Session *s, uint32_t in_type, TEEC_SharedMemory *in_shm,
			     size_t ioff, size_t n, uint32_t out_type, TEEC_SharedMemory *out_shm,
			     size_t ooff, size_t room);

/*
 * The storage TA's WRITE (buf in) or READ (buf out) of object id through a
 * TEMP memref of *size bytes; *size gets the size the TA wrote back.
 */
TEEC_Result inproc_storage_io(TEEC_Session *s, uint32_t cmd, uint32_t id, void *buf, size_t *size,
			      uint32_t *origin);
/*
 * Object id holds data[0, n) (n > 100): it reads back whole into back (room
 * for n + 100), a 100-byte buffer is SHORT_BUFFER with the size n, and
 * object id + 1 does not exist.
 */
void inproc_storage_check(TEEC_Session *s, uint32_t id, const uint8_t *data, size_t n,
			  uint8_t *back);

#endif
