/*
 * offsets.c -- committed group offsets in the metadata database.
 *
 * Keys are 'G' + group + 0x00 + topic id + partition (keys.h), so one
 * group's entries are contiguous and listing groups is one Seek per group.
 * Writes hold admin_mu from resolving the topic to writing the batch, so a
 * concurrent topic deletion cannot leave an entry under a dead id.
 */
#include "offsets.h"

#include <string.h>

#include "alloc.h"
#include "endian.h"
#include "store_int.h"

static bool
group_valid(const char *group)
{
	return group != NULL && group[0] != '\0' &&
	    strlen(group) <= EVLS_NAME_MAX;
}

/* Resolves topic, partition to the topic id.  Call with mu held. */
static int
group_tid(evls_store *s, const char *topic, uint32_t partition, uint32_t *tid)
{
	evls_topic *t;
	evls_part  *p;
	int         rv = evls_part_find(s, topic, partition, &t, &p);
	if (rv == 0)
		*tid = t->id;
	return rv;
}

int
evls_group_commit(evls_store *s, const char *group,
    const evls_group_offset *o, size_t n)
{
	uint8_t  k[EVLS_GROUPKEY_MAX];
	uint8_t *v = NULL;
	size_t   vcap = 0;
	int      rv   = 0;

	if (!group_valid(group))
		return EVL_EBADNAME;
	if (o == NULL || n == 0)
		return EVL_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (o[i].offset < 0 || o[i].meta_len > EVLS_GROUP_META_MAX ||
		    (o[i].meta == NULL && o[i].meta_len > 0))
			return EVL_EINVAL;

	leveldb_writebatch_t *b = leveldb_writebatch_create();
	pthread_mutex_lock(&s->admin_mu);
	for (size_t i = 0; rv == 0 && i < n; i++) {
		uint32_t tid;
		pthread_mutex_lock(&s->mu);
		rv = group_tid(s, o[i].topic, o[i].partition, &tid);
		pthread_mutex_unlock(&s->mu);
		if (rv != 0)
			break;
		if (vcap < 8 + o[i].meta_len) {
			uint8_t *nv = evlp_realloc(v, 8 + o[i].meta_len);
			if (nv == NULL) {
				rv = EVL_ENOMEM;
				break;
			}
			v    = nv;
			vcap = 8 + o[i].meta_len;
		}
		evlp_put_u64(v, (uint64_t) o[i].offset);
		if (o[i].meta_len > 0)
			memcpy(v + 8, o[i].meta, o[i].meta_len);
		size_t klen = evls_key_group(k, group, true, tid, o[i].partition);
		leveldb_writebatch_put(
		    b, (char *) k, klen, (char *) v, 8 + o[i].meta_len);
	}
	if (rv == 0)
		rv = evls_db_write(&s->meta, b,
		    s->opt.fsync == EVLS_FSYNC_ALWAYS, "commit group offsets");
	if (rv == 0 && s->opt.fsync == EVLS_FSYNC_INTERVAL) {
		pthread_mutex_lock(&s->mu);
		evls_meta_dirty(s);
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_unlock(&s->admin_mu);
	leveldb_writebatch_destroy(b);
	evlp_free(v);
	return rv;
}

int
evls_group_fetch(evls_store *s, const char *group, const char *topic,
    uint32_t partition, int64_t *offset, void **meta, size_t *meta_len)
{
	uint8_t  k[EVLS_GROUPKEY_MAX];
	uint32_t tid;
	char    *val;
	size_t   vlen;
	void    *m = NULL;

	if (!group_valid(group))
		return EVL_EBADNAME;
	pthread_mutex_lock(&s->mu);
	int rv = group_tid(s, topic, partition, &tid);
	pthread_mutex_unlock(&s->mu);
	if (rv != 0)
		return rv;
	size_t klen = evls_key_group(k, group, true, tid, partition);
	rv          = evls_db_get(&s->meta, k, klen, &val, &vlen);
	if (rv == EVL_ENOTFOUND) {
		*offset = -1;
		if (meta != NULL)
			*meta = NULL;
		if (meta_len != NULL)
			*meta_len = 0;
		return 0;
	}
	if (rv != 0)
		return rv;
	if (vlen < 8) {
		leveldb_free(val);
		return EVL_ECORRUPT;
	}
	if (meta != NULL && vlen > 8 &&
	    (m = evlp_memdup(val + 8, vlen - 8)) == NULL) {
		leveldb_free(val);
		return EVL_ENOMEM;
	}
	*offset = (int64_t) evlp_get_u64((uint8_t *) val);
	if (meta != NULL)
		*meta = m;
	if (meta_len != NULL)
		*meta_len = vlen - 8;
	leveldb_free(val);
	return 0;
}

void
evls_group_list_free(char **list, size_t n)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		evlp_free(list[i]);
	evlp_free(list);
}

int
evls_group_list(evls_store *s, char ***out, size_t *n)
{
	char              **l = NULL;
	size_t              cnt = 0, cap = 0;
	int                 rv  = 0;
	uint8_t             g   = EVLS_KEY_GROUP;
	leveldb_iterator_t *it  = evls_db_iter(&s->meta);

	leveldb_iter_seek(it, (char *) &g, 1);
	while (rv == 0 && evls_db_iter_has_prefix(it, &g, 1)) {
		size_t      klen;
		const char *k   = leveldb_iter_key(it, &klen);
		const char *end = memchr(k + 1, 0, klen - 1);
		if (end == NULL || end == k + 1) {
			rv = EVL_ECORRUPT;
			break;
		}
		size_t glen = (size_t) (end - (k + 1));
		if (cnt == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			char **nl   = evlp_realloc(l, sizeof(*nl) * ncap);
			if (nl == NULL) {
				rv = EVL_ENOMEM;
				break;
			}
			l   = nl;
			cap = ncap;
		}
		if ((l[cnt] = evlp_alloc(glen + 1)) == NULL) {
			rv = EVL_ENOMEM;
			break;
		}
		memcpy(l[cnt], k + 1, glen);
		l[cnt][glen] = '\0';
		/* Skip the rest of this group: 'G' + name + 0x01 sorts after
		 * all of its keys and before any other group's. */
		uint8_t next[EVLS_GROUPKEY_MAX];
		size_t  nlen = evls_key_group(next, l[cnt++], false, 0, 0);
		next[nlen - 1] = 1;
		leveldb_iter_seek(it, (char *) next, nlen);
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, "list groups");
	leveldb_iter_destroy(it);
	if (rv != 0) {
		evls_group_list_free(l, cnt);
		return rv;
	}
	*out = cnt ? l : NULL;
	*n   = cnt;
	if (cnt == 0)
		evlp_free(l);
	return 0;
}

void
evls_group_entries_free(evls_group_entry *list, size_t n)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		evlp_free(list[i].topic);
	evlp_free(list);
}

int
evls_group_offsets(
    evls_store *s, const char *group, evls_group_entry **out, size_t *n)
{
	uint8_t             pfx[EVLS_GROUPKEY_MAX];
	evls_group_entry   *l = NULL;
	size_t              cnt = 0, cap = 0;
	int                 rv  = 0;
	leveldb_iterator_t *it;

	if (!group_valid(group))
		return EVL_EBADNAME;
	size_t plen = evls_key_group(pfx, group, false, 0, 0);
	it          = evls_db_iter(&s->meta);
	leveldb_iter_seek(it, (char *) pfx, plen);
	for (; rv == 0 && evls_db_iter_has_prefix(it, pfx, plen);
	     leveldb_iter_next(it)) {
		size_t         klen, vlen;
		const uint8_t *k = (const uint8_t *) leveldb_iter_key(it, &klen);
		const uint8_t *v =
		    (const uint8_t *) leveldb_iter_value(it, &vlen);
		if (klen != plen + 8 || vlen < 8) {
			rv = EVL_ECORRUPT;
			break;
		}
		pthread_mutex_lock(&s->mu);
		evls_topic *t    = evls_topic_by_id(s, evlp_get_u32(k + plen));
		char       *name = t ? evlp_strdup(t->name) : NULL;
		pthread_mutex_unlock(&s->mu);
		if (t == NULL)
			continue; /* its topic is being deleted */
		if (name == NULL) {
			rv = EVL_ENOMEM;
			break;
		}
		if (cnt == cap) {
			size_t            ncap = cap ? 2 * cap : 8;
			evls_group_entry *nl   = evlp_realloc(l, sizeof(*nl) * ncap);
			if (nl == NULL) {
				evlp_free(name);
				rv = EVL_ENOMEM;
				break;
			}
			l   = nl;
			cap = ncap;
		}
		l[cnt].topic     = name;
		l[cnt].partition = evlp_get_u32(k + plen + 4);
		l[cnt].offset    = (int64_t) evlp_get_u64(v);
		cnt++;
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, "list group offsets");
	leveldb_iter_destroy(it);
	if (rv != 0) {
		evls_group_entries_free(l, cnt);
		return rv;
	}
	if (cnt == 0) {
		evlp_free(l);
		l = NULL;
	}
	*out = l;
	*n   = cnt;
	return 0;
}

int
evls_group_delete(evls_store *s, const char *group)
{
	uint8_t pfx[EVLS_GROUPKEY_MAX];
	size_t  found = 0;
	int     rv;

	if (!group_valid(group))
		return EVL_EBADNAME;
	size_t                plen = evls_key_group(pfx, group, false, 0, 0);
	leveldb_writebatch_t *b    = leveldb_writebatch_create();
	pthread_mutex_lock(&s->admin_mu);
	leveldb_iterator_t *it = evls_db_iter(&s->meta);
	leveldb_iter_seek(it, (char *) pfx, plen);
	for (; evls_db_iter_has_prefix(it, pfx, plen); leveldb_iter_next(it)) {
		size_t      klen;
		const char *k = leveldb_iter_key(it, &klen);
		leveldb_writebatch_delete(b, k, klen);
		found++;
	}
	rv = evls_db_iter_err(it, "delete group");
	leveldb_iter_destroy(it);
	if (rv == 0 && found == 0)
		rv = EVL_ENOGROUP;
	if (rv == 0)
		rv = evls_db_write(&s->meta, b,
		    s->opt.fsync == EVLS_FSYNC_ALWAYS, "delete group");
	if (rv == 0 && s->opt.fsync == EVLS_FSYNC_INTERVAL) {
		pthread_mutex_lock(&s->mu);
		evls_meta_dirty(s);
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_unlock(&s->admin_mu);
	leveldb_writebatch_destroy(b);
	return rv;
}
