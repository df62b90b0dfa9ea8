/*
 * stream.c -- stream reads, stream info and stream deletes (stream.h).
 *
 * A read finds the key's head ('H') with one get, Seeks the version index
 * ('V') at the first version wanted and walks it; each entry gives an
 * offset, whose batch is found through the batch index and fetched from
 * the log once for all the key's records it holds.  Records below the
 * partition's first offset were trimmed by retention and are skipped, as
 * are records a delete erased.
 *
 * A delete holds commit_mu, so it is serialized with the writer's group
 * commits (which assign versions) and with trims.  It erases the key's
 * records in place -- the batch keeps its size, so the batch index and
 * the partition's counters stay valid, and a crash between the log write
 * and the metadata write leaves erased records that reads skip and a
 * repeated delete finishes.
 */
#include "stream.h"

#include <string.h>

#include "alloc.h"
#include "crc32c.h"
#include "endian.h"
#include "partition.h"
#include "store_int.h"

/* Where a key's stream lives, copied under mu. */
typedef struct stream_loc {
	uint32_t tid;
	uint32_t part;
	uint64_t first_offset;
	uint64_t next_offset;
} stream_loc;

static int
stream_locate(evls_store *s, const char *topic, const void *key, size_t klen,
    stream_loc *l)
{
	int rv = 0;
	if (klen > EVLS_STREAM_KEY_MAX || (key == NULL && klen > 0))
		return EVL_EINVAL;
	pthread_mutex_lock(&s->mu);
	evls_topic *t = evls_topic_find(s, topic);
	if (t == NULL) {
		rv = EVL_ENOTOPIC;
	} else if (!t->config.key_index) {
		rv = EVL_EINVAL;
	} else {
		l->tid = t->id;
		l->part
		    = evlp_partition_for_key(key, klen, t->config.partitions);
		l->first_offset = t->parts[l->part].first;
		l->next_offset = t->parts[l->part].next;
	}
	pthread_mutex_unlock(&s->mu);
	return rv;
}

/* The key's head; a key never written gets a zero head (*exists false). */
static int
stream_head(evls_store *s, uint32_t tid, const void *key, size_t klen,
    evls_head *h, bool *exists)
{
	uint8_t k[EVLS_HEADKEY_MAX];
	char   *val;
	size_t  vlen;
	memset(h, 0, sizeof(*h));
	h->snapshot = -1;
	*exists = false;
	int rv = evls_db_get(
	    &s->meta, k, evls_key_head(k, tid, key, klen), &val, &vlen);
	if (rv == EVL_ENOTFOUND)
		return 0;
	if (rv != 0)
		return rv;
	bool ok = evls_val_head_decode(val, vlen, h);
	leveldb_free(val);
	*exists = ok;
	return ok ? 0 : EVL_ECORRUPT;
}

static void
stream_info_fill(evls_stream_info *i, const stream_loc *l, const evls_head *h)
{
	i->partition = l->part;
	i->version = (int64_t) h->next_version - 1;
	i->first_version = h->first_version;
	i->snapshot
	    = h->snapshot >= 0 && (uint64_t) h->snapshot >= h->first_version
	    ? h->snapshot
	    : -1;
	i->last_offset = h->last_offset;
	i->deleted = (h->flags & EVLS_HEAD_DELETED) != 0;
	i->next_offset = l->next_offset;
}

int
evls_stream_info_get(evls_store *s, const char *topic, const void *key,
    size_t klen, evls_stream_info *out)
{
	stream_loc l;
	evls_head  h;
	bool       exists;
	int        rv;
	if ((rv = stream_locate(s, topic, key, klen, &l)) != 0
	    || (rv = stream_head(s, l.tid, key, klen, &h, &exists)) != 0)
		return rv;
	stream_info_fill(out, &l, &h);
	return 0;
}

/* The batch holding the records being read, fetched once for all the
 * key's records in it, and an iterator that moves forward through it. */
typedef struct stream_batch {
	leveldb_iterator_t *mi; /* over the batch index */
	char               *val;
	size_t              len;
	evls_idx            x;
	evlp_batch_iter     it;
} stream_batch;

static void
stream_batch_drop(stream_batch *b)
{
	if (b->val != NULL)
		leveldb_free(b->val);
	b->val = NULL;
}

/*
 * The record at offset of partition (tid, part).  EVL_ENOTFOUND when the
 * partition no longer holds it (a trim raced the read).
 */
static int
stream_record(evls_store *s, stream_batch *b, uint32_t tid, uint32_t part,
    uint64_t offset, evlp_record *rec)
{
	int rv;
	if (b->val == NULL || offset < b->x.base_offset
	    || offset > b->x.last_offset) {
		uint8_t ik[EVLS_IDXKEY_SIZE], lk[EVLS_LOGKEY_SIZE];
		size_t  klen, vlen;
		stream_batch_drop(b);
		evls_key_idx(ik, tid, part, offset);
		leveldb_iter_seek(b->mi, (char *) ik, sizeof(ik));
		if (!evls_db_iter_has_prefix(b->mi, ik, EVLS_IDXPFX_SIZE)) {
			rv = evls_db_iter_err(b->mi, "stream read");
			return rv != 0 ? rv : EVL_ENOTFOUND;
		}
		const char *k = leveldb_iter_key(b->mi, &klen);
		const char *v = leveldb_iter_value(b->mi, &vlen);
		if (!evls_idx_decode(k, klen, v, vlen, &b->x))
			return EVL_ECORRUPT;
		if (offset < b->x.base_offset)
			return EVL_ENOTFOUND;
		evls_key_log(lk, b->x.seq, tid, part);
		if ((rv = evls_db_get(
		         &s->log, lk, sizeof(lk), &b->val, &b->len))
		    != 0)
			return rv;
		if (!evls_batch_ok(&b->x, (uint8_t *) b->val, b->len)) {
			stream_batch_drop(b);
			return EVL_ECORRUPT;
		}
		evlp_batch_iter_init(&b->it, b->val, b->len);
	}
	/* Walk forward to offset; restart the walk for an earlier one
	 * (backward reads). */
	if (offset - b->x.base_offset < b->it.index)
		evlp_batch_iter_init(&b->it, b->val, b->len);
	while (evlp_batch_next(&b->it, rec))
		if (rec->offset == offset)
			return 0;
	return EVL_ECORRUPT;
}

int
evls_stream_read(evls_store *s, const char *topic, const void *key,
    size_t klen, int64_t from, bool backwards, uint32_t max_count,
    size_t max_bytes, evls_record_sink sink, void *arg,
    evls_stream_info *info_out)
{
	uint8_t          vk[EVLS_VERKEY_MAX];
	stream_loc       l;
	evls_head        h;
	evls_stream_info info;
	stream_batch     b;
	bool             exists;
	uint64_t         start, sent = 0, bytes = 0;
	int              rv;

	if (from < EVLS_FROM_SNAPSHOT
	    || (backwards && from == EVLS_FROM_SNAPSHOT))
		return EVL_EINVAL;
	if ((rv = stream_locate(s, topic, key, klen, &l)) != 0
	    || (rv = stream_head(s, l.tid, key, klen, &h, &exists)) != 0)
		return rv;
	stream_info_fill(&info, &l, &h);
	if (info_out != NULL)
		*info_out = info;
	if (info.version < 0 || h.first_version >= h.next_version)
		return 0;
	if (backwards) {
		if (from == EVLS_FROM_END || from > info.version)
			from = info.version;
		if ((uint64_t) from < h.first_version)
			return 0;
		start = (uint64_t) from;
	} else {
		if (from == EVLS_FROM_SNAPSHOT)
			from = info.snapshot >= 0 ? info.snapshot : 0;
		if (from > info.version)
			return 0;
		start = (uint64_t) from < h.first_version ? h.first_version
		                                          : (uint64_t) from;
	}

	memset(&b, 0, sizeof(b));
	b.mi = evls_db_iter(&s->meta);
	leveldb_iterator_t *vi = evls_db_iter(&s->meta);
	size_t vlen = evls_key_version(vk, l.tid, key, klen, start);
	size_t plen = vlen - 8;
	leveldb_iter_seek(vi, (char *) vk, vlen);
	if (backwards && !evls_db_iter_has_prefix(vi, vk, vlen)) {
		/* Seek lands after `start` when it is gone: step back. */
		if (leveldb_iter_valid(vi))
			leveldb_iter_prev(vi);
		else
			leveldb_iter_seek_to_last(vi);
	}
	while (evls_db_iter_has_prefix(vi, vk, plen)) {
		size_t         kl, vl;
		const char    *k = leveldb_iter_key(vi, &kl);
		const uint8_t *v
		    = (const uint8_t *) leveldb_iter_value(vi, &vl);
		uint64_t    ver, off;
		evlp_record rec;
		if (!evls_key_version_decode(k, kl, plen, &ver) || vl != 8) {
			rv = EVL_ECORRUPT;
			break;
		}
		if (ver < h.first_version)
			break; /* backwards, past a delete */
		off = evlp_get_u64(v);
		if (off >= l.first_offset) {
			rv = stream_record(s, &b, l.tid, l.part, off, &rec);
			if (rv == EVL_ENOTFOUND) {
				rv = 0; /* trimmed meanwhile */
			} else if (rv != 0) {
				break;
			} else if ((rec.attributes & EVLP_REC_ERASED) == 0 &&
			    rec.has_key && rec.key.len == klen &&
			    (klen == 0 || memcmp(rec.key.p, key, klen) == 0)) {
				/* (The key check guards against an index
				 * entry naming another key's record.) */
				uint64_t n = rec.key.len + rec.value.len
				    + rec.headers.len;
				if (sent > 0 && bytes + n > max_bytes)
					break;
				if ((rv = sink(arg, (int64_t) ver, &rec)) != 0)
					break;
				bytes += n;
				if (++sent == max_count)
					break;
			}
		}
		if (backwards)
			leveldb_iter_prev(vi);
		else
			leveldb_iter_next(vi);
	}
	if (rv == 0)
		rv = evls_db_iter_err(vi, "stream read");
	stream_batch_drop(&b);
	leveldb_iter_destroy(vi);
	leveldb_iter_destroy(b.mi);
	return rv;
}

/* Erases, in the writable batch copy b, every record whose key is key:
 * marks it ERASED, zeroes its value and header bytes; then redoes the
 * CRC. */
static void
stream_erase(uint8_t *b, size_t len, const void *key, size_t klen)
{
	evlp_batch_iter it;
	evlp_record     rec;
	if (evlp_batch_iter_init(&it, b, len) != 0)
		return;
	for (;;) {
		uint8_t *start = (uint8_t *) it.rd.p;
		if (!evlp_batch_next(&it, &rec))
			break;
		if (!rec.has_key || rec.key.len != klen
		    || memcmp(rec.key.p, key, klen) != 0)
			continue;
		/* Skip the record's length varint: attributes come next,
		 * one byte (its values are below 0x80). */
		while (*start & 0x80)
			start++;
		start[1] |= EVLP_REC_ERASED;
		if (rec.value.len > 0)
			memset((uint8_t *) rec.value.p, 0, rec.value.len);
		evlp_rd     hr;
		evlp_header hd;
		evlp_rd_init(&hr, rec.headers.p, rec.headers.len);
		while (evlp_header_next(&hr, &hd)) {
			if (hd.name.len > 0)
				memset((uint8_t *) hd.name.p, 0, hd.name.len);
			if (hd.value.len > 0)
				memset(
				    (uint8_t *) hd.value.p, 0, hd.value.len);
		}
	}
	evlp_put_u32(b + 20,
	    evlp_crc32c(
	        0, b + EVLP_BATCH_CRC_START, len - EVLP_BATCH_CRC_START));
}

/* The delete's walk over the key's versions; commit_mu held. */
static int
stream_delete_walk(evls_store *s, const stream_loc *l, const void *key,
    size_t klen, const evls_head *h, leveldb_writebatch_t *lb,
    leveldb_writebatch_t *mb)
{
	uint8_t      vk[EVLS_VERKEY_MAX];
	stream_batch b;
	uint64_t     done_seq = 0;
	int          rv = 0;

	memset(&b, 0, sizeof(b));
	b.mi = evls_db_iter(&s->meta);
	leveldb_iterator_t *vi = evls_db_iter(&s->meta);
	size_t              vlen
	    = evls_key_version(vk, l->tid, key, klen, h->first_version);
	size_t plen = vlen - 8;
	leveldb_iter_seek(vi, (char *) vk, vlen);
	for (; evls_db_iter_has_prefix(vi, vk, plen); leveldb_iter_next(vi)) {
		size_t         kl, vl;
		const char    *k = leveldb_iter_key(vi, &kl);
		const uint8_t *v
		    = (const uint8_t *) leveldb_iter_value(vi, &vl);
		evlp_record rec;
		leveldb_writebatch_delete(mb, k, kl);
		if (vl != 8)
			continue;
		uint64_t off = evlp_get_u64(v);
		if (off < l->first_offset || off >= l->next_offset)
			continue;
		rv = stream_record(s, &b, l->tid, l->part, off, &rec);
		if (rv == EVL_ENOTFOUND) {
			rv = 0;
			continue;
		}
		if (rv != 0)
			break;
		if (b.x.seq == done_seq)
			continue; /* this batch is erased already */
		/* stream_record's copy is LevelDB's: erase a copy of it. */
		uint8_t *copy = evlp_alloc(b.len);
		if (copy == NULL) {
			rv = EVL_ENOMEM;
			break;
		}
		memcpy(copy, b.val, b.len);
		stream_erase(copy, b.len, key, klen);
		uint8_t lk[EVLS_LOGKEY_SIZE];
		evls_key_log(lk, b.x.seq, l->tid, l->part);
		leveldb_writebatch_put(
		    lb, (char *) lk, sizeof(lk), (char *) copy, b.len);
		evlp_free(copy);
		done_seq = b.x.seq;
	}
	if (rv == 0)
		rv = evls_db_iter_err(vi, "stream delete");
	stream_batch_drop(&b);
	leveldb_iter_destroy(vi);
	leveldb_iter_destroy(b.mi);
	return rv;
}

int
evls_stream_delete(evls_store *s, const char *topic, const void *key,
    size_t klen, int64_t expected, bool forget_versions, int64_t *current)
{
	uint8_t    hk[EVLS_HEADKEY_MAX], hv[EVLS_HEADVAL_SIZE];
	stream_loc l;
	evls_head  h;
	bool       exists;
	int        rv;

	if (expected < EVLS_VERSION_EXISTS)
		return EVL_EINVAL;
	pthread_mutex_lock(&s->commit_mu);
	if ((rv = stream_locate(s, topic, key, klen, &l)) != 0
	    || (rv = stream_head(s, l.tid, key, klen, &h, &exists)) != 0)
		goto out;
	int64_t cur = (int64_t) h.next_version - 1;
	if (!exists) {
		rv = EVL_ENOTFOUND;
		goto out;
	}
	if (!evls_version_matches(expected, cur)) {
		if (current != NULL)
			*current = cur;
		rv = EVL_EWRONGVERSION;
		goto out;
	}
	leveldb_writebatch_t *lb = leveldb_writebatch_create();
	leveldb_writebatch_t *mb = leveldb_writebatch_create();
	rv = stream_delete_walk(s, &l, key, klen, &h, lb, mb);
	size_t hlen = evls_key_head(hk, l.tid, key, klen);
	if (forget_versions) {
		leveldb_writebatch_delete(mb, (char *) hk, hlen);
	} else {
		h.first_version = h.next_version;
		h.snapshot = -1;
		h.flags |= EVLS_HEAD_DELETED;
		evls_val_head(hv, &h);
		leveldb_writebatch_put(
		    mb, (char *) hk, hlen, (char *) hv, sizeof(hv));
	}
	/* Erased data first, synced: once the delete returns, the records
	 * are gone for good.  The index follows; a crash between leaves
	 * erased records that reads skip, and a second delete finishes. */
	if (rv == 0)
		rv = evls_db_write(&s->log, lb, true, "stream delete");
	if (rv == 0)
		rv = evls_db_write(&s->meta, mb, true, "stream delete index");
	leveldb_writebatch_destroy(lb);
	leveldb_writebatch_destroy(mb);
out:
	pthread_mutex_unlock(&s->commit_mu);
	return rv;
}
