/*
 * recover.c -- bringing the metadata database up to date with the log on
 * open, before the writer starts.  The log is the source of truth; the
 * steps, in order:
 *
 *   1. finish topic deletions a crash interrupted ('D' markers);
 *   2. if the log ends before the applied marker (a power cut lost log
 *      writes the metadata database had already seen: possible only with
 *      fsync NEVER or INTERVAL), drop the index entries whose batches are
 *      gone and pull each partition's head back; on key-indexed topics
 *      also the stream versions and producer states of those batches;
 *   3. replay every log entry after the applied marker into the index and
 *      counters (a crash between the log write and the meta write);
 *   4. sweep batches left below a partition's first offset by a trim a
 *      crash interrupted.
 * Each step is idempotent, so a crash during recovery is recovered by the
 * next open.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "batch.h"
#include "endian.h"
#include "partition.h"
#include "store_int.h"

/* Log entries replayed per metadata write. */
#define REPLAY_CHUNK 1024

static int
recover_deletions(evls_store *s)
{
	uint8_t             d = EVLS_KEY_DELETING;
	uint32_t           *tids = NULL;
	size_t              n = 0, cap = 0;
	int                 rv = 0;
	leveldb_iterator_t *it = evls_db_iter(&s->meta);
	leveldb_iter_seek(it, (char *) &d, 1);
	for (; evls_db_iter_has_prefix(it, &d, 1); leveldb_iter_next(it)) {
		size_t         klen;
		const uint8_t *k = (const uint8_t *) leveldb_iter_key(it, &klen);
		if (klen != 5) {
			rv = EVL_ECORRUPT;
			break;
		}
		if (n == cap) {
			size_t    ncap = cap ? 2 * cap : 8;
			uint32_t *nt   = evlp_realloc(tids, sizeof(*nt) * ncap);
			if (nt == NULL) {
				rv = EVL_ENOMEM;
				break;
			}
			tids = nt;
			cap  = ncap;
		}
		tids[n++] = evlp_get_u32(k + 1);
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, "recover deletions");
	leveldb_iter_destroy(it);
	for (size_t i = 0; rv == 0 && i < n; i++)
		rv = evls_topic_sweep(s, tids[i]);
	evlp_free(tids);
	return rv;
}

/* The seq of the newest log entry, 0 when the log is empty. */
static int
recover_last_seq(evls_store *s, uint64_t *seq)
{
	leveldb_iterator_t *it = evls_db_iter(&s->log);
	uint32_t            tid, part;
	int                 rv = 0;
	*seq                   = 0;
	leveldb_iter_seek_to_last(it);
	if (leveldb_iter_valid(it)) {
		size_t      klen;
		const char *k = leveldb_iter_key(it, &klen);
		if (!evls_key_log_decode(k, klen, seq, &tid, &part))
			rv = EVL_ECORRUPT;
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, "recover");
	leveldb_iter_destroy(it);
	return rv;
}

/* Step 2 for one partition: drops its newest index entries whose seq is
 * past the log's end, adding the deletes and new counters to b. */
static int
recover_tail(evls_store *s, evls_topic *t, uint32_t part, uint64_t last_seq,
    leveldb_writebatch_t *b)
{
	uint8_t             k[EVLS_IDXKEY_SIZE];
	evls_part          *p       = &t->parts[part];
	bool                dropped = false;
	int                 rv      = 0;
	leveldb_iterator_t *it      = evls_db_iter(&s->meta);
	evls_key_idx(k, t->id, part, UINT64_MAX);
	leveldb_iter_seek(it, (char *) k, sizeof(k));
	if (leveldb_iter_valid(it))
		leveldb_iter_prev(it);
	else
		leveldb_iter_seek_to_last(it);
	for (; evls_db_iter_has_prefix(it, k, EVLS_IDXPFX_SIZE);
	     leveldb_iter_prev(it)) {
		size_t      klen, vlen;
		const char *key = leveldb_iter_key(it, &klen);
		const char *val = leveldb_iter_value(it, &vlen);
		evls_idx    x;
		if (!evls_idx_decode(key, klen, val, vlen, &x)) {
			rv = EVL_ECORRUPT;
			break;
		}
		if (x.seq <= last_seq)
			break;
		leveldb_writebatch_delete(b, key, klen);
		p->next  = x.base_offset;
		p->bytes = p->bytes > x.bytes ? p->bytes - x.bytes : 0;
		dropped  = true;
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, "recover tail");
	leveldb_iter_destroy(it);
	if (rv == 0 && dropped) {
		if (p->first > p->next)
			p->first = p->next;
		fprintf(stderr,
		    "evlog storage: %s/%u: log ends early (power cut?): "
		    "head back to %llu\n",
		    t->name, part, (unsigned long long) p->next);
		evls_part_put(b, t->id, part, p);
	}
	return rv;
}

/* A key whose versions step 2 cut: its first cut version becomes its
 * next version (versions are dense and their offsets grow with them, so
 * the cut ones are a suffix), and the offset of the version before. */
typedef struct cut_key {
	struct cut_key *next;
	uint64_t        first_cut;
	uint64_t        offset; /* of first_cut - 1; UINT64_MAX unknown */
	size_t          klen;
	uint8_t         key[];
} cut_key;

/* Moves the head of each cut stream back (recover_streams). */
static int
recover_heads(evls_store *s, evls_topic *t, const cut_key *cut,
    leveldb_writebatch_t *b)
{
	int rv = 0;
	for (const cut_key *c = cut; rv == 0 && c != NULL; c = c->next) {
		uint8_t   hk[EVLS_HEADKEY_MAX], hv[EVLS_HEADVAL_SIZE];
		char     *val;
		size_t    vlen, hl = evls_key_head(hk, t->id, c->key, c->klen);
		evls_head h;
		if ((rv = evls_db_get(&s->meta, hk, hl, &val, &vlen)) != 0) {
			if (rv == EVL_ENOTFOUND)
				rv = 0;
			continue;
		}
		bool ok = evls_val_head_decode(val, vlen, &h);
		leveldb_free(val);
		if (!ok)
			return EVL_ECORRUPT;
		h.next_version = c->first_cut;
		if (h.first_version > h.next_version)
			h.first_version = h.next_version;
		if (c->offset != UINT64_MAX)
			h.last_offset = c->offset;
		if (h.snapshot >= 0 && (uint64_t) h.snapshot >= h.next_version)
			h.snapshot = -1;
		if (h.next_version == 0 && !(h.flags & EVLS_HEAD_DELETED)) {
			leveldb_writebatch_delete(b, (char *) hk, hl);
		} else {
			evls_val_head(hv, &h);
			leveldb_writebatch_put(
			    b, (char *) hk, hl, (char *) hv, sizeof(hv));
		}
	}
	return rv;
}

/* The offset an entry of a per-partition table names, from its key and
 * value; false when the entry is malformed. */
typedef bool (*entry_offset_fn)(
    const uint8_t *k, size_t kl, const char *v, size_t vl, uint64_t *off);

/* Producer states: the offset of the producer's last batch. */
static bool
pstate_offset(
    const uint8_t *k, size_t kl, const char *v, size_t vl, uint64_t *off)
{
	evls_pstate ps;
	(void) k;
	if (kl != EVLS_PSKEY_SIZE || !evls_val_pstate_decode(v, vl, &ps))
		return false;
	*off = ps.base_offset;
	return true;
}

/* Dedupe ids: the offset the id's record was appended at. */
static bool
id_offset(const uint8_t *k, size_t kl, const char *v, size_t vl, uint64_t *off)
{
	int64_t time;
	(void) k;
	return kl > EVLS_IDPFX_SIZE && evls_val_id_decode(v, vl, off, &time);
}

/*
 * Drops topic t's entries of the table under key kind ('Q' producer
 * states, 'X' dedupe ids: kind + topic_id + partition + ...) that name an
 * offset at or past their partition's new head: their batches are lost.
 * A producer whose state goes has its next batch refused for its
 * sequence and moves to a new epoch (what it does after any batch whose
 * fate it does not know); an id that goes makes a retry of its record
 * be appended, not answered with an offset a later append reuses (its
 * 'Y' entry stays until the prune, which deletes an 'X' only of its own
 * time).
 */
static int
recover_lost(evls_store *s, evls_topic *t, leveldb_writebatch_t *b,
    uint8_t kind, entry_offset_fn offset_of, const char *what)
{
	uint8_t             pfx[5];
	int                 rv = 0;
	leveldb_iterator_t *it = evls_db_iter(&s->meta);
	pfx[0]                 = kind;
	evlp_put_u32(pfx + 1, t->id);
	leveldb_iter_seek(it, (char *) pfx, sizeof(pfx));
	for (; evls_db_iter_has_prefix(it, pfx, sizeof(pfx));
	     leveldb_iter_next(it)) {
		size_t         kl, vl;
		const uint8_t *k = (const uint8_t *) leveldb_iter_key(it, &kl);
		const char    *v = leveldb_iter_value(it, &vl);
		uint64_t       off;
		if (!offset_of(k, kl, v, vl, &off)) {
			rv = EVL_ECORRUPT;
			break;
		}
		uint32_t part = evlp_get_u32(k + 5);
		if (part < t->config.partitions && off >= t->parts[part].next)
			leveldb_writebatch_delete(b, (const char *) k, kl);
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, what);
	leveldb_iter_destroy(it);
	return rv;
}

/*
 * Step 2 for the streams of topic t, once its heads were pulled back:
 * drops the version entries and producer states that point at or past a
 * partition's new head (their batches are gone), and moves each cut
 * stream's head back, so versions stay dense and no entry names an offset
 * a later append will reuse.  Scans the topic's version index: this runs
 * only after a power cut.
 */
static int
recover_streams(evls_store *s, evls_topic *t, leveldb_writebatch_t *b)
{
	uint8_t             pfx[5];
	cut_key            *cut    = NULL;
	uint8_t            *lg     = evlp_alloc(EVLS_STREAM_KEY_MAX + 1);
	size_t              lg_len = SIZE_MAX; /* the last good entry's key */
	uint64_t            lg_off = 0;
	int                 rv     = 0;
	leveldb_iterator_t *it;

	if (lg == NULL)
		return EVL_ENOMEM;
	it     = evls_db_iter(&s->meta);
	pfx[0] = EVLS_KEY_VERSION;
	evlp_put_u32(pfx + 1, t->id);
	leveldb_iter_seek(it, (char *) pfx, sizeof(pfx));
	for (; evls_db_iter_has_prefix(it, pfx, sizeof(pfx));
	     leveldb_iter_next(it)) {
		size_t         kl, vl;
		const uint8_t *k = (const uint8_t *) leveldb_iter_key(it, &kl);
		const uint8_t *v = (const uint8_t *) leveldb_iter_value(it, &vl);
		size_t         klen = kl >= 7 ? evlp_get_u16(k + 5) : 0;
		if (kl != 15 + klen || vl != 8 || klen > EVLS_STREAM_KEY_MAX) {
			rv = EVL_ECORRUPT;
			break;
		}
		uint64_t ver  = evlp_get_u64(k + 7 + klen);
		uint64_t off  = evlp_get_u64(v);
		uint32_t part = evlp_partition_for_key(
		    k + 7, klen, t->config.partitions);
		if (off < t->parts[part].next) {
			memcpy(lg, k + 7, klen);
			lg_len = klen;
			lg_off = off;
			continue;
		}
		leveldb_writebatch_delete(b, (const char *) k, kl);
		if (cut != NULL && cut->klen == klen &&
		    memcmp(cut->key, k + 7, klen) == 0)
			continue; /* a later version of a key already cut */
		cut_key *c = evlp_zalloc(sizeof(*c) + klen);
		if (c == NULL) {
			rv = EVL_ENOMEM;
			break;
		}
		c->klen = klen;
		memcpy(c->key, k + 7, klen);
		c->first_cut = ver;
		c->offset    = lg_len == klen && memcmp(lg, k + 7, klen) == 0
		       ? lg_off
		       : UINT64_MAX;
		c->next = cut;
		cut     = c;
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, "recover streams");
	leveldb_iter_destroy(it);
	evlp_free(lg);
	if (rv == 0)
		rv = recover_heads(s, t, cut, b);
	while (cut != NULL) {
		cut_key *next = cut->next;
		evlp_free(cut);
		cut = next;
	}
	if (rv == 0)
		rv = recover_lost(s, t, b, EVLS_KEY_PRODUCER, pstate_offset,
		    "recover producers");
	if (rv == 0)
		rv = recover_lost(
		    s, t, b, EVLS_KEY_ID, id_offset, "recover ids");
	return rv;
}

static void
recover_put_applied(leveldb_writebatch_t *b, uint64_t seq)
{
	uint8_t k[2], v[8];
	evls_key_singleton(k, EVLS_S_APPLIED);
	evlp_put_u64(v, seq);
	leveldb_writebatch_put(b, (char *) k, 2, (char *) v, 8);
}

static int
recover_truncate(evls_store *s, uint64_t last_seq)
{
	leveldb_writebatch_t *b  = leveldb_writebatch_create();
	int                   rv = 0;
	for (size_t i = 0; rv == 0 && i < s->ntopics; i++)
		for (uint32_t p = 0;
		     rv == 0 && p < s->topics[i]->config.partitions; p++)
			rv = recover_tail(s, s->topics[i], p, last_seq, b);
	/* Streams and producer states after the heads (all topics: a
	 * producer state may name a lost batch on any topic). */
	for (size_t i = 0; rv == 0 && i < s->ntopics; i++)
		rv = recover_streams(s, s->topics[i], b);
	recover_put_applied(b, last_seq);
	if (rv == 0)
		rv = evls_db_write(&s->meta, b, true, "recover tail");
	leveldb_writebatch_destroy(b);
	return rv;
}

/* Writes one chunk of replayed index entries with the touched partitions'
 * counters and the marker; then deletes orphans of deleted topics. */
static int
recover_flush(evls_store *s, leveldb_writebatch_t *mb,
    leveldb_writebatch_t *lb, uint64_t applied)
{
	for (size_t i = 0; i < s->ntopics; i++) {
		evls_topic *t = s->topics[i];
		for (uint32_t p = 0; p < t->config.partitions; p++) {
			if (!t->parts[p].g_touched)
				continue;
			t->parts[p].g_touched = false;
			evls_part_put(mb, t->id, p, &t->parts[p]);
		}
	}
	evls_heads_put(&s->heads, mb);
	recover_put_applied(mb, applied);
	int rv = evls_db_write(&s->meta, mb, false, "replay");
	evls_heads_clear(&s->heads);
	if (rv == 0)
		rv = evls_db_write(&s->log, lb, false, "replay orphans");
	leveldb_writebatch_clear(mb);
	leveldb_writebatch_clear(lb);
	return rv;
}

/* Step 3: applies log entries after the marker, in seq order. */
static int
recover_replay(evls_store *s, uint64_t applied, uint64_t *replayed)
{
	uint8_t               k[EVLS_IDXKEY_SIZE], v[EVLS_IDXVAL_SIZE];
	uint8_t               from[EVLS_SEQ_SIZE];
	leveldb_writebatch_t *mb = leveldb_writebatch_create();
	leveldb_writebatch_t *lb = leveldb_writebatch_create();
	leveldb_iterator_t   *it = evls_db_iter(&s->log);
	size_t                n  = 0;
	int                   rv = 0;
	evls_topic           *t  = NULL;

	evls_key_seq(from, applied + 1);
	leveldb_iter_seek(it, (char *) from, sizeof(from));
	for (; rv == 0 && leveldb_iter_valid(it); leveldb_iter_next(it)) {
		size_t         klen, vlen;
		const char    *key = leveldb_iter_key(it, &klen);
		const uint8_t *val =
		    (const uint8_t *) leveldb_iter_value(it, &vlen);
		uint64_t       seq;
		uint32_t       tid, part;
		evlp_batch_hdr h;
		if (!evls_key_log_decode(key, klen, &seq, &tid, &part)) {
			rv = EVL_ECORRUPT;
			break;
		}
		if (t == NULL || t->id != tid)
			t = evls_topic_by_id(s, tid);
		if (t == NULL) {
			/* Its topic was deleted: an orphan. */
			leveldb_writebatch_delete(lb, key, klen);
		} else {
			evls_part *p = part < t->config.partitions
			    ? &t->parts[part]
			    : NULL;
			if (p == NULL || evlp_batch_peek(val, vlen, &h) != 0 ||
			    h.size != vlen || h.base_offset != p->next) {
				fprintf(stderr,
				    "evlog storage: replay: log entry %llu "
				    "(%s/%u) does not follow the index\n",
				    (unsigned long long) seq, t->name, part);
				rv = EVL_ECORRUPT;
				break;
			}
			evls_idx x = { h.base_offset + h.count - 1, seq,
				h.base_offset, (uint32_t) vlen, h.append_time };
			evls_key_idx(k, tid, part, x.last_offset);
			evls_val_idx(v, &x);
			leveldb_writebatch_put(
			    mb, (char *) k, sizeof(k), (char *) v, sizeof(v));
			/* Stream versions and producer states follow from
			 * the batches in log order, as the writer assigned
			 * them. */
			int64_t ver;
			if ((t->config.key_index ||
			        t->config.dedupe_window_ms > 0 ||
			        evls_heads_is_producer(val)) &&
			    (rv = evls_heads_apply(s, &s->heads, t, part, val,
			         vlen, mb, &ver)) != 0)
				break;
			p->next += h.count;
			p->bytes += vlen;
			if (h.append_time > p->last_time)
				p->last_time = h.append_time;
			p->g_touched = true;
		}
		applied = seq;
		if (++n % REPLAY_CHUNK == 0)
			rv = recover_flush(s, mb, lb, applied);
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, "replay");
	if (rv == 0 && n % REPLAY_CHUNK != 0)
		rv = recover_flush(s, mb, lb, applied);
	evls_heads_clear(&s->heads);
	leveldb_iter_destroy(it);
	leveldb_writebatch_destroy(mb);
	leveldb_writebatch_destroy(lb);
	*replayed = n;
	return rv;
}

int
evls_recover(evls_store *s)
{
	uint8_t  k[2];
	char    *val;
	size_t   vlen;
	uint64_t applied = 0, last_seq, replayed = 0;
	int      rv;

	if ((rv = recover_deletions(s)) != 0)
		return rv;
	evls_key_singleton(k, EVLS_S_APPLIED);
	rv = evls_db_get(&s->meta, k, 2, &val, &vlen);
	if (rv == 0) {
		if (vlen == 8)
			applied = evlp_get_u64((uint8_t *) val);
		leveldb_free(val);
		if (vlen != 8)
			return EVL_ECORRUPT;
	} else if (rv != EVL_ENOTFOUND) {
		return rv;
	}
	if ((rv = recover_last_seq(s, &last_seq)) != 0)
		return rv;
	/* Seqs of deleted entries are never reused either. */
	s->next_seq = (last_seq > applied ? last_seq : applied) + 1;
	if (last_seq < applied && (rv = recover_truncate(s, last_seq)) != 0)
		return rv;
	if (last_seq > applied) {
		if ((rv = recover_replay(s, applied, &replayed)) != 0)
			return rv;
		fprintf(stderr, "evlog storage: %s: replayed %llu log entries\n",
		    s->dir, (unsigned long long) replayed);
	}
	for (size_t i = 0; rv == 0 && i < s->ntopics; i++) {
		evls_topic *t = s->topics[i];
		for (uint32_t p = 0; rv == 0 && p < t->config.partitions; p++)
			rv = evls_part_sweep(s, t->id, p, t->parts[p].first, NULL);
	}
	return rv;
}
