/*
 * Sessions: which client opened which TA, and the TA's per-session state.
 *
 * A fixed table of max_sessions slots.  A session id names its slot in the
 * low bits and a per-slot generation in the high bits, so lookup is O(1) and
 * a stale id (closed session, slot reused) is not mistaken for the new one.
 * A session is busy while a call (open, invoke, close) runs in it: another
 * call gets TEE_ERROR_BUSY rather than sharing a single-threaded TA.
 */
#ifndef TEESHM_SECURE_SW_SESSION_H
#define TEESHM_SECURE_SW_SESSION_H

#include <stdbool.h>
#include <stdint.h>

struct ta_ops;

struct sw_session {
	uint32_t id;          /* 0: free slot */
	uint16_t client;
	bool busy;
	bool opened;          /* the TA's open entry succeeded */
	bool cancel_requested;
	uint32_t generation;
	uint32_t login;
	uint8_t client_uuid[16];
	const struct ta_ops *ta;
	void *ta_ctx;
};

struct sw_session_table {
	struct sw_session *slots;
	uint32_t n_slots;
	uint32_t slot_bits;
	uint32_t n_used;
};

int sw_session_table_init(struct sw_session_table *t, uint32_t max_sessions);
void sw_session_table_fini(struct sw_session_table *t);
/* A fresh busy session of client, or NULL when the table is full. */
struct sw_session *sw_session_alloc(struct sw_session_table *t, uint16_t client,
				    const struct ta_ops *ta);
/* The session with this id if it belongs to client, else NULL. */
struct sw_session *sw_session_find(struct sw_session_table *t, uint16_t client, uint32_t id);
void sw_session_free(struct sw_session_table *t, struct sw_session *s);

#endif
