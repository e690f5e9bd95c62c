/* Session table: O(1) lookup by id, generations against stale ids (see sw_session.h). */
#include "sim/secure/sw_session.h"

#include <stdlib.h>
#include <string.h>

#include "sim/common/ts_err.h"

int sw_session_table_init(struct sw_session_table *t, uint32_t max_sessions)
{
	memset(t, 0, sizeof(*t));
	if (max_sessions == 0 || max_sessions >= (1u << 20))
		return TS_EINVAL;
	t->slots = calloc(max_sessions, sizeof(*t->slots));
	if (!t->slots)
		return TS_ENOMEM;
	t->n_slots = max_sessions;
	/* Slot numbers 1..n_slots fit in slot_bits; id 0 stays "no session". */
	while ((1u << t->slot_bits) <= max_sessions)
		t->slot_bits++;
	return 0;
}

void sw_session_table_fini(struct sw_session_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

struct sw_session *sw_session_alloc(struct sw_session_table *t, uint16_t client,
				    const struct ta_ops *ta)
{
	uint32_t i, gen_mask = (1u << (32 - t->slot_bits)) - 1;

	for (i = 0; i < t->n_slots; i++) {
		struct sw_session *s = &t->slots[i];
		uint32_t gen;

		if (s->id)
			continue;
		gen = (s->generation + 1) & gen_mask;
		*s = (struct sw_session){
			.id = (gen << t->slot_bits) | (i + 1),
			.client = client,
			.busy = true,
			.generation = gen,
			.ta = ta,
		};
		t->n_used++;
		return s;
	}
	return NULL;
}

struct sw_session *sw_session_find(struct sw_session_table *t, uint16_t client, uint32_t id)
{
	uint32_t slot = id & ((1u << t->slot_bits) - 1);
	struct sw_session *s;

	if (slot == 0 || slot > t->n_slots)
		return NULL;
	s = &t->slots[slot - 1];
	return s->id == id && s->client == client ? s : NULL;
}

void sw_session_free(struct sw_session_table *t, struct sw_session *s)
{
	uint32_t gen = s->generation;

	memset(s, 0, sizeof(*s));
	s->generation = gen;
	t->n_used--;
}
