/*
 * READ_STREAM, STREAM_INFO and DELETE_STREAM bodies (msg_stream.c):
 * round trips through evl_codec_check, the enumerated-value checks, and
 * records whose headers do not match their count.
 */
#include "batch.h"
#include "evl_codec_test.h"
#include "msg.h"

EVL_DECODER(evlp_read_stream_req_decode, evlp_read_stream_req)
EVL_DECODER(evlp_read_stream_resp_decode, evlp_read_stream_resp)
EVL_DECODER(evlp_stream_info_req_decode, evlp_stream_req)
EVL_DECODER(evlp_delete_stream_req_decode, evlp_stream_req)
EVL_DECODER(evlp_stream_info_resp_decode, evlp_stream_info_resp)

static void
enc_read_req(evlp_wr *w, const void *ctx)
{
	evlp_read_stream_req_encode(w, ctx);
}

Test(read_stream, request_round_trip)
{
	evlp_read_stream_req in = { evl_view_str("acct"),
		evl_view_str("acct-42"), 17, 0, 100, 65536, 500 };
	evlp_read_stream_req out;
	size_t               n;
	uint8_t             *buf = evl_codec_check(
	                enc_read_req, &in, evlp_read_stream_req_decode_v, &out, &n);
	cr_assert_eq(n, 2 + 4 + 4 + 7 + 8 + 1 + 4 + 4 + 4);
	evl_assert_view_eq(out.topic, "acct");
	evl_assert_view_eq(out.key, "acct-42");
	cr_assert_eq(out.from_version, 17);
	cr_assert_eq(out.backwards, 0);
	cr_assert_eq(out.max_count, 100);
	cr_assert_eq(out.max_bytes, 65536);
	cr_assert_eq(out.max_wait_ms, 500);
	free(buf);
}

/* Encodes in and decodes it: the decoder's result. */
static int
read_req_rv(int64_t from, uint8_t backwards)
{
	evlp_read_stream_req in = { evl_view_str("t"), evl_view_str("k"), from,
		backwards, 0, 0, 0 };
	evlp_read_stream_req out;
	uint8_t              b[64];
	evlp_wr              w;
	evlp_wr_init(&w, b, sizeof(b));
	evlp_read_stream_req_encode(&w, &in);
	evl_assert_ok(w.err);
	return evl_decode_raw(evlp_read_stream_req_decode_v, b, w.len, &out);
}

Test(read_stream, enumerated_values_are_checked)
{
	evl_assert_ok(read_req_rv(0, 0));
	evl_assert_ok(read_req_rv(EVLP_STREAM_FROM_END, 1));
	evl_assert_ok(read_req_rv(EVLP_STREAM_FROM_SNAPSHOT, 0));
	evl_assert_ok(read_req_rv(5, 1));
	evl_assert_err(read_req_rv(EVLP_STREAM_FROM_END, 0), EVL_EINVAL);
	evl_assert_err(read_req_rv(EVLP_STREAM_FROM_SNAPSHOT, 1), EVL_EINVAL);
	evl_assert_err(read_req_rv(-3, 0), EVL_EINVAL);
	evl_assert_err(read_req_rv(0, 2), EVL_EINVAL);
}

/* Two encoded header pairs: a=1, bb=22. */
static const uint8_t hdrs[] = { 1, 'a', 1, '1', 2, 'b', 'b', 2, '2', '2' };

typedef struct resp_ctx {
	evlp_read_stream_resp m;
	evlp_stream_record    r[2];
} resp_ctx;

static void
enc_read_resp(evlp_wr *w, const void *ctx)
{
	const resp_ctx *c = ctx;
	evlp_read_stream_resp_encode(w, &c->m);
	for (uint32_t i = 0; i < c->m.count; i++)
		evlp_stream_record_encode(w, &c->r[i]);
}

Test(read_stream, response_round_trip)
{
	resp_ctx c = { .m = { 3, 9, 2, 8, 2, { 0 } } };
	c.r[0] = (evlp_stream_record) { 8, 1000, 1700000000000, 5,
		EVLP_REC_SNAPSHOT, true, evl_view_str("state"), 2,
		{ hdrs, sizeof(hdrs) } };
	c.r[1] = (evlp_stream_record) { 9, 1004, 1700000000001, 0, 0, false,
		{ NULL, 0 }, 0, { NULL, 0 } };
	evlp_read_stream_resp out;
	evlp_stream_record    r;
	size_t                n;
	uint8_t              *buf = evl_codec_check(
	                 enc_read_resp, &c, evlp_read_stream_resp_decode_v, &out, &n);
	cr_assert_eq(out.partition, 3);
	cr_assert_eq(out.version, 9);
	cr_assert_eq(out.first_version, 2);
	cr_assert_eq(out.snapshot, 8);
	cr_assert_eq(out.count, 2);
	cr_assert(evlp_read_stream_resp_next(&out, &r));
	cr_assert_eq(r.version, 8);
	cr_assert_eq(r.offset, 1000);
	cr_assert_eq(r.append_time, 1700000000000);
	cr_assert_eq(r.timestamp, 5);
	cr_assert_eq(r.attributes, EVLP_REC_SNAPSHOT);
	cr_assert(r.has_value);
	evl_assert_view_eq(r.value, "state");
	cr_assert_eq(r.header_count, 2);
	evlp_rd     hr;
	evlp_header h;
	evlp_rd_init(&hr, r.headers.p, r.headers.len);
	cr_assert(evlp_header_next(&hr, &h));
	cr_assert(evlp_header_next(&hr, &h));
	evl_assert_view_eq(h.name, "bb");
	evl_assert_view_eq(h.value, "22");
	cr_assert(evlp_read_stream_resp_next(&out, &r));
	cr_assert_eq(r.version, 9);
	cr_assert(!r.has_value);
	cr_assert(!evlp_read_stream_resp_next(&out, &r));
	free(buf);
}

/* A one-record response with the record's fields given. */
static int
resp_rv(uint32_t header_count, uint8_t attributes, int64_t version)
{
	resp_ctx c = { .m = { 0, 1, 0, -1, 1, { 0 } } };
	c.r[0] = (evlp_stream_record) { version, 0, 0, 0, attributes, true,
		evl_view_str("v"), header_count, { hdrs, sizeof(hdrs) } };
	uint8_t b[256];
	evlp_wr w;
	evlp_wr_init(&w, b, sizeof(b));
	enc_read_resp(&w, &c);
	evl_assert_ok(w.err);
	evlp_read_stream_resp out;
	return evl_decode_raw(evlp_read_stream_resp_decode_v, b, w.len, &out);
}

Test(read_stream, records_are_validated)
{
	evl_assert_ok(resp_rv(2, 0, 0));
	evl_assert_err(resp_rv(1, 0, 0), EVL_EPROTO);
	evl_assert_err(resp_rv(3, 0, 0), EVL_EPROTO);
	evl_assert_err(resp_rv(UINT32_MAX, 0, 0), EVL_EPROTO);
	evl_assert_err(resp_rv(2, EVLP_REC_ERASED, 0), EVL_EPROTO);
	evl_assert_err(resp_rv(2, 0, -1), EVL_EPROTO);
	/* A count the bytes cannot hold fails before any record. */
	uint8_t body[32] = { 0 };
	body[28] = 0xff; /* count high byte */
	evlp_read_stream_resp out;
	evl_assert_err(evl_decode_raw(evlp_read_stream_resp_decode_v, body,
	                   sizeof(body), &out),
	    EVL_EPROTO);
}

static void
enc_info_req(evlp_wr *w, const void *ctx)
{
	evlp_stream_info_req_encode(w, ctx);
}

static void
enc_delete_req(evlp_wr *w, const void *ctx)
{
	evlp_delete_stream_req_encode(w, ctx);
}

static void
enc_info_resp(evlp_wr *w, const void *ctx)
{
	evlp_stream_info_resp_encode(w, ctx);
}

Test(stream_info, round_trips)
{
	evlp_stream_req in
	    = { evl_view_str("acct"), evl_view_str("k"), EVLP_VERSION_ANY, 0 };
	evlp_stream_req out;
	size_t          n;
	uint8_t        *buf = evl_codec_check(
	           enc_info_req, &in, evlp_stream_info_req_decode_v, &out, &n);
	evl_assert_view_eq(out.key, "k");
	free(buf);

	in.expected_version = 7;
	in.flags = EVLP_DELETE_FORGET_VERSIONS;
	buf = evl_codec_check(
	    enc_delete_req, &in, evlp_delete_stream_req_decode_v, &out, &n);
	cr_assert_eq(out.expected_version, 7);
	cr_assert_eq(out.flags, EVLP_DELETE_FORGET_VERSIONS);
	free(buf);

	evlp_stream_info_resp ri = { 2, 41, 3, 40, 99, 1 }, ro;
	buf = evl_codec_check(
	    enc_info_resp, &ri, evlp_stream_info_resp_decode_v, &ro, &n);
	cr_assert_eq(ro.partition, 2);
	cr_assert_eq(ro.version, 41);
	cr_assert_eq(ro.first_version, 3);
	cr_assert_eq(ro.snapshot, 40);
	cr_assert_eq(ro.last_offset, 99);
	cr_assert_eq(ro.deleted, 1);
	free(buf);
}

Test(stream_info, bad_values)
{
	evlp_stream_req in = { evl_view_str("t"), evl_view_str("k"), -4, 0 };
	evlp_stream_req out;
	uint8_t         b[64];
	evlp_wr         w;
	evlp_wr_init(&w, b, sizeof(b));
	evlp_delete_stream_req_encode(&w, &in);
	evl_assert_err(
	    evl_decode_raw(evlp_delete_stream_req_decode_v, b, w.len, &out),
	    EVL_EINVAL);
	in.expected_version = 0;
	in.flags = 2;
	evlp_wr_init(&w, b, sizeof(b));
	evlp_delete_stream_req_encode(&w, &in);
	evl_assert_err(
	    evl_decode_raw(evlp_delete_stream_req_decode_v, b, w.len, &out),
	    EVL_EINVAL);

	evlp_stream_info_resp ri = { 0, -2, 0, -1, 0, 0 }, ro;
	evlp_wr_init(&w, b, sizeof(b));
	evlp_stream_info_resp_encode(&w, &ri);
	evl_assert_err(
	    evl_decode_raw(evlp_stream_info_resp_decode_v, b, w.len, &ro),
	    EVL_EPROTO);
}
