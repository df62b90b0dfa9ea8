/*
 * retention.c -- trims: moving a partition's first offset and deleting
 * the batches that fall wholly below it.
 *
 * Order, for crash safety: the new first offset is written (synced) to
 * the partition's counters first; then the batches below it are deleted
 * from the log; then their index entries.  A crash in between leaves
 * index entries below first_offset, which nothing reads (reads refuse
 * offsets below it) and open sweeps away (recover.c).  A reader racing a
 * trim may find a batch gone from the log: it sees first_offset moved and
 * ends its read (log.c).  Large trims go in chunks, releasing commit_mu
 * in between so appends keep flowing.
 */
#include "retention.h"

#include "dedupe.h"

#include "endian.h"
#include "store_int.h"

/* Batches deleted per step. */
#define TRIM_CHUNK 4096

/*
 * Adds to lb and mb the deletes of up to max batches of (tid, part) that
 * lie wholly below cut, oldest first; *n counts them, *bytes their sizes
 * and *last is the last offset of the newest one.
 */
static int
trim_collect(evls_store *s, uint32_t tid, uint32_t part, uint64_t cut,
    size_t max, leveldb_writebatch_t *lb, leveldb_writebatch_t *mb,
    size_t *n, uint64_t *bytes, uint64_t *last)
{
	uint8_t             k[EVLS_IDXKEY_SIZE], lk[EVLS_LOGKEY_SIZE];
	leveldb_iterator_t *it = evls_db_iter(&s->meta);
	int                 rv = 0;
	*n                     = 0;
	*bytes                 = 0;
	evls_key_idx(k, tid, part, 0);
	leveldb_iter_seek(it, (char *) k, sizeof(k));
	for (; *n < max && evls_db_iter_has_prefix(it, k, EVLS_IDXPFX_SIZE);
	     leveldb_iter_next(it)) {
		size_t      klen, vlen;
		const char *key = leveldb_iter_key(it, &klen);
		const char *val = leveldb_iter_value(it, &vlen);
		evls_idx    x;
		if (!evls_idx_decode(key, klen, val, vlen, &x)) {
			rv = EVL_ECORRUPT;
			break;
		}
		if (x.last_offset >= cut)
			break;
		evls_key_log(lk, x.seq, tid, part);
		leveldb_writebatch_delete(lb, (char *) lk, sizeof(lk));
		leveldb_writebatch_delete(mb, key, klen);
		*bytes += x.bytes;
		*last = x.last_offset;
		(*n)++;
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, "trim scan");
	leveldb_iter_destroy(it);
	return rv;
}

int
evls_part_sweep(evls_store *s, uint32_t tid, uint32_t part, uint64_t first,
    uint64_t *bytes)
{
	leveldb_writebatch_t *lb = leveldb_writebatch_create();
	leveldb_writebatch_t *mb = leveldb_writebatch_create();
	size_t                n;
	uint64_t              b, last;
	int                   rv;
	do {
		leveldb_writebatch_clear(lb);
		leveldb_writebatch_clear(mb);
		rv = trim_collect(s, tid, part, first, TRIM_CHUNK, lb, mb, &n,
		    &b, &last);
		if (rv == 0 && n > 0 &&
		    (rv = evls_db_write(&s->log, lb, false, "sweep log")) == 0)
			rv = evls_db_write(&s->meta, mb, false, "sweep index");
		if (rv == 0 && bytes != NULL)
			*bytes += b;
	} while (rv == 0 && n == TRIM_CHUNK);
	leveldb_writebatch_destroy(lb);
	leveldb_writebatch_destroy(mb);
	return rv;
}

/* One step of a trim towards offset: at most TRIM_CHUNK batches.  Sets
 * *done when first_offset has reached offset. */
static int
trim_step(evls_store *s, const char *topic, uint32_t partition,
    uint64_t offset, uint64_t *records, uint64_t *bytes, bool *done)
{
	evls_topic *t;
	evls_part  *p;
	size_t      n;
	uint64_t    b, last;
	int         rv;

	pthread_mutex_lock(&s->commit_mu);
	pthread_mutex_lock(&s->mu);
	rv = evls_part_find(s, topic, partition, &t, &p);
	pthread_mutex_unlock(&s->mu);
	if (rv == 0 && offset > p->next)
		rv = EVL_EOFFSET;
	if (rv != 0 || offset <= p->first) {
		pthread_mutex_unlock(&s->commit_mu);
		*done = true;
		return rv;
	}
	leveldb_writebatch_t *lb = leveldb_writebatch_create();
	leveldb_writebatch_t *mb = leveldb_writebatch_create();
	leveldb_writebatch_t *cb = leveldb_writebatch_create();
	rv = trim_collect(s, t->id, partition, offset, TRIM_CHUNK, lb, mb, &n,
	    &b, &last);
	if (rv == 0) {
		evls_part c = *p;
		c.first     = n == TRIM_CHUNK ? last + 1 : offset;
		c.bytes     = p->bytes - b;
		evls_part_put(cb, t->id, partition, &c);
		/* Synced: the log deletes below must never outlive it. */
		rv = evls_db_write(&s->meta, cb, true, "trim");
		if (rv == 0) {
			*records += c.first - p->first;
			*bytes += b;
			*done = c.first == offset;
			pthread_mutex_lock(&s->mu);
			p->first = c.first;
			p->bytes = c.bytes;
			pthread_mutex_unlock(&s->mu);
		}
	}
	if (rv == 0 && n > 0 &&
	    (rv = evls_db_write(&s->log, lb, false, "trim log")) == 0)
		rv = evls_db_write(&s->meta, mb, false, "trim index");
	pthread_mutex_unlock(&s->commit_mu);
	leveldb_writebatch_destroy(lb);
	leveldb_writebatch_destroy(mb);
	leveldb_writebatch_destroy(cb);
	return rv;
}

int
evls_trim_below(evls_store *s, const char *topic, uint32_t partition,
    uint64_t offset, uint64_t *records_removed, uint64_t *bytes_removed)
{
	uint64_t records = 0, bytes = 0;
	bool     done    = false;
	int      rv      = 0;
	while (rv == 0 && !done)
		rv = trim_step(s, topic, partition, offset, &records, &bytes,
		    &done);
	if (records_removed != NULL)
		*records_removed = records;
	if (bytes_removed != NULL)
		*bytes_removed = bytes;
	return rv;
}

int
evls_trim_older(evls_store *s, const char *topic, uint32_t partition,
    int64_t before_ms, uint64_t *records_removed, uint64_t *bytes_removed)
{
	uint64_t cut;
	int      rv = evls_offset_for_time(s, topic, partition, before_ms, &cut);
	if (rv != 0)
		return rv;
	return evls_trim_below(
	    s, topic, partition, cut, records_removed, bytes_removed);
}

int
evls_trim_bytes(evls_store *s, const char *topic, uint32_t partition,
    uint64_t budget, uint64_t *records_removed, uint64_t *bytes_removed)
{
	uint8_t     k[EVLS_IDXKEY_SIZE];
	evls_topic *t;
	evls_part  *p;
	pthread_mutex_lock(&s->mu);
	int rv = evls_part_find(s, topic, partition, &t, &p);
	evls_partition_info info = { .first_offset = rv ? 0 : p->first,
		.next_offset = rv ? 0 : p->next,
		.bytes       = rv ? 0 : p->bytes };
	uint32_t tid = rv ? 0 : t->id;
	pthread_mutex_unlock(&s->mu);
	if (rv != 0)
		return rv;

	/* Walk from the oldest batch until what is left fits the budget. */
	uint64_t            left = info.bytes, cut = info.first_offset;
	leveldb_iterator_t *it   = evls_db_iter(&s->meta);
	evls_key_idx(k, tid, partition, info.first_offset);
	leveldb_iter_seek(it, (char *) k, sizeof(k));
	for (; left > budget && evls_db_iter_has_prefix(it, k, EVLS_IDXPFX_SIZE);
	     leveldb_iter_next(it)) {
		size_t      klen, vlen;
		const char *key = leveldb_iter_key(it, &klen);
		const char *val = leveldb_iter_value(it, &vlen);
		evls_idx    x;
		if (!evls_idx_decode(key, klen, val, vlen, &x)) {
			rv = EVL_ECORRUPT;
			break;
		}
		if (x.base_offset >= info.next_offset)
			break;
		left -= x.bytes < left ? x.bytes : left;
		cut = x.last_offset + 1;
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, "trim bytes");
	leveldb_iter_destroy(it);
	if (rv != 0)
		return rv;
	return evls_trim_below(
	    s, topic, partition, cut, records_removed, bytes_removed);
}

int
evls_retention_run(evls_store *s, int64_t now_ms, evls_retention_stats *out)
{
	evls_topic_entry    *l;
	size_t               n;
	evls_retention_stats st = { 0, 0, 0 };
	int                  rv = evls_topic_list(s, &l, &n);
	if (rv != 0)
		return rv;
	for (size_t i = 0; rv == 0 && i < n; i++) {
		const evls_topic_config *c = &l[i].config;
		for (uint32_t p = 0; rv == 0 && p < c->partitions; p++) {
			uint64_t r = 0, b = 0;
			if (c->retention_ms >= 0)
				rv = evls_trim_older(s, l[i].name, p,
				    now_ms - c->retention_ms, &r, &b);
			st.records_removed += r;
			st.bytes_removed += b;
			r = b = 0;
			if (rv == 0 && c->retention_bytes >= 0)
				rv = evls_trim_bytes(s, l[i].name, p,
				    (uint64_t) c->retention_bytes, &r, &b);
			st.records_removed += r;
			st.bytes_removed += b;
		}
		if (rv == 0)
			rv = evls_ids_prune(s, l[i].name, now_ms, &st.ids_expired);
		/* Deleted meanwhile: nothing left to trim. */
		if (rv == EVL_ENOTOPIC || rv == EVL_ENOPART)
			rv = 0;
	}
	evls_topic_list_free(l, n);
	if (out != NULL)
		*out = st;
	return rv;
}
