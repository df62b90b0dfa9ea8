/*
 * Topic administration bodies (msg_admin.c): CREATE/ALTER_TOPIC, the
 * name requests, LIST_TOPICS and DESCRIBE_TOPIC.  Each message goes
 * through evl_codec_check -- every writer capacity, every truncation, a
 * trailing byte -- and is then compared field by field, entry by entry.
 */
#include "evl_codec_test.h"
#include "msg.h"

EVL_DECODER(evlp_topic_req_decode, evlp_topic_req)
EVL_DECODER(evlp_name_req_decode, evlp_name_req)
EVL_DECODER(evlp_topic_list_decode, evlp_topic_list)
EVL_DECODER(evlp_topic_desc_decode, evlp_topic_desc)

static void
assert_settings_eq(const evlp_settings *a, const evlp_settings *b)
{
	cr_assert_eq(a->present, b->present);
	for (int id = 1; id <= EVLP_SET_MAX_; id++)
		if (evlp_settings_has(a, (enum evlp_setting) id))
			cr_assert_eq(a->value[id], b->value[id], "setting %d", id);
	cr_assert_eq(b->unknown, 0);
}

/* ---- CREATE_TOPIC / ALTER_TOPIC -------------------------------------- */

static void
enc_topic_req(evlp_wr *w, const void *ctx)
{
	evlp_topic_req_encode(w, ctx);
}

Test(topic_req, round_trip)
{
	evlp_topic_req in = { evl_view_str("orders.v1"), 16, { 0 } };
	evlp_topic_req out;
	size_t         n;
	evlp_settings_set(&in.settings, EVLP_SET_RETENTION_MS, 604800000);
	evlp_settings_set(&in.settings, EVLP_SET_RETENTION_BYTES, -1);
	evlp_settings_set(&in.settings, EVLP_SET_KEY_INDEX, 1);
	uint8_t *buf = evl_codec_check(
	    enc_topic_req, &in, evlp_topic_req_decode_v, &out, &n);
	cr_assert_eq(n, 2 + 9 + 4 + 2 + 3 * 10);
	evl_assert_view_eq(out.name, "orders.v1");
	cr_assert_eq(out.partitions, 16);
	assert_settings_eq(&in.settings, &out.settings);
	free(buf);
}

Test(topic_req, alter_without_settings)
{
	evlp_topic_req in = { evl_view_str("orders"), 0, { 0 } };
	evlp_topic_req out;
	size_t         n;
	uint8_t       *buf = evl_codec_check(
            enc_topic_req, &in, evlp_topic_req_decode_v, &out, &n);
	cr_assert_eq(n, 2 + 6 + 4 + 2);
	cr_assert_eq(out.partitions, 0);
	cr_assert_eq(out.settings.present, 0);
	free(buf);
}

Test(topic_req, oversize_settings_count)
{
	/* "t", 1 partition, 65535 settings with 10 bytes behind */
	static const uint8_t b[] = { 0, 1, 't', 0, 0, 0, 1, 0xff, 0xff, 0, 1,
		0, 0, 0, 0, 0, 0, 0, 1 };
	evlp_topic_req       out;
	evl_assert_err(
	    evl_decode_raw(evlp_topic_req_decode_v, b, sizeof(b), &out),
	    EVL_EPROTO);
}

/* ---- name requests ---------------------------------------------------- */

static void
enc_name_req(evlp_wr *w, const void *ctx)
{
	evlp_name_req_encode(w, ctx);
}

Test(name_req, round_trip)
{
	evlp_name_req in = { evl_view_str("orders-*") };
	evlp_name_req out;
	size_t        n;
	uint8_t      *buf = evl_codec_check(
            enc_name_req, &in, evlp_name_req_decode_v, &out, &n);
	cr_assert_eq(n, 10);
	evl_assert_view_eq(out.name, "orders-*");
	free(buf);

	/* LIST_TOPICS with no pattern: an empty str, not an empty body. */
	in  = (evlp_name_req) { evl_view_str("") };
	buf = evl_codec_check(enc_name_req, &in, evlp_name_req_decode_v, &out,
	    &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(out.name.len, 0);
	free(buf);
}

Test(name_req, oversize_length)
{
	static const uint8_t b[] = { 0x01, 0x00, 'a', 'b' };
	evlp_name_req        out;
	evl_assert_err(
	    evl_decode_raw(evlp_name_req_decode_v, b, sizeof(b), &out),
	    EVL_EPROTO);
}

/* ---- LIST_TOPICS response -------------------------------------------- */

static evlp_topic_entry topics[3];

static void
init_topics(void)
{
	topics[0] = (evlp_topic_entry) { evl_view_str("orders"), 16, { 0 } };
	evlp_settings_set(&topics[0].settings, EVLP_SET_RETENTION_MS, -1);
	topics[1] = (evlp_topic_entry) { evl_view_str("accounts"), 4, { 0 } };
	evlp_settings_set(&topics[1].settings, EVLP_SET_KEY_INDEX, 1);
	evlp_settings_set(&topics[1].settings, EVLP_SET_DEDUPE_WINDOW_MS, 9);
	topics[2] = (evlp_topic_entry) { evl_view_str("x"), 1, { 0 } };
}

static void
assert_topic_eq(const evlp_topic_entry *want, const evlp_topic_entry *got)
{
	cr_assert_eq(got->name.len, want->name.len);
	cr_assert_eq(memcmp(got->name.p, want->name.p, got->name.len), 0);
	cr_assert_eq(got->partitions, want->partitions);
	assert_settings_eq(&want->settings, &got->settings);
}

static void
enc_topic_list(evlp_wr *w, const void *ctx)
{
	(void) ctx;
	evlp_topic_list_encode(w, 3);
	for (int i = 0; i < 3; i++)
		evlp_topic_entry_encode(w, &topics[i]);
}

Test(topic_list, round_trip, .init = init_topics)
{
	evlp_topic_list  out;
	evlp_topic_entry e;
	size_t           n;
	uint8_t         *buf = evl_codec_check(
            enc_topic_list, NULL, evlp_topic_list_decode_v, &out, &n);
	cr_assert_eq(n, 4 + (8 + 6 + 10) + (8 + 8 + 20) + (8 + 1));
	cr_assert_eq(out.count, 3);
	for (int i = 0; i < 3; i++) {
		cr_assert(evlp_topic_list_next(&out, &e), "entry %d", i);
		assert_topic_eq(&topics[i], &e);
	}
	cr_assert_not(evlp_topic_list_next(&out, &e));
	free(buf);
}

Test(topic_list, empty)
{
	static const uint8_t b[] = { 0, 0, 0, 0 };
	evlp_topic_list      out;
	evlp_topic_entry     e;
	uint8_t             *c = evl_copy_exact(b, sizeof(b));
	evl_assert_ok(evlp_topic_list_decode((evlp_view) { c, 4 }, &out));
	cr_assert_eq(out.count, 0);
	cr_assert_not(evlp_topic_list_next(&out, &e));
	free(c);
}

Test(topic_list, oversize_count)
{
	/* 4 billion topics announced, one short entry behind */
	static const uint8_t b[] = { 0xff, 0xff, 0xff, 0xff, 0, 1, 'x', 0, 0,
		0, 1, 0, 0 };
	evlp_topic_list      out;
	evl_assert_err(
	    evl_decode_raw(evlp_topic_list_decode_v, b, sizeof(b), &out),
	    EVL_EPROTO);
}

/* ---- DESCRIBE_TOPIC response ----------------------------------------- */

static const evlp_partition_state states[] = {
	{ 0, 0, 1000, 1000, 123456 },
	{ 1, 500, 600, 100, 9999 },
	{ 2, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX },
};

static void
enc_topic_desc(evlp_wr *w, const void *ctx)
{
	(void) ctx;
	evlp_topic_desc_encode(w, &topics[1], 3);
	for (int i = 0; i < 3; i++)
		evlp_partition_state_encode(w, &states[i]);
}

Test(topic_desc, round_trip, .init = init_topics)
{
	evlp_topic_desc      out;
	evlp_partition_state p;
	size_t               n;
	uint8_t             *buf = evl_codec_check(
            enc_topic_desc, NULL, evlp_topic_desc_decode_v, &out, &n);
	cr_assert_eq(n, (8 + 8 + 20) + 4 + 3 * 36);
	assert_topic_eq(&topics[1], &out.topic);
	cr_assert_eq(out.count, 3);
	for (int i = 0; i < 3; i++) {
		cr_assert(evlp_topic_desc_next(&out, &p), "partition %d", i);
		cr_assert_eq(p.partition, states[i].partition);
		cr_assert_eq(p.first_offset, states[i].first_offset);
		cr_assert_eq(p.next_offset, states[i].next_offset);
		cr_assert_eq(p.records, states[i].records);
		cr_assert_eq(p.bytes, states[i].bytes);
	}
	cr_assert_not(evlp_topic_desc_next(&out, &p));
	free(buf);
}

Test(topic_desc, oversize_count, .init = init_topics)
{
	uint8_t         buf[128];
	evlp_wr         w;
	evlp_topic_desc out;
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_topic_desc_encode(&w, &topics[2], 2);
	evlp_partition_state_encode(&w, &states[0]);
	/* two announced, one present, and 35 bytes of a second */
	evlp_wr_raw(&w, buf, 35);
	evl_assert_ok(w.err);
	evl_assert_err(
	    evl_decode_raw(evlp_topic_desc_decode_v, buf, w.len, &out),
	    EVL_EPROTO);
}
