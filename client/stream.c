/*
 * stream.c -- per-key streams in libevlog: append with an expected
 * version, read (forwards, backwards, following), info, delete, and the
 * load-decide-append retry loop (evl_stream_update).
 *
 * A stream's partition is the key's hash (the broker refuses any other),
 * from the cached partition count.  Reads, info and deletes with an exact
 * expected version are safe to re-send; an append is not (it may have
 * landed), which is why evl_stream_update tags each attempt and looks
 * for the tag instead of guessing.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "batch.h"
#include "client_int.h"
#include "msg.h"
#include "ops.h"
#include "partition.h"

/* The header evl_stream_update tags an attempt's first event with. */
#define UPDATE_TAG_HEADER "evlog-id"

static int
stream_check(evl_client *c, const char *topic, const void *key, size_t klen)
{
	if (c == NULL)
		return EVL_EINVAL;
	evlc_clear_err(c);
	if (topic == NULL || *topic == '\0' || strlen(topic) > UINT16_MAX)
		return evlc_fail(c, EVL_EBADNAME, "missing or too long topic");
	if ((key == NULL && klen > 0) || klen > 4096)
		return evlc_fail(c, EVL_EINVAL,
		    "a stream key is 0 to 4096 "
		    "bytes");
	return 0;
}

static evlp_view
view_of(const void *p, size_t n)
{
	evlp_view v = { (const uint8_t *) p, n };
	return v;
}

/* ---- append ----------------------------------------------------------- */

typedef struct append_arg {
	const char *topic;
	uint32_t    partition;
	int64_t     expected;
	evlp_view   batch;
} append_arg;

static void
append_encode(evlp_wr *w, const void *arg)
{
	const append_arg *a = arg;
	evlp_produce_req  r = {
		 .topic = view_of(a->topic, strlen(a->topic)),
		 .partition = a->partition,
		 .acks = EVLP_ACKS_WRITTEN,
		 .expected_version = a->expected,
		 .timeout_ms = 0,
		 .batch = a->batch,
	};
	evlp_produce_req_encode(w, &r);
}

/* Builds the batch of events (tag, when not NULL, as an extra header of
 * the first) into a new buffer. */
static int
append_batch(const void *key, size_t klen, const evl_event *ev, size_t n,
    const char *tag, uint8_t **out, size_t *len)
{
	evlp_header       *hs = NULL;
	evlp_record_in     rin;
	size_t             cap = EVLP_BATCH_HEADER_SIZE, maxh = 1;
	int                rv = 0;
	evlp_batch_builder b;

	for (size_t i = 0; i < n; i++)
		if (ev[i].header_count + 1 > maxh)
			maxh = ev[i].header_count + 1;
	if ((hs = evlp_alloc(sizeof(*hs) * maxh)) == NULL)
		return EVL_ENOMEM;
	/* Twice: once to size the buffer, once to fill it. */
	uint8_t *buf = NULL;
	for (int pass = 0; pass < 2 && rv == 0; pass++) {
		if (pass == 1) {
			if ((buf = evlp_alloc(cap)) == NULL) {
				rv = EVL_ENOMEM;
				break;
			}
			evlp_batch_build_init(&b, buf, cap);
		}
		for (size_t i = 0; i < n && rv == 0; i++) {
			const evl_event *e = &ev[i];
			size_t           h = 0;
			if (e->value == NULL && e->value_len != 0) {
				rv = EVL_EINVAL;
				break;
			}
			for (; h < e->header_count; h++) {
				hs[h].name = view_of(e->headers[h].name,
				    e->headers[h].name_len);
				hs[h].value = view_of(e->headers[h].value,
				    e->headers[h].value_len);
			}
			if (i == 0 && tag != NULL) {
				hs[h].name = view_of(UPDATE_TAG_HEADER,
				    strlen(UPDATE_TAG_HEADER));
				hs[h].value = view_of(tag, strlen(tag));
				h++;
			}
			rin.key = key != NULL ? key : "";
			rin.key_len = klen;
			rin.value = e->value;
			rin.value_len = e->value_len;
			rin.headers = hs;
			rin.header_count = h;
			rin.timestamp = e->timestamp;
			rin.attributes = e->snapshot ? EVLP_REC_SNAPSHOT : 0;
			if (pass == 0)
				cap += evlp_record_size(
				    &rin, ev[0].timestamp, (uint32_t) i);
			else
				rv = evlp_batch_build_add(&b, &rin);
		}
	}
	if (rv == 0)
		rv = evlp_batch_build_finish(&b, len);
	evlp_free(hs);
	if (rv != 0) {
		evlp_free(buf);
		return rv;
	}
	*out = buf;
	return 0;
}

static int
stream_append(evl_client *c, const char *topic, const void *key, size_t klen,
    int64_t expected, const evl_event *events, size_t n, const char *tag,
    evl_append_result *res)
{
	evlc_resp         resp = { 0 };
	evlp_produce_resp r;
	uint8_t          *buf = NULL;
	size_t            len;
	uint32_t          nparts;
	int               rv;

	if ((rv = stream_check(c, topic, key, klen)) != 0)
		return rv;
	if (events == NULL || n == 0 || n > UINT32_MAX
	    || expected < EVL_VERSION_EXISTS)
		return evlc_fail(c, EVL_EINVAL,
		    "an append needs events and a valid expected version");
	if ((rv = evlc_topic_partitions(c, topic, &nparts)) != 0)
		return rv;
	if ((rv = append_batch(key, klen, events, n, tag, &buf, &len)) != 0)
		return evlc_fail(c, rv, "cannot build the batch");
	if (len > EVLC_RECV_MAX - EVLC_RESP_SLACK) {
		evlp_free(buf);
		return evlc_fail(c, EVL_ETOOBIG, "events too large");
	}
	append_arg a = { topic, evlp_partition_for_key(key, klen, nparts),
		expected, { buf, len } };
	/* Not idempotent: see the top of the file. */
	rv = evlc_call(c, EVLP_OP_PRODUCE, append_encode, &a, 0, 0, &resp);
	if (rv == EVL_EWRONGVERSION && res != NULL) {
		res->partition = a.partition;
		res->offset = UINT64_MAX;
		res->version = resp.detail;
	}
	if (rv == 0 && (rv = evlp_produce_resp_decode(resp.body, &r)) != 0)
		evlc_fail(c, rv, "malformed PRODUCE response");
	if (rv == 0 && res != NULL) {
		res->partition = a.partition;
		res->offset = r.base_offset;
		res->version = r.version;
	}
	evlc_resp_fini(&resp);
	evlp_free(buf);
	return rv;
}

int
evl_stream_append(evl_client *c, const char *topic, const void *key,
    size_t key_len, int64_t expected_version, const evl_event *events,
    size_t n, evl_append_result *res)
{
	return stream_append(
	    c, topic, key, key_len, expected_version, events, n, NULL, res);
}

/* ---- read ------------------------------------------------------------- */

void
evl_stream_read_opts_init(evl_stream_read_opts *o)
{
	memset(o, 0, sizeof(*o));
}

/* A page and what its views point into. */
typedef struct spage {
	evl_stream_page pub; /* first: evl_stream_page_free casts back */
	nng_msg        *msg;
	evl_header     *hdrs;
} spage;

void
evl_stream_page_free(evl_stream_page *p)
{
	spage *sp = (spage *) p;
	if (sp == NULL)
		return;
	if (sp->msg != NULL)
		nng_msg_free(sp->msg);
	evlp_free(sp->hdrs);
	evlp_free(sp->pub.events);
	evlp_free(sp);
}

typedef struct read_arg {
	const char                 *topic;
	evlp_view                   key;
	const evl_stream_read_opts *o;
} read_arg;

static void
read_encode(evlp_wr *w, const void *arg)
{
	const read_arg      *a = arg;
	evlp_read_stream_req r = { view_of(a->topic, strlen(a->topic)), a->key,
		a->o->from_version, a->o->backwards ? 1 : 0, a->o->max_count,
		0, a->o->backwards ? 0 : a->o->max_wait_ms };
	evlp_read_stream_req_encode(w, &r);
}

/* Turns a READ_STREAM response (taken over from resp) into a page. */
static int
page_build(evlc_resp *resp, evl_stream_page **out)
{
	evlp_read_stream_resp m, it;
	evlp_stream_record    rec;
	spage                *sp;
	size_t                nh = 0, k = 0, hi = 0;
	int                   rv;

	if ((rv = evlp_read_stream_resp_decode(resp->body, &m)) != 0)
		return rv;
	it = m;
	while (evlp_read_stream_resp_next(&it, &rec))
		nh += rec.header_count;
	if (EVLP_ALLOC_STRUCT(sp) == NULL)
		return EVL_ENOMEM;
	if ((m.count > 0
	        && (sp->pub.events
	               = evlp_zalloc(sizeof(*sp->pub.events) * m.count))
	            == NULL)
	    || (nh > 0
	        && (sp->hdrs = evlp_alloc(sizeof(*sp->hdrs) * nh)) == NULL)) {
		evl_stream_page_free(&sp->pub);
		return EVL_ENOMEM;
	}
	sp->pub.partition = m.partition;
	sp->pub.version = m.version;
	sp->pub.first_version = m.first_version;
	sp->pub.snapshot = m.snapshot;
	sp->pub.count = m.count;
	it = m;
	while (evlp_read_stream_resp_next(&it, &rec)) {
		evl_stream_event *e = &sp->pub.events[k++];
		e->version = rec.version;
		e->offset = rec.offset;
		e->timestamp = rec.append_time;
		e->producer_timestamp = rec.timestamp;
		e->value = rec.has_value ? rec.value.p : NULL;
		if (rec.has_value && rec.value.len == 0)
			e->value = ""; /* empty, not null */
		e->value_len = rec.value.len;
		e->snapshot = (rec.attributes & EVLP_REC_SNAPSHOT) != 0;
		e->headers = sp->hdrs + hi;
		e->header_count = rec.header_count;
		evlp_rd     hr;
		evlp_header h;
		evlp_rd_init(&hr, rec.headers.p, rec.headers.len);
		while (evlp_header_next(&hr, &h)) {
			evl_header *o = &sp->hdrs[hi++];
			o->name = (const char *) h.name.p;
			o->name_len = h.name.len;
			o->value = h.value.p;
			o->value_len = h.value.len;
		}
	}
	sp->msg = resp->msg; /* the views point into it */
	resp->msg = NULL;
	*out = &sp->pub;
	return 0;
}

int
evl_stream_read(evl_client *c, const char *topic, const void *key,
    size_t key_len, const evl_stream_read_opts *o, evl_stream_page **out)
{
	evl_stream_read_opts def;
	evlc_resp            resp = { 0 };
	int                  rv;

	if ((rv = stream_check(c, topic, key, key_len)) != 0)
		return rv;
	if (out == NULL)
		return EVL_EINVAL;
	if (o == NULL) {
		evl_stream_read_opts_init(&def);
		o = &def;
	}
	read_arg a = { topic, view_of(key, key_len), o };
	rv = evlc_call(c, EVLP_OP_READ_STREAM, read_encode, &a,
	    o->backwards ? 0 : o->max_wait_ms, EVLC_IDEMPOTENT, &resp);
	if (rv == 0 && (rv = page_build(&resp, out)) != 0)
		evlc_fail(c, rv, "malformed READ_STREAM response");
	evlc_resp_fini(&resp);
	return rv;
}

/* ---- info and delete -------------------------------------------------- */

typedef struct info_arg {
	const char *topic;
	evlp_view   key;
	int64_t     expected;
	unsigned    flags;
} info_arg;

static void
info_encode(evlp_wr *w, const void *arg)
{
	const info_arg *a = arg;
	evlp_stream_req r = { view_of(a->topic, strlen(a->topic)), a->key,
		a->expected, (uint8_t) a->flags };
	evlp_stream_info_req_encode(w, &r);
}

static void
delete_encode(evlp_wr *w, const void *arg)
{
	const info_arg *a = arg;
	evlp_stream_req r = { view_of(a->topic, strlen(a->topic)), a->key,
		a->expected, (uint8_t) a->flags };
	evlp_delete_stream_req_encode(w, &r);
}

int
evl_stream_info_get(evl_client *c, const char *topic, const void *key,
    size_t key_len, evl_stream_info *out)
{
	evlc_resp             resp = { 0 };
	evlp_stream_info_resp m;
	int                   rv;

	if ((rv = stream_check(c, topic, key, key_len)) != 0)
		return rv;
	if (out == NULL)
		return EVL_EINVAL;
	info_arg a = { topic, view_of(key, key_len), EVL_VERSION_ANY, 0 };
	rv = evlc_call(c, EVLP_OP_STREAM_INFO, info_encode, &a, 0,
	    EVLC_IDEMPOTENT, &resp);
	if (rv == 0 && (rv = evlp_stream_info_resp_decode(resp.body, &m)) != 0)
		evlc_fail(c, rv, "malformed STREAM_INFO response");
	if (rv == 0) {
		out->partition = m.partition;
		out->version = m.version;
		out->first_version = m.first_version;
		out->snapshot = m.snapshot;
		out->last_offset = m.last_offset;
		out->deleted = m.deleted;
	}
	evlc_resp_fini(&resp);
	return rv;
}

int
evl_stream_version(evl_client *c, const char *topic, const void *key,
    size_t key_len, int64_t *version)
{
	evl_stream_info i;
	int             rv = evl_stream_info_get(c, topic, key, key_len, &i);
	if (rv == 0 && version != NULL)
		*version = i.version;
	return rv;
}

int
evl_stream_delete(evl_client *c, const char *topic, const void *key,
    size_t key_len, int64_t expected_version, unsigned flags, int64_t *current)
{
	evlc_resp resp = { 0 };
	int       rv;

	if ((rv = stream_check(c, topic, key, key_len)) != 0)
		return rv;
	if (expected_version < EVL_VERSION_EXISTS
	    || (flags & ~EVL_DELETE_FORGET_VERSIONS) != 0)
		return evlc_fail(
		    c, EVL_EINVAL, "bad expected version or flags");
	info_arg a = { topic, view_of(key, key_len), expected_version, flags };
	/* A delete is as safe to repeat as its expected version makes it:
	 * with "any", a repeat finds the stream already empty. */
	rv = evlc_call(
	    c, EVLP_OP_DELETE_STREAM, delete_encode, &a, 0, 0, &resp);
	if (rv == EVL_EWRONGVERSION && current != NULL)
		*current = resp.detail;
	evlc_resp_fini(&resp);
	return rv;
}

/* ---- the retry loop --------------------------------------------------- */

/* Loads the stream into agg; *version is the version the state was built
 * from (the last event applied, else the stream's version). */
static int
update_load(evl_client *c, const char *topic, const void *key, size_t klen,
    const evl_aggregate *agg, int64_t *version)
{
	evl_stream_read_opts o;
	evl_stream_page     *p;
	int64_t              last = -1;
	bool                 any = false;
	int                  rv;

	evl_stream_read_opts_init(&o);
	o.from_version = agg->from_snapshot ? EVL_STREAM_FROM_SNAPSHOT : 0;
	if (agg->reset != NULL)
		agg->reset(agg->arg);
	for (;;) {
		if ((rv = evl_stream_read(c, topic, key, klen, &o, &p)) != 0)
			return rv;
		for (size_t i = 0; i < p->count && rv == 0; i++) {
			if (agg->apply != NULL)
				rv = agg->apply(agg->arg, &p->events[i]);
			last = p->events[i].version;
			any = true;
		}
		bool done = p->count == 0 || last >= p->version;
		if (!any)
			last = p->version;
		evl_stream_page_free(p);
		if (rv != 0)
			return rv;
		if (done)
			break;
		o.from_version = last + 1;
	}
	*version = last;
	return 0;
}

/* True when the event at version v of the stream carries tag. */
static bool
update_landed(evl_client *c, const char *topic, const void *key, size_t klen,
    int64_t v, const char *tag, evl_append_result *res)
{
	evl_stream_read_opts o;
	evl_stream_page     *p;
	bool                 found = false;
	size_t               tl = strlen(tag);

	evl_stream_read_opts_init(&o);
	o.from_version = v;
	o.max_count = 1;
	if (evl_stream_read(c, topic, key, klen, &o, &p) != 0)
		return false;
	if (p->count == 1 && p->events[0].version == v) {
		const evl_stream_event *e = &p->events[0];
		for (size_t h = 0; h < e->header_count && !found; h++)
			found = e->headers[h].name_len
			        == strlen(UPDATE_TAG_HEADER)
			    && memcmp(e->headers[h].name, UPDATE_TAG_HEADER,
			           e->headers[h].name_len)
			        == 0
			    && e->headers[h].value_len == tl
			    && memcmp(e->headers[h].value, tag, tl) == 0;
		if (found && res != NULL) {
			res->partition = p->partition;
			res->offset = e->offset;
		}
	}
	evl_stream_page_free(p);
	return found;
}

int
evl_stream_update(evl_client *c, const char *topic, const void *key,
    size_t key_len, const evl_aggregate *agg, int max_attempts,
    evl_append_result *res)
{
	evl_append_result r;
	int               rv = EVL_EWRONGVERSION;

	if (agg == NULL || agg->decide == NULL)
		return EVL_EINVAL;
	if (max_attempts <= 0)
		max_attempts = 10;
	for (int attempt = 0; attempt < max_attempts; attempt++) {
		const evl_event *ev = NULL;
		size_t           n = 0;
		int64_t          v;
		char             tag[33];

		if ((rv = update_load(c, topic, key, key_len, agg, &v)) != 0)
			return rv;
		if ((rv = agg->decide(agg->arg, v, &ev, &n)) != 0)
			return rv;
		if (n == 0) {
			if (res != NULL) {
				res->partition = 0;
				res->offset = UINT64_MAX;
				res->version = v;
			}
			return 0;
		}
		snprintf(tag, sizeof(tag), "%08x%08x%08x%08x", nng_random(),
		    nng_random(), nng_random(), nng_random());
		rv = stream_append(c, topic, key, key_len,
		    v < 0 ? EVL_VERSION_NO_STREAM : v, ev, n, tag, &r);
		if (rv == 0) {
			if (res != NULL)
				*res = r;
			return 0;
		}
		if (rv != EVL_EWRONGVERSION && rv != EVL_ECONNRESET
		    && rv != EVL_ETIMEDOUT && rv != EVL_ESHUTDOWN
		    && rv != EVL_EBUSY)
			return rv;
		/* Did this attempt land after all (an answer lost on the
		 * way, or the conflict was with itself)? */
		if (update_landed(c, topic, key, key_len, v + 1, tag, &r)) {
			r.version = v + (int64_t) n;
			if (res != NULL)
				*res = r;
			return 0;
		}
	}
	return rv;
}
