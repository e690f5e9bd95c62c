/*
 * The set of SMC mailboxes of one simulation, in one memfd every process
 * maps: mailbox i joins two specific processes (the launcher decides which:
 * guest i <-> hypervisor, hypervisor <-> secure world for guest i, or a lone
 * normal world <-> secure world).  Host code.
 */
#ifndef TEESHM_COMMON_CHANNELS_H
#define TEESHM_COMMON_CHANNELS_H

#include <stdint.h>

#include "sim/common/smc_channel.h"

struct channels {
	int fd;
	uint32_t n;
	size_t stride_bytes;
	uint8_t *base;
};

/* Create n initialised mailboxes in a fresh memfd (the creator closes it with channels_close). */
int channels_create(uint32_t n, struct channels *ch);
/* Map an inherited memfd of n mailboxes; checks its size and every mailbox's header. */
int channels_adopt(int fd, uint32_t n, struct channels *ch);
void channels_close(struct channels *ch);

/* Mailbox i (attached), or NULL if i is out of range. */
struct smc_mailbox *channels_mailbox(const struct channels *ch, uint32_t i);

#endif
