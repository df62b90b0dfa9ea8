/*
 * Shared bodies (msg_common.c) and authentication (msg_auth.c): the error
 * body, the settings list, PING, empty bodies, AUTH_START/AUTH_FINISH.
 * Each message goes through evl_codec_check: every writer capacity,
 * every truncation, a trailing byte, then a field-by-field round trip.
 */
#include "evl_codec_test.h"
#include "msg.h"

EVL_DECODER(evlp_error_body_decode, evlp_error_body)
EVL_DECODER(evlp_ping_resp_decode, evlp_ping_resp)
EVL_DECODER(evlp_auth_start_decode, evlp_auth_msg)
EVL_DECODER(evlp_auth_data_decode, evlp_auth_msg)

/* ---- error body ------------------------------------------------------- */

static void
enc_error(evlp_wr *w, const void *ctx)
{
	evlp_error_body_encode(w, ctx);
}

Test(error_body, round_trip)
{
	evlp_error_body in = { evl_view_str("key orders-17 is at version 4"),
		4 };
	evlp_error_body out;
	size_t          n;
	uint8_t *buf = evl_codec_check(enc_error, &in,
	    evlp_error_body_decode_v, &out, &n);
	cr_assert_eq(n, 2 + in.message.len + 8);
	evl_assert_view_eq(out.message, "key orders-17 is at version 4");
	cr_assert_eq(out.detail, 4);
	free(buf);
}

Test(error_body, empty_message_and_negative_detail)
{
	evlp_error_body in = { evl_view_str(""), -1 };
	evlp_error_body out;
	size_t          n;
	uint8_t *buf = evl_codec_check(enc_error, &in,
	    evlp_error_body_decode_v, &out, &n);
	cr_assert_eq(n, 10);
	cr_assert_eq(out.message.len, 0);
	cr_assert_eq(out.detail, -1);
	free(buf);
}

Test(error_body, oversize_length)
{
	/* message length 0xffff with two bytes behind it */
	static const uint8_t b[] = { 0xff, 0xff, 'h', 'i' };
	evlp_error_body      out;
	evl_assert_err(evl_decode_raw(evlp_error_body_decode_v, b, sizeof(b),
	                   &out),
	    EVL_EPROTO);
}

Test(error_body, string_over_64k_is_einval)
{
	static uint8_t  big[70000];
	evlp_error_body in = { { big, sizeof(big) }, 0 };
	evlp_wr         w;
	evlp_wr_init(&w, NULL, 0);
	evlp_error_body_encode(&w, &in);
	evl_assert_err(w.err, EVL_EINVAL);
}

/* ---- settings --------------------------------------------------------- */

static void
enc_settings(evlp_wr *w, const void *ctx)
{
	evlp_settings_encode(w, ctx);
}

/* evlp_settings_read wrapped as a whole-body decoder. */
static int
settings_decode(evlp_view body, void *out)
{
	evlp_rd r;
	evlp_rd_init(&r, body.p, body.len);
	evlp_settings_read(&r, out);
	if (r.err)
		return r.err;
	return evlp_rd_left(&r) ? EVL_EPROTO : 0;
}

Test(settings, round_trip)
{
	evlp_settings in = { 0 }, out;
	size_t        n;
	evlp_settings_set(&in, EVLP_SET_KEY_INDEX, 1);
	evlp_settings_set(&in, EVLP_SET_RETENTION_MS, -1);
	evlp_settings_set(&in, EVLP_SET_DEDUPE_WINDOW_MS, 600000);
	uint8_t *buf =
	    evl_codec_check(enc_settings, &in, settings_decode, &out, &n);
	cr_assert_eq(n, 2 + 3 * 10);
	/* Written in id order, whatever order they were set in. */
	cr_assert_eq(evlp_get_u16(buf + 2), EVLP_SET_RETENTION_MS);
	cr_assert_eq(evlp_get_u16(buf + 12), EVLP_SET_KEY_INDEX);
	cr_assert_eq(out.present, in.present);
	cr_assert_eq(out.value[EVLP_SET_RETENTION_MS], -1);
	cr_assert_eq(out.value[EVLP_SET_KEY_INDEX], 1);
	cr_assert_eq(out.value[EVLP_SET_DEDUPE_WINDOW_MS], 600000);
	cr_assert_not(evlp_settings_has(&out, EVLP_SET_RETENTION_BYTES));
	cr_assert_eq(out.unknown, 0);
	free(buf);
}

Test(settings, empty)
{
	evlp_settings in = { 0 }, out;
	size_t        n;
	uint8_t      *buf =
	    evl_codec_check(enc_settings, &in, settings_decode, &out, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(out.present, 0);
	free(buf);
}

Test(settings, unknown_ids_are_counted_not_kept)
{
	/* ids 0, 2 and 900: 0 and 900 are no setting we know */
	static const uint8_t b[] = { 0, 3, /* */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 9, /* */
		0, 2, 0, 0, 0, 0, 0, 0, 0x10, 0, /* */
		0x03, 0x84, 0, 0, 0, 0, 0, 0, 0, 1 };
	evlp_settings out;
	evl_assert_ok(evl_decode_raw(settings_decode, b, sizeof(b), &out));
	cr_assert_eq(out.present, 1u << EVLP_SET_RETENTION_BYTES);
	cr_assert_eq(out.value[EVLP_SET_RETENTION_BYTES], 4096);
	cr_assert_eq(out.unknown, 2);
}

Test(settings, ids_must_increase)
{
	/* the same id twice, then two ids out of order */
	static const uint8_t dup[] = { 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0,
		1, 0, 0, 0, 0, 0, 0, 0, 2 };
	static const uint8_t order[] = { 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1,
		0, 1, 0, 0, 0, 0, 0, 0, 0, 2 };
	evlp_settings        out;
	evl_assert_err(evl_decode_raw(settings_decode, dup, sizeof(dup), &out),
	    EVL_EPROTO);
	evl_assert_err(
	    evl_decode_raw(settings_decode, order, sizeof(order), &out),
	    EVL_EPROTO);
}

Test(settings, oversize_count)
{
	/* 65535 settings announced, one present */
	static const uint8_t b[] = { 0xff, 0xff, 0, 1, 0, 0, 0, 0, 0, 0, 0,
		1 };
	evlp_settings        out;
	evl_assert_err(evl_decode_raw(settings_decode, b, sizeof(b), &out),
	    EVL_EPROTO);
}

/* ---- PING ------------------------------------------------------------- */

static void
enc_ping(evlp_wr *w, const void *ctx)
{
	evlp_ping_resp_encode(w, ctx);
}

Test(ping, round_trip)
{
	evlp_ping_resp in = { 1, evl_view_str("evlogd 0.1.0") };
	evlp_ping_resp out;
	size_t         n;
	uint8_t       *buf =
	    evl_codec_check(enc_ping, &in, evlp_ping_resp_decode_v, &out, &n);
	cr_assert_eq(n, 2 + 2 + 12);
	cr_assert_eq(out.protocol_version, 1);
	evl_assert_view_eq(out.broker_version, "evlogd 0.1.0");
	free(buf);
}

Test(ping, oversize_length)
{
	static const uint8_t b[] = { 0, 1, 0x00, 0x05, 'e', 'v' };
	evlp_ping_resp       out;
	evl_assert_err(
	    evl_decode_raw(evlp_ping_resp_decode_v, b, sizeof(b), &out),
	    EVL_EPROTO);
}

Test(empty, only_nothing_is_empty)
{
	static const uint8_t b[] = { 0 };
	evlp_view            none = { NULL, 0 }, one = { b, 1 };
	evl_assert_ok(evlp_empty_decode(none));
	evl_assert_err(evlp_empty_decode(one), EVL_EPROTO);
}

/* ---- AUTH_START / AUTH_FINISH ---------------------------------------- */

static void
enc_auth_start(evlp_wr *w, const void *ctx)
{
	evlp_auth_start_encode(w, ctx);
}

static void
enc_auth_data(evlp_wr *w, const void *ctx)
{
	evlp_auth_data_encode(w, ctx);
}

Test(auth, start_round_trip)
{
	evlp_auth_msg in = { evl_view_str("SCRAM-SHA-256"),
		evl_view_str("n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL") };
	evlp_auth_msg out;
	size_t        n;
	uint8_t      *buf = evl_codec_check(
            enc_auth_start, &in, evlp_auth_start_decode_v, &out, &n);
	cr_assert_eq(n, 2 + 13 + 4 + in.data.len);
	evl_assert_view_eq(out.mechanism, "SCRAM-SHA-256");
	evl_assert_view_eq(out.data, "n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL");
	free(buf);
}

Test(auth, data_round_trip)
{
	evlp_auth_msg in = { evl_view_str("ignored"),
		evl_view_str("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=") };
	evlp_auth_msg out;
	size_t        n;
	uint8_t      *buf = evl_codec_check(
            enc_auth_data, &in, evlp_auth_data_decode_v, &out, &n);
	/* The mechanism is not on the wire for these. */
	cr_assert_eq(n, 4 + in.data.len);
	cr_assert_eq(out.mechanism.len, 0);
	evl_assert_view_eq(
	    out.data, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
	free(buf);
}

Test(auth, oversize_length)
{
	/* data length 4 GiB - 1 with 3 bytes behind it */
	static const uint8_t b[]  = { 0xff, 0xff, 0xff, 0xff, 1, 2, 3 };
	static const uint8_t s[]  = { 0, 0, 0xff, 0xff, 0xff, 0xff, 1 };
	evlp_auth_msg        out;
	evl_assert_err(
	    evl_decode_raw(evlp_auth_data_decode_v, b, sizeof(b), &out),
	    EVL_EPROTO);
	evl_assert_err(
	    evl_decode_raw(evlp_auth_start_decode_v, s, sizeof(s), &out),
	    EVL_EPROTO);
}
