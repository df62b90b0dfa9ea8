/*
 * broker_quota_raw_test.c -- quotas on the wire (docs/SECURITY.md,
 * "Quotas"): an in-process broker with small per-user rates, spoken to
 * with raw frames, so that what is pinned is the protocol: a user in
 * debt gets EVL_ETHROTTLED with the back-off in detail and nothing
 * happens; the back-off is honest; produce and fetch are separate
 * buckets; a parked fetch is charged its answer when it wakes; the
 * charges and refusals show in /metrics.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <nng/nng.h>

#include "alloc.h"
#include "evl_test.h"
#include "harness.h"
#include "msg.h"
#include "ops.h"
#include "quota.h"
#include "server.h"

#define TIMEOUT_MS 10000
#define TOPIC      "q"

static struct evlt_broker tb;
static bool               started;

static void
teardown(void)
{
	if (started)
		evlt_broker_stop(&tb, false);
	started = false;
}

TestSuite(quota_raw, .fini = teardown);

static nng_socket
client(void)
{
	nng_socket s;
	int        rv = evlt_req_open(&s, tb.url, TIMEOUT_MS, NULL);
	cr_assert_eq(rv, 0, "dial %s: %s", tb.url, nng_strerror(rv));
	return s;
}

/* A produce of n records of len bytes; the answer in *out. */
static size_t
produce(nng_socket s, uint8_t acks, uint32_t n, size_t len, evlt_resp *out)
{
	static uint8_t batch[64 << 10], body[70 << 10];
	size_t         bl = evlt_batch(batch, sizeof(batch), n, len);
	size_t         m;

	cr_assert_gt(bl, 0);
	m = evlt_produce_body(body, sizeof(body), TOPIC, 0, acks, batch, bl);
	cr_assert_gt(m, 0);
	cr_assert_eq(evlt_call(s, EVLP_OP_PRODUCE, 1, body, m, out), 0);
	return bl;
}

static int
fetch(nng_socket s, uint64_t offset, uint32_t max_wait_ms, evlt_resp *out)
{
	uint8_t body[512];
	size_t  n = evlt_fetch_body(body, sizeof(body), max_wait_ms, 1 << 20,
	     TOPIC, 0, offset, 1 << 20);
	cr_assert_gt(n, 0);
	return evlt_call(s, EVLP_OP_FETCH, 2, body, n, out);
}

static int64_t
detail_of(const evlt_resp *r)
{
	evlp_error_body eb;
	cr_assert_eq(evlp_error_body_decode(r->body, &eb), 0);
	return eb.detail;
}

static struct evld_quota_stats
stats(void)
{
	struct evld_quota_stats st;
	memset(&st, 0, sizeof(st));
	(void) evld_quota_stats_get(tb.b->quotas, "", &st);
	return st;
}

struct parked {
	nng_socket s;
	evlt_resp  r;
	int        rv;
};

static void *
parked_fetch(void *arg)
{
	struct parked *p = arg;
	p->rv = fetch(p->s, 0, 5000, &p->r);
	return NULL;
}

static bool
one_parked(void *arg)
{
	size_t open, recv, parked;
	(void) arg;
	evld_server_pool_stats(tb.b->server, &open, &recv, &parked);
	return parked == 1;
}

/* The produce bucket is paid off: a small produce is served. */
static bool
produce_served(void *arg)
{
	evlt_resp r;
	int       status;
	produce(*(nng_socket *) arg, EVLP_ACKS_WRITTEN, 1, 10, &r);
	status = r.frame.status;
	evlt_resp_free(&r);
	cr_assert(
	    status == 0 || status == EVL_ETHROTTLED, "status %d", status);
	return status == 0;
}

Test(quota_raw, throttled_answers_change_nothing_and_back_off_honestly)
{
	const char *const args[] = { "--quota", ":produce=4k,fetch=4k", NULL };
	nng_socket        s, s2;
	evlt_resp         r;
	struct parked     pk;
	pthread_t         th;
	size_t            charged_p = 0;
	char              msg[256];

	evl_assert_ok(evlt_broker_start(&tb, NULL, args));
	started = true;
	s = client();
	s2 = client();
	cr_assert_eq(evlt_create_topic(s, TOPIC, 1), 0);

	/* A parked fetch is charged the answer it gets when it wakes. */
	pk.s = s2;
	cr_assert_eq(pthread_create(&th, NULL, parked_fetch, &pk), 0);
	cr_assert(evlt_wait_until(one_parked, NULL, TIMEOUT_MS));
	charged_p += produce(s, EVLP_ACKS_WRITTEN, 1, 100, &r);
	cr_assert_eq(r.frame.status, 0);
	evlt_resp_free(&r);
	pthread_join(th, NULL);
	cr_assert_eq(pk.rv, 0);
	cr_assert_eq(pk.r.frame.status, 0);
	cr_assert_eq(stats().bytes[EVLD_QUOTA_FETCH], nng_msg_len(pk.r.msg),
	    "charged %llu, answered %zu",
	    (unsigned long long) stats().bytes[EVLD_QUOTA_FETCH],
	    nng_msg_len(pk.r.msg));
	evlt_resp_free(&pk.r);

	/* The burst takes a batch beyond the bucket (charged after it is
	 * served) ... */
	charged_p += produce(s, EVLP_ACKS_WRITTEN, 5, 1000, &r);
	cr_assert_eq(r.frame.status, 0);
	evlt_resp_free(&r);
	cr_assert_eq(stats().bytes[EVLD_QUOTA_PRODUCE], charged_p);
	cr_assert_eq(evlt_head(s, TOPIC, 0), 6);

	/* ... and the next produce, with acks or without, is refused with
	 * the back-off and appends nothing. */
	uint64_t t0 = evlt_now_ms();
	produce(s, EVLP_ACKS_WRITTEN, 3, 10, &r);
	cr_assert_eq(
	    r.frame.status, EVL_ETHROTTLED, "status %u", r.frame.status);
	int64_t wait = detail_of(&r);
	/* debt <= 5 KB + 100 B of batch - 4 KiB at 4 KiB/s */
	cr_assert(wait >= 1 && wait <= 1000, "detail %lld", (long long) wait);
	cr_assert(strstr(evlt_errmsg(&r, msg, sizeof(msg)),
	              "produce quota of the anonymous user exceeded")
	        != NULL,
	    "%s", msg);
	evlt_resp_free(&r);
	produce(s, EVLP_ACKS_NONE, 3, 10, &r);
	cr_assert_eq(r.frame.status, EVL_ETHROTTLED);
	evlt_resp_free(&r);
	cr_assert_eq(evlt_head(s, TOPIC, 0), 6);
	cr_assert_eq(stats().bytes[EVLD_QUOTA_PRODUCE], charged_p,
	    "refused requests are not charged");
	cr_assert_eq(stats().throttled, 2);

	/* Fetch has its own bucket: still full enough to serve all six
	 * records, which overdraws it; the next fetch is refused. */
	uint64_t before = stats().bytes[EVLD_QUOTA_FETCH];
	cr_assert_eq(fetch(s2, 0, 0, &r), 0);
	cr_assert_eq(r.frame.status, 0);
	cr_assert_eq(
	    stats().bytes[EVLD_QUOTA_FETCH] - before, nng_msg_len(r.msg));
	evlt_resp_free(&r);
	cr_assert_eq(fetch(s2, 0, 0, &r), 0);
	cr_assert_eq(r.frame.status, EVL_ETHROTTLED);
	cr_assert_gt(detail_of(&r), 0);
	cr_assert(
	    strstr(evlt_errmsg(&r, msg, sizeof(msg)), "fetch quota") != NULL);
	evlt_resp_free(&r);

	/* The back-off was honest: produce is served again no sooner than
	 * the detail said (it is rounded up to whole ms) and not much
	 * later. */
	cr_assert(evlt_wait_until(produce_served, &s, TIMEOUT_MS));
	uint64_t took = evlt_now_ms() - t0;
	cr_assert(
	    took + 1 >= (uint64_t) wait && took <= (uint64_t) wait + 2000,
	    "served after %llu ms, detail said %lld",
	    (unsigned long long) took, (long long) wait);

	/* /metrics, from the broker's own registry. */
	char  *text;
	size_t len;
	evl_assert_ok(evld_metrics_render(tb.b->metrics, &text, &len));
	cr_assert(
	    strstr(text, "evlog_throttled_requests_total{user=\"\"} ") != NULL,
	    "%s", text);
	cr_assert(
	    strstr(text, "evlog_throttle_seconds_total{user=\"\"} ") != NULL
	        && strstr(text, "evlog_throttle_seconds_total{user=\"\"} 0\n")
	            == NULL,
	    "%s", text);
	cr_assert(strstr(text,
	              "evlog_quota_bytes_total{user=\"\","
	              "direction=\"produce\"} ")
	    != NULL);
	cr_assert(strstr(text,
	              "evlog_request_errors_total{op=\"produce\",error=\"EVL_"
	              "ETHROTTLED\"}")
	        != NULL,
	    "%s", text);
	evlp_free(text);
	nng_close(s);
	nng_close(s2);
}

/* Without quotas nothing is throttled, but bytes are still counted per
 * user. */
Test(quota_raw, unlimited_is_counted)
{
	nng_socket s;
	evlt_resp  r;
	size_t     bl = 0;

	evl_assert_ok(evlt_broker_start(&tb, NULL, NULL));
	started = true;
	s = client();
	cr_assert_eq(evlt_create_topic(s, TOPIC, 1), 0);
	for (int i = 0; i < 20; i++) {
		bl += produce(s, EVLP_ACKS_WRITTEN, 10, 1000, &r);
		cr_assert_eq(r.frame.status, 0);
		evlt_resp_free(&r);
	}
	cr_assert_eq(stats().bytes[EVLD_QUOTA_PRODUCE], bl);
	cr_assert_eq(stats().throttled, 0);
	nng_close(s);
}
