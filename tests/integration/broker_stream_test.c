/*
 * broker_stream_test.c -- the stream ops and the producer-sequence rules
 * on the wire, against an in-process broker: PRODUCE with expected
 * versions (the conflict's error body carries the current version),
 * READ_STREAM / STREAM_INFO / DELETE_STREAM, a parked stream read woken by
 * an append, and an idempotent producer's retried batch answered with its
 * original offsets, also after the broker restarted on the same data.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>

#include "batch.h"
#include "evl_test.h"
#include "harness.h"
#include "msg.h"
#include "ops.h"
#include "partition.h"

#define TIMEOUT_MS 10000

static nng_socket
client(const char *url)
{
	nng_socket s;
	int        rv = evlt_req_open(&s, url, TIMEOUT_MS, NULL);
	cr_assert_eq(rv, 0, "dial %s: %s", url, nng_strerror(rv));
	return s;
}

static int
create_streams(nng_socket s, const char *topic, uint32_t partitions)
{
	uint8_t        body[512];
	evlp_wr        w;
	evlt_resp      r;
	evlp_topic_req m = { { (const uint8_t *) topic, strlen(topic) },
		partitions, { 0 } };
	evlp_settings_set(&m.settings, EVLP_SET_KEY_INDEX, 1);
	evlp_wr_init(&w, body, sizeof(body));
	evlp_topic_req_encode(&w, &m);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(
	    evlt_call(s, EVLP_OP_CREATE_TOPIC, 1, body, w.len, &r), 0);
	int st = r.frame.status;
	evlt_resp_free(&r);
	return st;
}

/* One record keyed key; producer fields when pid >= 0. */
static size_t
kbatch(uint8_t *buf, size_t cap, const char *key, const char *value,
    int64_t pid, int32_t seq)
{
	evlp_batch_builder b;
	size_t             n;
	evlp_record_in     r = { .key = key,
		    .key_len = key ? strlen(key) : 0,
		    .value = value,
		    .value_len = strlen(value) };
	evlp_batch_build_init(&b, buf, cap);
	if (pid >= 0)
		evlp_batch_build_producer(&b, pid, 0, seq);
	evl_assert_ok(evlp_batch_build_add(&b, &r));
	evl_assert_ok(evlp_batch_build_finish(&b, &n));
	return n;
}

typedef struct produced {
	int               status;
	int64_t           detail;
	evlp_produce_resp resp;
} produced;

static produced
produce(nng_socket s, const char *topic, uint32_t part, int64_t expected,
    const uint8_t *batch, size_t blen)
{
	uint8_t          body[1024];
	evlp_wr          w;
	evlt_resp        r;
	produced         out = { 0 };
	evlp_produce_req m = { { (const uint8_t *) topic, strlen(topic) },
		part, EVLP_ACKS_WRITTEN, expected, 0, { batch, blen } };
	evlp_wr_init(&w, body, sizeof(body));
	evlp_produce_req_encode(&w, &m);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(evlt_call(s, EVLP_OP_PRODUCE, 2, body, w.len, &r), 0);
	out.status = r.frame.status;
	if (out.status == 0) {
		evl_assert_ok(evlp_produce_resp_decode(r.body, &out.resp));
	} else {
		evlp_error_body eb;
		evl_assert_ok(evlp_error_body_decode(r.body, &eb));
		out.detail = eb.detail;
	}
	evlt_resp_free(&r);
	return out;
}

static produced
kproduce(nng_socket s, const char *topic, uint32_t nparts, const char *key,
    const char *value, int64_t expected)
{
	uint8_t b[256];
	size_t  n = kbatch(b, sizeof(b), key, value, -1, -1);
	return produce(s, topic,
	    evlp_partition_for_key(key, strlen(key), nparts), expected, b, n);
}

Test(broker_stream, expected_versions_on_the_wire)
{
	struct evlt_broker tb;
	evl_assert_ok(evlt_broker_start(&tb, NULL, NULL));
	nng_socket s = client(tb.url);
	cr_assert_eq(create_streams(s, "acct", 4), 0);
	cr_assert_eq(evlt_create_topic(s, "plain", 1), 0);

	produced p = kproduce(s, "acct", 4, "a-1", "open", -2);
	cr_assert_eq(p.status, 0);
	cr_assert_eq(p.resp.version, 0);
	p = kproduce(s, "acct", 4, "a-1", "again", -2);
	cr_assert_eq(p.status, EVL_EWRONGVERSION);
	cr_assert_eq(p.detail, 0, "the error body carries the version");
	p = kproduce(s, "acct", 4, "a-1", "deposit", 0);
	cr_assert_eq(p.status, 0);
	cr_assert_eq(p.resp.version, 1);

	/* Wrong partition for the key, expected version on a plain topic,
	 * expected version with acks none: refused, nothing appended. */
	uint8_t  b[256];
	size_t   n = kbatch(b, sizeof(b), "a-1", "x", -1, -1);
	uint32_t good = evlp_partition_for_key("a-1", 3, 4);
	p = produce(s, "acct", (good + 1) % 4, -1, b, n);
	cr_assert_eq(p.status, EVL_EINVAL);
	p = produce(s, "plain", 0, 0, b, n);
	cr_assert_eq(p.status, EVL_EINVAL);
	cr_assert_eq(evlt_head(s, "plain", 0), 0);
	p = kproduce(s, "plain", 1, "a-1", "x", -1);
	cr_assert_eq(p.status, 0);
	cr_assert_eq(p.resp.version, -1, "no versions without a key index");

	/* STREAM_INFO. */
	uint8_t         body[256];
	evlp_wr         w;
	evlt_resp       r;
	evlp_stream_req q = { { (const uint8_t *) "acct", 4 },
		{ (const uint8_t *) "a-1", 3 }, -1, 0 };
	evlp_wr_init(&w, body, sizeof(body));
	evlp_stream_info_req_encode(&w, &q);
	cr_assert_eq(evlt_call(s, EVLP_OP_STREAM_INFO, 3, body, w.len, &r), 0);
	cr_assert_eq(r.frame.status, 0);
	evlp_stream_info_resp si;
	evl_assert_ok(evlp_stream_info_resp_decode(r.body, &si));
	cr_assert_eq(si.version, 1);
	cr_assert_eq(si.partition, good);
	evlt_resp_free(&r);

	/* DELETE_STREAM with a stale version: the detail again. */
	q.expected_version = 0;
	evlp_wr_init(&w, body, sizeof(body));
	evlp_delete_stream_req_encode(&w, &q);
	cr_assert_eq(
	    evlt_call(s, EVLP_OP_DELETE_STREAM, 4, body, w.len, &r), 0);
	cr_assert_eq(r.frame.status, EVL_EWRONGVERSION);
	evlp_error_body eb;
	evl_assert_ok(evlp_error_body_decode(r.body, &eb));
	cr_assert_eq(eb.detail, 1);
	evlt_resp_free(&r);

	nng_close(s);
	evlt_broker_stop(&tb, false);
}

/* READ_STREAM into a small summary. */
typedef struct read_result {
	int      status;
	int64_t  version;
	uint32_t count;
	int64_t  first, last;
	char     last_value[32];
} read_result;

static read_result
read_stream(nng_socket s, const char *topic, const char *key, int64_t from,
    uint8_t backwards, uint32_t max_wait_ms)
{
	uint8_t              body[256];
	evlp_wr              w;
	evlt_resp            r;
	read_result          out = { 0 };
	evlp_read_stream_req m = { { (const uint8_t *) topic, strlen(topic) },
		{ (const uint8_t *) key, strlen(key) }, from, backwards, 0, 0,
		max_wait_ms };
	evlp_wr_init(&w, body, sizeof(body));
	evlp_read_stream_req_encode(&w, &m);
	cr_assert_eq(evlt_call(s, EVLP_OP_READ_STREAM, 5, body, w.len, &r), 0);
	out.status = r.frame.status;
	if (out.status == 0) {
		evlp_read_stream_resp rr;
		evlp_stream_record    rec;
		evl_assert_ok(evlp_read_stream_resp_decode(r.body, &rr));
		out.version = rr.version;
		out.count = rr.count;
		for (uint32_t i = 0; evlp_read_stream_resp_next(&rr, &rec);
		     i++) {
			if (i == 0)
				out.first = rec.version;
			out.last = rec.version;
			snprintf(out.last_value, sizeof(out.last_value),
			    "%.*s", (int) rec.value.len,
			    (const char *) rec.value.p);
		}
	}
	evlt_resp_free(&r);
	return out;
}

struct appender {
	const char *url;
	uint64_t    at_ms;
};

static void *
append_later(void *arg)
{
	struct appender *a = arg;
	nng_socket       s = client(a->url);
	a->at_ms = evlt_now_ms();
	produced p = kproduce(s, "acct", 2, "k", "late", -1);
	cr_assert_eq(p.status, 0);
	nng_close(s);
	return NULL;
}

Test(broker_stream, read_and_follow)
{
	struct evlt_broker tb;
	evl_assert_ok(evlt_broker_start(&tb, NULL, NULL));
	nng_socket s = client(tb.url);
	cr_assert_eq(create_streams(s, "acct", 2), 0);
	for (int i = 0; i < 5; i++) {
		char v[16];
		snprintf(v, sizeof(v), "e%d", i);
		cr_assert_eq(kproduce(s, "acct", 2, "k", v, -1).status, 0);
	}
	read_result rr = read_stream(s, "acct", "k", 2, 0, 0);
	cr_assert_eq(rr.status, 0);
	cr_assert_eq(rr.count, 3);
	cr_assert_eq(rr.first, 2);
	cr_assert_str_eq(rr.last_value, "e4");
	rr = read_stream(s, "acct", "k", -1, 1, 0);
	cr_assert_eq(rr.count, 5);
	cr_assert_eq(rr.first, 4, "backwards: newest first");
	cr_assert_eq(rr.last, 0);
	rr = read_stream(s, "acct", "nobody", 0, 0, 0);
	cr_assert_eq(rr.status, 0);
	cr_assert_eq(rr.count, 0);
	cr_assert_eq(rr.version, -1);
	rr = read_stream(s, "nope", "k", 0, 0, 0);
	cr_assert_eq(rr.status, EVL_ENOTOPIC);

	/* Following: a read at version 5 parks until the append. */
	pthread_t       th;
	struct appender a = { tb.url, 0 };
	uint64_t        t0 = evlt_now_ms();
	pthread_create(&th, NULL, append_later, &a);
	rr = read_stream(s, "acct", "k", 5, 0, 5000);
	uint64_t t1 = evlt_now_ms();
	pthread_join(th, NULL);
	cr_assert_eq(rr.status, 0);
	cr_assert_eq(rr.count, 1, "woken with the new event");
	cr_assert_str_eq(rr.last_value, "late");
	cr_assert_lt(t1 - t0, 4000, "answered on the append, not at max wait");
	/* Nothing comes: answered empty at max wait. */
	t0 = evlt_now_ms();
	rr = read_stream(s, "acct", "k", 6, 0, 200);
	cr_assert_eq(rr.count, 0);
	cr_assert_geq(evlt_now_ms() - t0, 190);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_stream, idempotent_retry_survives_a_restart)
{
	struct evlt_broker tb;
	char               data[300];
	evl_assert_ok(evlt_broker_start(&tb, NULL, NULL));
	nng_socket s = client(tb.url);
	cr_assert_eq(evlt_create_topic(s, "t", 1), 0);
	cr_assert_eq(evlt_produce(s, "t", 0, 1, 3, 10, NULL), 0);

	uint8_t  b1[256], b2[256];
	size_t   n1 = kbatch(b1, sizeof(b1), NULL, "one", 42, 0);
	size_t   n2 = kbatch(b2, sizeof(b2), NULL, "two", 42, 1);
	produced p = produce(s, "t", 0, -1, b1, n1);
	cr_assert_eq(p.status, 0);
	cr_assert_eq(p.resp.base_offset, 3);
	p = produce(s, "t", 0, -1, b1, n1);
	cr_assert_eq(p.status, 0, "a retry is answered, not refused");
	cr_assert_eq(p.resp.base_offset, 3, "with the original offset");
	cr_assert_eq(evlt_head(s, "t", 0), 4, "and appended once");
	nng_close(s);
	snprintf(data, sizeof(data), "%s", tb.data);
	evlt_broker_stop(&tb, true);

	/* The same broker data, a new broker: the state is still there. */
	struct evlt_broker tb2;
	evl_assert_ok(evlt_broker_start(&tb2, data, NULL));
	s = client(tb2.url);
	p = produce(s, "t", 0, -1, b1, n1);
	cr_assert_eq(p.status, 0);
	cr_assert_eq(p.resp.base_offset, 3);
	p = produce(s, "t", 0, -1, b2, n2);
	cr_assert_eq(p.status, 0);
	cr_assert_eq(p.resp.base_offset, 4);
	uint8_t b4[256];
	size_t  n4 = kbatch(b4, sizeof(b4), NULL, "gap", 42, 5);
	p = produce(s, "t", 0, -1, b4, n4);
	cr_assert_eq(p.status, EVL_ESEQUENCE);
	cr_assert_eq(evlt_head(s, "t", 0), 5);
	nng_close(s);
	evlt_broker_stop(&tb2, false);
	evlt_broker_stop(&tb, false);
}
