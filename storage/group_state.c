/*
 * group_state.c -- consumer group membership records in the metadata
 * database (group_state.h).  Key: 'M' + group name (keys.h).  Writes
 * hold admin_mu like the offset commits, so a group's record and its
 * offsets are never written out of order with a concurrent delete.
 */
#include "group_state.h"

#include <string.h>

#include "alloc.h"
#include "store_int.h"

static size_t
state_key(uint8_t k[1 + EVLS_NAME_MAX], const char *group)
{
	size_t n = strlen(group);
	k[0]     = EVLS_KEY_GROUPSTATE;
	memcpy(k + 1, group, n);
	return n + 1;
}

static bool
group_ok(const char *group)
{
	return group != NULL && group[0] != '\0' &&
	    strlen(group) <= EVLS_NAME_MAX;
}

/* Writes b with the store's commit durability.  Call with admin_mu. */
static int
state_write(evls_store *s, leveldb_writebatch_t *b, const char *what)
{
	int rv = evls_db_write(
	    &s->meta, b, s->opt.fsync == EVLS_FSYNC_ALWAYS, what);
	if (rv == 0 && s->opt.fsync == EVLS_FSYNC_INTERVAL) {
		pthread_mutex_lock(&s->mu);
		evls_meta_dirty(s);
		pthread_mutex_unlock(&s->mu);
	}
	return rv;
}

int
evls_group_state_put(
    evls_store *s, const char *group, const void *v, size_t len)
{
	uint8_t k[1 + EVLS_NAME_MAX];
	int     rv;
	if (!group_ok(group))
		return EVL_EBADNAME;
	if (len > EVLS_GROUP_STATE_MAX || (v == NULL && len > 0))
		return EVL_ETOOBIG;
	size_t                klen = state_key(k, group);
	leveldb_writebatch_t *b    = leveldb_writebatch_create();
	leveldb_writebatch_put(b, (char *) k, klen, v, len);
	pthread_mutex_lock(&s->admin_mu);
	rv = state_write(s, b, "write group state");
	pthread_mutex_unlock(&s->admin_mu);
	leveldb_writebatch_destroy(b);
	return rv;
}

int
evls_group_state_delete(evls_store *s, const char *group)
{
	uint8_t k[1 + EVLS_NAME_MAX];
	int     rv;
	if (!group_ok(group))
		return EVL_EBADNAME;
	size_t                klen = state_key(k, group);
	leveldb_writebatch_t *b    = leveldb_writebatch_create();
	leveldb_writebatch_delete(b, (char *) k, klen);
	pthread_mutex_lock(&s->admin_mu);
	rv = state_write(s, b, "delete group state");
	pthread_mutex_unlock(&s->admin_mu);
	leveldb_writebatch_destroy(b);
	return rv;
}

int
evls_group_state_each(evls_store *s, evls_group_state_fn fn, void *arg)
{
	uint8_t             pfx = EVLS_KEY_GROUPSTATE;
	char                name[EVLS_NAME_MAX + 1];
	int                 rv  = 0;
	leveldb_iterator_t *it  = evls_db_iter(&s->meta);

	leveldb_iter_seek(it, (char *) &pfx, 1);
	for (; rv == 0 && evls_db_iter_has_prefix(it, &pfx, 1);
	     leveldb_iter_next(it)) {
		size_t      klen, vlen;
		const char *k = leveldb_iter_key(it, &klen);
		const char *v = leveldb_iter_value(it, &vlen);
		if (klen < 2 || klen > 1 + EVLS_NAME_MAX ||
		    memchr(k + 1, 0, klen - 1) != NULL) {
			rv = EVL_ECORRUPT;
			break;
		}
		memcpy(name, k + 1, klen - 1);
		name[klen - 1] = '\0';
		rv             = fn(arg, name, v, vlen);
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, "list group states");
	leveldb_iter_destroy(it);
	return rv;
}
