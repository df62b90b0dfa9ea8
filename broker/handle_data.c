/*
 * handle_data.c -- PRODUCE, FETCH (with long poll) and LIST_OFFSETS.
 *
 * Produce does no per-record work: evlp_batch_check walks the batch once
 * (CRC and record framing, as the protocol demands of every stored
 * batch), the count comes from the header, and the batch is handed to
 * the store's writer in place, inside the request message, which the
 * writer stamps and writes and which then carries the answer back.  The
 * NNG thread never waits for the writer: the append's done (on the
 * writer thread) sends the answer.
 *
 * Ordering: REP contexts run concurrently, so two produces for one
 * partition that are in flight at once -- from one client over two REQ
 * contexts -- may reach the writer in either order.  A client that needs
 * order keeps one produce in flight per partition (the evlog client
 * library does), or uses producer sequence numbers when they land.
 *
 * Fetch copies batches from the store straight into the response message
 * (the store's sink appends to it; each partition's length field is
 * patched afterwards).  A fetch that finds nothing parks: it registers a
 * waiter on every partition it asked for, and its context's aio sleeps
 * for max-wait.  An append to any of them fires the waiter, which cancels
 * the sleep; the answer is then read and built on an NNG thread.
 *
 * Quotas (quota.h): both ops first ask whether the user is in debt, and
 * a user who is gets EVL_ETHROTTLED before anything is decoded, queued
 * or parked.  A produce is charged its batch's bytes when the batch goes
 * to the writer; a fetch the bytes of its response when it is answered,
 * a parked one when it wakes.
 */
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "alloc.h"
#include "batch.h"
#include "broker.h"
#include "dispatch.h"
#include "limit.h"
#include "msg.h"
#include "quota.h"
#include "server.h"

/* ---- quotas --------------------------------------------------------- */

/* Finds r's user and refuses the request when the user is in debt in
 * direction d; the detail is how long to back off. */
static int
quota_gate(struct evld_req *r, enum evld_quota_dir d, uint64_t now_us)
{
	uint32_t wait_ms;

	r->quota = evld_quota_user(r->b->quotas, r->user);
	if (evld_quota_check(r->quota, d, now_us, &wait_ms) == 0)
		return 0;
	r->detail = wait_ms;
	snprintf(r->errbuf, sizeof(r->errbuf),
	    "%s quota of %s%s%s exceeded: back off %u ms",
	    d == EVLD_QUOTA_PRODUCE ? "produce" : "fetch",
	    r->user[0] != '\0' ? "user \"" : "the anonymous user", r->user,
	    r->user[0] != '\0' ? "\"" : "", (unsigned) wait_ms);
	r->errmsg = r->errbuf;
	return EVL_ETHROTTLED;
}

/* ---- produce -------------------------------------------------------- */

/* An acks=none append: answered before it is done, so it owns the
 * request message (its batch) and the pipe's outstanding count. */
struct noack {
	evls_append         app;
	nng_msg            *msg;
	struct evld_broker *b;
	uint32_t            pipe;
	bool                pipe_held;
	uint32_t            records;
	uint64_t            submit_us;
	char                topic[EVLD_NAME_MAX + 1];
};

static void
produce_count(struct evld_broker *b, const evls_append *a, uint32_t records,
    uint64_t submit_us)
{
	evld_histogram_observe(b->bm.store_write, evld_now_us() - submit_us);
	if (a->err == 0 && !a->duplicate) {
		evld_counter_add(b->bm.records_in, records);
		evld_counter_add(b->bm.bytes_in, a->len);
	}
}

/* The writer thread: an acks=none append is done; nobody waits. */
static void
noack_done(evls_append *a)
{
	struct noack *n = a->arg;
	if (n->b->bm_ok)
		produce_count(n->b, a, n->records, n->submit_us);
	if (a->err != 0 && a->err != EVL_ECLOSED)
		evld_log_debug(&n->b->log, "acks=none produce to %s/%u: %s",
		    n->topic, a->partition, evl_errname(a->err));
	if (n->pipe_held)
		evld_server_pipe_release(n->b->server, n->pipe);
	nng_msg_free(n->msg);
	evlp_free(n);
}

/* The writer thread: the append is written (and synced for acks=fsync).
 * The answer goes into the request message: no allocation. */
static void
produce_done(evls_append *a)
{
	struct evld_req  *r = a->arg;
	evlp_produce_resp m;
	int               rv = a->err;

	if (r->b->bm_ok)
		produce_count(r->b, a, r->records, r->submit_us);
	if (rv == EVL_ECLOSED)
		rv = EVL_ESHUTDOWN;
	if (rv == EVL_EWRONGVERSION)
		r->detail = a->version; /* the stream's current version */
	if (rv == EVL_EINVAL && a->check_version)
		r->errmsg = "an expected version needs a topic with per-key "
		            "streams and one key in the batch";
	else if (rv == EVL_EINVAL)
		r->errmsg = "a record's key is on another partition than its "
		            "hash, too long for a stream, the producer "
		            "fields are invalid, or an evlog-id is empty, "
		            "over 256 bytes, twice in the batch, or the "
		            "batch mixes ids seen within the dedupe window "
		            "with new ones";
	if (rv == 0 && (rv = evld_resp_reuse(r)) == 0) {
		m.base_offset = a->base_offset;
		m.append_time = a->append_time;
		m.count       = r->records;
		m.version     = a->version;
		EVLD_PUT(r->resp, rv, evlp_produce_resp_encode(w, &m));
	}
	evld_req_done(r, rv);
}

/* With --auto-create-topics, a produce to a missing topic creates it. */
static int
produce_topic_check(struct evld_req *r, const char *topic)
{
	const struct evld_config *cfg = r->b->cfg;
	evls_topic_config         c;
	int                       rv;

	if (!cfg->auto_create_topics)
		return 0; /* the writer answers EVL_ENOTOPIC */
	if (evls_topic_get(r->b->store, topic, &c) == 0)
		return 0;
	/* Auto-creating is creating: it needs create beside write. */
	if ((rv = evld_authorize(r, EVLD_RES_TOPIC, topic, EVLD_ACL_CREATE)) != 0)
		return rv;
	evls_topic_config_init(&c);
	c.partitions = cfg->default_partitions;
	rv           = evld_limit_topic_create(r, topic, &c);
	if (rv == EVL_ETOPICEXISTS)
		rv = 0; /* another produce created it first */
	if (rv == 0)
		evld_log_info(&r->b->log, "created topic %s (%u partitions)",
		    topic, c.partitions);
	return rv;
}

static int
produce_noack(struct evld_req *r, const evlp_produce_req *m, uint64_t now_us)
{
	struct noack     *n;
	evlp_produce_resp resp;
	int               rv;

	if (EVLP_ALLOC_STRUCT(n) == NULL)
		return EVL_ENOMEM;
	memcpy(n->topic, r->topic, sizeof(n->topic));
	n->b             = r->b;
	n->records       = r->records;
	n->app.topic     = n->topic;
	n->app.partition = m->partition;
	n->app.batch     = (uint8_t *) m->batch.p;
	n->app.len       = m->batch.len;
	n->app.done      = noack_done;
	n->app.arg       = n;
	n->submit_us     = now_us;
	/* The message (the batch's memory) and the pipe's count move to
	 * the append. */
	n->msg       = r->msg;
	n->pipe      = r->pipe;
	n->pipe_held = r->pipe_held;
	/* Charged before the hand-off, as in evld_handle_produce. */
	evld_quota_charge(r->quota, EVLD_QUOTA_PRODUCE, m->batch.len, now_us);
	if ((rv = evls_append_submit(r->b->store, &n->app)) != 0) {
		evlp_free(n);
		return rv == EVL_ECLOSED ? EVL_ESHUTDOWN : rv;
	}
	r->msg       = NULL;
	r->pipe_held = false;
	r->body.p    = NULL;
	r->body.len  = 0;
	if ((rv = evld_resp_begin(r, 32)) != 0)
		return rv;
	resp.base_offset = UINT64_MAX;
	resp.append_time = -1;
	resp.count       = r->records;
	resp.version     = EVLP_VERSION_NONE;
	EVLD_PUT(r->resp, rv, evlp_produce_resp_encode(w, &resp));
	return rv;
}

int
evld_handle_produce(struct evld_req *r)
{
	evlp_produce_req m;
	evlp_batch_hdr   hdr;
	evls_append     *a      = &r->app;
	uint64_t         now_us = evld_now_us();
	int              rv;

	if ((rv = quota_gate(r, EVLD_QUOTA_PRODUCE, now_us)) != 0)
		return rv;
	if ((rv = evlp_produce_req_decode(r->body, &m)) != 0)
		return rv;
	if (m.acks > EVLP_ACKS_FSYNC) {
		r->errmsg = "acks must be 0 (none), 1 (written) or 2 (fsync)";
		return EVL_EINVAL;
	}
	if ((rv = evld_name_copy(r->topic, m.topic)) != 0)
		return rv;
	if ((rv = evld_authorize(r, EVLD_RES_TOPIC, r->topic, EVLD_ACL_WRITE)) != 0)
		return rv;
	if (m.expected_version != EVLP_VERSION_ANY &&
	    m.acks == EVLP_ACKS_NONE) {
		r->errmsg = "an expected version needs acks 1 or 2 (acks 0 "
		            "cannot report a conflict)";
		return EVL_EINVAL;
	}
	/* Everything is checked before anything is queued: a bad batch
	 * changes nothing. */
	if ((rv = evlp_batch_check(m.batch.p, m.batch.len, &hdr)) != 0)
		return rv;
	if ((rv = evld_limit_records(r, m.batch.p, m.batch.len)) != 0)
		return rv;
	if ((rv = produce_topic_check(r, r->topic)) != 0)
		return rv;
	r->records = hdr.count;

	if (m.acks == EVLP_ACKS_NONE)
		return produce_noack(r, &m, now_us);

	memset(a, 0, sizeof(*a));
	a->topic     = r->topic;
	a->partition = m.partition;
	a->batch     = (uint8_t *) m.batch.p; /* our message: writable */
	a->len       = m.batch.len;
	a->sync      = m.acks == EVLP_ACKS_FSYNC;
	/* Checked by the writer, atomically with the append (storage/
	 * heads.h). */
	a->check_version    = m.expected_version != EVLP_VERSION_ANY;
	a->expected_version = m.expected_version;
	a->done      = produce_done;
	a->arg       = r;
	r->submit_us = now_us;
	/* Charged before the hand-off: the writer may answer, and the
	 * client send its next request, before this thread runs again,
	 * and that request must find the debt.  (A submit that fails now
	 * is the broker closing; its charge does not matter.) */
	evld_quota_charge(r->quota, EVLD_QUOTA_PRODUCE, m.batch.len, now_us);
	if ((rv = evls_append_submit(r->b->store, a)) != 0)
		return rv == EVL_ECLOSED ? EVL_ESHUTDOWN : rv;
	/* done may already be running on the writer: hands off r. */
	return EVLD_ASYNC;
}

/* ---- fetch ---------------------------------------------------------- */

struct fetch_sink {
	nng_msg *m;
	size_t   bytes;
	uint64_t records;
};

/* The store's read hands each batch here: straight into the answer. */
static int
fetch_sink(void *arg, const uint8_t *batch, size_t len)
{
	struct fetch_sink *fs   = arg;
	size_t             need = nng_msg_len(fs->m) + len;
	/* NNG grows a message to exactly the size asked for; grow it
	 * geometrically instead, or a big answer is copied once per
	 * batch. */
	if (need > nng_msg_capacity(fs->m)) {
		size_t want = 2 * nng_msg_capacity(fs->m);
		if (nng_msg_reserve(fs->m, want > need ? want : need) != 0 &&
		    nng_msg_reserve(fs->m, need) != 0)
			return EVL_ENOMEM;
	}
	if (nng_msg_append(fs->m, batch, len) != 0)
		return EVL_ENOMEM;
	fs->bytes += len;
	/* The record count sits at byte 28 of the batch header. */
	if (len >= EVLP_BATCH_HEADER_SIZE)
		fs->records += evlp_get_u32(batch + 28);
	return 0;
}

/* Patches a partition entry's head (at `at` in m, head_len bytes) now
 * that its error, offsets and batches' length are known. */
static void
part_patch(nng_msg *m, size_t at, size_t head_len,
    const evlp_fetch_resp_part *p)
{
	evlp_wr w;
	evlp_wr_init(&w, (uint8_t *) nng_msg_body(m) + at, head_len);
	evlp_fetch_resp_part_encode_head(&w, p);
}

/*
 * Reads every requested partition into r->resp.  *data is set when any
 * batch was returned, *failed when any partition carries an error (both
 * answer at once rather than wait).
 */
static int
fetch_build(struct evld_req *r, const evlp_fetch_req *req, bool *data,
    bool *failed)
{
	evlp_fetch_req    it = *req;
	evlp_fetch_part   p;
	struct fetch_sink fs;
	size_t            left = req->max_bytes;
	uint64_t          bytes = 0, records = 0;
	int               rv;

	*data   = false;
	*failed = false;
	/* A guess: small answers stay one allocation, and a long poll that
	 * finds nothing does not pay for a large one. */
	rv = evld_resp_begin(r, 256 + (req->max_bytes < (64u << 10)
	                                   ? req->max_bytes
	                                   : (64u << 10)));
	if (rv != 0)
		return rv;
	EVLD_PUT(r->resp, rv, evlp_fetch_resp_encode(w, req->count));
	while (rv == 0 && evlp_fetch_req_next(&it, &p)) {
		char                 topic[EVLD_NAME_MAX + 1];
		evlp_fetch_resp_part out;
		evls_partition_info  info;
		size_t               at = nng_msg_len(r->resp), head_len, limit;
		int                  err;

		memset(&out, 0, sizeof(out));
		out.topic     = p.topic;
		out.partition = p.partition;
		EVLD_PUT(r->resp, rv, evlp_fetch_resp_part_encode_head(w, &out));
		if (rv != 0)
			break;
		head_len = nng_msg_len(r->resp) - at;

		/* max_bytes bounds each partition and the whole answer, but
		 * a partition with data always gets its first batch (the
		 * store's rule), so a batch larger than either limit never
		 * stalls a consumer.  The whole answer can so exceed
		 * max_bytes by at most one batch per partition. */
		limit = p.max_bytes < left ? p.max_bytes : left;
		fs.m       = r->resp;
		fs.bytes   = 0;
		fs.records = 0;
		memset(&info, 0, sizeof(info));
		err = evld_name_copy(topic, p.topic);
		if (err == 0)
			err = evls_read(r->b->store, topic, p.partition, p.offset,
			    limit, fetch_sink, &fs, &info);
		if (err == EVL_ENOMEM) {
			rv = err;
			break;
		}
		if (err != 0) {
			/* Drop a partial read; report where the partition
			 * is, so a consumer out of range can reset. */
			nng_msg_chop(r->resp, fs.bytes);
			fs.bytes   = 0;
			fs.records = 0;
			if (err == EVL_EOFFSET)
				(void) evls_partition_info_get(
				    r->b->store, topic, p.partition, &info);
			*failed = true;
		}
		out.error         = (uint16_t) err;
		out.first_offset  = info.first_offset;
		out.next_offset   = info.next_offset;
		out.batches.len   = fs.bytes;
		part_patch(r->resp, at, head_len, &out);
		left -= fs.bytes < left ? fs.bytes : left;
		bytes += fs.bytes;
		records += fs.records;
		if (fs.bytes > 0)
			*data = true;
	}
	if (rv == 0 && r->b->bm_ok) {
		evld_counter_add(r->b->bm.bytes_out, bytes);
		evld_counter_add(r->b->bm.records_out, records);
	}
	return rv;
}

/* The fetch is answered with r->resp (rv 0): charge its bytes. */
static int
fetch_charged(struct evld_req *r, int rv)
{
	if (rv == 0 && r->resp != NULL)
		evld_quota_charge(r->quota, EVLD_QUOTA_FETCH,
		    nng_msg_len(r->resp), evld_now_us());
	return rv;
}

/* The parked fetch woke (data, max-wait, or shutdown): answer with what
 * there is now. */
static int
fetch_resume(struct evld_req *r)
{
	evlp_fetch_req m;
	bool           data, failed;
	int            rv;

	(void) evld_waiters_remove(&r->b->waiters, &r->waiter);
	evld_req_park_release(r);
	if ((rv = evlp_fetch_req_decode(r->body, &m)) != 0)
		return rv;
	return fetch_charged(r, fetch_build(r, &m, &data, &failed));
}

/* Fills r's waiter with one entry per requested partition. */
static int
fetch_waiter_prepare(struct evld_req *r, const evlp_fetch_req *req)
{
	evlp_fetch_req          it = *req;
	evlp_fetch_part         p;
	struct evld_wait_entry *e = r->wait_inline;
	size_t                  n = 0;

	if (req->count > EVLD_FETCH_INLINE) {
		if (r->wait_cap < req->count) {
			struct evld_wait_entry *nw =
			    evlp_alloc(req->count * sizeof(*nw));
			if (nw == NULL)
				return EVL_ENOMEM;
			evlp_free(r->wait_heap);
			r->wait_heap = nw;
			r->wait_cap  = req->count;
		}
		e = r->wait_heap;
	}
	while (evlp_fetch_req_next(&it, &p)) {
		memset(&e[n], 0, sizeof(e[n]));
		e[n].topic     = (const char *) p.topic.p;
		e[n].topic_len = p.topic.len;
		e[n].partition = p.partition;
		e[n].offset    = p.offset;
		n++;
	}
	r->waiter.fire    = evld_req_waiter_fire;
	r->waiter.wake    = evld_req_wake_now;
	r->waiter.arg     = r;
	r->waiter.entries = e;
	r->waiter.n       = n;
	return 0;
}

/* True when a head moved past a requested offset since the read. */
static bool
fetch_heads_moved(struct evld_req *r, const evlp_fetch_req *req)
{
	evlp_fetch_req  it = *req;
	evlp_fetch_part p;
	while (evlp_fetch_req_next(&it, &p)) {
		char                topic[EVLD_NAME_MAX + 1];
		evls_partition_info info;
		if (evld_name_copy(topic, p.topic) != 0 ||
		    evls_partition_info_get(
		        r->b->store, topic, p.partition, &info) != 0)
			return true; /* changed under us: answer now */
		if (info.next_offset > p.offset)
			return true;
	}
	return false;
}

/* Read on every topic a fetch names, before anything is read: one
 * topic denied denies the request (a name that is no name is left to
 * the partition's error). */
static int
fetch_authorize(struct evld_req *r, const evlp_fetch_req *req)
{
	evlp_fetch_req  it = *req;
	evlp_fetch_part p;
	while (evlp_fetch_req_next(&it, &p)) {
		char topic[EVLD_NAME_MAX + 1];
		int  rv;
		if (evld_name_copy(topic, p.topic) != 0)
			continue;
		if ((rv = evld_authorize(
		         r, EVLD_RES_TOPIC, topic, EVLD_ACL_READ)) != 0)
			return rv;
	}
	return 0;
}

int
evld_handle_fetch(struct evld_req *r)
{
	evlp_fetch_req m;
	bool           data, failed;
	int            rv;

	if ((rv = quota_gate(r, EVLD_QUOTA_FETCH, evld_now_us())) != 0)
		return rv;
	if ((rv = evlp_fetch_req_decode(r->body, &m)) != 0)
		return rv;
	if ((rv = fetch_authorize(r, &m)) != 0)
		return rv;
	if ((rv = fetch_build(r, &m, &data, &failed)) != 0)
		return rv;
	if (data || failed || m.max_wait_ms == 0 || m.count == 0)
		return fetch_charged(r, 0);

	/* Nothing yet: park.  Past the cap, tell the client to back off
	 * rather than hold yet another context. */
	if (evld_req_park_acquire(r) != 0) {
		r->detail = m.max_wait_ms < EVLD_BUSY_BACKOFF_MS
		    ? m.max_wait_ms
		    : EVLD_BUSY_BACKOFF_MS;
		r->errmsg = "too many parked fetches";
		return EVL_EBUSY;
	}
	if ((rv = fetch_waiter_prepare(r, &m)) != 0) {
		evld_req_park_release(r);
		return rv;
	}
	if ((rv = evld_waiters_add(&r->b->waiters, &r->waiter)) != 0) {
		/* Shutting down: answer with the empty read. */
		evld_req_park_release(r);
		return fetch_charged(r, 0);
	}
	/* An append between the read and the registration fired nobody:
	 * look at the heads again now that we are registered. */
	if (fetch_heads_moved(r, &m)) {
		(void) evld_waiters_remove(&r->b->waiters, &r->waiter);
		evld_req_park_release(r);
		return fetch_charged(r, fetch_build(r, &m, &data, &failed));
	}
	nng_msg_free(r->resp); /* rebuilt when it wakes */
	r->resp   = NULL;
	r->resume  = fetch_resume;
	r->park_ms = m.max_wait_ms;
	evld_waiters_arm(&r->b->waiters, &r->waiter, evld_req_waiter_arm, r);
	/* The sleep may already be over and r answered: hands off. */
	return EVLD_ASYNC;
}

/* ---- list offsets --------------------------------------------------- */

int
evld_handle_list_offsets(struct evld_req *r)
{
	evlp_list_offsets m, it;
	evlp_offset_query q;
	int               rv;

	if ((rv = evlp_list_offsets_req_decode(r->body, &m)) != 0)
		return rv;
	/* Read on every topic named, before any answer is built. */
	it = m;
	while (evlp_list_offsets_req_next(&it, &q)) {
		char topic[EVLD_NAME_MAX + 1];
		if (evld_name_copy(topic, q.topic) == 0 &&
		    (rv = evld_authorize(
		         r, EVLD_RES_TOPIC, topic, EVLD_ACL_READ)) != 0)
			return rv;
	}
	/* Answers echo the request's topic views: keep the request. */
	if ((rv = evld_resp_begin(r, 0)) != 0)
		return rv;
	EVLD_PUT(r->resp, rv, evlp_list_offsets_encode(w, m.count));
	it = m;
	while (rv == 0 && evlp_list_offsets_req_next(&it, &q)) {
		char                topic[EVLD_NAME_MAX + 1];
		evls_partition_info info;
		evlp_offset_answer  a;
		int                 err;
		uint64_t            off = 0;

		err = evld_name_copy(topic, q.topic);
		if (err == 0)
			err = evls_partition_info_get(
			    r->b->store, topic, q.partition, &info);
		if (err == 0) {
			if (q.timestamp == EVLP_TIME_LATEST)
				off = info.next_offset;
			else if (q.timestamp == EVLP_TIME_EARLIEST)
				off = info.first_offset;
			else if (q.timestamp < 0)
				err = EVL_EINVAL;
			else
				err = evls_offset_for_time(r->b->store, topic,
				    q.partition, q.timestamp, &off);
		}
		a.topic     = q.topic;
		a.partition = q.partition;
		a.error     = (uint16_t) err;
		a.offset    = err == 0 ? off : 0;
		EVLD_PUT(r->resp, rv, evlp_offset_answer_encode(w, &a));
	}
	return rv;
}
