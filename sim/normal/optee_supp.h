/*
 * The tee-supplicant of the normal world, in miniature: the services the
 * secure world asks of user space through OPTEE_RPC_CMD_LOAD_TA and
 * OPTEE_RPC_CMD_FS, as sim/common/ta_ids.h defines them.  TA images are
 * generated (the bigload TA's from TEESHM_TA_IMAGE_BYTE); the file system is
 * an in-memory object store keyed by object id, one per driver.  Thread safe.
 */
#ifndef TEESHM_NORMAL_OPTEE_SUPP_H
#define TEESHM_NORMAL_OPTEE_SUPP_H

#include <stddef.h>
#include <stdint.h>

#include "sim/common/tee_result.h"

struct optee_supp;
struct optee_shm;

/* Largest object the store keeps. */
#define OPTEE_SUPP_MAX_OBJECT_BYTES ((size_t)16 << 20)

/* A memref as an RPC hands it over; shm NULL is a NULL memref. */
struct optee_supp_memref {
	struct optee_shm *shm;
	size_t offs_bytes;
	size_t size_bytes; /* in: room; out: size the service reports */
};

int optee_supp_create(struct optee_supp **out);
void optee_supp_destroy(struct optee_supp *supp);
size_t optee_supp_n_objects(struct optee_supp *supp);

/*
 * LOAD_TA: set mr->size_bytes to the image size; copy the image only when the
 * memref is big enough (a NULL or small memref is a size query, as
 * tee-supplicant answers it).  Unknown UUID: TEE_ERROR_ITEM_NOT_FOUND.
 */
TEE_Result optee_supp_load_ta(struct optee_supp *supp, const uint8_t uuid[16],
			      struct optee_supp_memref *mr);

/*
 * FS (TEESHM_FS_WRITE: store the memref's bytes as object_id, replacing it;
 * TEESHM_FS_READ: copy the object and report its size; a memref too small for
 * it, or NULL, gets only the size and TEE_ERROR_SHORT_BUFFER).
 * Unknown object: ITEM_NOT_FOUND; unknown sub-command: NOT_SUPPORTED.
 */
TEE_Result optee_supp_fs(struct optee_supp *supp, uint64_t subcmd, uint64_t object_id,
			 struct optee_supp_memref *mr);

#endif
