/*
 * topic.c -- the topic table: create, alter, delete, describe, list, and
 * loading it on open.
 *
 * The table lives in memory (a name-sorted array under mu) and in the
 * metadata database ('T' and 'P' keys, keys.h).  Every change is one
 * synced WriteBatch written before the memory table changes, so a crash
 * leaves either the old or the new topic, never half of one.  Deletion
 * first swaps the 'T' key for a 'D' marker, then sweeps the topic's data
 * in chunks; open finishes a sweep a crash interrupted.
 */
#include "topic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "endian.h"
#include "store_int.h"

/* Entries deleted per WriteBatch when sweeping a topic. */
#define SWEEP_CHUNK 4096

void
evls_topic_config_init(evls_topic_config *c)
{
	c->partitions      = 1;
	c->retention_ms    = -1;
	c->retention_bytes = -1;
	c->key_index       = false;
	c->dedupe_window_ms = 0;
}

static int
topic_config_check(const evls_topic_config *c)
{
	if (c == NULL || c->partitions < 1 ||
	    c->partitions > EVLS_MAX_PARTITIONS || c->retention_ms < -1 ||
	    c->retention_bytes < -1 || c->dedupe_window_ms < 0)
		return EVL_EINVAL;
	return 0;
}

static void
topic_val(uint8_t v[EVLS_TOPICVAL_SIZE], uint32_t tid,
    const evls_topic_config *c)
{
	evlp_put_u32(v, tid);
	evlp_put_u32(v + 4, c->partitions);
	evlp_put_u64(v + 8, (uint64_t) c->retention_ms);
	evlp_put_u64(v + 16, (uint64_t) c->retention_bytes);
	v[24] = c->key_index ? 1 : 0;
	evlp_put_u64(v + 25, (uint64_t) c->dedupe_window_ms);
}

static bool
topic_val_decode(
    const void *v, size_t len, uint32_t *tid, evls_topic_config *c)
{
	const uint8_t *p = v;
	if ((len != EVLS_TOPICVAL_SIZE && len != EVLS_TOPICVAL_V1) || p[24] > 1)
		return false;
	*tid               = evlp_get_u32(p);
	c->partitions      = evlp_get_u32(p + 4);
	c->retention_ms    = (int64_t) evlp_get_u64(p + 8);
	c->retention_bytes = (int64_t) evlp_get_u64(p + 16);
	c->key_index       = p[24] == 1;
	c->dedupe_window_ms =
	    len == EVLS_TOPICVAL_SIZE ? (int64_t) evlp_get_u64(p + 25) : 0;
	return topic_config_check(c) == 0;
}

void
evls_part_put(
    leveldb_writebatch_t *b, uint32_t tid, uint32_t part, const evls_part *p)
{
	uint8_t       k[EVLS_PARTKEY_SIZE], v[EVLS_PARTVAL_SIZE];
	evls_counters c = { p->first, p->next, p->bytes, p->last_time };
	evls_key_part(k, tid, part);
	evls_val_part(v, &c);
	leveldb_writebatch_put(b, (char *) k, sizeof(k), (char *) v, sizeof(v));
}

void
evls_topic_free(evls_topic *t)
{
	if (t == NULL)
		return;
	evlp_free(t->name);
	evlp_free(t->parts);
	evlp_free(t);
}

static evls_topic *
topic_alloc(const char *name, uint32_t tid, const evls_topic_config *c)
{
	evls_topic *t;
	if (EVLP_ALLOC_STRUCT(t) == NULL)
		return NULL;
	t->name   = evlp_strdup(name);
	t->parts  = evlp_zalloc(sizeof(evls_part) * c->partitions);
	t->id     = tid;
	t->config = *c;
	if (t->name == NULL || t->parts == NULL) {
		evls_topic_free(t);
		return NULL;
	}
	return t;
}

/* Index of the first topic whose name is >= name.  Call with mu held. */
static size_t
topic_lower_bound(evls_store *s, const char *name)
{
	size_t lo = 0, hi = s->ntopics;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(s->topics[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

evls_topic *
evls_topic_find(evls_store *s, const char *name)
{
	size_t i = topic_lower_bound(s, name);
	return i < s->ntopics && strcmp(s->topics[i]->name, name) == 0
	    ? s->topics[i]
	    : NULL;
}

evls_topic *
evls_topic_by_id(evls_store *s, uint32_t tid)
{
	for (size_t i = 0; i < s->ntopics; i++)
		if (s->topics[i]->id == tid)
			return s->topics[i];
	return NULL;
}

int
evls_part_find(evls_store *s, const char *topic, uint32_t partition,
    evls_topic **t, evls_part **p)
{
	evls_topic *x = topic ? evls_topic_find(s, topic) : NULL;
	if (x == NULL)
		return EVL_ENOTOPIC;
	if (partition >= x->config.partitions)
		return EVL_ENOPART;
	*t = x;
	*p = &x->parts[partition];
	return 0;
}

/* Makes room for one more topic.  Call with mu held. */
static int
topic_reserve(evls_store *s)
{
	if (s->ntopics < s->topics_cap)
		return 0;
	size_t       cap = s->topics_cap ? 2 * s->topics_cap : 16;
	evls_topic **a   = evlp_realloc(s->topics, sizeof(*a) * cap);
	if (a == NULL)
		return EVL_ENOMEM;
	s->topics     = a;
	s->topics_cap = cap;
	return 0;
}

/* Inserts t in name order.  Call with mu held, after topic_reserve; t's
 * name is not there. */
static void
topic_insert(evls_store *s, evls_topic *t)
{
	size_t i = topic_lower_bound(s, t->name);
	memmove(s->topics + i + 1, s->topics + i,
	    sizeof(*s->topics) * (s->ntopics - i));
	s->topics[i] = t;
	s->ntopics++;
}

int
evls_topic_create(evls_store *s, const char *name, const evls_topic_config *c)
{
	uint8_t     k[1 + EVLS_NAME_MAX], v[EVLS_TOPICVAL_SIZE], sk[2], nv[4];
	evls_topic *t;
	int         rv;

	if (!evls_name_valid(name))
		return EVL_EBADNAME;
	if ((rv = topic_config_check(c)) != 0)
		return rv;
	pthread_mutex_lock(&s->admin_mu);
	pthread_mutex_lock(&s->mu);
	uint32_t tid = s->next_tid;
	/* Reserve the array slot now so the insert after the write cannot
	 * fail (admin_mu: no other insert can take it). */
	rv = evls_topic_find(s, name) ? EVL_ETOPICEXISTS : topic_reserve(s);
	pthread_mutex_unlock(&s->mu);
	if (rv != 0)
		goto out;
	if ((t = topic_alloc(name, tid, c)) == NULL) {
		rv = EVL_ENOMEM;
		goto out;
	}

	leveldb_writebatch_t *b = leveldb_writebatch_create();
	size_t                klen = evls_key_topic(k, name);
	topic_val(v, tid, c);
	leveldb_writebatch_put(b, (char *) k, klen, (char *) v, sizeof(v));
	for (uint32_t i = 0; i < c->partitions; i++)
		evls_part_put(b, tid, i, &t->parts[i]);
	evls_key_singleton(sk, EVLS_S_NEXT_TID);
	evlp_put_u32(nv, tid + 1);
	leveldb_writebatch_put(b, (char *) sk, 2, (char *) nv, 4);
	rv = evls_db_write(&s->meta, b, true, "create topic");
	leveldb_writebatch_destroy(b);
	if (rv != 0) {
		evls_topic_free(t);
		goto out;
	}
	pthread_mutex_lock(&s->mu);
	topic_insert(s, t);
	s->next_tid = tid + 1;
	pthread_mutex_unlock(&s->mu);
out:
	pthread_mutex_unlock(&s->admin_mu);
	return rv;
}

int
evls_topic_alter(evls_store *s, const char *name, const evls_topic_config *c)
{
	uint8_t     k[1 + EVLS_NAME_MAX], v[EVLS_TOPICVAL_SIZE];
	evls_part  *parts = NULL;
	evls_topic *t;
	int         rv;

	if (name == NULL)
		return EVL_ENOTOPIC;
	if ((rv = topic_config_check(c)) != 0)
		return rv;
	pthread_mutex_lock(&s->admin_mu);
	/* commit_mu: the writer must not be using the partition array. */
	pthread_mutex_lock(&s->commit_mu);
	pthread_mutex_lock(&s->mu);
	t = evls_topic_find(s, name);
	pthread_mutex_unlock(&s->mu);
	if (t == NULL) {
		rv = EVL_ENOTOPIC;
		goto out;
	}
	uint32_t had = t->config.partitions;
	if (c->key_index != t->config.key_index || c->partitions < had) {
		rv = EVL_EINVAL;
		goto out;
	}
	if (c->partitions != had && t->config.key_index) {
		rv = EVL_ESTREAMS;
		goto out;
	}
	if (c->partitions > had) {
		parts = evlp_zalloc(sizeof(*parts) * c->partitions);
		if (parts == NULL) {
			rv = EVL_ENOMEM;
			goto out;
		}
		memcpy(parts, t->parts, sizeof(*parts) * had);
	}
	leveldb_writebatch_t *b = leveldb_writebatch_create();
	size_t                klen = evls_key_topic(k, name);
	topic_val(v, t->id, c);
	leveldb_writebatch_put(b, (char *) k, klen, (char *) v, sizeof(v));
	for (uint32_t i = had; i < c->partitions; i++)
		evls_part_put(b, t->id, i, &parts[i]);
	rv = evls_db_write(&s->meta, b, true, "alter topic");
	leveldb_writebatch_destroy(b);
	if (rv == 0) {
		pthread_mutex_lock(&s->mu);
		t->config = *c;
		if (parts != NULL) {
			evls_part *old = t->parts;
			t->parts       = parts;
			parts          = old;
		}
		pthread_mutex_unlock(&s->mu);
	}
	evlp_free(parts);
out:
	pthread_mutex_unlock(&s->commit_mu);
	pthread_mutex_unlock(&s->admin_mu);
	return rv;
}

int
evls_topic_delete(evls_store *s, const char *name)
{
	uint8_t     k[1 + EVLS_NAME_MAX], dk[5];
	evls_topic *t;
	int         rv;

	if (name == NULL)
		return EVL_ENOTOPIC;
	pthread_mutex_lock(&s->admin_mu);
	pthread_mutex_lock(&s->commit_mu);
	pthread_mutex_lock(&s->mu);
	t = evls_topic_find(s, name);
	pthread_mutex_unlock(&s->mu);
	if (t == NULL) {
		pthread_mutex_unlock(&s->commit_mu);
		pthread_mutex_unlock(&s->admin_mu);
		return EVL_ENOTOPIC;
	}
	leveldb_writebatch_t *b = leveldb_writebatch_create();
	size_t                klen = evls_key_topic(k, name);
	evls_key_deleting(dk, t->id);
	leveldb_writebatch_delete(b, (char *) k, klen);
	leveldb_writebatch_put(b, (char *) dk, 5, name, strlen(name));
	rv = evls_db_write(&s->meta, b, true, "delete topic");
	leveldb_writebatch_destroy(b);
	uint32_t tid = t->id;
	if (rv == 0) {
		pthread_mutex_lock(&s->mu);
		size_t i = topic_lower_bound(s, name);
		memmove(s->topics + i, s->topics + i + 1,
		    sizeof(*s->topics) * (s->ntopics - i - 1));
		s->ntopics--;
		pthread_mutex_unlock(&s->mu);
		evls_topic_free(t);
	}
	pthread_mutex_unlock(&s->commit_mu);
	/* The id is unreachable now: no append, read or group commit can
	 * touch its keys, so the sweep needs no lock. */
	pthread_mutex_unlock(&s->admin_mu);
	if (rv == 0 && !(atomic_load(&s->hooks) & EVLS_HOOK_STOP_DELETE))
		rv = evls_topic_sweep(s, tid);
	return rv;
}

/* Deletes, in chunks, the index entries under pfx and their log entries.
 * The topic is unreachable, so nothing reads either; each chunk is
 * idempotent and open reruns the sweep if a crash interrupts it. */
static int
sweep_index(evls_store *s, const uint8_t *pfx, size_t plen)
{
	leveldb_writebatch_t *lb = leveldb_writebatch_create();
	leveldb_writebatch_t *mb = leveldb_writebatch_create();
	int                   rv = 0;
	for (;;) {
		leveldb_iterator_t *it = evls_db_iter(&s->meta);
		size_t              n  = 0;
		leveldb_iter_seek(it, (const char *) pfx, plen);
		for (; n < SWEEP_CHUNK && evls_db_iter_has_prefix(it, pfx, plen);
		     leveldb_iter_next(it), n++) {
			size_t      klen, vlen;
			const char *k = leveldb_iter_key(it, &klen);
			const char *v = leveldb_iter_value(it, &vlen);
			evls_idx    x;
			uint8_t     lk[EVLS_LOGKEY_SIZE];
			if (evls_idx_decode(k, klen, v, vlen, &x)) {
				evls_key_log(lk, x.seq,
				    evlp_get_u32((const uint8_t *) k + 1),
				    evlp_get_u32((const uint8_t *) k + 5));
				leveldb_writebatch_delete(
				    lb, (char *) lk, sizeof(lk));
			}
			leveldb_writebatch_delete(mb, k, klen);
		}
		rv = evls_db_iter_err(it, "sweep index");
		leveldb_iter_destroy(it);
		if (rv != 0 || n == 0 ||
		    (rv = evls_db_write(&s->log, lb, false, "sweep log")) != 0 ||
		    (rv = evls_db_write(&s->meta, mb, false, "sweep index")) != 0)
			break;
		leveldb_writebatch_clear(lb);
		leveldb_writebatch_clear(mb);
	}
	leveldb_writebatch_destroy(lb);
	leveldb_writebatch_destroy(mb);
	return rv;
}

/* Deletes, in chunks, every metadata key under pfx. */
static int
sweep_prefix(evls_store *s, const uint8_t *pfx, size_t plen)
{
	leveldb_writebatch_t *mb = leveldb_writebatch_create();
	int                   rv = 0;
	for (;;) {
		leveldb_iterator_t *it = evls_db_iter(&s->meta);
		size_t              n  = 0;
		leveldb_iter_seek(it, (const char *) pfx, plen);
		for (; n < SWEEP_CHUNK &&
		     evls_db_iter_has_prefix(it, pfx, plen);
		     leveldb_iter_next(it), n++) {
			size_t      klen;
			const char *k = leveldb_iter_key(it, &klen);
			leveldb_writebatch_delete(mb, k, klen);
		}
		rv = evls_db_iter_err(it, "sweep");
		leveldb_iter_destroy(it);
		if (rv != 0 || n == 0 ||
		    (rv = evls_db_write(&s->meta, mb, false, "sweep")) != 0)
			break;
		leveldb_writebatch_clear(mb);
	}
	leveldb_writebatch_destroy(mb);
	return rv;
}

int
evls_topic_sweep(evls_store *s, uint32_t tid)
{
	static const uint8_t streams[] = { EVLS_KEY_HEAD, EVLS_KEY_VERSION,
		EVLS_KEY_PRODUCER, EVLS_KEY_ID, EVLS_KEY_IDTIME };
	uint8_t pfx[5];
	int     rv;
	pfx[0] = EVLS_KEY_INDEX;
	evlp_put_u32(pfx + 1, tid);
	if ((rv = sweep_index(s, pfx, sizeof(pfx))) != 0)
		return rv;
	/* Stream heads, versions, producer states and ids (keys.h). */
	for (size_t i = 0; i < sizeof(streams); i++) {
		pfx[0] = streams[i];
		if ((rv = sweep_prefix(s, pfx, sizeof(pfx))) != 0)
			return rv;
	}

	/* Counters, group offsets (the id sits 8 bytes before the end of
	 * their key) and finally the marker, in one batch. */
	leveldb_writebatch_t *b  = leveldb_writebatch_create();
	leveldb_iterator_t   *it = evls_db_iter(&s->meta);
	pfx[0]                   = EVLS_KEY_PART;
	leveldb_iter_seek(it, (const char *) pfx, sizeof(pfx));
	for (; evls_db_iter_has_prefix(it, pfx, sizeof(pfx));
	     leveldb_iter_next(it)) {
		size_t      klen;
		const char *k = leveldb_iter_key(it, &klen);
		leveldb_writebatch_delete(b, k, klen);
	}
	uint8_t g = EVLS_KEY_GROUP;
	leveldb_iter_seek(it, (const char *) &g, 1);
	for (; evls_db_iter_has_prefix(it, &g, 1); leveldb_iter_next(it)) {
		size_t         klen;
		const uint8_t *k = (const uint8_t *) leveldb_iter_key(it, &klen);
		if (klen >= 11 && evlp_get_u32(k + klen - 8) == tid)
			leveldb_writebatch_delete(b, (const char *) k, klen);
	}
	rv = evls_db_iter_err(it, "sweep topic");
	leveldb_iter_destroy(it);
	evls_key_deleting(pfx, tid);
	leveldb_writebatch_delete(b, (char *) pfx, 5);
	if (rv == 0)
		rv = evls_db_write(&s->meta, b, false, "sweep topic");
	leveldb_writebatch_destroy(b);
	return rv;
}

int
evls_topic_get(evls_store *s, const char *name, evls_topic_config *out)
{
	int rv = EVL_ENOTOPIC;
	pthread_mutex_lock(&s->mu);
	evls_topic *t = name ? evls_topic_find(s, name) : NULL;
	if (t != NULL) {
		*out = t->config;
		rv   = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return rv;
}

void
evls_topic_list_free(evls_topic_entry *list, size_t n)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		evlp_free(list[i].name);
	evlp_free(list);
}

int
evls_topic_list(evls_store *s, evls_topic_entry **out, size_t *n)
{
	evls_topic_entry *l = NULL;
	size_t            i = 0;
	int               rv = 0;
	pthread_mutex_lock(&s->mu);
	if (s->ntopics > 0 &&
	    (l = evlp_zalloc(sizeof(*l) * s->ntopics)) == NULL)
		rv = EVL_ENOMEM;
	for (; rv == 0 && i < s->ntopics; i++) {
		l[i].config = s->topics[i]->config;
		if ((l[i].name = evlp_strdup(s->topics[i]->name)) == NULL)
			rv = EVL_ENOMEM;
	}
	pthread_mutex_unlock(&s->mu);
	if (rv != 0) {
		evls_topic_list_free(l, i);
		return rv;
	}
	*out = l;
	*n   = i;
	return 0;
}

int
evls_partition_info_get(evls_store *s, const char *topic, uint32_t partition,
    evls_partition_info *out)
{
	evls_topic *t;
	evls_part  *p;
	pthread_mutex_lock(&s->mu);
	int rv = evls_part_find(s, topic, partition, &t, &p);
	if (rv == 0) {
		out->partition    = partition;
		out->first_offset = p->first;
		out->next_offset  = p->next;
		out->records      = p->next - p->first;
		out->bytes        = p->bytes;
	}
	pthread_mutex_unlock(&s->mu);
	return rv;
}

/* Open: next topic id, then 'T' keys (already in name order), then the
 * 'P' counters.  Counters of a topic being deleted are skipped. */
int
evls_topic_load(evls_store *s)
{
	uint8_t             sk[2], pfx = EVLS_KEY_TOPIC;
	char               *val;
	size_t              vlen;
	int                 rv;
	leveldb_iterator_t *it;

	s->next_tid = 1;
	evls_key_singleton(sk, EVLS_S_NEXT_TID);
	rv = evls_db_get(&s->meta, sk, 2, &val, &vlen);
	if (rv == 0) {
		if (vlen == 4)
			s->next_tid = evlp_get_u32((uint8_t *) val);
		leveldb_free(val);
		if (vlen != 4)
			return EVL_ECORRUPT;
	} else if (rv != EVL_ENOTFOUND) {
		return rv;
	}

	it = evls_db_iter(&s->meta);
	leveldb_iter_seek(it, (const char *) &pfx, 1);
	for (rv = 0; rv == 0 && evls_db_iter_has_prefix(it, &pfx, 1);
	     leveldb_iter_next(it)) {
		size_t            klen;
		const char       *k = leveldb_iter_key(it, &klen);
		const char       *v = leveldb_iter_value(it, &vlen);
		char              name[EVLS_NAME_MAX + 1];
		uint32_t          tid;
		evls_topic_config c;
		evls_topic       *t;
		if (klen < 2 || klen > EVLS_NAME_MAX + 1 ||
		    !topic_val_decode(v, vlen, &tid, &c)) {
			rv = EVL_ECORRUPT;
			break;
		}
		memcpy(name, k + 1, klen - 1);
		name[klen - 1] = '\0';
		if ((rv = topic_reserve(s)) != 0)
			break;
		if ((t = topic_alloc(name, tid, &c)) == NULL)
			rv = EVL_ENOMEM;
		else
			topic_insert(s, t);
	}

	pfx = EVLS_KEY_PART;
	leveldb_iter_seek(it, (const char *) &pfx, 1);
	evls_topic *t = NULL;
	for (; rv == 0 && evls_db_iter_has_prefix(it, &pfx, 1);
	     leveldb_iter_next(it)) {
		size_t        klen;
		const char   *k = leveldb_iter_key(it, &klen);
		const char   *v = leveldb_iter_value(it, &vlen);
		uint32_t      tid, part;
		evls_counters c;
		if (!evls_key_part_decode(k, klen, &tid, &part) ||
		    !evls_val_part_decode(v, vlen, &c)) {
			rv = EVL_ECORRUPT;
			break;
		}
		if (t == NULL || t->id != tid)
			t = evls_topic_by_id(s, tid);
		if (t == NULL || part >= t->config.partitions)
			continue;
		evls_part *p = &t->parts[part];
		p->first     = c.first_offset;
		p->next      = c.next_offset;
		p->bytes     = c.bytes;
		p->last_time = c.last_time;
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, "load topics");
	else if (rv == EVL_ECORRUPT)
		fprintf(stderr, "evlog storage: %s: bad topic record\n",
		    s->dir);
	leveldb_iter_destroy(it);
	return rv;
}
