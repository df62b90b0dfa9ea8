/*
 * heads.c -- expected-version and producer-sequence checks, and the
 * version index, on the writer (heads.h).
 *
 * The map is chained hashing over the metadata keys of the entries ('H'
 * + topic id + record key, 'Q' + topic id + partition + producer id),
 * FNV-1a hashed.  A group touches at most a few thousand keys, and the
 * map is emptied before each group, so it is small and short-lived.
 */
#include "heads.h"

#include <string.h>

#include "alloc.h"
#include "batch.h"
#include "endian.h"
#include "partition.h"
#include "store_int.h"

static uint32_t
heads_hash(const uint8_t *k, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

void
evls_heads_clear(evls_heads *m)
{
	if (m->n == 0)
		return;
	for (size_t i = 0; i < m->nbuckets; i++) {
		evls_hent *e = m->buckets[i];
		while (e != NULL) {
			evls_hent *next = e->chain;
			evlp_free(e);
			e = next;
		}
		m->buckets[i] = NULL;
	}
	m->n = 0;
}

void
evls_heads_fini(evls_heads *m)
{
	evls_heads_clear(m);
	evlp_free(m->buckets);
	m->buckets = NULL;
	m->nbuckets = 0;
}

static int
heads_grow(evls_heads *m)
{
	size_t      nb = m->nbuckets ? m->nbuckets * 2 : 64;
	evls_hent **b = evlp_zalloc(sizeof(*b) * nb);
	if (b == NULL)
		return EVL_ENOMEM;
	for (size_t i = 0; i < m->nbuckets; i++) {
		evls_hent *e = m->buckets[i];
		while (e != NULL) {
			evls_hent *next = e->chain;
			e->chain = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
			e = next;
		}
	}
	evlp_free(m->buckets);
	m->buckets = b;
	m->nbuckets = nb;
	return 0;
}

/* Finds the entry of metadata key k, loading it from the database on a
 * miss. */
static int
heads_get(evls_store *s, evls_heads *m, const uint8_t *k, size_t klen,
    evls_hent **out)
{
	uint32_t   h = heads_hash(k, klen);
	evls_hent *e;
	char      *val;
	size_t     vlen;
	int        rv;

	if (m->nbuckets > 0) {
		for (e = m->buckets[h & (m->nbuckets - 1)]; e != NULL;
		     e = e->chain)
			if (e->hash == h && e->klen == klen
			    && memcmp(e->k, k, klen) == 0) {
				*out = e;
				return 0;
			}
	}
	if (m->n >= m->nbuckets && (rv = heads_grow(m)) != 0)
		return rv;
	if ((e = evlp_zalloc(sizeof(*e) + klen)) == NULL)
		return EVL_ENOMEM;
	e->hash = h;
	e->klen = klen;
	memcpy(e->k, k, klen);
	e->h.snapshot = -1;
	rv = evls_db_get(&s->meta, k, klen, &val, &vlen);
	if (rv == 0) {
		bool ok = k[0] == EVLS_KEY_HEAD
		    ? evls_val_head_decode(val, vlen, &e->h)
		    : k[0] == EVLS_KEY_ID
		    ? evls_val_id_decode(val, vlen, &e->x_offset, &e->x_time)
		    : evls_val_pstate_decode(val, vlen, &e->ps);
		leveldb_free(val);
		rv = ok ? 0 : EVL_ECORRUPT;
		e->exists = true;
	} else if (rv == EVL_ENOTFOUND) {
		rv = 0;
	}
	if (rv != 0) {
		evlp_free(e);
		return rv;
	}
	e->g_next = e->w_next = e->h.next_version;
	e->chain = m->buckets[h & (m->nbuckets - 1)];
	m->buckets[h & (m->nbuckets - 1)] = e;
	m->n++;
	*out = e;
	return 0;
}

static int
heads_get_head(
    evls_store *s, evls_heads *m, uint32_t tid, evlp_view key, evls_hent **out)
{
	uint8_t k[EVLS_HEADKEY_MAX];
	return heads_get(s, m, k, evls_key_head(k, tid, key.p, key.len), out);
}

bool
evls_heads_is_producer(const uint8_t *batch)
{
	/* producer_id at 48, epoch at 56, base_sequence at 60 */
	return (int64_t) evlp_get_u64(batch + 48) != -1
	    || (int16_t) evlp_get_u16(batch + 56) != -1
	    || (int32_t) evlp_get_u32(batch + 60) != -1;
}

/* The sequence after a batch: sequences wrap from INT32_MAX to 0. */
static int32_t
heads_seq_after(int32_t base, uint32_t count)
{
	return (
	    int32_t) (((int64_t) base + count) % ((int64_t) INT32_MAX + 1));
}

/* The producer part of admit: the entry in *pe, 0 or an error. */
static int
heads_admit_producer(evls_store *s, evls_heads *m, evls_topic *t,
    uint32_t part, evls_append *a, const evlp_batch_hdr *h, evls_hent **pe)
{
	uint8_t    k[EVLS_PSKEY_SIZE];
	evls_hent *e;
	int        rv;

	if (h->producer_id < 0 || h->producer_epoch < 0
	    || h->base_sequence < 0)
		return EVL_EINVAL;
	evls_key_pstate(k, t->id, part, h->producer_id);
	if ((rv = heads_get(s, m, k, sizeof(k), &e)) != 0)
		return rv;
	*pe = e;
	if (!e->exists)
		return h->base_sequence == 0 ? 0 : EVL_ESEQUENCE;
	if (h->producer_epoch < e->ps.epoch)
		return EVL_EFENCEDPRODUCER;
	if (h->producer_epoch > e->ps.epoch)
		return h->base_sequence == 0 ? 0 : EVL_ESEQUENCE;
	if (h->base_sequence == e->ps.base_sequence
	    && h->count == e->ps.count) {
		a->duplicate = true;
		if (e->pending != NULL) {
			a->dup_ = e->pending;
		} else {
			a->base_offset = e->ps.base_offset;
			a->append_time = e->ps.append_time;
			a->version = e->ps.version;
		}
		return 0;
	}
	if (h->base_sequence
	    != heads_seq_after(e->ps.base_sequence, e->ps.count))
		return EVL_ESEQUENCE;
	return 0;
}

bool
evls_version_matches(int64_t expected, int64_t cur)
{
	switch (expected) {
	case EVLS_VERSION_ANY:
		return true;
	case EVLS_VERSION_NO_STREAM:
		return cur < 0;
	case EVLS_VERSION_EXISTS:
		return cur >= 0;
	default:
		return expected >= 0 && cur == expected;
	}
}

/* The stream part of admit: validates every keyed record and loads its
 * head; with check_version, checks it.  Reserves nothing. */
static int
heads_admit_streams(
    evls_store *s, evls_heads *m, evls_topic *t, uint32_t part, evls_append *a)
{
	evlp_batch_iter it;
	evlp_record     rec;
	evlp_view       first = { NULL, 0 };
	evls_hent      *e = NULL;
	bool            keyed = false;
	int             rv;

	if ((rv = evlp_batch_iter_init(&it, a->batch, a->len)) != 0)
		return rv;
	while (evlp_batch_next(&it, &rec)) {
		if (!rec.has_key) {
			if (a->check_version)
				return EVL_EINVAL;
			continue;
		}
		if (rec.key.len > EVLS_STREAM_KEY_MAX
		    || evlp_partition_for_key(
		           rec.key.p, rec.key.len, t->config.partitions)
		        != part)
			return EVL_EINVAL;
		if (keyed && a->check_version
		    && (rec.key.len != first.len
		        || memcmp(rec.key.p, first.p, first.len) != 0))
			return EVL_EINVAL;
		if (!keyed)
			first = rec.key;
		keyed = true;
		if ((rv = heads_get_head(s, m, t->id, rec.key, &e)) != 0)
			return rv;
	}
	if (it.rd.err)
		return EVL_EPROTO;
	if (!a->check_version)
		return 0;
	if (!keyed)
		return EVL_EINVAL;
	int64_t cur = (int64_t) e->g_next - 1;
	if (!evls_version_matches(a->expected_version, cur)) {
		a->version = cur;
		return EVL_EWRONGVERSION;
	}
	return 0;
}

/* The evlog-id header of rec in *id: 1 found, 0 none, -1 for an empty
 * or too long one. */
static int
heads_record_id(const evlp_record *rec, evlp_view *id)
{
	evlp_rd     rd;
	evlp_header h;
	evlp_rd_init(&rd, rec->headers.p, rec->headers.len);
	for (uint32_t i = 0; i < rec->header_count && evlp_header_next(&rd, &h);
	     i++) {
		if (h.name.len != sizeof(EVLS_ID_HEADER) - 1
		    || memcmp(h.name.p, EVLS_ID_HEADER, h.name.len) != 0)
			continue;
		if (h.value.len == 0 || h.value.len > EVLS_ID_MAX)
			return -1;
		*id = h.value;
		return 1;
	}
	return 0;
}

static int
heads_get_id(evls_store *s, evls_heads *m, uint32_t tid, uint32_t part,
    evlp_view id, evls_hent **out)
{
	uint8_t k[EVLS_IDKEY_MAX];
	return heads_get(
	    s, m, k, evls_key_id(k, tid, part, id.p, id.len), out);
}

/*
 * The id part of admit (topics with a dedupe window).  An id is live when
 * an earlier append of this group reserved it, or its stored record is
 * younger than the window.  No live id: 0, nothing reserved yet.  Every
 * id live, each at the same distance from its original as in this batch
 * (a retry of a batch, or of some of its records): a->duplicate.  Some
 * live and some not, or at other distances: EVL_EINVAL, since one answer
 * (a base offset) cannot describe it.  Records without an id do not
 * count, so a retry of a batch whose first record alone carries one is a
 * duplicate too.
 */
static int
heads_admit_ids(
    evls_store *s, evls_heads *m, evls_topic *t, uint32_t part, evls_append *a)
{
	evlp_batch_iter it;
	evlp_record     rec;
	evlp_view       id;
	evls_hent      *e, *first = NULL;
	int64_t         window = t->config.dedupe_window_ms;
	int64_t         base = 0; /* original index/offset minus ours */
	uint32_t        nlive = 0, nnew = 0;
	int             rv;

	if ((rv = evlp_batch_iter_init(&it, a->batch, a->len)) != 0)
		return rv;
	while (evlp_batch_next(&it, &rec)) {
		uint32_t i = it.index - 1;
		if ((rv = heads_record_id(&rec, &id)) <= 0) {
			if (rv < 0)
				return EVL_EINVAL;
			continue;
		}
		if ((rv = heads_get_id(s, m, t->id, part, id, &e)) != 0)
			return rv;
		if (e->seen == a)
			return EVL_EINVAL; /* the same id twice */
		e->seen = a;
		bool live = e->pending != NULL
		    || (e->exists && m->now - e->x_time < window);
		if (!live) {
			nnew++;
			continue;
		}
		int64_t d = e->pending != NULL
		    ? (int64_t) e->x_index - (int64_t) i
		    : (int64_t) e->x_offset - (int64_t) i;
		if (nlive == 0) {
			first = e;
			base = d;
		} else if (first->pending != e->pending || d != base) {
			return EVL_EINVAL;
		}
		nlive++;
	}
	if (it.rd.err)
		return EVL_EPROTO;
	if (nlive == 0)
		return 0;
	if (nnew > 0 || base < 0)
		return EVL_EINVAL;
	a->duplicate = true;
	a->version = -1;
	if (first->pending != NULL) {
		a->dup_ = first->pending;
		a->dup_skip_ = (uint32_t) base;
	} else {
		a->base_offset = (uint64_t) base;
		a->append_time = first->x_time;
	}
	return 0;
}

/* Reserves the ids of an admitted append (every entry is loaded). */
static void
heads_reserve_ids(evls_store *s, evls_heads *m, evls_topic *t, uint32_t part,
    evls_append *a)
{
	evlp_batch_iter it;
	evlp_record     rec;
	evlp_view       id;
	evls_hent      *e;
	evlp_batch_iter_init(&it, a->batch, a->len);
	while (evlp_batch_next(&it, &rec))
		if (heads_record_id(&rec, &id) == 1
		    && heads_get_id(s, m, t->id, part, id, &e) == 0) {
			e->pending = a;
			e->x_index = it.index - 1;
		}
}

int
evls_heads_admit(
    evls_store *s, evls_heads *m, evls_topic *t, uint32_t part, evls_append *a)
{
	evlp_batch_hdr  h;
	evlp_batch_iter it;
	evlp_record     rec;
	evls_hent      *pe = NULL, *e;
	int             rv;

	if (evlp_batch_peek(a->batch, a->len, &h) != 0)
		return EVL_EPROTO;
	if (a->check_version && !t->config.key_index)
		return EVL_EINVAL;
	if (evls_heads_is_producer(a->batch)
	    && ((rv = heads_admit_producer(s, m, t, part, a, &h, &pe)) != 0
	        || a->duplicate))
		return rv;
	/* Ids before expected versions: a retry of an append that landed
	 * finds the stream moved on, and must get the original's answer. */
	if (t->config.dedupe_window_ms > 0
	    && (rv = heads_admit_ids(s, m, t, part, a)) != 0)
		return rv;
	if (a->duplicate) {
		/* A producer's new batch answered as an id duplicate: its
		 * sequence is done all the same, and a retry of it gets the
		 * same answer. */
		if (pe != NULL) {
			pe->exists = pe->dirty = true;
			pe->ps.epoch = h.producer_epoch;
			pe->ps.base_sequence = h.base_sequence;
			pe->ps.count = h.count;
			pe->ps.base_offset = a->base_offset;
			pe->ps.append_time = a->append_time;
			pe->ps.version = -1;
			pe->pending = a;
			pe->from_dup = a->dup_ != NULL;
		}
		return 0;
	}
	if (t->config.key_index
	    && (rv = heads_admit_streams(s, m, t, part, a)) != 0)
		return rv;

	/* Admitted: reserve.  Every head is loaded, so nothing fails. */
	if (t->config.key_index) {
		evlp_batch_iter_init(&it, a->batch, a->len);
		while (evlp_batch_next(&it, &rec))
			if (rec.has_key
			    && heads_get_head(s, m, t->id, rec.key, &e) == 0)
				e->g_next++;
	}
	if (t->config.dedupe_window_ms > 0)
		heads_reserve_ids(s, m, t, part, a);
	if (pe != NULL) {
		pe->exists = true;
		pe->ps.epoch = h.producer_epoch;
		pe->ps.base_sequence = h.base_sequence;
		pe->ps.count = h.count;
		pe->pending = a;
	}
	return 0;
}

/* Puts the 'X' and 'Y' entries of every record's id.  Admit refused
 * malformed ids; replay skips them. */
static int
heads_apply_ids(evls_topic *t, uint32_t part, const uint8_t *batch,
    size_t len, leveldb_writebatch_t *mb)
{
	uint8_t         k[EVLS_IDTKEY_MAX], v[EVLS_IDVAL_SIZE];
	evlp_batch_iter it;
	evlp_record     rec;
	evlp_view       id;
	if (evlp_batch_iter_init(&it, batch, len) != 0)
		return EVL_ECORRUPT;
	while (evlp_batch_next(&it, &rec)) {
		if (heads_record_id(&rec, &id) != 1)
			continue;
		size_t n = evls_key_id(k, t->id, part, id.p, id.len);
		evls_val_id(v, rec.offset, rec.append_time);
		leveldb_writebatch_put(mb, (char *) k, n, (char *) v, sizeof(v));
		n = evls_key_idtime(
		    k, t->id, part, rec.append_time, id.p, id.len);
		leveldb_writebatch_put(mb, (char *) k, n, "", 0);
	}
	return it.rd.err ? EVL_ECORRUPT : 0;
}

int
evls_heads_apply(evls_store *s, evls_heads *m, evls_topic *t, uint32_t part,
    const uint8_t *batch, size_t len, leveldb_writebatch_t *mb,
    int64_t *version)
{
	uint8_t         vk[EVLS_VERKEY_MAX], vv[8];
	evlp_batch_iter it;
	evlp_record     rec;
	evls_hent      *e;
	int64_t         last = -1;
	int             rv;

	if ((rv = evlp_batch_iter_init(&it, batch, len)) != 0)
		return EVL_ECORRUPT;
	while (t->config.key_index && evlp_batch_next(&it, &rec)) {
		if (!rec.has_key || rec.key.len > EVLS_STREAM_KEY_MAX)
			continue;
		if ((rv = heads_get_head(s, m, t->id, rec.key, &e)) != 0)
			return rv;
		uint64_t v = e->w_next++;
		size_t   n
		    = evls_key_version(vk, t->id, rec.key.p, rec.key.len, v);
		evlp_put_u64(vv, rec.offset);
		leveldb_writebatch_put(mb, (char *) vk, n, (char *) vv, 8);
		e->h.last_offset = rec.offset;
		if (rec.attributes & EVLP_REC_SNAPSHOT)
			e->h.snapshot = (int64_t) v;
		e->exists = e->dirty = true;
		last = (int64_t) v;
	}
	if (it.rd.err)
		return EVL_ECORRUPT;
	if (t->config.dedupe_window_ms > 0
	    && (rv = heads_apply_ids(t, part, batch, len, mb)) != 0)
		return rv;
	if (evls_heads_is_producer(batch) && it.hdr.producer_id >= 0) {
		uint8_t k[EVLS_PSKEY_SIZE];
		evls_key_pstate(k, t->id, part, it.hdr.producer_id);
		if ((rv = heads_get(s, m, k, sizeof(k), &e)) != 0)
			return rv;
		e->ps.epoch = it.hdr.producer_epoch;
		e->ps.base_sequence = it.hdr.base_sequence;
		e->ps.count = it.hdr.count;
		e->ps.base_offset = it.hdr.base_offset;
		e->ps.append_time = it.hdr.append_time;
		e->ps.version = last;
		e->exists = e->dirty = true;
		e->from_dup = false;
	}
	*version = last;
	return 0;
}

size_t
evls_heads_put(evls_heads *m, leveldb_writebatch_t *mb)
{
	size_t n_put = 0;
	uint8_t v[EVLS_HEADVAL_SIZE > EVLS_PSVAL_SIZE ? EVLS_HEADVAL_SIZE
	                                              : EVLS_PSVAL_SIZE];
	for (size_t i = 0; i < m->nbuckets; i++) {
		for (evls_hent *e = m->buckets[i]; e != NULL; e = e->chain) {
			if (!e->dirty)
				continue;
			size_t n;
			if (e->k[0] == EVLS_KEY_HEAD) {
				e->h.next_version = e->w_next;
				evls_val_head(v, &e->h);
				n = EVLS_HEADVAL_SIZE;
			} else {
				if (e->from_dup) {
					evls_append *o = e->pending->dup_;
					e->ps.base_offset = o->base_offset
					    + e->pending->dup_skip_;
					e->ps.append_time = o->append_time;
				}
				evls_val_pstate(v, &e->ps);
				n = EVLS_PSVAL_SIZE;
			}
			leveldb_writebatch_put(
			    mb, (char *) e->k, e->klen, (char *) v, n);
			e->dirty = false;
			n_put++;
		}
	}
	return n_put;
}
