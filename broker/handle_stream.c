/*
 * handle_stream.c -- READ_STREAM (with long poll), STREAM_INFO and
 * DELETE_STREAM: per-key streams on key-indexed topics (PROTOCOL.md §10).
 *
 * A stream read copies one key's records from the store (storage/stream.h:
 * one Seek in the version index, one fetch per batch) into the answer, as
 * stand-alone records: the neighbours sharing their batches are not sent.
 * Following a stream is a forward read that finds nothing at its version
 * yet: it parks like a fetch, on the key's partition, and answers when
 * that partition's head moves (possibly with nothing, when the append was
 * another key's: the client asks again) or when max_wait_ms ends.
 */
#include <string.h>

#include "acl.h"
#include "batch.h"
#include "broker.h"
#include "dispatch.h"
#include "msg.h"
#include "server.h"

/* Limits when a request leaves them at 0. */
#define STREAM_MAX_COUNT 1000u
#define STREAM_MAX_BYTES (4u << 20)
/* The fixed part of a READ_STREAM answer: u32, i64, u64, i64, u32. */
#define STREAM_HEAD_SIZE 32

/* Copies the request's topic name and checks the key's length. */
static int
stream_names(struct evld_req *r, evlp_view topic, evlp_view key,
    char out[EVLD_NAME_MAX + 1])
{
	int rv;
	if ((rv = evld_name_copy(out, topic)) != 0)
		return rv;
	if (key.len > EVLS_STREAM_KEY_MAX) {
		r->errmsg = "stream keys are at most 4096 bytes";
		return EVL_EINVAL;
	}
	return 0;
}

static int
stream_errmsg(struct evld_req *r, int rv)
{
	if (rv == EVL_EINVAL && r->errmsg == NULL)
		r->errmsg = "the topic has no per-key streams "
		            "(create it with the key index)";
	return rv;
}

struct stream_sink {
	struct evld_req *r;
	uint32_t         n;
	uint64_t         bytes;
};

static int
stream_sink(void *arg, int64_t version, const evlp_record *rec)
{
	struct stream_sink *ss = arg;
	evlp_stream_record  o = { version, rec->offset, rec->append_time,
		 rec->timestamp,
		 (uint8_t) (rec->attributes & EVLP_REC_SNAPSHOT),
		 rec->has_value, rec->value, rec->header_count, rec->headers };
	int                 rv;
	EVLD_PUT(ss->r->resp, rv, evlp_stream_record_encode(w, &o));
	if (rv == 0) {
		ss->n++;
		ss->bytes += rec->value.len;
	}
	return rv;
}

/* Reads the stream into a new r->resp; *info and *n describe it. */
static int
stream_build(struct evld_req *r, const evlp_read_stream_req *m,
    evls_stream_info *info, uint32_t *n)
{
	char               topic[EVLD_NAME_MAX + 1];
	struct stream_sink ss = { r, 0, 0 };
	int                rv;

	if ((rv = stream_names(r, m->topic, m->key, topic)) != 0)
		return rv;
	if ((rv = evld_resp_begin(r, 256)) != 0)
		return rv;
	uint8_t *head = evld_msg_grow(r->resp, STREAM_HEAD_SIZE);
	if (head == NULL)
		return EVL_ENOMEM;
	size_t at = (size_t) (head - (uint8_t *) nng_msg_body(r->resp));
	rv = evls_stream_read(r->b->store, topic, m->key.p, m->key.len,
	    m->from_version, m->backwards != 0,
	    m->max_count ? m->max_count : STREAM_MAX_COUNT,
	    m->max_bytes ? m->max_bytes : STREAM_MAX_BYTES, stream_sink, &ss,
	    info);
	if (rv != 0)
		return stream_errmsg(r, rv);
	/* The head goes in front now that the count is known. */
	evlp_read_stream_resp h = { info->partition, info->version,
		info->first_version, info->snapshot, ss.n, { 0 } };
	evlp_wr               w;
	evlp_wr_init(
	    &w, (uint8_t *) nng_msg_body(r->resp) + at, STREAM_HEAD_SIZE);
	evlp_read_stream_resp_encode(&w, &h);
	if (r->b->bm_ok) {
		evld_counter_add(r->b->bm.records_out, ss.n);
		evld_counter_add(r->b->bm.bytes_out, ss.bytes);
	}
	*n = ss.n;
	return w.err;
}

/* The parked read woke: answer with what there is now. */
static int
stream_resume(struct evld_req *r)
{
	evlp_read_stream_req m;
	evls_stream_info     info;
	uint32_t             n;
	int                  rv;

	(void) evld_waiters_remove(&r->b->waiters, &r->waiter);
	evld_req_park_release(r);
	if ((rv = evlp_read_stream_req_decode(r->body, &m)) != 0)
		return rv;
	return stream_build(r, &m, &info, &n);
}

int
evld_handle_read_stream(struct evld_req *r)
{
	evlp_read_stream_req m;
	evls_stream_info     info;
	evls_partition_info  pi;
	char                 topic[EVLD_NAME_MAX + 1];
	uint32_t             n;
	int                  rv;

	if ((rv = evlp_read_stream_req_decode(r->body, &m)) != 0)
		return rv;
	if (evld_name_copy(topic, m.topic) == 0 &&
	    (rv = evld_authorize(r, EVLD_RES_TOPIC, topic, EVLD_ACL_READ)) != 0)
		return rv;
	if ((rv = stream_build(r, &m, &info, &n)) != 0)
		return rv;
	if (n > 0 || m.backwards || m.max_wait_ms == 0)
		return 0;

	/* Following: nothing at from_version yet.  Park on the key's
	 * partition, as a fetch of its head would. */
	if (evld_req_park_acquire(r) != 0) {
		r->detail = m.max_wait_ms < EVLD_BUSY_BACKOFF_MS
		    ? m.max_wait_ms
		    : EVLD_BUSY_BACKOFF_MS;
		r->errmsg = "too many parked fetches";
		return EVL_EBUSY;
	}
	struct evld_wait_entry *e = r->wait_inline;
	memset(e, 0, sizeof(*e));
	e->topic = (const char *) m.topic.p; /* the request's */
	e->topic_len = m.topic.len;
	e->partition = info.partition;
	e->offset = info.next_offset;
	r->waiter.fire = evld_req_waiter_fire;
	r->waiter.wake = evld_req_wake_now;
	r->waiter.arg = r;
	r->waiter.entries = e;
	r->waiter.n = 1;
	if (evld_waiters_add(&r->b->waiters, &r->waiter) != 0) {
		evld_req_park_release(r);
		return 0; /* shutting down: the empty answer */
	}
	/* An append between the read and the registration fired nobody. */
	if (evld_name_copy(topic, m.topic) != 0
	    || evls_partition_info_get(r->b->store, topic, info.partition, &pi)
	        != 0
	    || pi.next_offset > info.next_offset) {
		(void) evld_waiters_remove(&r->b->waiters, &r->waiter);
		evld_req_park_release(r);
		return stream_build(r, &m, &info, &n);
	}
	nng_msg_free(r->resp); /* rebuilt when it wakes */
	r->resp = NULL;
	r->resume = stream_resume;
	r->park_ms = m.max_wait_ms;
	evld_waiters_arm(&r->b->waiters, &r->waiter, evld_req_waiter_arm, r);
	return EVLD_ASYNC;
}

int
evld_handle_stream_info(struct evld_req *r)
{
	evlp_stream_req       m;
	evlp_stream_info_resp o;
	evls_stream_info      info;
	char                  topic[EVLD_NAME_MAX + 1];
	int                   rv;

	if ((rv = evlp_stream_info_req_decode(r->body, &m)) != 0)
		return rv;
	if ((rv = stream_names(r, m.topic, m.key, topic)) != 0)
		return rv;
	if ((rv = evld_authorize(r, EVLD_RES_TOPIC, topic, EVLD_ACL_READ)) != 0)
		return rv;
	if ((rv = evls_stream_info_get(
	         r->b->store, topic, m.key.p, m.key.len, &info))
	    != 0)
		return stream_errmsg(r, rv);
	o.partition = info.partition;
	o.version = info.version;
	o.first_version = info.first_version;
	o.snapshot = info.snapshot;
	o.last_offset = info.last_offset;
	o.deleted = info.deleted ? 1 : 0;
	if ((rv = evld_resp_begin(r, 64)) != 0)
		return rv;
	EVLD_PUT(r->resp, rv, evlp_stream_info_resp_encode(w, &o));
	return rv;
}

int
evld_handle_delete_stream(struct evld_req *r)
{
	evlp_stream_req m;
	char            topic[EVLD_NAME_MAX + 1];
	int64_t         cur = -1;
	int             rv;

	if ((rv = evlp_delete_stream_req_decode(r->body, &m)) != 0)
		return rv;
	if ((rv = stream_names(r, m.topic, m.key, topic)) != 0)
		return rv;
	if ((rv = evld_authorize(r, EVLD_RES_TOPIC, topic, EVLD_ACL_DELETE)) != 0)
		return rv;
	rv = evls_stream_delete(r->b->store, topic, m.key.p, m.key.len,
	    m.expected_version, (m.flags & EVLP_DELETE_FORGET_VERSIONS) != 0,
	    &cur);
	if (rv == EVL_EWRONGVERSION)
		r->detail = cur;
	if (rv == EVL_ENOTFOUND)
		r->errmsg = "no such stream";
	if (rv != 0)
		return stream_errmsg(r, rv);
	/* Not the key: a deleted stream may be a person's data. */
	evld_log_info(&r->b->log, "deleted a stream of %s", topic);
	return evld_resp_begin(r, 0);
}
