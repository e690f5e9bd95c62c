/* The supplicant's TA loader and object store (see optee_supp.h). */
#define _POSIX_C_SOURCE 200809L
#include "sim/normal/optee_supp.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/ta_ids.h"
#include "sim/common/ts_err.h"
#include "sim/normal/optee_drv.h"

struct supp_object {
	struct supp_object *next;
	uint64_t id;
	size_t size_bytes;
	uint8_t *data;
};

struct optee_supp {
	pthread_mutex_t lock;
	struct supp_object *objects;
	size_t n_objects;
};

int optee_supp_create(struct optee_supp **out)
{
	struct optee_supp *s = calloc(1, sizeof(*s));

	if (!s)
		return TS_ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
	return 0;
}

void optee_supp_destroy(struct optee_supp *s)
{
	struct supp_object *o, *next;

	if (!s)
		return;
	for (o = s->objects; o; o = next) {
		next = o->next;
		free(o->data);
		free(o);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

size_t optee_supp_n_objects(struct optee_supp *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->n_objects;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static bool uuid_is(const uint8_t uuid[16], struct ta_uuid u)
{
	uint8_t o[16];

	optee_uuid_to_octets(o, u.time_low, u.time_mid, u.time_hi_and_version,
			     u.clock_seq_and_node);
	return memcmp(o, uuid, 16) == 0;
}

TEE_Result optee_supp_load_ta(struct optee_supp *supp, const uint8_t uuid[16],
			      struct optee_supp_memref *mr)
{
	const struct ta_uuid bigload = TA_BIGLOAD_UUID;
	const size_t image = TEESHM_BIGLOAD_IMAGE_BYTES;
	uint8_t chunk[4096];
	size_t done;

	(void)supp;
	if (!uuid_is(uuid, bigload))
		return TEE_ERROR_ITEM_NOT_FOUND;
	if (mr->shm && mr->size_bytes >= image) {
		/* Generate the image a page at a time straight into the buffer. */
		for (done = 0; done < image; done += sizeof(chunk)) {
			size_t n = image - done < sizeof(chunk) ? image - done : sizeof(chunk), i;

			for (i = 0; i < n; i++)
				chunk[i] = TEESHM_TA_IMAGE_BYTE(done + i);
			if (optee_shm_write(mr->shm, mr->offs_bytes + done, chunk, n))
				return TEE_ERROR_BAD_PARAMETERS;
		}
	}
	mr->size_bytes = image;
	return TEE_SUCCESS;
}

static struct supp_object **find_locked(struct optee_supp *s, uint64_t id)
{
	struct supp_object **pp;

	for (pp = &s->objects; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id)
			break;
	return pp;
}

static TEE_Result fs_write(struct optee_supp *s, uint64_t id, struct optee_supp_memref *mr)
{
	struct supp_object **pp, *o;
	uint8_t *data = NULL;
	size_t n = mr->shm ? mr->size_bytes : 0;

	if (n > OPTEE_SUPP_MAX_OBJECT_BYTES)
		return TEE_ERROR_STORAGE_NO_SPACE;
	if (n) {
		data = malloc(n);
		if (!data)
			return TEE_ERROR_OUT_OF_MEMORY;
		if (optee_shm_read(mr->shm, mr->offs_bytes, data, n)) {
			free(data);
			return TEE_ERROR_BAD_PARAMETERS;
		}
	}
	pthread_mutex_lock(&s->lock);
	pp = find_locked(s, id);
	o = *pp;
	if (!o) {
		o = calloc(1, sizeof(*o));
		if (!o) {
			pthread_mutex_unlock(&s->lock);
			free(data);
			return TEE_ERROR_OUT_OF_MEMORY;
		}
		o->id = id;
		*pp = o;
		s->n_objects++;
	}
	free(o->data);
	o->data = data;
	o->size_bytes = n;
	pthread_mutex_unlock(&s->lock);
	return TEE_SUCCESS;
}

static TEE_Result fs_read(struct optee_supp *s, uint64_t id, struct optee_supp_memref *mr)
{
	struct supp_object *o;
	TEE_Result res = TEE_SUCCESS;

	pthread_mutex_lock(&s->lock);
	o = *find_locked(s, id);
	if (!o) {
		res = TEE_ERROR_ITEM_NOT_FOUND;
	} else {
		size_t room = mr->shm ? mr->size_bytes : 0;

		/* Too small (or NULL, a size query): report the size, copy nothing. */
		if (o->size_bytes > room)
			res = TEE_ERROR_SHORT_BUFFER;
		else if (o->size_bytes &&
			 optee_shm_write(mr->shm, mr->offs_bytes, o->data, o->size_bytes))
			res = TEE_ERROR_BAD_PARAMETERS;
		if (res != TEE_ERROR_BAD_PARAMETERS)
			mr->size_bytes = o->size_bytes;
	}
	pthread_mutex_unlock(&s->lock);
	return res;
}

TEE_Result optee_supp_fs(struct optee_supp *supp, uint64_t subcmd, uint64_t object_id,
			 struct optee_supp_memref *mr)
{
	switch (subcmd) {
	case TEESHM_FS_WRITE:
		return fs_write(supp, object_id, mr);
	case TEESHM_FS_READ:
		return fs_read(supp, object_id, mr);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}
