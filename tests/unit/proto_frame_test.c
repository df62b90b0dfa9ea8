/*
 * Frame header codec: round trip, every truncation, every reserved bit,
 * length mismatches both ways.  The layout is the table in frame.h.
 */
#include <stdlib.h>
#include <string.h>

#include "evl_codec_test.h"
#include "frame.h"
#include "ops.h"

static const evlp_frame sample = {
	.version     = EVLP_VERSION,
	.op          = EVLP_OP_FETCH,
	.flags       = EVLP_FLAG_RESPONSE,
	.status      = EVL_ENOTOPIC,
	.id          = 0xdeadbeef,
	.body_length = 3,
};

static size_t
build(uint8_t *buf, const evlp_frame *f)
{
	evlp_frame_encode(buf, f);
	memcpy(buf + EVLP_FRAME_SIZE, "abc", f->body_length);
	return EVLP_FRAME_SIZE + f->body_length;
}

static int
decode_copy(const uint8_t *buf, size_t n, evlp_frame *f, evlp_view *body)
{
	uint8_t *c  = evl_copy_exact(buf, n);
	int      rv = evlp_frame_decode(c, n, f, body);
	free(c);
	return rv;
}

Test(frame, bytes_match_the_table)
{
	uint8_t buf[32];
	build(buf, &sample);
	static const uint8_t want[EVLP_FRAME_SIZE] = { 0x45, 0x56, 1, 0x03,
		0x00, 0x01, 0x00, 20, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 3 };
	cr_assert_eq(memcmp(buf, want, sizeof(want)), 0);
}

Test(frame, round_trip)
{
	uint8_t    buf[32];
	size_t     n = build(buf, &sample);
	evlp_frame f;
	evlp_view  body;
	evl_assert_ok(evlp_frame_decode(buf, n, &f, &body));
	cr_assert_eq(f.version, EVLP_VERSION);
	cr_assert_eq(f.op, EVLP_OP_FETCH);
	cr_assert_eq(f.flags, EVLP_FLAG_RESPONSE);
	cr_assert_eq(f.status, EVL_ENOTOPIC);
	cr_assert_eq(f.id, 0xdeadbeef);
	cr_assert_eq(f.body_length, 3);
	cr_assert_eq(body.p, buf + EVLP_FRAME_SIZE);
	cr_assert_eq(body.len, 3);
}

Test(frame, empty_body_request)
{
	evlp_frame req = { .version = EVLP_VERSION, .op = EVLP_OP_PING,
		.id = 7 };
	uint8_t    buf[EVLP_FRAME_SIZE];
	evlp_frame f;
	evlp_view  body;
	evlp_frame_encode(buf, &req);
	evl_assert_ok(decode_copy(buf, sizeof(buf), &f, &body));
	cr_assert_eq(f.op, EVLP_OP_PING);
	cr_assert_eq(f.flags, 0);
	cr_assert_eq(body.len, 0);
}

Test(frame, every_truncation_is_an_error)
{
	uint8_t    buf[32];
	size_t     n = build(buf, &sample);
	evlp_frame f;
	evlp_view  body;
	for (size_t len = 0; len < n; len++)
		evl_assert_err(decode_copy(buf, len, &f, &body), EVL_EPROTO);
	evl_assert_err(evlp_frame_decode(NULL, 0, &f, &body), EVL_EPROTO);
}

Test(frame, trailing_and_oversize_lengths)
{
	uint8_t    buf[32] = { 0 };
	size_t     n       = build(buf, &sample);
	evlp_frame f;
	evlp_view  body;
	/* One byte more than body_length says. */
	evl_assert_err(decode_copy(buf, n + 1, &f, &body), EVL_EPROTO);
	/* A body_length larger than the message, up to the largest. */
	evlp_put_u32(buf + 12, 4);
	evl_assert_err(decode_copy(buf, n, &f, &body), EVL_EPROTO);
	evlp_put_u32(buf + 12, UINT32_MAX);
	evl_assert_err(decode_copy(buf, n, &f, &body), EVL_EPROTO);
}

Test(frame, magic_version_flags_status)
{
	uint8_t    buf[32];
	size_t     n = build(buf, &sample);
	evlp_frame f;
	evlp_view  body;

	for (int i = 0; i < 2; i++) {
		buf[i] ^= 0x20;
		evl_assert_err(decode_copy(buf, n, &f, &body), EVL_EPROTO);
		buf[i] ^= 0x20;
	}
	buf[2] = 2;
	evl_assert_err(decode_copy(buf, n, &f, &body), EVL_EVERSION);
	buf[2] = 0;
	evl_assert_err(decode_copy(buf, n, &f, &body), EVL_EVERSION);
	/* The version is judged before the length: a later version may
	 * have changed the rest of the header. */
	buf[2] = 2;
	evl_assert_err(decode_copy(buf, n - 1, &f, &body), EVL_EVERSION);
	buf[2] = EVLP_VERSION;

	for (int bit = 1; bit < 16; bit++) {
		evlp_put_u16(buf + 4, (uint16_t) (EVLP_FLAG_RESPONSE | 1u << bit));
		evl_assert_err(decode_copy(buf, n, &f, &body), EVL_EPROTO);
	}
	/* A request carries no status. */
	evlp_put_u16(buf + 4, 0);
	evl_assert_err(decode_copy(buf, n, &f, &body), EVL_EPROTO);
	evlp_put_u16(buf + 6, 0);
	evl_assert_ok(decode_copy(buf, n, &f, &body));
}

Test(frame, unknown_op_still_decodes)
{
	evlp_frame req = { .version = EVLP_VERSION, .op = 0xee, .id = 1 };
	uint8_t    buf[EVLP_FRAME_SIZE];
	evlp_frame f;
	evlp_view  body;
	evlp_frame_encode(buf, &req);
	evl_assert_ok(decode_copy(buf, sizeof(buf), &f, &body));
	cr_assert_eq(f.op, 0xee);
	cr_assert_null(evlp_op_name(f.op));
}
