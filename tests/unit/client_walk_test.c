/*
 * client_walk_test.c -- the fetch-response walker the reader and the
 * group consumer share (client/walk.c), on hand-built answers: positions,
 * erased records, paused and failed partitions, entry errors, strays, and
 * damage, none of which a healthy broker sends on demand.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <evlog/evlog.h>
#include <nng/nng.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "buf.h"
#include "msg.h"
#include "walk.h"

/* The owner: partitions 0..3 of topic "t". */
typedef struct part {
	uint64_t pos;
	bool     stopped;
} part;

static part parts[4];

static void *
find(void *owner, evlp_view topic, uint32_t partition)
{
	(void) owner;
	if (topic.len != 1 || topic.p[0] != 't' || partition >= 4)
		return NULL;
	return &parts[partition];
}

static bool
readable(const void *p)
{
	return !((const part *) p)->stopped;
}

static uint64_t *
pos(void *p)
{
	return &((part *) p)->pos;
}

static const char *
topic(const void *owner, const void *p)
{
	(void) owner;
	(void) p;
	return "t";
}

static const evlc_walk_ops ops = { find, readable, pos, topic };

/* A batch of n records "v<base+i>" at base; record erased (index) is
 * marked erased, -1 for none.  Into buf; its size. */
static size_t
batch(uint8_t *buf, size_t cap, uint64_t base, uint32_t n, int erased)
{
	evlp_batch_builder b;
	char               v[16][8];
	size_t             size;
	evlp_batch_build_init(&b, buf, cap);
	for (uint32_t i = 0; i < n; i++) {
		snprintf(v[i], sizeof(v[i]), "v%u", (unsigned) (base + i));
		evlp_record_in r = { .value = v[i], .value_len = strlen(v[i]) };
		if ((int) i == erased)
			r.attributes = EVLP_REC_ERASED;
		cr_assert_eq(evlp_batch_build_add(&b, &r), 0);
	}
	cr_assert_eq(evlp_batch_build_finish(&b, &size), 0);
	evlp_batch_stamp(buf, base, 0);
	return size;
}

typedef struct entry {
	const char *topic;
	uint32_t    partition;
	uint16_t    error;
	uint64_t    base;
	uint32_t    n;
	int         erased;
} entry;

/* Puts an answer of the entries into w->resp, started. */
static void
answer(evlc_walk *w, const entry *e, size_t n)
{
	uint8_t  body[8192], b[1024];
	evlp_wr  wr;
	nng_msg *m;
	evlp_wr_init(&wr, body, sizeof(body));
	evlp_fetch_resp_encode(&wr, (uint16_t) n);
	for (size_t i = 0; i < n; i++) {
		evlp_fetch_resp_part p = { { (const uint8_t *) e[i].topic,
			                       strlen(e[i].topic) },
			e[i].partition, e[i].error, 0, 0, { b, 0 } };
		if (e[i].n > 0)
			p.batches.len =
			    batch(b, sizeof(b), e[i].base, e[i].n, e[i].erased);
		evlp_fetch_resp_part_encode(&wr, &p);
	}
	cr_assert_eq(wr.err, 0);
	cr_assert_eq(nng_msg_alloc(&m, 0), 0);
	cr_assert_eq(nng_msg_append(m, body, wr.len), 0);
	memset(w, 0, sizeof(*w));
	w->resp.msg      = m;
	w->resp.body.p   = nng_msg_body(m);
	w->resp.body.len = nng_msg_len(m);
	cr_assert_eq(evlc_walk_start(w), 0);
}

/* The next record's value, delivered (the position moved past it), or
 * the walk's other return as "#<n>". */
static const char *
next(evlc_walk *w)
{
	static char out[32];
	evlp_record er;
	int         rv = evlc_walk_next(w, &ops, NULL, &er);
	if (rv != 0) {
		snprintf(out, sizeof(out), "#%d", rv);
		return out;
	}
	snprintf(out, sizeof(out), "%.*s", (int) er.value.len,
	    (const char *) er.value.p);
	*w->pos = er.offset + 1;
	return out;
}

static void
setup(void)
{
	memset(parts, 0, sizeof(parts));
}

TestSuite(client_walk, .init = setup);

Test(client_walk, delivers_from_each_position_and_passes_over_erased)
{
	evlc_walk   w;
	const entry e[] = { { "t", 0, 0, 10, 4, -1 }, { "t", 1, 0, 0, 3, 1 } };
	parts[0].pos = 12; /* the batch starts below it */
	answer(&w, e, 2);
	cr_assert_str_eq(next(&w), "v12");
	cr_assert_str_eq(next(&w), "v13");
	cr_assert_str_eq(next(&w), "v0");
	cr_assert_str_eq(next(&w), "v2", "v1 is erased");
	cr_assert_eq(parts[1].pos, 3);
	cr_assert_str_eq(next(&w), "#-1");
	cr_assert_null(w.resp.msg, "the answer is released at its end");
	cr_assert_str_eq(next(&w), "#-1");
}

Test(client_walk, a_batch_wholly_below_the_position_is_skipped)
{
	evlc_walk   w;
	const entry e[] = { { "t", 0, 0, 0, 4, -1 } };
	parts[0].pos = 4;
	answer(&w, e, 1);
	cr_assert_str_eq(next(&w), "#-1");
	cr_assert_eq(parts[0].pos, 4);
}

Test(client_walk, a_partition_stopped_between_calls_delivers_no_more)
{
	evlc_walk   w;
	const entry e[] = { { "t", 0, 0, 0, 3, -1 }, { "t", 2, 0, 5, 1, -1 } };
	parts[1].stopped = true;
	answer(&w, e, 2);
	cr_assert_str_eq(next(&w), "v0");
	parts[0].stopped = true; /* paused by the application */
	cr_assert_str_eq(next(&w), "v5");
	cr_assert_eq(parts[0].pos, 1, "where it stopped");
}

Test(client_walk, an_entry_error_is_handed_over_once_and_the_walk_goes_on)
{
	evlc_walk   w;
	const entry e[] = { { "t", 0, EVL_EOFFSET, 0, 0, -1 },
		{ "t", 1, 0, 7, 1, -1 } };
	answer(&w, e, 2);
	cr_assert_str_eq(next(&w), "#-3");
	cr_assert_eq(w.cur.error, EVL_EOFFSET);
	cr_assert_eq(w.part, &parts[0]);
	cr_assert_str_eq(next(&w), "v7");
}

Test(client_walk, an_entry_not_asked_for_drops_the_answer)
{
	evlc_walk   w;
	const entry e[] = { { "u", 0, 0, 0, 1, -1 } };
	answer(&w, e, 1);
	cr_assert_str_eq(next(&w), "#-2");
	cr_assert_null(w.resp.msg);
}

Test(client_walk, a_damaged_batch_is_corrupt_and_drops_the_answer)
{
	evlc_walk   w;
	const entry e[] = { { "t", 3, 0, 0, 2, -1 } };
	answer(&w, e, 1);
	/* Flip a byte of the last record's value: the CRC no longer
	 * matches. */
	uint8_t *body = nng_msg_body(w.resp.msg);
	body[nng_msg_len(w.resp.msg) - 2] ^= 0xff;
	cr_assert_eq(evlc_walk_next(&w, &ops, NULL, &(evlp_record) { 0 }),
	    EVL_ECORRUPT);
	cr_assert_str_eq(w.what, "batch checksum");
	cr_assert_eq(w.cur.partition, 3);
	cr_assert_null(w.resp.msg);
	cr_assert_eq(parts[3].pos, 0, "nothing delivered");
}

Test(client_walk, a_body_that_is_no_fetch_response_is_corrupt)
{
	evlc_walk w;
	nng_msg  *m;
	memset(&w, 0, sizeof(w));
	cr_assert_eq(nng_msg_alloc(&m, 0), 0);
	cr_assert_eq(nng_msg_append(m, "\x00\x01\x00", 3), 0);
	w.resp.msg      = m;
	w.resp.body.p   = nng_msg_body(m);
	w.resp.body.len = nng_msg_len(m);
	cr_assert_eq(evlc_walk_start(&w), EVL_ECORRUPT);
	cr_assert_null(w.resp.msg);
}

/* evlc_walk_record: the record as the client hands it out, and what went
 * wrong as the client's error and message, naming topic, partition and
 * position. */
Test(client_walk, records_and_their_errors_as_the_client_reports_them)
{
	static evl_client c; /* only its message and lock are used */
	evlc_walk         w;
	evl_record        rec;
	evlc_hdrs         hb = { 0 };
	const entry e[] = { { "t", 0, 0, 5, 1, -1 },
		{ "t", 1, EVL_EOFFSET, 0, 0, -1 }, { "u", 0, 0, 0, 0, -1 } };
	pthread_mutex_init(&c.mu, NULL);
	parts[1].pos = 7;
	answer(&w, e, 3);

	cr_assert_eq(evlc_walk_record(&w, &ops, NULL, &c, &rec, &hb), 0);
	cr_assert_str_eq(rec.topic, "t");
	cr_assert_eq(rec.partition, 0);
	cr_assert_eq(rec.offset, 5);
	cr_assert_eq(parts[0].pos, 6, "the position moved past it");

	cr_assert_eq(evlc_walk_record(&w, &ops, NULL, &c, &rec, &hb),
	    EVLC_WALK_PART_ERROR);
	cr_assert_eq(w.cur.error, EVL_EOFFSET);
	cr_assert(strncmp(c.errmsg, "t partition 1 at offset 7: ", 27) == 0,
	    "%s", c.errmsg);

	cr_assert_eq(evlc_walk_record(&w, &ops, NULL, &c, &rec, &hb),
	    EVL_EPROTO);
	cr_assert_str_eq(c.errmsg, "fetch answered a partition not asked for");
	cr_assert_eq(evlc_walk_record(&w, &ops, NULL, &c, &rec, &hb),
	    EVLC_WALK_END);
	evlc_hdrs_free(&hb);
	pthread_mutex_destroy(&c.mu);
}
