/*
 * log.c -- reads and offset-for-time.
 *
 * A read copies the partition's bounds under mu, then walks the batch
 * index from Seek(offset) (keyed by each batch's last offset, so the first
 * hit holds offset) and fetches each batch from the log database by its
 * seq.  It stops at the head it copied, so a batch the writer has written
 * but not yet published is never seen.  Each batch is checked before it
 * is handed out: header, size, offsets against the index, and CRC-32C.
 * A batch missing from the log is either a trim racing the read (the
 * partition's first offset has since moved past it: the read ends there)
 * or corruption.
 */
#include "log.h"

#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "crc32c.h"
#include "store_int.h"

/* The bounds of a partition, copied under mu. */
typedef struct log_part {
	uint32_t            tid;
	evls_partition_info info;
} log_part;

static int
log_part_get(evls_store *s, const char *topic, uint32_t partition,
    log_part *out)
{
	evls_topic *t;
	evls_part  *p;
	pthread_mutex_lock(&s->mu);
	int rv = evls_part_find(s, topic, partition, &t, &p);
	if (rv == 0) {
		out->tid                 = t->id;
		out->info.partition      = partition;
		out->info.first_offset   = p->first;
		out->info.next_offset    = p->next;
		out->info.records        = p->next - p->first;
		out->info.bytes          = p->bytes;
	}
	pthread_mutex_unlock(&s->mu);
	return rv;
}

/* True when the partition's first offset has moved past last (or the
 * topic is gone): a batch missing then was trimmed, not lost. */
static bool
log_trimmed(evls_store *s, const char *topic, uint32_t partition,
    uint64_t last)
{
	log_part lp;
	return log_part_get(s, topic, partition, &lp) != 0 ||
	    lp.info.first_offset > last;
}

bool
evls_batch_ok(const evls_idx *x, const uint8_t *b, size_t len)
{
	evlp_batch_hdr h;
	return evlp_batch_peek(b, len, &h) == 0 && h.size == len &&
	    len == x->bytes && h.base_offset == x->base_offset &&
	    h.base_offset + h.count - 1 == x->last_offset &&
	    h.append_time == x->append_time &&
	    evlp_crc32c(0, b + EVLP_BATCH_CRC_START,
	        len - EVLP_BATCH_CRC_START) == h.crc;
}

static int
log_corrupt(const char *topic, uint32_t partition, const evls_idx *x,
    const char *why)
{
	fprintf(stderr,
	    "evlog storage: %s/%u: batch at offset %llu (seq %llu): %s\n",
	    topic, partition, (unsigned long long) x->base_offset,
	    (unsigned long long) x->seq, why);
	return EVL_ECORRUPT;
}

int
evls_read(evls_store *s, const char *topic, uint32_t partition,
    uint64_t offset, size_t max_bytes, evls_sink sink, void *arg,
    evls_partition_info *info_out)
{
	log_part lp;
	uint8_t  pfx[EVLS_IDXKEY_SIZE], sk[EVLS_SEQ_SIZE];
	size_t   sent = 0;
	int      rv;

	if ((rv = log_part_get(s, topic, partition, &lp)) != 0)
		return rv;
	if (info_out != NULL)
		*info_out = lp.info;
	if (offset > lp.info.next_offset || offset < lp.info.first_offset)
		return EVL_EOFFSET;
	if (offset == lp.info.next_offset)
		return 0;

	/* Log iterator first: anything the index shows was in the log
	 * before either snapshot (the writer writes the log first). */
	leveldb_iterator_t *li = evls_db_iter(&s->log);
	leveldb_iterator_t *mi = evls_db_iter(&s->meta);
	evls_key_idx(pfx, lp.tid, partition, offset);
	leveldb_iter_seek(mi, (char *) pfx, sizeof(pfx));
	for (; evls_db_iter_has_prefix(mi, pfx, EVLS_IDXPFX_SIZE);
	     leveldb_iter_next(mi)) {
		size_t      klen, vlen;
		const char *k = leveldb_iter_key(mi, &klen);
		const char *v = leveldb_iter_value(mi, &vlen);
		evls_idx    x;
		if (!evls_idx_decode(k, klen, v, vlen, &x)) {
			memset(&x, 0, sizeof(x));
			rv = log_corrupt(topic, partition, &x, "bad index entry");
			break;
		}
		if (x.base_offset >= lp.info.next_offset)
			break; /* written, not yet published */
		if (sent > 0 && sent + x.bytes > max_bytes)
			break;
		evls_key_seq(sk, x.seq);
		leveldb_iter_seek(li, (char *) sk, sizeof(sk));
		if (!evls_db_iter_has_prefix(li, sk, sizeof(sk))) {
			if ((rv = evls_db_iter_err(li, "read")) != 0)
				break;
			if (log_trimmed(s, topic, partition, x.last_offset)) {
				rv = sent == 0 ? EVL_EOFFSET : 0;
				break;
			}
			rv = log_corrupt(topic, partition, &x, "missing");
			break;
		}
		const uint8_t *b = (const uint8_t *) leveldb_iter_value(li, &vlen);
		if (!evls_batch_ok(&x, b, vlen)) {
			rv = log_corrupt(topic, partition, &x, "fails its checks");
			break;
		}
		if ((rv = sink(arg, b, vlen)) != 0)
			break;
		sent += vlen;
	}
	if (rv == 0)
		rv = evls_db_iter_err(mi, "read index");
	leveldb_iter_destroy(mi);
	leveldb_iter_destroy(li);
	return rv;
}

int
evls_offset_for_time(evls_store *s, const char *topic, uint32_t partition,
    int64_t ts_ms, uint64_t *offset)
{
	log_part lp;
	uint8_t  k[EVLS_IDXKEY_SIZE];
	int      rv;

	if ((rv = log_part_get(s, topic, partition, &lp)) != 0)
		return rv;
	/* Binary search over offsets, one Seek per probe: append time is
	 * non-decreasing per partition, so the batches with time >= ts form
	 * a suffix; [lo, hi) brackets where it starts. */
	uint64_t            lo = lp.info.first_offset, hi = lp.info.next_offset;
	leveldb_iterator_t *it = evls_db_iter(&s->meta);
	while (lo < hi) {
		uint64_t    mid = lo + (hi - lo) / 2;
		size_t      klen, vlen;
		evls_idx    x;
		evls_key_idx(k, lp.tid, partition, mid);
		leveldb_iter_seek(it, (char *) k, sizeof(k));
		if (!evls_db_iter_has_prefix(it, k, EVLS_IDXPFX_SIZE)) {
			rv = evls_db_iter_err(it, "offset for time");
			if (rv == 0)
				rv = EVL_ECORRUPT; /* an offset below the head
				                      with no batch */
			break;
		}
		const char *key = leveldb_iter_key(it, &klen);
		const char *val = leveldb_iter_value(it, &vlen);
		if (!evls_idx_decode(key, klen, val, vlen, &x)) {
			rv = EVL_ECORRUPT;
			break;
		}
		if (x.base_offset > mid)
			lo = x.base_offset; /* a trim raced us past mid */
		if (x.append_time >= ts_ms)
			hi = x.base_offset > lo ? x.base_offset : lo;
		else
			lo = x.last_offset + 1;
	}
	leveldb_iter_destroy(it);
	if (rv != 0)
		return rv;
	/* lo can pass hi only past the head, by a batch published after
	 * the bounds were copied. */
	*offset = lo < lp.info.next_offset ? lo : lp.info.next_offset;
	return 0;
}
