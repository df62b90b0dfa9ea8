/*
 * PRODUCE, FETCH and LIST_OFFSETS bodies (msg_data.c).  Each message goes
 * through evl_codec_check -- every writer capacity, every truncation, a
 * trailing byte -- and is then compared field by field, entry by entry.
 */
#include "batch.h"
#include "evl_codec_test.h"
#include "msg.h"

EVL_DECODER(evlp_produce_req_decode, evlp_produce_req)
EVL_DECODER(evlp_produce_resp_decode, evlp_produce_resp)
EVL_DECODER(evlp_fetch_req_decode, evlp_fetch_req)
EVL_DECODER(evlp_fetch_resp_decode, evlp_fetch_resp)
EVL_DECODER(evlp_list_offsets_req_decode, evlp_list_offsets)
EVL_DECODER(evlp_list_offsets_resp_decode, evlp_list_offsets)

/* A two-record batch stamped at base_offset. */
static size_t
build_batch(uint8_t *buf, size_t cap, uint64_t base_offset)
{
	evlp_batch_builder b;
	evlp_record_in r0 = { .key = "k", .key_len = 1, .value = "v0",
		.value_len = 2, .timestamp = 1700000000000 };
	evlp_record_in r1 = { .value = "v1", .value_len = 2,
		.timestamp = 1700000000001 };
	size_t         n;
	evlp_batch_build_init(&b, buf, cap);
	evl_assert_ok(evlp_batch_build_add(&b, &r0));
	evl_assert_ok(evlp_batch_build_add(&b, &r1));
	evl_assert_ok(evlp_batch_build_finish(&b, &n));
	evlp_batch_stamp(buf, base_offset, 1700000000500);
	return n;
}

/* ---- PRODUCE ---------------------------------------------------------- */

static void
enc_produce_req(evlp_wr *w, const void *ctx)
{
	evlp_produce_req_encode(w, ctx);
}

static void
enc_produce_resp(evlp_wr *w, const void *ctx)
{
	evlp_produce_resp_encode(w, ctx);
}

Test(produce, request_round_trip)
{
	uint8_t          batch[256];
	size_t           bn = build_batch(batch, sizeof(batch), 0);
	evlp_produce_req in = { evl_view_str("orders"), 3, EVLP_ACKS_FSYNC,
		41, 5000, { batch, bn } };
	evlp_produce_req out;
	size_t           n;
	uint8_t         *buf = evl_codec_check(
            enc_produce_req, &in, evlp_produce_req_decode_v, &out, &n);
	cr_assert_eq(n, 2 + 6 + 4 + 1 + 8 + 4 + 4 + bn);
	evl_assert_view_eq(out.topic, "orders");
	cr_assert_eq(out.partition, 3);
	cr_assert_eq(out.acks, EVLP_ACKS_FSYNC);
	cr_assert_eq(out.expected_version, 41);
	cr_assert_eq(out.timeout_ms, 5000);
	cr_assert_eq(out.batch.len, bn);
	cr_assert_eq(memcmp(out.batch.p, batch, bn), 0);
	evlp_batch_hdr h;
	evl_assert_ok(evlp_batch_check(out.batch.p, out.batch.len, &h));
	free(buf);
}

Test(produce, enumerated_values_are_checked)
{
	evlp_produce_req in = { evl_view_str("t"), 0, EVLP_ACKS_NONE,
		EVLP_VERSION_EXISTS, 0, { NULL, 0 } };
	evlp_produce_req out;
	uint8_t          buf[64];
	evlp_wr          w;
	evlp_view        v;

	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_produce_req_encode(&w, &in);
	v = (evlp_view) { buf, w.len };
	evl_assert_ok(evlp_produce_req_decode(v, &out));
	cr_assert_eq(out.expected_version, EVLP_VERSION_EXISTS);

	in.expected_version = -4;
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_produce_req_encode(&w, &in);
	evl_assert_err(evlp_produce_req_decode(v, &out), EVL_EINVAL);

	in.expected_version = EVLP_VERSION_ANY;
	in.acks             = 3;
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_produce_req_encode(&w, &in);
	evl_assert_err(evlp_produce_req_decode(v, &out), EVL_EINVAL);
}

Test(produce, oversize_batch_length)
{
	/* topic "t", partition, acks, version, timeout, then a batch length
	 * of 4 GiB - 1 with one byte behind it */
	static const uint8_t b[] = { 0, 1, 't', 0, 0, 0, 0, 1, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff,
		0xff, 0xff, 0 };
	evlp_produce_req     out;
	evl_assert_err(
	    evl_decode_raw(evlp_produce_req_decode_v, b, sizeof(b), &out),
	    EVL_EPROTO);
}

Test(produce, response_round_trip)
{
	evlp_produce_resp in = { 1234567890123ull, 1700000000500, 250, 17 };
	evlp_produce_resp out;
	size_t            n;
	uint8_t          *buf = evl_codec_check(
            enc_produce_resp, &in, evlp_produce_resp_decode_v, &out, &n);
	cr_assert_eq(n, 28);
	cr_assert_eq(out.base_offset, 1234567890123ull);
	cr_assert_eq(out.append_time, 1700000000500);
	cr_assert_eq(out.count, 250);
	cr_assert_eq(out.version, 17);
	free(buf);

	evlp_produce_resp none = { UINT64_MAX, 0, 0, EVLP_VERSION_NONE };
	buf = evl_codec_check(
	    enc_produce_resp, &none, evlp_produce_resp_decode_v, &out, &n);
	cr_assert_eq(out.base_offset, UINT64_MAX);
	cr_assert_eq(out.version, -1);
	free(buf);
}

/* ---- FETCH request ---------------------------------------------------- */

static const evlp_fetch_part fetch_parts[] = {
	{ { (const uint8_t *) "orders", 6 }, 0, 100, 1 << 20 },
	{ { (const uint8_t *) "orders", 6 }, 7, 0, 65536 },
	{ { (const uint8_t *) "", 0 }, UINT32_MAX, UINT64_MAX, 0 },
};
#define NPARTS (sizeof(fetch_parts) / sizeof(fetch_parts[0]))

static void
enc_fetch_req(evlp_wr *w, const void *ctx)
{
	(void) ctx;
	evlp_fetch_req_encode(w, 30000, 4 << 20, NPARTS);
	for (size_t i = 0; i < NPARTS; i++)
		evlp_fetch_part_encode(w, &fetch_parts[i]);
}

Test(fetch, request_round_trip)
{
	evlp_fetch_req  out;
	evlp_fetch_part p;
	size_t          n;
	uint8_t        *buf = evl_codec_check(
            enc_fetch_req, NULL, evlp_fetch_req_decode_v, &out, &n);
	cr_assert_eq(n, 10 + 2 * (18 + 6) + 18);
	cr_assert_eq(out.max_wait_ms, 30000);
	cr_assert_eq(out.max_bytes, 4 << 20);
	cr_assert_eq(out.count, NPARTS);
	for (size_t i = 0; i < NPARTS; i++) {
		cr_assert(evlp_fetch_req_next(&out, &p), "part %zu", i);
		cr_assert_eq(p.topic.len, fetch_parts[i].topic.len);
		cr_assert_eq(memcmp(p.topic.p, fetch_parts[i].topic.p,
		                 p.topic.len),
		    0);
		cr_assert_eq(p.partition, fetch_parts[i].partition);
		cr_assert_eq(p.offset, fetch_parts[i].offset);
		cr_assert_eq(p.max_bytes, fetch_parts[i].max_bytes);
	}
	cr_assert_not(evlp_fetch_req_next(&out, &p));
	cr_assert_not(evlp_fetch_req_next(&out, &p));
	free(buf);
}

Test(fetch, request_with_no_parts)
{
	uint8_t        buf[16];
	evlp_wr        w;
	evlp_fetch_req out;
	evlp_fetch_part p;
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_fetch_req_encode(&w, 0, 0, 0);
	evl_assert_ok(evlp_fetch_req_decode((evlp_view) { buf, w.len }, &out));
	cr_assert_not(evlp_fetch_req_next(&out, &p));
}

Test(fetch, request_oversize_count)
{
	/* 65535 parts announced, 3 bytes behind: refused before walking */
	static const uint8_t b[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0,
		1, 'x' };
	/* 2 parts announced, one present */
	static const uint8_t c[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 'x',
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	evlp_fetch_req       out;
	evl_assert_err(
	    evl_decode_raw(evlp_fetch_req_decode_v, b, sizeof(b), &out),
	    EVL_EPROTO);
	evl_assert_err(
	    evl_decode_raw(evlp_fetch_req_decode_v, c, sizeof(c), &out),
	    EVL_EPROTO);
}

/* ---- FETCH response --------------------------------------------------- */

typedef struct fetch_resp_ctx {
	const uint8_t *batches;
	size_t         len;
} fetch_resp_ctx;

static void
enc_fetch_resp(evlp_wr *w, const void *ctx)
{
	const fetch_resp_ctx *c  = ctx;
	evlp_fetch_resp_part  p0 = { evl_view_str("orders"), 2, 0, 98, 104,
		 { c->batches, c->len } };
	evlp_fetch_resp_part  p1 = { evl_view_str("audit"), 0, EVL_EOFFSET, 5,
		 9, { NULL, 0 } };
	evlp_fetch_resp_encode(w, 2);
	evlp_fetch_resp_part_encode(w, &p0);
	evlp_fetch_resp_part_encode(w, &p1);
}

Test(fetch, response_round_trip)
{
	uint8_t              batches[512];
	size_t               a  = build_batch(batches, sizeof(batches), 100);
	size_t               b  = build_batch(batches + a, sizeof(batches) - a,
	                      102);
	fetch_resp_ctx       in = { batches, a + b };
	evlp_fetch_resp      out;
	evlp_fetch_resp_part p;
	size_t               n;
	uint8_t             *buf = evl_codec_check(
            enc_fetch_resp, &in, evlp_fetch_resp_decode_v, &out, &n);
	cr_assert_eq(n, 2 + (28 + 6 + a + b) + (28 + 5));
	cr_assert_eq(out.count, 2);

	cr_assert(evlp_fetch_resp_next(&out, &p));
	evl_assert_view_eq(p.topic, "orders");
	cr_assert_eq(p.partition, 2);
	cr_assert_eq(p.error, 0);
	cr_assert_eq(p.first_offset, 98);
	cr_assert_eq(p.next_offset, 104);
	cr_assert_eq(p.batches.len, a + b);
	cr_assert_eq(memcmp(p.batches.p, batches, a + b), 0);
	/* The batches are there to be walked and iterated. */
	evlp_rd         rd;
	evlp_view       bv;
	evlp_batch_hdr  h;
	evlp_batch_iter it;
	evlp_record     rec;
	uint64_t        want = 100;
	evlp_rd_init(&rd, p.batches.p, p.batches.len);
	while (evlp_batches_next(&rd, &bv, &h)) {
		evl_assert_ok(evlp_batch_iter_init(&it, bv.p, bv.len));
		while (evlp_batch_next(&it, &rec))
			cr_assert_eq(rec.offset, want++);
		cr_assert_eq(it.rd.err, 0);
	}
	cr_assert_eq(rd.err, 0);
	cr_assert_eq(want, 104);

	cr_assert(evlp_fetch_resp_next(&out, &p));
	evl_assert_view_eq(p.topic, "audit");
	cr_assert_eq(p.partition, 0);
	cr_assert_eq(p.error, EVL_EOFFSET);
	cr_assert_eq(p.first_offset, 5);
	cr_assert_eq(p.next_offset, 9);
	cr_assert_eq(p.batches.len, 0);
	cr_assert_not(evlp_fetch_resp_next(&out, &p));
	free(buf);
}

Test(fetch, response_head_then_batches_from_storage)
{
	/* The broker's way: head first, batches appended, length patched. */
	uint8_t              batches[256];
	size_t               a = build_batch(batches, sizeof(batches), 0);
	uint8_t              buf[512];
	evlp_wr              w;
	evlp_fetch_resp_part p = { evl_view_str("t"), 0, 0, 0, 2,
		{ NULL, 0 } };
	evlp_fetch_resp      out;
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_fetch_resp_encode(&w, 1);
	evlp_fetch_resp_part_encode_head(&w, &p);
	size_t len_at = w.len - 4;
	evlp_wr_raw(&w, batches, a);
	evl_assert_ok(w.err);
	evl_assert_err(evlp_fetch_resp_decode((evlp_view) { buf, w.len }, &out),
	    EVL_EPROTO);
	evlp_put_u32(buf + len_at, (uint32_t) a);
	evl_assert_ok(evlp_fetch_resp_decode((evlp_view) { buf, w.len }, &out));
	cr_assert(evlp_fetch_resp_next(&out, &p));
	cr_assert_eq(p.batches.len, a);
}

Test(fetch, response_batches_must_be_whole)
{
	uint8_t         batches[256];
	size_t          a = build_batch(batches, sizeof(batches), 0);
	fetch_resp_ctx  in;
	uint8_t         buf[512];
	evlp_wr         w;
	evlp_fetch_resp out;

	/* Every cut of the batch bytes, re-framed with a consistent length,
	 * is refused: only whole batches may travel. */
	for (size_t cut = 1; cut < a; cut++) {
		in = (fetch_resp_ctx) { batches, cut };
		evlp_wr_init(&w, buf, sizeof(buf));
		enc_fetch_resp(&w, &in);
		evl_assert_ok(w.err);
		cr_assert_neq(evl_decode_raw(evlp_fetch_resp_decode_v, buf,
		                  w.len, &out),
		    0, "batches cut to %zu of %zu", cut, a);
	}
	/* Garbage after a whole batch. */
	batches[a] = 0;
	in         = (fetch_resp_ctx) { batches, a + 1 };
	evlp_wr_init(&w, buf, sizeof(buf));
	enc_fetch_resp(&w, &in);
	cr_assert_neq(
	    evl_decode_raw(evlp_fetch_resp_decode_v, buf, w.len, &out), 0);
}

Test(fetch, response_oversize_count)
{
	static const uint8_t b[] = { 0xff, 0xff, 0, 1, 'x' };
	evlp_fetch_resp      out;
	evl_assert_err(
	    evl_decode_raw(evlp_fetch_resp_decode_v, b, sizeof(b), &out),
	    EVL_EPROTO);
}

/* ---- LIST_OFFSETS ----------------------------------------------------- */

static const evlp_offset_query queries[] = {
	{ { (const uint8_t *) "orders", 6 }, 0, EVLP_TIME_LATEST },
	{ { (const uint8_t *) "orders", 6 }, 1, EVLP_TIME_EARLIEST },
	{ { (const uint8_t *) "audit", 5 }, 9, 1700000000000 },
};
#define NQUERIES (sizeof(queries) / sizeof(queries[0]))

static const evlp_offset_answer answers[] = {
	{ { (const uint8_t *) "orders", 6 }, 0, 0, 1000 },
	{ { (const uint8_t *) "nope", 4 }, 1, EVL_ENOTOPIC, 0 },
};
#define NANSWERS (sizeof(answers) / sizeof(answers[0]))

static void
enc_offsets_req(evlp_wr *w, const void *ctx)
{
	(void) ctx;
	evlp_list_offsets_encode(w, NQUERIES);
	for (size_t i = 0; i < NQUERIES; i++)
		evlp_offset_query_encode(w, &queries[i]);
}

static void
enc_offsets_resp(evlp_wr *w, const void *ctx)
{
	(void) ctx;
	evlp_list_offsets_encode(w, NANSWERS);
	for (size_t i = 0; i < NANSWERS; i++)
		evlp_offset_answer_encode(w, &answers[i]);
}

Test(list_offsets, request_round_trip)
{
	evlp_list_offsets out;
	evlp_offset_query q;
	size_t            n;
	uint8_t          *buf = evl_codec_check(enc_offsets_req, NULL,
                 evlp_list_offsets_req_decode_v, &out, &n);
	cr_assert_eq(n, 2 + 3 * 14 + 6 + 6 + 5);
	cr_assert_eq(out.count, NQUERIES);
	for (size_t i = 0; i < NQUERIES; i++) {
		cr_assert(evlp_list_offsets_req_next(&out, &q));
		cr_assert_eq(q.topic.len, queries[i].topic.len);
		cr_assert_eq(
		    memcmp(q.topic.p, queries[i].topic.p, q.topic.len), 0);
		cr_assert_eq(q.partition, queries[i].partition);
		cr_assert_eq(q.timestamp, queries[i].timestamp);
	}
	cr_assert_not(evlp_list_offsets_req_next(&out, &q));
	free(buf);
}

Test(list_offsets, timestamp_below_earliest_is_einval)
{
	evlp_offset_query bad = { evl_view_str("t"), 0, -3 };
	uint8_t           buf[32];
	evlp_wr           w;
	evlp_list_offsets out;
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_list_offsets_encode(&w, 1);
	evlp_offset_query_encode(&w, &bad);
	evl_assert_err(
	    evlp_list_offsets_req_decode((evlp_view) { buf, w.len }, &out),
	    EVL_EINVAL);
}

Test(list_offsets, response_round_trip)
{
	evlp_list_offsets  out;
	evlp_offset_answer a;
	size_t             n;
	uint8_t           *buf = evl_codec_check(enc_offsets_resp, NULL,
                  evlp_list_offsets_resp_decode_v, &out, &n);
	cr_assert_eq(n, 2 + 2 * 16 + 6 + 4);
	cr_assert_eq(out.count, NANSWERS);
	for (size_t i = 0; i < NANSWERS; i++) {
		cr_assert(evlp_list_offsets_resp_next(&out, &a));
		cr_assert_eq(a.topic.len, answers[i].topic.len);
		cr_assert_eq(
		    memcmp(a.topic.p, answers[i].topic.p, a.topic.len), 0);
		cr_assert_eq(a.partition, answers[i].partition);
		cr_assert_eq(a.error, answers[i].error);
		cr_assert_eq(a.offset, answers[i].offset);
	}
	cr_assert_not(evlp_list_offsets_resp_next(&out, &a));
	free(buf);
}

Test(list_offsets, oversize_count)
{
	static const uint8_t b[] = { 0xff, 0xff, 0, 0, 0 };
	evlp_list_offsets    out;
	evl_assert_err(
	    evl_decode_raw(evlp_list_offsets_req_decode_v, b, sizeof(b), &out),
	    EVL_EPROTO);
	evl_assert_err(evl_decode_raw(evlp_list_offsets_resp_decode_v, b,
	                   sizeof(b), &out),
	    EVL_EPROTO);
}
