/*
 * broker_raw_test.c -- evlogd end to end over the raw protocol: an
 * in-process broker on an ephemeral port (or a child evlogd for the
 * signal test) and NNG REQ sockets speaking frames built with proto/.
 * The client library is not used, so these tests pin the wire behaviour.
 *
 * No test sleeps to synchronize: each waits for a condition with a
 * deadline (evlt_wait_until), and timing assertions have generous
 * bounds for sanitizer builds.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>

#include "alloc.h"
#include "batch.h"
#include "evl_test.h"
#include "harness.h"
#include "msg.h"
#include "ops.h"
#include "server.h"

#define TIMEOUT_MS 10000

static nng_socket
client(const char *url)
{
	nng_socket s;
	int        rv = evlt_req_open(&s, url, TIMEOUT_MS, NULL);
	cr_assert_eq(rv, 0, "dial %s: %s", url, nng_strerror(rv));
	return s;
}

static void
start(struct evlt_broker *tb, const char *const *args)
{
	int rv = evlt_broker_start(tb, NULL, args);
	cr_assert_eq(rv, 0, "broker start: %s", evl_strerror(rv));
}

/* Sums a fetch answer over all its partitions. */
struct fetch_sum {
	uint32_t parts;
	uint32_t batches;
	uint64_t records;
	uint16_t first_error;
};

static int
fetch_sum_of(evlp_view body, struct fetch_sum *out)
{
	evlp_fetch_resp      fr;
	evlp_fetch_resp_part p;
	memset(out, 0, sizeof(*out));
	if (evlp_fetch_resp_decode(body, &fr) != 0)
		return -1;
	while (evlp_fetch_resp_next(&fr, &p)) {
		evlp_rd        rd;
		evlp_view      b;
		evlp_batch_hdr h;
		if (out->parts++ == 0)
			out->first_error = p.error;
		evlp_rd_init(&rd, p.batches.p, p.batches.len);
		while (evlp_batches_next(&rd, &b, &h)) {
			out->batches++;
			out->records += h.count;
		}
	}
	return 0;
}

/* ---- a request in flight on its own REQ context --------------------- */

struct pending {
	nng_ctx     ctx;
	nng_aio    *aio;
	atomic_bool done;
	uint64_t    done_ms;
	int         rv;
	nng_msg    *msg;
};

static void
pending_cb(void *arg)
{
	struct pending *p = arg;
	p->done_ms        = evlt_now_ms();
	p->rv             = nng_aio_result(p->aio);
	p->msg            = p->rv == 0 ? nng_aio_get_msg(p->aio) : NULL;
	atomic_store(&p->done, true);
}

static bool
pending_done(void *arg)
{
	return atomic_load(&((struct pending *) arg)->done);
}

/* Sends op/body on a new context of s and posts the receive. */
static void
pending_start(struct pending *p, nng_socket s, uint8_t op, uint32_t id,
    const void *body, size_t len)
{
	nng_aio   *saio;
	nng_msg   *m;
	uint8_t    hdr[EVLP_FRAME_SIZE];
	evlp_frame f = { EVLP_VERSION, op, 0, 0, id, (uint32_t) len };

	memset(p, 0, sizeof(*p));
	atomic_init(&p->done, false);
	cr_assert_eq(nng_ctx_open(&p->ctx, s), 0);
	nng_ctx_set_ms(p->ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	cr_assert_eq(nng_aio_alloc(&p->aio, pending_cb, p), 0);
	cr_assert_eq(nng_aio_alloc(&saio, NULL, NULL), 0);
	evlp_frame_encode(hdr, &f);
	cr_assert_eq(nng_msg_alloc(&m, 0), 0);
	nng_msg_append(m, hdr, sizeof(hdr));
	nng_msg_append(m, body, len);
	nng_aio_set_msg(saio, m);
	nng_ctx_send(p->ctx, saio);
	nng_aio_wait(saio);
	cr_assert_eq(nng_aio_result(saio), 0);
	nng_aio_free(saio);
	nng_ctx_recv(p->ctx, p->aio);
}

/* Waits for the answer; returns its frame, body in *body. */
static evlp_frame
pending_wait(struct pending *p, evlp_view *body)
{
	evlp_frame f;
	cr_assert(evlt_wait_until(pending_done, p, TIMEOUT_MS),
	    "no answer in time");
	cr_assert_eq(p->rv, 0, "recv: %s", nng_strerror(p->rv));
	cr_assert_eq(evlp_frame_decode(nng_msg_body(p->msg), nng_msg_len(p->msg),
	                 &f, body),
	    0);
	return f;
}

static void
pending_free(struct pending *p)
{
	nng_aio_free(p->aio);
	nng_ctx_close(p->ctx);
	if (p->msg != NULL)
		nng_msg_free(p->msg);
	p->msg = NULL;
}

static void
pending_fetch(struct pending *p, nng_socket s, const char *topic,
    uint32_t partition, uint64_t offset, uint32_t max_wait_ms)
{
	uint8_t body[512];
	size_t  n = evlt_fetch_body(body, sizeof(body), max_wait_ms, 1 << 20,
	     topic, partition, offset, 1 << 20);
	pending_start(p, s, EVLP_OP_FETCH, 42, body, n);
}

struct count_arg {
	struct evlt_broker *tb;
	size_t              n;
};

static bool
parked_at_least(void *arg)
{
	struct count_arg *c = arg;
	return evld_waiters_count(&c->tb->b->waiters) >= c->n;
}

static void
wait_parked(struct evlt_broker *tb, size_t n)
{
	struct count_arg c = { tb, n };
	cr_assert(evlt_wait_until(parked_at_least, &c, TIMEOUT_MS),
	    "%zu fetches never parked (%zu)", n,
	    evld_waiters_count(&tb->b->waiters));
}

/* ---- the data path -------------------------------------------------- */

Test(broker_raw, produce_fetch_round_trip)
{
	struct evlt_broker tb;
	evlt_fetch_result  fr;
	evlt_resp          r;
	uint64_t           base;
	start(&tb, NULL);
	nng_socket s = client(tb.url);

	evl_assert_ok(evlt_call(s, EVLP_OP_PING, 1, NULL, 0, &r));
	cr_assert_eq(r.frame.status, 0);
	evlt_resp_free(&r);

	cr_assert_eq(evlt_create_topic(s, "orders", 2), 0);
	cr_assert_eq(evlt_create_topic(s, "orders", 2), EVL_ETOPICEXISTS);
	cr_assert_eq(evlt_produce(s, "orders", 0, EVLP_ACKS_WRITTEN, 10, 100, &base), 0);
	cr_assert_eq(base, 0);
	cr_assert_eq(evlt_produce(s, "orders", 0, EVLP_ACKS_WRITTEN, 10, 100, &base), 0);
	cr_assert_eq(base, 10);
	cr_assert_eq(evlt_produce(s, "orders", 0, EVLP_ACKS_FSYNC, 10, 100, &base), 0);
	cr_assert_eq(base, 20);
	cr_assert_eq(evlt_produce(s, "orders", 0, EVLP_ACKS_NONE, 10, 100, &base), 0);
	cr_assert_eq(base, UINT64_MAX);
	/* acks=none is answered before the write: wait for the head. */
	for (uint64_t until = evlt_now_ms() + TIMEOUT_MS;
	     evlt_head(s, "orders", 0) != 40;)
		cr_assert_lt(evlt_now_ms(), until, "acks=none never landed");

	evl_assert_ok(evlt_fetch(s, "orders", 0, 0, 0, 1 << 20, &fr));
	cr_assert_eq(fr.status, 0);
	cr_assert_eq(fr.error, 0);
	cr_assert_eq(fr.records, 40);
	cr_assert_eq(fr.batches, 4);
	cr_assert_eq(fr.first_offset, 0);
	cr_assert_eq(fr.next_offset, 40);

	/* From the middle of a batch: that batch comes whole. */
	evl_assert_ok(evlt_fetch(s, "orders", 0, 15, 0, 1 << 20, &fr));
	cr_assert_eq(fr.batches, 3);
	cr_assert_eq(fr.records, 30);

	/* At the head, no wait: empty at once. */
	evl_assert_ok(evlt_fetch(s, "orders", 0, 40, 0, 1 << 20, &fr));
	cr_assert_eq(fr.error, 0);
	cr_assert_eq(fr.batches, 0);
	cr_assert_eq(fr.next_offset, 40);

	/* Per-partition errors ride in the entry, the fetch succeeds. */
	evl_assert_ok(evlt_fetch(s, "orders", 0, 41, 5000, 1 << 20, &fr));
	cr_assert_eq(fr.status, 0);
	cr_assert_eq(fr.error, EVL_EOFFSET);
	cr_assert_eq(fr.next_offset, 40);
	evl_assert_ok(evlt_fetch(s, "nope", 0, 0, 5000, 1 << 20, &fr));
	cr_assert_eq(fr.error, EVL_ENOTOPIC);
	evl_assert_ok(evlt_fetch(s, "orders", 7, 0, 5000, 1 << 20, &fr));
	cr_assert_eq(fr.error, EVL_ENOPART);
	evl_assert_ok(evlt_fetch(s, "bad/name", 0, 0, 5000, 1 << 20, &fr));
	cr_assert_eq(fr.error, EVL_EBADNAME);

	/* The other partition is untouched. */
	cr_assert_eq(evlt_head(s, "orders", 1), 0);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_raw, max_bytes_returns_at_least_one_batch)
{
	struct evlt_broker tb;
	evlt_fetch_result  fr;
	start(&tb, NULL);
	nng_socket s = client(tb.url);
	cr_assert_eq(evlt_create_topic(s, "t", 1), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(evlt_produce(s, "t", 0, 1, 10, 100, NULL), 0);

	/* A batch bigger than max_bytes still comes, alone. */
	evl_assert_ok(evlt_fetch(s, "t", 0, 0, 0, 100, &fr));
	cr_assert_eq(fr.batches, 1);
	cr_assert_eq(fr.records, 10);
	size_t one = fr.bytes;
	cr_assert_gt(one, 100);
	/* Room for two batches but not three. */
	evl_assert_ok(evlt_fetch(s, "t", 0, 0, 0, (uint32_t) (2 * one + one / 2), &fr));
	cr_assert_eq(fr.batches, 2);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_raw, list_offsets)
{
	struct evlt_broker tb;
	start(&tb, NULL);
	nng_socket s = client(tb.url);
	cr_assert_eq(evlt_create_topic(s, "t", 1), 0);
	cr_assert_eq(evlt_produce(s, "t", 0, 1, 5, 10, NULL), 0);
	cr_assert_eq(evlt_head(s, "t", 0), 5);

	/* Earliest, a timestamp in the past, and an unknown topic. */
	uint8_t           body[512];
	evlp_wr           w;
	evlp_offset_query q = { { (const uint8_t *) "t", 1 }, 0, EVLP_TIME_EARLIEST };
	evlt_resp         r;
	evlp_list_offsets lo;
	evlp_offset_answer a;
	evlp_wr_init(&w, body, sizeof(body));
	evlp_list_offsets_encode(&w, 3);
	evlp_offset_query_encode(&w, &q);
	q.timestamp = 0;
	evlp_offset_query_encode(&w, &q);
	q.topic.p = (const uint8_t *) "zz";
	q.topic.len = 2;
	evlp_offset_query_encode(&w, &q);
	evl_assert_ok(evlt_call(s, EVLP_OP_LIST_OFFSETS, 9, body, w.len, &r));
	cr_assert_eq(r.frame.status, 0);
	evl_assert_ok(evlp_list_offsets_resp_decode(r.body, &lo));
	cr_assert_eq(lo.count, 3);
	cr_assert(evlp_list_offsets_resp_next(&lo, &a));
	cr_assert_eq(a.error, 0);
	cr_assert_eq(a.offset, 0);
	cr_assert(evlp_list_offsets_resp_next(&lo, &a));
	cr_assert_eq(a.error, 0);
	cr_assert_eq(a.offset, 0);
	cr_assert(evlp_list_offsets_resp_next(&lo, &a));
	cr_assert_eq(a.error, EVL_ENOTOPIC);
	evlt_resp_free(&r);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

/* ---- long poll ------------------------------------------------------ */

Test(broker_raw, parked_fetch_answered_within_100ms_of_an_append)
{
	struct evlt_broker tb;
	struct pending     p;
	struct fetch_sum   sum;
	evlp_view          body;
	start(&tb, NULL);
	nng_socket a = client(tb.url), b = client(tb.url);
	cr_assert_eq(evlt_create_topic(b, "t", 1), 0);

	pending_fetch(&p, a, "t", 0, 0, 30000);
	wait_parked(&tb, 1);
	cr_assert_not(atomic_load(&p.done));

	cr_assert_eq(evlt_produce(b, "t", 0, 1, 3, 10, NULL), 0);
	uint64_t produced = evlt_now_ms();
	evlp_frame f = pending_wait(&p, &body);
	cr_assert_eq(f.status, 0);
	cr_assert_leq(p.done_ms, produced + 100,
	    "parked fetch answered %llu ms after the append",
	    (unsigned long long) (p.done_ms - produced));
	evl_assert_ok(fetch_sum_of(body, &sum));
	cr_assert_eq(sum.records, 3);
	cr_assert_eq(evld_waiters_count(&tb.b->waiters), 0);
	pending_free(&p);
	nng_close(a);
	nng_close(b);
	evlt_broker_stop(&tb, false);
}

Test(broker_raw, parked_fetch_woken_by_any_of_its_partitions)
{
	struct evlt_broker tb;
	struct pending     p;
	struct fetch_sum   sum;
	evlp_view          body;
	uint8_t            buf[512];
	evlp_wr            w;
	evlp_fetch_part    part = { { (const uint8_t *) "a", 1 }, 0, 0, 1 << 20 };
	start(&tb, NULL);
	nng_socket s = client(tb.url), prod = client(tb.url);
	cr_assert_eq(evlt_create_topic(prod, "a", 3), 0);
	cr_assert_eq(evlt_create_topic(prod, "b", 1), 0);

	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_fetch_req_encode(&w, 30000, 1 << 20, 4);
	evlp_fetch_part_encode(&w, &part);
	part.partition = 1;
	evlp_fetch_part_encode(&w, &part);
	part.partition = 2;
	evlp_fetch_part_encode(&w, &part);
	part.topic.p   = (const uint8_t *) "b";
	part.partition = 0;
	evlp_fetch_part_encode(&w, &part);
	pending_start(&p, s, EVLP_OP_FETCH, 5, buf, w.len);
	wait_parked(&tb, 1);

	/* An append elsewhere does not wake it. */
	cr_assert_eq(evlt_create_topic(prod, "c", 1), 0);
	cr_assert_eq(evlt_produce(prod, "c", 0, 1, 1, 10, NULL), 0);
	cr_assert_not(atomic_load(&p.done));

	cr_assert_eq(evlt_produce(prod, "b", 0, 1, 2, 10, NULL), 0);
	uint64_t   produced = evlt_now_ms();
	evlp_frame f        = pending_wait(&p, &body);
	cr_assert_eq(f.status, 0);
	cr_assert_leq(p.done_ms, produced + 100);
	evl_assert_ok(fetch_sum_of(body, &sum));
	cr_assert_eq(sum.parts, 4);
	cr_assert_eq(sum.records, 2);
	pending_free(&p);
	nng_close(s);
	nng_close(prod);
	evlt_broker_stop(&tb, false);
}

Test(broker_raw, max_wait_is_honoured)
{
	struct evlt_broker tb;
	evlt_fetch_result  fr;
	start(&tb, NULL);
	nng_socket s = client(tb.url);
	cr_assert_eq(evlt_create_topic(s, "t", 1), 0);
	uint64_t t0 = evlt_now_ms();
	evl_assert_ok(evlt_fetch(s, "t", 0, 0, 300, 1 << 20, &fr));
	uint64_t took = evlt_now_ms() - t0;
	cr_assert_eq(fr.status, 0);
	cr_assert_eq(fr.error, 0);
	cr_assert_eq(fr.batches, 0);
	cr_assert_geq(took, 295, "answered after %llu ms", (unsigned long long) took);
	cr_assert_lt(took, 2000, "answered after %llu ms", (unsigned long long) took);
	cr_assert_eq(evld_waiters_count(&tb.b->waiters), 0);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_raw, many_parked_fetches_do_not_starve_produces)
{
	enum { N = 120 };
	struct evlt_broker    tb;
	static struct pending p[N];
	size_t                open, recv, parked;
	start(&tb, NULL);
	nng_socket readers[2] = { client(tb.url), client(tb.url) };
	nng_socket prod       = client(tb.url);
	cr_assert_eq(evlt_create_topic(prod, "busy", 1), 0);
	cr_assert_eq(evlt_create_topic(prod, "quiet", 1), 0);

	for (int i = 0; i < N; i++)
		pending_fetch(&p[i], readers[i % 2], "quiet", 0, 0, 30000);
	wait_parked(&tb, N);
	evld_server_pool_stats(tb.b->server, &open, &recv, &parked);
	cr_assert_eq(parked, N);
	cr_assert_geq(recv, EVLD_SERVER_MIN_RECV);
	cr_assert_geq(open, N + EVLD_SERVER_MIN_RECV);

	/* Produces (and a fetch with data) still go straight through. */
	uint64_t t0 = evlt_now_ms();
	for (int i = 0; i < 50; i++)
		cr_assert_eq(evlt_produce(prod, "busy", 0, 1, 10, 100, NULL), 0);
	evlt_fetch_result fr;
	evl_assert_ok(evlt_fetch(prod, "busy", 0, 0, 1000, 1 << 20, &fr));
	cr_assert_eq(fr.records, 500);
	cr_assert_lt(evlt_now_ms() - t0, 5000);
	for (int i = 0; i < N; i++)
		cr_assert_not(atomic_load(&p[i].done));

	/* One append answers all of them. */
	cr_assert_eq(evlt_produce(prod, "quiet", 0, 1, 1, 10, NULL), 0);
	for (int i = 0; i < N; i++) {
		evlp_view        body;
		struct fetch_sum sum;
		evlp_frame       f = pending_wait(&p[i], &body);
		cr_assert_eq(f.status, 0);
		evl_assert_ok(fetch_sum_of(body, &sum));
		cr_assert_eq(sum.records, 1);
		pending_free(&p[i]);
	}
	evld_server_pool_stats(tb.b->server, &open, &recv, &parked);
	cr_assert_eq(parked, 0);
	nng_close(readers[0]);
	nng_close(readers[1]);
	nng_close(prod);
	evlt_broker_stop(&tb, false);
}

Test(broker_raw, parked_fetches_beyond_the_cap_get_ebusy)
{
	struct evlt_broker tb;
	struct pending     p[4];
	evlt_fetch_result  fr;
	const char *const  args[] = { "--max-parked-fetches", "4", NULL };
	start(&tb, args);
	nng_socket s = client(tb.url), other = client(tb.url);
	cr_assert_eq(evlt_create_topic(other, "t", 1), 0);
	for (int i = 0; i < 4; i++)
		pending_fetch(&p[i], s, "t", 0, 0, 30000);
	wait_parked(&tb, 4);

	/* The fifth is told to back off, at once. */
	uint8_t   body[512];
	evlt_resp r;
	char      msg[128];
	size_t    n = evlt_fetch_body(body, sizeof(body), 30000, 1 << 20, "t", 0, 0, 1 << 20);
	evl_assert_ok(evlt_call(other, EVLP_OP_FETCH, 8, body, n, &r));
	cr_assert_eq(r.frame.status, EVL_EBUSY, "%s", evl_errname(r.frame.status));
	evlp_error_body eb;
	evl_assert_ok(evlp_error_body_decode(r.body, &eb));
	cr_assert_gt(eb.detail, 0);
	evlt_errmsg(&r, msg, sizeof(msg));
	cr_assert(strstr(msg, "parked") != NULL, "%s", msg);
	evlt_resp_free(&r);

	/* Fetches with data and produces are not parked: they go on. */
	cr_assert_eq(evlt_produce(other, "t", 0, 1, 1, 10, NULL), 0);
	evl_assert_ok(evlt_fetch(other, "t", 0, 0, 30000, 1 << 20, &fr));
	cr_assert_eq(fr.records, 1);
	for (int i = 0; i < 4; i++) {
		evlp_view  b;
		evlp_frame f = pending_wait(&p[i], &b);
		cr_assert_eq(f.status, 0);
		pending_free(&p[i]);
	}
	nng_close(s);
	nng_close(other);
	evlt_broker_stop(&tb, false);
}

Test(broker_raw, outstanding_requests_per_connection_are_capped)
{
	struct evlt_broker tb;
	struct pending     p[3], extra;
	const char *const  args[] = { "--max-outstanding", "3", NULL };
	start(&tb, args);
	nng_socket s = client(tb.url), other = client(tb.url);
	cr_assert_eq(evlt_create_topic(other, "t", 1), 0);
	for (int i = 0; i < 3; i++)
		pending_fetch(&p[i], s, "t", 0, 0, 30000);
	wait_parked(&tb, 3);

	/* A fourth request on the same connection: busy. */
	pending_start(&extra, s, EVLP_OP_PING, 11, NULL, 0);
	evlp_view  b;
	evlp_frame f = pending_wait(&extra, &b);
	cr_assert_eq(f.status, EVL_EBUSY, "%s", evl_errname(f.status));
	evlt_resp busy = { .frame = f, .body = b };
	char      msg[256];
	cr_assert_str_eq(evlt_errmsg(&busy, msg, sizeof(msg)),
	    "too many requests outstanding on this connection "
	    "(--max-outstanding 3)");
	pending_free(&extra);

	/* Another connection is not affected. */
	evlt_resp r;
	evl_assert_ok(evlt_call(other, EVLP_OP_PING, 1, NULL, 0, &r));
	cr_assert_eq(r.frame.status, 0);
	evlt_resp_free(&r);

	cr_assert_eq(evlt_produce(other, "t", 0, 1, 1, 10, NULL), 0);
	for (int i = 0; i < 3; i++) {
		f = pending_wait(&p[i], &b);
		cr_assert_eq(f.status, 0);
		pending_free(&p[i]);
	}
	/* Answered requests no longer count. */
	evl_assert_ok(evlt_call(s, EVLP_OP_PING, 2, NULL, 0, &r));
	cr_assert_eq(r.frame.status, 0);
	evlt_resp_free(&r);
	nng_close(s);
	nng_close(other);
	evlt_broker_stop(&tb, false);
}

/* ---- bad input ------------------------------------------------------ */

struct producer {
	const char *url;
	atomic_bool stop;
	int         errors;
	uint64_t    records;
	int         last_error;
};

static void *
producer_main(void *arg)
{
	struct producer *pr = arg;
	nng_socket       s;
	if (evlt_req_open(&s, pr->url, TIMEOUT_MS, NULL) != 0) {
		pr->errors++;
		return NULL;
	}
	while (!atomic_load(&pr->stop) || pr->records == 0) {
		int rv = evlt_produce(s, "good", 0, 1, 10, 100, NULL);
		if (rv != 0) {
			pr->errors++;
			pr->last_error = rv;
		} else {
			pr->records += 10;
		}
	}
	nng_close(s);
	return NULL;
}

static void
expect_status(nng_socket s, const void *bytes, size_t len, int status,
    uint32_t id)
{
	nng_msg   *m;
	evlp_frame f;
	evlp_view  body;
	int        rv = evlt_call_raw(s, bytes, len, &m);
	cr_assert_eq(rv, 0, "call: %s", nng_strerror(rv));
	cr_assert_eq(evlp_frame_decode(nng_msg_body(m), nng_msg_len(m), &f, &body), 0);
	cr_assert(f.flags & EVLP_FLAG_RESPONSE);
	cr_assert_eq(f.status, status, "got %s, want %s", evl_errname(f.status),
	    evl_errname(status));
	cr_assert_eq(f.id, id);
	nng_msg_free(m);
}

static size_t
frame(uint8_t *out, uint8_t op, uint16_t flags, uint32_t id, const void *body,
    size_t len)
{
	evlp_frame f = { EVLP_VERSION, op, flags, 0, id, (uint32_t) len };
	evlp_frame_encode(out, &f);
	memcpy(out + EVLP_FRAME_SIZE, body, len);
	return EVLP_FRAME_SIZE + len;
}

static void
expect_produce(nng_socket s, const char *topic, uint32_t partition,
    uint8_t acks, const uint8_t *batch, size_t blen, int status)
{
	static uint8_t body[1 << 16], msg[(1 << 16) + 64];
	size_t n = evlt_produce_body(body, sizeof(body), topic, partition, acks, batch, blen);
	cr_assert_gt(n, 0);
	expect_status(s, msg, frame(msg, EVLP_OP_PRODUCE, 0, 77, body, n), status, 77);
}

static atomic_int client_pipes_closed;

static void
client_pipe_removed(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void) p;
	(void) ev;
	(void) arg;
	atomic_fetch_add(&client_pipes_closed, 1);
}

static bool
pipe_closed(void *arg)
{
	(void) arg;
	return atomic_load(&client_pipes_closed) > 0;
}

Test(broker_raw, bad_input_is_answered_and_changes_nothing)
{
	struct evlt_broker tb;
	struct producer    pr;
	pthread_t          th;
	static uint8_t     batch[8192], msg[16384];
	const char *const  args[] = { "--max-message-bytes", "65536", NULL };
	start(&tb, args);
	nng_socket s = client(tb.url);
	cr_assert_eq(evlt_create_topic(s, "good", 1), 0);
	cr_assert_eq(evlt_create_topic(s, "victim", 2), 0);
	cr_assert_eq(evlt_produce(s, "victim", 0, 1, 4, 10, NULL), 0);

	memset(&pr, 0, sizeof(pr));
	pr.url = tb.url;
	atomic_init(&pr.stop, false);
	pthread_create(&th, NULL, producer_main, &pr);

	/* Not frames at all: EVL_EPROTO with id 0. */
	expect_status(s, "hello", 5, EVL_EPROTO, 0);
	memset(msg, 0xab, 64);
	expect_status(s, msg, 64, EVL_EPROTO, 0);
	/* A frame whose length lies: op and id echoed. */
	size_t n = frame(msg, EVLP_OP_PING, 0, 5, "", 0);
	evlp_put_u32(msg + 12, 1000);
	expect_status(s, msg, n, EVL_EPROTO, 5);
	/* A response sent as a request. */
	n = frame(msg, EVLP_OP_PING, EVLP_FLAG_RESPONSE, 6, "", 0);
	expect_status(s, msg, n, EVL_EPROTO, 6);
	/* Unknown op. */
	n = frame(msg, 0x6f, 0, 7, "", 0);
	expect_status(s, msg, n, EVL_EUNKNOWNOP, 7);
	/* A fetch body that does not decode. */
	n = frame(msg, EVLP_OP_FETCH, 0, 8, "\x01\x02\x03", 3);
	expect_status(s, msg, n, EVL_EPROTO, 8);

	/* Produces that must not store anything. */
	size_t blen = evlt_batch(batch, sizeof(batch), 5, 50);
	cr_assert_gt(blen, 0);
	batch[blen - 3] ^= 0x40; /* a value byte: the CRC no longer holds */
	expect_produce(s, "victim", 0, 1, batch, blen, EVL_ECRC);
	expect_produce(s, "victim", 0, 0, batch, blen, EVL_ECRC);
	batch[blen - 3] ^= 0x40;
	expect_produce(s, "victim", 0, 1, batch, blen - 1, EVL_EPROTO);
	expect_produce(s, "victim", 0, 7, batch, blen, EVL_EINVAL);
	expect_produce(s, "victim", 5, 1, batch, blen, EVL_ENOPART);
	expect_produce(s, "missing", 0, 1, batch, blen, EVL_ENOTOPIC);
	expect_produce(s, "bad name", 0, 1, batch, blen, EVL_EBADNAME);
	char longname[300];
	memset(longname, 'x', 250);
	longname[250] = '\0';
	expect_produce(s, longname, 0, 1, batch, blen, EVL_EBADNAME);
	/* A truncated produce body. */
	n = evlt_produce_body(msg + EVLP_FRAME_SIZE, sizeof(msg) - 16, "victim", 0, 1, batch, blen);
	n = frame(msg, EVLP_OP_PRODUCE, 0, 9, msg + EVLP_FRAME_SIZE, n - 10);
	expect_status(s, msg, n, EVL_EPROTO, 9);

	/* An oversize message: NNG drops it and closes that connection;
	 * nobody else notices. */
	nng_socket big = client(tb.url);
	atomic_store(&client_pipes_closed, 0);
	nng_pipe_notify(big, NNG_PIPE_EV_REM_POST, client_pipe_removed, NULL);
	uint8_t *huge = calloc(1, 100000);
	n             = frame(huge, EVLP_OP_PING, 0, 1, "", 0);
	cr_assert_eq(nng_send(big, huge, 100000, 0), 0);
	free(huge);
	cr_assert(evlt_wait_until(pipe_closed, NULL, TIMEOUT_MS),
	    "the oversize message's connection stayed open");
	nng_close(big);

	/* Still serving everyone, and nothing bad was stored. */
	evlt_resp r;
	evl_assert_ok(evlt_call(s, EVLP_OP_PING, 10, NULL, 0, &r));
	cr_assert_eq(r.frame.status, 0);
	evlt_resp_free(&r);
	atomic_store(&pr.stop, true);
	pthread_join(th, NULL);
	cr_assert_eq(pr.errors, 0, "producer saw %d errors (last %d)", pr.errors,
	    pr.last_error);
	cr_assert_gt(pr.records, 0);
	cr_assert_eq(evlt_head(s, "good", 0), (int64_t) pr.records);
	cr_assert_eq(evlt_head(s, "victim", 0), 4);
	cr_assert_eq(evlt_head(s, "victim", 1), 0);
	/* acks=none with a bad CRC was refused before queueing; make sure
	 * by writing after it and reading back exactly what we expect. */
	cr_assert_eq(evlt_produce(s, "victim", 0, 1, 1, 10, NULL), 0);
	cr_assert_eq(evlt_head(s, "victim", 0), 5);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

/* ---- topics, offsets, auto-create, metrics, retention -------------- */

static int
call_status(nng_socket s, uint8_t op, const void *body, size_t len,
    evlt_resp *keep)
{
	evlt_resp r;
	int       status;
	evl_assert_ok(evlt_call(s, op, 3, body, len, &r));
	status = r.frame.status;
	if (keep != NULL)
		*keep = r;
	else
		evlt_resp_free(&r);
	return status;
}

static size_t
name_body(uint8_t *buf, size_t cap, const char *name)
{
	evlp_wr       w;
	evlp_name_req m = { { (const uint8_t *) name, strlen(name) } };
	evlp_wr_init(&w, buf, cap);
	evlp_name_req_encode(&w, &m);
	return w.len;
}

Test(broker_raw, topic_admin)
{
	struct evlt_broker tb;
	uint8_t            body[1024];
	evlt_resp          r;
	evlp_topic_list    tl;
	evlp_topic_entry   te;
	evlp_topic_desc    td;
	evlp_partition_state ps;
	evlp_wr            w;
	evlp_topic_req     tr;
	start(&tb, NULL);
	nng_socket s = client(tb.url);
	cr_assert_eq(evlt_create_topic(s, "orders", 2), 0);
	cr_assert_eq(evlt_create_topic(s, "ord.x", 1), 0);
	cr_assert_eq(evlt_create_topic(s, "users", 1), 0);
	cr_assert_eq(evlt_create_topic(s, "no good", 1), EVL_EBADNAME);
	cr_assert_eq(evlt_produce(s, "orders", 1, 1, 7, 10, NULL), 0);

	cr_assert_eq(call_status(s, EVLP_OP_LIST_TOPICS, body,
	                 name_body(body, sizeof(body), ""), &r),
	    0);
	evl_assert_ok(evlp_topic_list_decode(r.body, &tl));
	cr_assert_eq(tl.count, 3);
	evlt_resp_free(&r);
	cr_assert_eq(call_status(s, EVLP_OP_LIST_TOPICS, body,
	                 name_body(body, sizeof(body), "ord*"), &r),
	    0);
	evl_assert_ok(evlp_topic_list_decode(r.body, &tl));
	cr_assert_eq(tl.count, 2);
	cr_assert(evlp_topic_list_next(&tl, &te));
	cr_assert_eq(te.name.len, 5); /* sorted: "ord.x" */
	evlt_resp_free(&r);

	cr_assert_eq(call_status(s, EVLP_OP_DESCRIBE_TOPIC, body,
	                 name_body(body, sizeof(body), "orders"), &r),
	    0);
	evl_assert_ok(evlp_topic_desc_decode(r.body, &td));
	cr_assert_eq(td.topic.partitions, 2);
	cr_assert_eq(td.count, 2);
	cr_assert(evlp_topic_desc_next(&td, &ps));
	cr_assert_eq(ps.next_offset, 0);
	cr_assert(evlp_topic_desc_next(&td, &ps));
	cr_assert_eq(ps.partition, 1);
	cr_assert_eq(ps.next_offset, 7);
	cr_assert_eq(ps.records, 7);
	evlt_resp_free(&r);

	/* Alter: grow to 4 partitions and set retention. */
	memset(&tr, 0, sizeof(tr));
	tr.name.p     = (const uint8_t *) "orders";
	tr.name.len   = 6;
	tr.partitions = 4;
	evlp_settings_set(&tr.settings, EVLP_SET_RETENTION_MS, 3600000);
	evlp_wr_init(&w, body, sizeof(body));
	evlp_topic_req_encode(&w, &tr);
	cr_assert_eq(call_status(s, EVLP_OP_ALTER_TOPIC, body, w.len, NULL), 0);
	tr.partitions = 3; /* shrinking is refused */
	evlp_wr_init(&w, body, sizeof(body));
	evlp_topic_req_encode(&w, &tr);
	cr_assert_eq(call_status(s, EVLP_OP_ALTER_TOPIC, body, w.len, NULL), EVL_EINVAL);
	cr_assert_eq(call_status(s, EVLP_OP_DESCRIBE_TOPIC, body,
	                 name_body(body, sizeof(body), "orders"), &r),
	    0);
	evl_assert_ok(evlp_topic_desc_decode(r.body, &td));
	cr_assert_eq(td.topic.partitions, 4);
	cr_assert(evlp_settings_has(&td.topic.settings, EVLP_SET_RETENTION_MS));
	cr_assert_eq(td.topic.settings.value[EVLP_SET_RETENTION_MS], 3600000);
	evlt_resp_free(&r);

	cr_assert_eq(call_status(s, EVLP_OP_DELETE_TOPIC, body,
	                 name_body(body, sizeof(body), "orders"), NULL),
	    0);
	cr_assert_eq(call_status(s, EVLP_OP_DESCRIBE_TOPIC, body,
	                 name_body(body, sizeof(body), "orders"), NULL),
	    EVL_ENOTOPIC);
	cr_assert_eq(call_status(s, EVLP_OP_DELETE_TOPIC, body,
	                 name_body(body, sizeof(body), "orders"), NULL),
	    EVL_ENOTOPIC);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_raw, commit_and_fetch_offsets)
{
	struct evlt_broker     tb;
	uint8_t                body[1024];
	evlp_wr                w;
	evlt_resp              r;
	evlp_offset_list       ol;
	evlp_offset_entry      oe;
	evlp_commit_entry      ce;
	evlp_view              group  = { (const uint8_t *) "g1", 2 };
	evlp_view              member = { NULL, 0 };
	start(&tb, NULL);
	nng_socket s = client(tb.url);
	cr_assert_eq(evlt_create_topic(s, "t", 2), 0);

	evlp_wr_init(&w, body, sizeof(body));
	evlp_commit_req_encode(&w, group, -1, member, 2);
	ce = (evlp_commit_entry) { { (const uint8_t *) "t", 1 }, 1, 5,
		{ (const uint8_t *) "meta", 4 } };
	evlp_commit_entry_encode(&w, &ce);
	ce.topic.p = (const uint8_t *) "u";
	evlp_commit_entry_encode(&w, &ce);
	cr_assert_eq(call_status(s, EVLP_OP_COMMIT_OFFSETS, body, w.len, &r), 0);
	evl_assert_ok(evlp_commit_resp_decode(r.body, &ol));
	cr_assert(evlp_commit_resp_next(&ol, &oe));
	cr_assert_eq(oe.error, 0);
	cr_assert(evlp_commit_resp_next(&ol, &oe));
	cr_assert_eq(oe.error, EVL_ENOTOPIC);
	evlt_resp_free(&r);

	/* A member's commit for a group with no members: no such group
	 * in the coordinator (broker_group_test has the membership). */
	evlp_wr_init(&w, body, sizeof(body));
	evlp_commit_req_encode(&w, group, 3, (evlp_view) { (const uint8_t *) "m", 1 }, 0);
	cr_assert_eq(call_status(s, EVLP_OP_COMMIT_OFFSETS, body, w.len, NULL), EVL_ENOGROUP);

	evlp_topic_partition tp = { { (const uint8_t *) "t", 1 }, 1 };
	evlp_wr_init(&w, body, sizeof(body));
	evlp_fetch_offsets_req_encode(&w, group, 2);
	evlp_topic_partition_encode(&w, &tp);
	tp.partition = 0;
	evlp_topic_partition_encode(&w, &tp);
	cr_assert_eq(call_status(s, EVLP_OP_FETCH_OFFSETS, body, w.len, &r), 0);
	evl_assert_ok(evlp_fetch_offsets_resp_decode(r.body, &ol));
	cr_assert(evlp_fetch_offsets_resp_next(&ol, &oe));
	cr_assert_eq(oe.error, 0);
	cr_assert_eq(oe.offset, 5);
	cr_assert_eq(oe.metadata.len, 4);
	cr_assert(memcmp(oe.metadata.p, "meta", 4) == 0);
	cr_assert(evlp_fetch_offsets_resp_next(&ol, &oe));
	cr_assert_eq(oe.offset, -1);
	evlt_resp_free(&r);

	/* No pairs: everything committed. */
	evlp_wr_init(&w, body, sizeof(body));
	evlp_fetch_offsets_req_encode(&w, group, 0);
	cr_assert_eq(call_status(s, EVLP_OP_FETCH_OFFSETS, body, w.len, &r), 0);
	evl_assert_ok(evlp_fetch_offsets_resp_decode(r.body, &ol));
	cr_assert_eq(ol.count, 1);
	evlt_resp_free(&r);

	/* A heartbeat for a group nobody joined. */
	evlp_member_req mr = { group, member, 1 };
	evlp_wr_init(&w, body, sizeof(body));
	evlp_member_req_encode(&w, &mr);
	cr_assert_eq(call_status(s, EVLP_OP_HEARTBEAT, body, w.len, NULL), EVL_ENOGROUP);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_raw, auto_create_topics)
{
	struct evlt_broker tb;
	uint8_t            body[512];
	evlt_resp          r;
	evlp_topic_desc    td;
	const char *const  args[] = { "--auto-create-topics",
		"--default-partitions", "3", NULL };
	start(&tb, args);
	nng_socket s = client(tb.url);
	cr_assert_eq(evlt_produce(s, "fresh", 2, 1, 4, 10, NULL), 0);
	cr_assert_eq(evlt_produce(s, "fresh", 3, 1, 4, 10, NULL), EVL_ENOPART);
	cr_assert_eq(evlt_produce(s, "fresh", 1, 0, 4, 10, NULL), 0);
	cr_assert_eq(call_status(s, EVLP_OP_DESCRIBE_TOPIC, body,
	                 name_body(body, sizeof(body), "fresh"), &r),
	    0);
	evl_assert_ok(evlp_topic_desc_decode(r.body, &td));
	cr_assert_eq(td.topic.partitions, 3);
	evlt_resp_free(&r);
	cr_assert_eq(evlt_head(s, "fresh", 2), 4);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

static bool
older_than_5ms(void *arg)
{
	return evlt_now_ms() > *(uint64_t *) arg + 5;
}

Test(broker_raw, metrics_and_retention)
{
	struct evlt_broker tb;
	char              *text;
	size_t             len;
	uint8_t            body[512];
	evlp_wr            w;
	evlp_topic_req     tr;
	start(&tb, NULL);
	nng_socket s = client(tb.url);

	memset(&tr, 0, sizeof(tr));
	tr.name.p     = (const uint8_t *) "short";
	tr.name.len   = 5;
	tr.partitions = 1;
	evlp_settings_set(&tr.settings, EVLP_SET_RETENTION_MS, 1);
	evlp_wr_init(&w, body, sizeof(body));
	evlp_topic_req_encode(&w, &tr);
	cr_assert_eq(call_status(s, EVLP_OP_CREATE_TOPIC, body, w.len, NULL), 0);
	cr_assert_eq(evlt_produce(s, "short", 0, 1, 10, 100, NULL), 0);
	cr_assert_eq(evlt_produce(s, "short", 0, 1, 10, 100, NULL), 0);
	evlt_fetch_result fr;
	evl_assert_ok(evlt_fetch(s, "short", 0, 0, 0, 1 << 20, &fr));
	cr_assert_eq(fr.records, 20);

	uint64_t t0 = evlt_now_ms();
	cr_assert(evlt_wait_until(older_than_5ms, &t0, 1000));
	evl_assert_ok(evld_retention_pass(tb.b));
	evl_assert_ok(evlt_fetch(s, "short", 0, 0, 0, 1 << 20, &fr));
	cr_assert_eq(fr.error, EVL_EOFFSET);
	cr_assert_eq(fr.first_offset, 20);

	evl_assert_ok(evld_metrics_render(tb.b->metrics, &text, &len));
	cr_assert(strstr(text, "evlog_requests_total{op=\"produce\"} 2") != NULL, "%s", text);
	cr_assert(strstr(text, "evlog_partition_head_offset{topic=\"short\",partition=\"0\"} 20") != NULL, "%s", text);
	cr_assert(strstr(text, "evlog_retention_removed_records_total 20") != NULL, "%s", text);
	cr_assert(strstr(text, "evlog_fetch_waiters 0") != NULL, "%s", text);
	cr_assert(strstr(text, "evlog_store_write_seconds_count 2") != NULL, "%s", text);
	/* A partition's error rides in the fetch answer: not a failed
	 * request. */
	cr_assert(strstr(text, "EVL_EOFFSET") == NULL, "%s", text);
	evlp_free(text);

	/* Failed requests are counted by op and error. */
	cr_assert_eq(evlt_produce(s, "nope", 0, 1, 1, 10, NULL), EVL_ENOTOPIC);
	evl_assert_ok(evld_metrics_render(tb.b->metrics, &text, &len));
	cr_assert(strstr(text, "evlog_request_errors_total{op=\"produce\","
	                       "error=\"EVL_ENOTOPIC\"} 1") != NULL,
	    "%s", text);
	cr_assert(strstr(text, "evlog_records_total{direction=\"in\"} 20") != NULL,
	    "%s", text);
	cr_assert(strstr(text, "evlog_records_total{direction=\"out\"} 20") != NULL,
	    "%s", text);
	evlp_free(text);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

/* ---- transports ----------------------------------------------------- */

static void
exercise(const char *url, const char *ca, const char *topic, bool create,
    size_t big_value)
{
	nng_socket        s;
	evlt_fetch_result fr;
	evlt_resp         r;
	int               rv = evlt_req_open(&s, url, TIMEOUT_MS, ca);
	cr_assert_eq(rv, 0, "dial %s: %s", url, nng_strerror(rv));
	evl_assert_ok(evlt_call(s, EVLP_OP_PING, 1, NULL, 0, &r));
	cr_assert_eq(r.frame.status, 0, "%s", url);
	evlt_resp_free(&r);
	if (create)
		cr_assert_eq(evlt_create_topic(s, topic, 1), 0);
	cr_assert_eq(evlt_produce(s, topic, 0, 1, 3, 100, NULL), 0, "%s", url);
	evl_assert_ok(evlt_fetch(s, topic, 0, 0, 0, 1 << 20, &fr));
	cr_assert_eq(fr.records, 3, "%s", url);
	if (big_value > 0) {
		/* Past ws's own 1 MiB default: the listener's limit is ours. */
		uint64_t base;
		cr_assert_eq(evlt_produce(s, topic, 0, 1, 600, big_value, &base), 0,
		    "%s: a 2 MiB produce", url);
		evl_assert_ok(evlt_fetch(s, topic, 0, base, 0, 8 << 20, &fr));
		cr_assert_eq(fr.records, 600);
	}
	nng_close(s);
}

Test(broker_raw, ipc_ws_and_tls_listeners)
{
	struct evlt_broker tb;
	char               dir[256], cmd[1024], cert[300], key[300], ipc[300];
	cr_assert_eq(evlt_tmpdir(dir, sizeof(dir)), 0);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(ipc, sizeof(ipc), "ipc://%s/evl.sock", dir);
	snprintf(cmd, sizeof(cmd),
	    "openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
	    "-subj /CN=localhost -addext subjectAltName=DNS:localhost "
	    "-keyout %s -out %s >/dev/null 2>&1",
	    key, cert);
	cr_assert_eq(system(cmd), 0, "openssl failed");

	const char *const args[] = { "--listen", "tcp://127.0.0.1:0",
		"--listen", ipc, "--listen", "ws://127.0.0.1:0/evlog",
		"--listen", "tls+tcp://127.0.0.1:0", "--listen",
		"wss://127.0.0.1:0/evlog", "--tls-cert", cert, "--tls-key", key,
		"--max-message-bytes", "4M", NULL };
	start(&tb, args);
	cr_assert_eq(evld_broker_url_count(tb.b), 5);
	for (size_t i = 0; i < 5; i++) {
		const char *u = evld_broker_url(tb.b, i);
		cr_assert(strstr(u, ":0") == NULL || strncmp(u, "ipc", 3) == 0,
		    "port 0 not resolved: %s", u);
	}
	cr_assert_str_eq(evld_broker_url(tb.b, 1), ipc);
	cr_assert(strstr(evld_broker_url(tb.b, 2), "/evlog") != NULL);

	exercise(evld_broker_url(tb.b, 0), NULL, "t", true, 0);
	exercise(evld_broker_url(tb.b, 1), NULL, "t-ipc", true, 0);
	exercise(evld_broker_url(tb.b, 2), NULL, "t-ws", true, 3500);
	exercise(evld_broker_url(tb.b, 3), cert, "t-tls", true, 0);
	exercise(evld_broker_url(tb.b, 4), cert, "t-wss", true, 3500);
	evlt_broker_stop(&tb, false);
	evlt_rmrf(dir);
}

Test(broker_raw, tls_without_a_certificate_fails_to_start)
{
	struct evlt_broker tb;
	const char *const  args[] = { "--listen", "tls+tcp://127.0.0.1:0",
		"--tls-cert", "/nonexistent/cert.pem", "--tls-key",
		"/nonexistent/key.pem", NULL };
	int rv = evlt_broker_start(&tb, NULL, args);
	cr_assert_neq(rv, 0);
}

/* ---- the evlogd program --------------------------------------------- */

struct child {
	pid_t pid;
	FILE *err;
	char  url[256];
	char  http[256];
};

static void
child_start(struct child *c, const char *data)
{
	int fds[2];
	char line[512];
	memset(c, 0, sizeof(*c));
	cr_assert_eq(pipe(fds), 0);
	pid_t parent = getpid();
	c->pid       = fork();
	cr_assert_geq(c->pid, 0);
	if (c->pid == 0) {
		/* Dies with the test: never left holding ctest's pipe. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execl(EVLT_EVLOGD, "evlogd", "--data", data, "--listen",
		    "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--fsync",
		    "never", (char *) NULL);
		_exit(127);
	}
	close(fds[1]);
	c->err = fdopen(fds[0], "r");
	/* The listening lines come first; fgets blocks until each is
	 * written (the child flushes them), so this waits on the event. */
	while (fgets(line, sizeof(line), c->err) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "evlogd: listening on %255s", c->url) == 1)
			continue;
		if (sscanf(line, "evlogd: http on %255s", c->http) == 1)
			break;
	}
	cr_assert(c->url[0] != '\0', "no listening line from evlogd");
	cr_assert(strstr(c->url, ":0") == NULL, "port 0 printed: %s", c->url);
	cr_assert(c->http[0] != '\0', "no http line from evlogd");
}

static int
child_wait(struct child *c)
{
	int      status = -1;
	uint64_t until  = evlt_now_ms() + 20000;
	char     line[512];
	for (;;) {
		pid_t p = waitpid(c->pid, &status, WNOHANG);
		if (p == c->pid)
			break;
		if (evlt_now_ms() > until) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
			cr_assert_fail("evlogd did not stop on SIGTERM");
		}
		nng_msleep(5);
	}
	/* Whatever it said on the way out (sanitizer reports) for the log. */
	while (fgets(line, sizeof(line), c->err) != NULL)
		fputs(line, stderr);
	fclose(c->err);
	return status;
}

Test(broker_raw, sigterm_stops_evlogd_cleanly_and_data_survives, .timeout = 120)
{
	struct child      c;
	struct pending    p;
	char              dir[256], data[300];
	evlt_fetch_result fr;
	cr_assert_eq(evlt_tmpdir(dir, sizeof(dir)), 0);
	snprintf(data, sizeof(data), "%s/data", dir);

	child_start(&c, data);
	nng_socket s = client(c.url);
	cr_assert_eq(evlt_create_topic(s, "t", 1), 0);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(evlt_produce(s, "t", 0, 1, 10, 100, NULL), 0);
	/* A parked fetch in flight at the signal is answered, empty. */
	nng_socket waiting = client(c.url);
	pending_fetch(&p, waiting, "t", 0, 100, 60000);
	/* It is parked once a ping behind it on another connection comes
	 * back: requests are served concurrently, so just check it is not
	 * answered before the signal. */
	evlt_resp r;
	evl_assert_ok(evlt_call(s, EVLP_OP_PING, 1, NULL, 0, &r));
	evlt_resp_free(&r);
	cr_assert_not(atomic_load(&p.done));

	cr_assert_eq(kill(c.pid, SIGTERM), 0);
	evlp_view        body;
	struct fetch_sum sum;
	evlp_frame       f = pending_wait(&p, &body);
	cr_assert(f.status == 0 || f.status == EVL_ESHUTDOWN, "%s",
	    evl_errname(f.status));
	if (f.status == 0) {
		evl_assert_ok(fetch_sum_of(body, &sum));
		cr_assert_eq(sum.records, 0);
	}
	pending_free(&p);
	int status = child_wait(&c);
	cr_assert(WIFEXITED(status), "evlogd did not exit (status %d)", status);
	cr_assert_eq(WEXITSTATUS(status), 0, "evlogd exited %d", WEXITSTATUS(status));
	nng_close(waiting);
	nng_close(s);

	/* Restart on the same data: everything acknowledged is there. */
	child_start(&c, data);
	s = client(c.url);
	evl_assert_ok(evlt_fetch(s, "t", 0, 0, 0, 1 << 20, &fr));
	cr_assert_eq(fr.error, 0);
	cr_assert_eq(fr.records, 100);
	cr_assert_eq(fr.next_offset, 100);
	nng_close(s);
	cr_assert_eq(kill(c.pid, SIGINT), 0);
	status = child_wait(&c);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	evlt_rmrf(dir);
}
