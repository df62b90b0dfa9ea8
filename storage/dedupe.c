/*
 * dedupe.c -- the prune of the evlog-id table (dedupe.h).
 *
 * The 'Y' keys of a partition sort by append time, so the expired ids are
 * a range at its front: one Seek, then a walk that stops at the first id
 * still inside the window.  An id appended again after its window passed
 * (but before this prune) has a newer 'X' value and a second 'Y' key; the
 * old 'Y' key then goes alone, since its time is not the 'X' entry's.
 */
#include "dedupe.h"

#include "endian.h"
#include "store_int.h"

/* 'Y' entries handled per commit_mu hold. */
#define PRUNE_CHUNK 1024

/* Deletes up to PRUNE_CHUNK expired ids of (tid, part); *n counts them,
 * *more says whether the chunk was full.  Call with commit_mu held. */
static int
prune_chunk(evls_store *s, uint32_t tid, uint32_t part, int64_t window,
    int64_t now, leveldb_writebatch_t *b, uint64_t *n, bool *more)
{
	uint8_t             pfx[EVLS_IDPFX_SIZE], xk[EVLS_IDKEY_MAX];
	size_t              done = 0;
	int                 rv = 0;
	leveldb_iterator_t *it = evls_db_iter(&s->meta);

	pfx[0] = EVLS_KEY_IDTIME;
	evlp_put_u32(pfx + 1, tid);
	evlp_put_u32(pfx + 5, part);
	leveldb_iter_seek(it, (char *) pfx, sizeof(pfx));
	for (; done < PRUNE_CHUNK
	     && evls_db_iter_has_prefix(it, pfx, sizeof(pfx));
	     leveldb_iter_next(it)) {
		size_t         kl, vl;
		const uint8_t *k = (const uint8_t *) leveldb_iter_key(it, &kl);
		char          *v;
		if (kl <= EVLS_IDPFX_SIZE + 8 || kl > EVLS_IDTKEY_MAX) {
			rv = EVL_ECORRUPT;
			break;
		}
		int64_t time = (int64_t) evlp_get_u64(k + EVLS_IDPFX_SIZE);
		if (window > 0 && now - time < window)
			break;
		leveldb_writebatch_delete(b, (const char *) k, kl);
		size_t idn = kl - EVLS_IDPFX_SIZE - 8;
		size_t xl
		    = evls_key_id(xk, tid, part, k + EVLS_IDPFX_SIZE + 8, idn);
		rv = evls_db_get(&s->meta, xk, xl, &v, &vl);
		if (rv == 0) {
			uint64_t off;
			int64_t  xt;
			bool     ok = evls_val_id_decode(v, vl, &off, &xt);
			leveldb_free(v);
			if (!ok) {
				rv = EVL_ECORRUPT;
				break;
			}
			if (xt == time) {
				leveldb_writebatch_delete(b, (char *) xk, xl);
				(*n)++;
			}
		} else if (rv != EVL_ENOTFOUND) {
			break;
		}
		rv = 0;
		done++;
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, "prune ids");
	leveldb_iter_destroy(it);
	*more = rv == 0 && done == PRUNE_CHUNK;
	/* Unsynced: a prune lost to a crash is done again. */
	if (rv == 0 && done > 0)
		rv = evls_db_write(&s->meta, b, false, "prune ids");
	return rv;
}

/* True when topic tid has any 'Y' key: one Seek, so a topic that never
 * had ids (most) costs one Seek per run, not one per partition. */
static bool
prune_any(evls_store *s, uint32_t tid)
{
	uint8_t             pfx[5];
	leveldb_iterator_t *it = evls_db_iter(&s->meta);
	pfx[0] = EVLS_KEY_IDTIME;
	evlp_put_u32(pfx + 1, tid);
	leveldb_iter_seek(it, (char *) pfx, sizeof(pfx));
	bool any = evls_db_iter_has_prefix(it, pfx, sizeof(pfx));
	leveldb_iter_destroy(it);
	return any;
}

int
evls_ids_prune(
    evls_store *s, const char *topic, int64_t now_ms, uint64_t *expired)
{
	leveldb_writebatch_t *b;
	uint64_t              n = 0;
	int                   rv = 0;
	bool                  more = true;

	pthread_mutex_lock(&s->mu);
	evls_topic *t0 = evls_topic_find(s, topic);
	uint32_t    tid = t0 != NULL ? t0->id : 0;
	pthread_mutex_unlock(&s->mu);
	if (t0 == NULL)
		return EVL_ENOTOPIC;
	if (!prune_any(s, tid))
		return 0;
	b = leveldb_writebatch_create();

	for (uint32_t part = 0; rv == 0; part += more ? 0 : 1) {
		pthread_mutex_lock(&s->commit_mu);
		pthread_mutex_lock(&s->mu);
		evls_topic *t = evls_topic_find(s, topic);
		pthread_mutex_unlock(&s->mu);
		if (t == NULL || part >= t->config.partitions) {
			if (t == NULL)
				rv = EVL_ENOTOPIC;
			pthread_mutex_unlock(&s->commit_mu);
			break;
		}
		leveldb_writebatch_clear(b);
		rv = prune_chunk(s, t->id, part, t->config.dedupe_window_ms,
		    now_ms, b, &n, &more);
		pthread_mutex_unlock(&s->commit_mu);
	}
	leveldb_writebatch_destroy(b);
	if (expired != NULL)
		*expired += n;
	return rv;
}
