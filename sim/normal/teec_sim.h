/*
 * teeshm's own additions around the GP TEE Client API (tee_client_api.h
 * stays GP-exact): which driver TEEC_InitializeContext connects to.
 *
 * A guest's main sets the process-default driver once, before client code
 * runs, as booting Linux with the optee driver probed makes /dev/tee0 exist;
 * TEEC_InitializeContext then connects any name (NULL included) to it, as
 * libteec accepts any name and opens the first TEE device.
 */
#ifndef TEESHM_NORMAL_TEEC_SIM_H
#define TEESHM_NORMAL_TEEC_SIM_H

#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"

/* Set (or with NULL clear) the driver new contexts use.  Contexts already open keep theirs. */
void teec_set_default_driver(struct optee_drv *drv);
struct optee_drv *teec_get_default_driver(void);
/* The driver an initialized context runs on, or NULL. */
struct optee_drv *teec_context_driver(const TEEC_Context *ctx);

/* Sessions and shared memory blocks a context still holds (0 and 0 after a clean client). */
void teec_context_counts(TEEC_Context *ctx, size_t *sessions, size_t *shms);

#endif
