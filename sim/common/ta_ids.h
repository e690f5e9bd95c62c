/*
 * The simulated trusted applications: UUIDs, commands and the contract of
 * each, shared by the secure world (which implements them) and normal-world
 * clients and tests (which call them).  Freestanding.
 *
 * echo (TA_ECHO_UUID): touches every byte of its memrefs through the secure MMU.
 *   TA_ECHO_CMD_TRANSFORM   p0 memref input, p1 memref output (size >= p0's),
 *                           p2 value inout: out[i] = in[i] ^ 0xA5 for i < size(p0);
 *                           p1's size is set to size(p0); p2.a = p2.a + 1, p2.b = sum of input bytes
 *                           (mod 2^32).  Wrong param types -> TEE_ERROR_BAD_PARAMETERS;
 *                           p1 smaller than p0 -> TEE_ERROR_SHORT_BUFFER with p1.size = size(p0).
 *   TA_ECHO_CMD_INC_INPLACE p0 memref inout: every byte += 1.
 *   TA_ECHO_CMD_VALUE       p0 value inout: a = a * 2, b = b + 3 (no memory at all).
 *   TA_ECHO_CMD_TOUCH       any params (what a replayed workload's TA does with its buffers):
 *                           every byte of an input memref is read, of an output memref
 *                           written (0x5A), of an inout memref read and incremented; values
 *                           are left as they are.  A NULL memref is skipped.
 *
 * storage (TA_STORAGE_UUID): keeps objects in the normal world, as OP-TEE's REE FS
 * does, so it needs secure-world buffers from the normal world by RPC.
 *   TA_STORAGE_CMD_WRITE    p0 value input a = object id, p1 memref input data:
 *                           RPC SHM_ALLOC (OPTEE_RPC_SHM_TYPE_APPL, size(p1)), copy the data
 *                           into it, RPC OPTEE_RPC_CMD_FS (value[0].a = TEESHM_FS_WRITE,
 *                           value[0].b = object id, memref[1] = the buffer), RPC SHM_FREE.
 *   TA_STORAGE_CMD_READ     p0 value input a = object id, p1 memref output:
 *                           RPC SHM_ALLOC of size(p1), RPC FS (TEESHM_FS_READ, id, buffer;
 *                           the normal world sets memref[1].size to the object's size),
 *                           copy min(sizes) bytes out, p1.size = object size, RPC SHM_FREE.
 *                           Unknown object -> TEE_ERROR_ITEM_NOT_FOUND.
 *
 * bigload (TA_BIGLOAD_UUID): its image is large, as a real TA's is, so opening a session
 *   loads it by RPC the way OP-TEE does: OPTEE_RPC_CMD_LOAD_TA with value[0] = the UUID
 *   (octets 0..7 in a, 8..15 in b, big-endian as OP-TEE's tee_uuid_to_octets) and a NULL
 *   memref[1] to learn the size; RPC SHM_ALLOC of that size; LOAD_TA again into it; check
 *   the image (TEESHM_TA_IMAGE_BYTE below, all of it); RPC SHM_FREE.
 *   TA_BIGLOAD_CMD_SIZE     p0 value output a = image size seen at load.
 */
#ifndef TEESHM_COMMON_TA_IDS_H
#define TEESHM_COMMON_TA_IDS_H

#include <stdint.h>

struct ta_uuid {
	uint32_t time_low;
	uint16_t time_mid;
	uint16_t time_hi_and_version;
	uint8_t clock_seq_and_node[8];
};

/* The 16 octets the message ABI carries: fields big-endian, as OP-TEE's tee_uuid_to_octets. */
static inline void ta_uuid_to_octets(uint8_t o[16], const struct ta_uuid *u)
{
	unsigned i;

	o[0] = (uint8_t)(u->time_low >> 24);
	o[1] = (uint8_t)(u->time_low >> 16);
	o[2] = (uint8_t)(u->time_low >> 8);
	o[3] = (uint8_t)u->time_low;
	o[4] = (uint8_t)(u->time_mid >> 8);
	o[5] = (uint8_t)u->time_mid;
	o[6] = (uint8_t)(u->time_hi_and_version >> 8);
	o[7] = (uint8_t)u->time_hi_and_version;
	for (i = 0; i < 8; i++)
		o[8 + i] = u->clock_seq_and_node[i];
}

#define TA_ECHO_UUID \
	{ 0x7ee5e000, 0xec40, 0x4c3a, { 0x9f, 0x10, 0x2b, 0x6e, 0x11, 0x5a, 0x00, 0x01 } }
#define TA_STORAGE_UUID \
	{ 0x7ee5e000, 0x5707, 0x4a6e, { 0x8d, 0x21, 0x7c, 0x31, 0x0e, 0x9b, 0x00, 0x02 } }
#define TA_BIGLOAD_UUID \
	{ 0x7ee5e000, 0xb16b, 0x4f0a, { 0xa3, 0x44, 0x5d, 0x08, 0x6c, 0x2f, 0x00, 0x03 } }

#define TA_ECHO_CMD_TRANSFORM 0
#define TA_ECHO_CMD_INC_INPLACE 1
#define TA_ECHO_CMD_VALUE 2
#define TA_ECHO_CMD_TOUCH 3
#define TA_STORAGE_CMD_WRITE 0
#define TA_STORAGE_CMD_READ 1
#define TA_BIGLOAD_CMD_SIZE 0

/* Sub-commands of OPTEE_RPC_CMD_FS as the storage TA uses it (value[0].a). */
#define TEESHM_FS_WRITE 100
#define TEESHM_FS_READ 101

/* The bigload TA's image: this many bytes, byte i = TEESHM_TA_IMAGE_BYTE(i). */
#define TEESHM_BIGLOAD_IMAGE_BYTES (1536u * 1024u)
#define TEESHM_TA_IMAGE_BYTE(i) ((uint8_t)((i) * 13u + ((i) >> 9)))

#endif
