/*
 * reader.c -- reading a topic from any position, and following its head.
 *
 * A reader keeps one position per assigned partition; they are the truth,
 * and a fetched response is only a buffer in front of them.  One FETCH
 * asks for every assigned partition at its position and long-polls in the
 * broker up to max_wait_ms while none has news, so following a topic costs
 * one outstanding request, answered as soon as a record lands.  FETCH is
 * idempotent: evlc_call re-sends it after a reconnect.
 *
 * Records are returned as views into the response message, which the
 * reader keeps until the next call.  The broker answers with whole
 * batches, so the first batch of a partition may start below the asked
 * position: records below the position are skipped.  Every batch is
 * checked before it is walked (header, CRC-32C, then the total
 * evlp_batch_iter), and damaged data gives EVL_ECORRUPT and never a read
 * outside the message.
 */
#include <string.h>

#include "alloc.h"
#include "batch.h"
#include "client_int.h"
#include "msg.h"
#include "ops.h"
#include "walk.h"

#define DEFAULT_MAX_WAIT_MS 500
/* 1 MiB: a fetch answer that fits in the CPU's caches is walked while
 * still in them; 4 MiB and more read 2x slower on a 2-core machine
 * (docs/PERFORMANCE.md). */
#define DEFAULT_MAX_BYTES   ((size_t) 1 << 20)
/* "Nothing buffered", internal to this file. */
#define NOTHING (-1)

typedef struct rpart {
	bool     assigned;
	bool     paused; /* got EVL_EOFFSET; waits for a seek */
	uint64_t pos;    /* the next offset to return */
} rpart;

struct evl_reader {
	evl_client     *c;
	char           *topic;
	size_t          topic_len;
	uint32_t        nparts;
	rpart          *parts;
	evl_reader_opts o;

	evlc_walk walk; /* the answer being walked, and where in it */

	evl_record  rec;
	evlc_hdrs   hdrs;
};

void
evl_reader_opts_init(evl_reader_opts *o)
{
	o->max_wait_ms = DEFAULT_MAX_WAIT_MS;
	o->max_bytes   = DEFAULT_MAX_BYTES;
}

static void
drop_response(evl_reader *r)
{
	evlc_walk_drop(&r->walk);
}

int
evl_reader_open(evl_reader **out, evl_client *c, const char *topic,
    const evl_reader_opts *o)
{
	evl_reader_opts def;
	evl_reader     *r;
	uint32_t        n;
	int             rv;
	if (out == NULL || c == NULL || topic == NULL || *topic == '\0')
		return EVL_EINVAL;
	evlc_clear_err(c);
	if (o == NULL) {
		evl_reader_opts_init(&def);
		o = &def;
	}
	if ((rv = evlc_topic_partitions(c, topic, &n)) != 0)
		return rv;
	if (EVLP_ALLOC_STRUCT(r) == NULL)
		return EVL_ENOMEM;
	r->c      = c;
	r->nparts = n;
	r->o      = *o;
	if (r->o.max_bytes == 0)
		r->o.max_bytes = DEFAULT_MAX_BYTES;
	if (r->o.max_bytes > EVLC_RECV_MAX - EVLC_RESP_SLACK)
		r->o.max_bytes = EVLC_RECV_MAX - EVLC_RESP_SLACK;
	r->topic_len = strlen(topic);
	if (r->topic_len > UINT16_MAX) {
		rv = EVL_EBADNAME;
		goto fail;
	}
	if ((r->topic = evlp_strdup(topic)) == NULL ||
	    (r->parts = evlp_zalloc(n * sizeof(*r->parts))) == NULL) {
		rv = EVL_ENOMEM;
		goto fail;
	}
	if ((rv = evlc_register(c, r, EVLC_READER)) != 0)
		goto fail;
	*out = r;
	return 0;
fail:
	evlp_free(r->parts);
	evlp_free(r->topic);
	evlp_free(r);
	return rv;
}

void
evl_reader_close(evl_reader *r)
{
	if (r == NULL)
		return;
	evlc_unregister(r->c, r, EVLC_READER);
	drop_response(r);
	evlc_hdrs_free(&r->hdrs);
	evlp_free(r->parts);
	evlp_free(r->topic);
	evlp_free(r);
}

uint32_t
evl_reader_partitions(evl_reader *r)
{
	return r ? r->nparts : 0;
}

static int
check_part(evl_reader *r, uint32_t partition)
{
	if (r == NULL)
		return EVL_EINVAL;
	evlc_clear_err(r->c);
	if (partition >= r->nparts)
		return evlc_fail(r->c, EVL_ENOPART, "%s has no partition %u",
		    r->topic, (unsigned) partition);
	return 0;
}

static void
assign(evl_reader *r, uint32_t partition, uint64_t offset)
{
	/* Buffered records may be of the old position: fetch again. */
	drop_response(r);
	r->parts[partition].assigned = true;
	r->parts[partition].paused   = false;
	r->parts[partition].pos      = offset;
}

int
evl_reader_seek(evl_reader *r, uint32_t partition, uint64_t offset)
{
	int rv;
	if ((rv = check_part(r, partition)) != 0)
		return rv;
	if (offset == EVL_OFFSET_BEGINNING || offset == EVL_OFFSET_END) {
		int64_t ts = offset == EVL_OFFSET_BEGINNING ? EVL_TIME_EARLIEST
		                                            : EVL_TIME_LATEST;
		if ((rv = evl_offset_for_time(r->c, r->topic, partition, ts,
		         &offset)) != 0)
			return rv;
	}
	assign(r, partition, offset);
	return 0;
}

int
evl_reader_seek_time(evl_reader *r, uint32_t partition, int64_t ts_ms)
{
	uint64_t offset;
	int      rv;
	if ((rv = check_part(r, partition)) != 0)
		return rv;
	if (ts_ms < 0)
		return evlc_fail(r->c, EVL_EINVAL, "negative timestamp");
	if ((rv = evl_offset_for_time(r->c, r->topic, partition, ts_ms,
	         &offset)) != 0)
		return rv;
	assign(r, partition, offset);
	return 0;
}

int
evl_reader_unassign(evl_reader *r, uint32_t partition)
{
	int rv;
	if ((rv = check_part(r, partition)) != 0)
		return rv;
	drop_response(r);
	r->parts[partition].assigned = false;
	return 0;
}

int
evl_reader_position(evl_reader *r, uint32_t partition, uint64_t *offset)
{
	int rv;
	if ((rv = check_part(r, partition)) != 0)
		return rv;
	if (offset == NULL || !r->parts[partition].assigned)
		return evlc_fail(r->c, EVL_EINVAL, "partition %u not assigned",
		    (unsigned) partition);
	*offset = r->parts[partition].pos;
	return 0;
}

/* ---- walking a response ------------------------------------------------ */

static void *
walk_find(void *owner, evlp_view topic, uint32_t partition)
{
	evl_reader *r = owner;
	if (topic.len != r->topic_len ||
	    memcmp(topic.p, r->topic, r->topic_len) != 0 ||
	    partition >= r->nparts)
		return NULL;
	return &r->parts[partition];
}

static bool
walk_readable(const void *part)
{
	const rpart *rp = part;
	return rp->assigned && !rp->paused;
}

static uint64_t *
walk_pos(void *part)
{
	return &((rpart *) part)->pos;
}

static const char *
walk_topic(const void *owner, const void *part)
{
	(void) part;
	return ((const evl_reader *) owner)->topic;
}

static const evlc_walk_ops walk_ops = { walk_find, walk_readable, walk_pos,
	walk_topic };

/* The next buffered record at or past its partition's position: 0, or
 * NOTHING when the response is used up, or an error. */
static int
next_buffered(evl_reader *r)
{
	evlc_walk *w  = &r->walk;
	int        rv = evlc_walk_record(w, &walk_ops, r, r->c, &r->rec, &r->hdrs);
	if (rv == EVLC_WALK_END)
		return NOTHING;
	if (rv == EVLC_WALK_PART_ERROR) {
		/* Reported once; the partition waits for a seek
		 * (EVL_EOFFSET) or for the caller to act. */
		((rpart *) w->part)->paused = true;
		return w->cur.error;
	}
	return rv;
}

/* ---- fetching ---------------------------------------------------------- */

typedef struct fetch_arg {
	const evl_reader *r;
	uint32_t          wait_ms;
	uint16_t          count;
} fetch_arg;

static void
fetch_encode(evlp_wr *w, const void *arg)
{
	const fetch_arg  *a = arg;
	const evl_reader *r = a->r;
	evlp_fetch_req_encode(
	    w, a->wait_ms, (uint32_t) r->o.max_bytes, a->count);
	for (uint32_t i = 0; i < r->nparts; i++) {
		const rpart *rp = &r->parts[i];
		if (!rp->assigned || rp->paused)
			continue;
		evlp_fetch_part p = {
			.topic     = { (const uint8_t *) r->topic, r->topic_len },
			.partition = i,
			.offset    = rp->pos,
			.max_bytes = (uint32_t) r->o.max_bytes,
		};
		evlp_fetch_part_encode(w, &p);
	}
}

static int
fetch(evl_reader *r, uint32_t wait_ms)
{
	fetch_arg a = { r, wait_ms, 0 };
	uint32_t  n = 0;
	int       rv;
	for (uint32_t i = 0; i < r->nparts; i++)
		if (r->parts[i].assigned && !r->parts[i].paused)
			n++;
	if (n == 0)
		return evlc_fail(r->c, EVL_EINVAL,
		    "no partition of %s to read: seek one", r->topic);
	if (n > UINT16_MAX)
		return evlc_fail(r->c, EVL_ELIMIT, "too many partitions");
	a.count = (uint16_t) n;
	drop_response(r);
	rv = evlc_call(r->c, EVLP_OP_FETCH, fetch_encode, &a, wait_ms,
	    EVLC_IDEMPOTENT, &r->walk.resp);
	if (rv != 0)
		return rv;
	if ((rv = evlc_walk_start(&r->walk)) != 0)
		return evlc_fail(r->c, rv, "%s", r->walk.what);
	return 0;
}

static bool
conn_error(int rv)
{
	return rv == EVL_ECONNRESET || rv == EVL_ECONNREFUSED ||
	    rv == EVL_ETIMEDOUT || rv == EVL_ESHUTDOWN || rv == EVL_EBUSY ||
	    rv == EVL_ETHROTTLED;
}

int
evl_reader_next(evl_reader *r, const evl_record **rec, uint32_t timeout_ms)
{
	if (r == NULL || rec == NULL)
		return EVL_EINVAL;
	/* The clock is read only when a fetch is due, not per record. */
	uint64_t deadline = 0;
	bool     fetched  = false;
	for (;;) {
		int rv = next_buffered(r);
		if (rv == 0) {
			*rec = &r->rec;
			return 0;
		}
		if (rv != NOTHING)
			return rv;
		uint64_t now = evlc_now_ms();
		if (!fetched)
			deadline = now + timeout_ms;
		if (fetched && now >= deadline)
			return EVL_ETIMEDOUT;
		uint64_t wait = deadline > now ? deadline - now : 0;
		if (wait > r->o.max_wait_ms)
			wait = r->o.max_wait_ms;
		rv = fetch(r, (uint32_t) wait);
		fetched = true;
		/* A broker away for a moment is no error yet: keep trying
		 * (each try waits for the re-dialed connection) until the
		 * caller's timeout, then say why. */
		if (rv != 0 && !(conn_error(rv) && evlc_now_ms() < deadline))
			return rv;
	}
}
