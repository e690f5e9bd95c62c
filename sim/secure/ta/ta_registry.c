/* The TAs the secure world knows, found by UUID, and UUID <-> octets as OP-TEE spells them. */
#include "sim/secure/ta/ta.h"

#include <string.h>

static const struct ta_ops *const all_tas[] = {
	&ta_echo_ops,
	&ta_storage_ops,
	&ta_bigload_ops,
};

static bool uuid_eq(const struct ta_uuid *a, const struct ta_uuid *b)
{
	return a->time_low == b->time_low && a->time_mid == b->time_mid &&
	       a->time_hi_and_version == b->time_hi_and_version &&
	       !memcmp(a->clock_seq_and_node, b->clock_seq_and_node, sizeof(a->clock_seq_and_node));
}

const struct ta_ops *ta_find(const struct ta_uuid *uuid)
{
	size_t i;

	for (i = 0; i < sizeof(all_tas) / sizeof(all_tas[0]); i++)
		if (uuid_eq(&all_tas[i]->uuid, uuid))
			return all_tas[i];
	return NULL;
}

void ta_uuid_from_octets(struct ta_uuid *u, const uint8_t o[16])
{
	u->time_low = (uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 | (uint32_t)o[2] << 8 | o[3];
	u->time_mid = (uint16_t)(o[4] << 8 | o[5]);
	u->time_hi_and_version = (uint16_t)(o[6] << 8 | o[7]);
	memcpy(u->clock_seq_and_node, o + 8, 8);
}
