/*
 * Consumer group bodies (msg_group.c): COMMIT_OFFSETS, FETCH_OFFSETS,
 * JOIN_GROUP, HEARTBEAT/LEAVE_GROUP, LIST_GROUPS, DESCRIBE_GROUP.  Each
 * message goes through evl_codec_check -- every writer capacity, every
 * truncation, a trailing byte -- and is then compared field by field,
 * entry by entry (nested entries included).
 */
#include "evl_codec_test.h"
#include "msg.h"

EVL_DECODER(evlp_commit_req_decode, evlp_commit_req)
EVL_DECODER(evlp_commit_resp_decode, evlp_offset_list)
EVL_DECODER(evlp_fetch_offsets_req_decode, evlp_fetch_offsets_req)
EVL_DECODER(evlp_fetch_offsets_resp_decode, evlp_offset_list)
EVL_DECODER(evlp_join_req_decode, evlp_join_req)
EVL_DECODER(evlp_join_resp_decode, evlp_join_resp)
EVL_DECODER(evlp_member_req_decode, evlp_member_req)
EVL_DECODER(evlp_group_list_decode, evlp_group_list)
EVL_DECODER(evlp_group_desc_decode, evlp_group_desc)

#define V(s) { (const uint8_t *) (s), sizeof(s) - 1 }
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
assert_view_same(evlp_view got, evlp_view want)
{
	cr_assert_eq(got.len, want.len);
	cr_assert(want.len == 0 || memcmp(got.p, want.p, want.len) == 0,
	    "\"%.*s\" != \"%.*s\"", (int) got.len, (const char *) got.p,
	    (int) want.len, (const char *) want.p);
}

static const evlp_topic_partition tps[] = {
	{ V("orders"), 0 },
	{ V("orders"), 5 },
	{ V("audit"), UINT32_MAX },
};

/* ---- COMMIT_OFFSETS --------------------------------------------------- */

static const evlp_commit_entry commits[] = {
	{ V("orders"), 0, 1000, V("") },
	{ V("orders"), 1, 0, V("host=a") },
	{ V("audit"), 7, INT64_MAX, V("x") },
};

static void
enc_commit_req(evlp_wr *w, const void *ctx)
{
	(void) ctx;
	evlp_commit_req_encode(w, evl_view_str("billing"), 12,
	    evl_view_str("billing-1-abc"), N(commits));
	for (size_t i = 0; i < N(commits); i++)
		evlp_commit_entry_encode(w, &commits[i]);
}

Test(commit, request_round_trip)
{
	evlp_commit_req   out;
	evlp_commit_entry e;
	size_t            n;
	uint8_t          *buf = evl_codec_check(
            enc_commit_req, NULL, evlp_commit_req_decode_v, &out, &n);
	cr_assert_eq(n, 9 + 4 + 15 + 2 + 3 * 16 + 6 + 6 + 5 + 6 + 1);
	evl_assert_view_eq(out.group, "billing");
	cr_assert_eq(out.generation, 12);
	evl_assert_view_eq(out.member, "billing-1-abc");
	cr_assert_eq(out.count, N(commits));
	for (size_t i = 0; i < N(commits); i++) {
		cr_assert(evlp_commit_req_next(&out, &e), "entry %zu", i);
		assert_view_same(e.topic, commits[i].topic);
		cr_assert_eq(e.partition, commits[i].partition);
		cr_assert_eq(e.offset, commits[i].offset);
		assert_view_same(e.metadata, commits[i].metadata);
	}
	cr_assert_not(evlp_commit_req_next(&out, &e));
	free(buf);
}

Test(commit, request_oversize_count)
{
	/* group "g", generation, member "", 65535 entries, 16 bytes */
	uint8_t         buf[64];
	evlp_wr         w;
	evlp_commit_req out;
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_commit_req_encode(&w, evl_view_str("g"), -1, evl_view_str(""),
	    UINT16_MAX);
	evlp_commit_entry_encode(&w, &commits[0]);
	evl_assert_ok(w.err);
	evl_assert_err(
	    evl_decode_raw(evlp_commit_req_decode_v, buf, w.len, &out),
	    EVL_EPROTO);
}

static const evlp_offset_entry results[] = {
	{ V("orders"), 0, 0, 1000, V("m") },
	{ V("orders"), 1, EVL_ENOTOWNER, -1, V("") },
};

static void
enc_commit_resp(evlp_wr *w, const void *ctx)
{
	(void) ctx;
	evlp_commit_resp_encode(w, N(results));
	for (size_t i = 0; i < N(results); i++)
		evlp_commit_result_encode(w, &results[i]);
}

Test(commit, response_round_trip)
{
	evlp_offset_list  out;
	evlp_offset_entry e;
	size_t            n;
	uint8_t          *buf = evl_codec_check(
            enc_commit_resp, NULL, evlp_commit_resp_decode_v, &out, &n);
	/* Offsets and metadata are not sent back on a commit. */
	cr_assert_eq(n, 2 + 2 * (8 + 6));
	cr_assert_eq(out.count, N(results));
	for (size_t i = 0; i < N(results); i++) {
		cr_assert(evlp_commit_resp_next(&out, &e));
		assert_view_same(e.topic, results[i].topic);
		cr_assert_eq(e.partition, results[i].partition);
		cr_assert_eq(e.error, results[i].error);
		cr_assert_eq(e.offset, -1);
		cr_assert_eq(e.metadata.len, 0);
	}
	cr_assert_not(evlp_commit_resp_next(&out, &e));
	free(buf);
}

/* ---- FETCH_OFFSETS ---------------------------------------------------- */

static void
enc_fetch_offsets_req(evlp_wr *w, const void *ctx)
{
	(void) ctx;
	evlp_fetch_offsets_req_encode(w, evl_view_str("billing"), N(tps));
	for (size_t i = 0; i < N(tps); i++)
		evlp_topic_partition_encode(w, &tps[i]);
}

Test(fetch_offsets, request_round_trip)
{
	evlp_fetch_offsets_req out;
	evlp_topic_partition   tp;
	size_t                 n;
	uint8_t               *buf = evl_codec_check(enc_fetch_offsets_req,
                NULL, evlp_fetch_offsets_req_decode_v, &out, &n);
	cr_assert_eq(n, 9 + 2 + 3 * 6 + 6 + 6 + 5);
	evl_assert_view_eq(out.group, "billing");
	cr_assert_eq(out.count, N(tps));
	for (size_t i = 0; i < N(tps); i++) {
		cr_assert(evlp_fetch_offsets_req_next(&out, &tp));
		assert_view_same(tp.topic, tps[i].topic);
		cr_assert_eq(tp.partition, tps[i].partition);
	}
	cr_assert_not(evlp_fetch_offsets_req_next(&out, &tp));
	free(buf);
}

Test(fetch_offsets, request_for_everything)
{
	uint8_t                buf[16];
	evlp_wr                w;
	evlp_fetch_offsets_req out;
	evlp_topic_partition   tp;
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_fetch_offsets_req_encode(&w, evl_view_str("g"), 0);
	evl_assert_ok(
	    evlp_fetch_offsets_req_decode((evlp_view) { buf, w.len }, &out));
	cr_assert_eq(out.count, 0);
	cr_assert_not(evlp_fetch_offsets_req_next(&out, &tp));
}

static void
enc_fetch_offsets_resp(evlp_wr *w, const void *ctx)
{
	(void) ctx;
	evlp_fetch_offsets_resp_encode(w, N(results));
	for (size_t i = 0; i < N(results); i++)
		evlp_offset_entry_encode(w, &results[i]);
}

Test(fetch_offsets, response_round_trip)
{
	evlp_offset_list  out;
	evlp_offset_entry e;
	size_t            n;
	uint8_t          *buf = evl_codec_check(enc_fetch_offsets_resp, NULL,
                 evlp_fetch_offsets_resp_decode_v, &out, &n);
	cr_assert_eq(n, 2 + 2 * (8 + 6 + 8 + 2) + 1);
	cr_assert_eq(out.count, N(results));
	for (size_t i = 0; i < N(results); i++) {
		cr_assert(evlp_fetch_offsets_resp_next(&out, &e));
		assert_view_same(e.topic, results[i].topic);
		cr_assert_eq(e.partition, results[i].partition);
		cr_assert_eq(e.error, results[i].error);
		cr_assert_eq(e.offset, results[i].offset);
		assert_view_same(e.metadata, results[i].metadata);
	}
	cr_assert_not(evlp_fetch_offsets_resp_next(&out, &e));
	free(buf);
}

Test(fetch_offsets, oversize_counts)
{
	static const uint8_t req[]  = { 0, 1, 'g', 0xff, 0xff, 0, 0, 0, 0,
		 0, 0 };
	static const uint8_t resp[] = { 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0 };
	evlp_fetch_offsets_req r;
	evlp_offset_list       l;
	evl_assert_err(evl_decode_raw(evlp_fetch_offsets_req_decode_v, req,
	                   sizeof(req), &r),
	    EVL_EPROTO);
	evl_assert_err(evl_decode_raw(evlp_fetch_offsets_resp_decode_v, resp,
	                   sizeof(resp), &l),
	    EVL_EPROTO);
	evl_assert_err(
	    evl_decode_raw(evlp_commit_resp_decode_v, resp, sizeof(resp), &l),
	    EVL_EPROTO);
}

/* ---- JOIN_GROUP ------------------------------------------------------- */

static const evlp_subscription subs[] = {
	{ EVLP_SUB_TOPIC, V("orders") },
	{ EVLP_SUB_GLOB, V("audit.*") },
};

static void
enc_join_req(evlp_wr *w, const void *ctx)
{
	evlp_join_req_encode(w, ctx);
	for (size_t i = 0; i < N(subs); i++)
		evlp_subscription_encode(w, &subs[i]);
}

Test(join, request_round_trip)
{
	evlp_join_req in = { .group = V("billing"), .member = V(""),
		.client_id = V("billing-svc"), .session_timeout_ms = 10000,
		.rebalance_timeout_ms = 30000,
		.assignor = EVLP_ASSIGN_ROUNDROBIN, .count = N(subs) };
	evlp_join_req     out;
	evlp_subscription s;
	size_t            n;
	uint8_t          *buf = evl_codec_check(
            enc_join_req, &in, evlp_join_req_decode_v, &out, &n);
	cr_assert_eq(n, 9 + 2 + 13 + 4 + 4 + 1 + 2 + (3 + 6) + (3 + 7));
	evl_assert_view_eq(out.group, "billing");
	cr_assert_eq(out.member.len, 0);
	evl_assert_view_eq(out.client_id, "billing-svc");
	cr_assert_eq(out.session_timeout_ms, 10000);
	cr_assert_eq(out.rebalance_timeout_ms, 30000);
	cr_assert_eq(out.assignor, EVLP_ASSIGN_ROUNDROBIN);
	cr_assert_eq(out.count, N(subs));
	for (size_t i = 0; i < N(subs); i++) {
		cr_assert(evlp_join_req_next(&out, &s));
		cr_assert_eq(s.kind, subs[i].kind);
		assert_view_same(s.pattern, subs[i].pattern);
	}
	cr_assert_not(evlp_join_req_next(&out, &s));
	free(buf);
}

Test(join, enumerated_values_are_checked)
{
	evlp_join_req     in = { .group = V("g"), .assignor = 3 };
	evlp_subscription bad = { 2, V("t") };
	evlp_join_req     out;
	uint8_t           buf[64];
	evlp_wr           w;
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_join_req_encode(&w, &in);
	evl_assert_err(evlp_join_req_decode((evlp_view) { buf, w.len }, &out),
	    EVL_EINVAL);
	in.assignor = EVLP_ASSIGN_STICKY;
	in.count    = 1;
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_join_req_encode(&w, &in);
	evlp_subscription_encode(&w, &bad);
	evl_assert_err(evlp_join_req_decode((evlp_view) { buf, w.len }, &out),
	    EVL_EINVAL);
}

static void
enc_join_resp(evlp_wr *w, const void *ctx)
{
	evlp_join_resp_encode(w, ctx);
	for (size_t i = 0; i < N(tps); i++)
		evlp_topic_partition_encode(w, &tps[i]);
}

Test(join, response_round_trip)
{
	evlp_join_resp in = { 7, V("billing-1-abc"), 3000, N(tps), { 0 } };
	evlp_join_resp out;
	evlp_topic_partition tp;
	size_t               n;
	uint8_t             *buf = evl_codec_check(
            enc_join_resp, &in, evlp_join_resp_decode_v, &out, &n);
	cr_assert_eq(n, 4 + 15 + 4 + 2 + 3 * 6 + 6 + 6 + 5);
	cr_assert_eq(out.generation, 7);
	evl_assert_view_eq(out.member, "billing-1-abc");
	cr_assert_eq(out.heartbeat_interval_ms, 3000);
	cr_assert_eq(out.count, N(tps));
	for (size_t i = 0; i < N(tps); i++) {
		cr_assert(evlp_join_resp_next(&out, &tp));
		assert_view_same(tp.topic, tps[i].topic);
		cr_assert_eq(tp.partition, tps[i].partition);
	}
	cr_assert_not(evlp_join_resp_next(&out, &tp));
	free(buf);
}

Test(join, oversize_counts)
{
	evlp_join_req  in = { .group = V("g"), .count = 40 };
	evlp_join_resp rin = { 1, V("m"), 1, 40, { 0 } };
	evlp_join_req  out;
	evlp_join_resp rout;
	uint8_t        buf[64];
	evlp_wr        w;
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_join_req_encode(&w, &in);
	evlp_subscription_encode(&w, &subs[0]);
	evl_assert_err(
	    evl_decode_raw(evlp_join_req_decode_v, buf, w.len, &out),
	    EVL_EPROTO);
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_join_resp_encode(&w, &rin);
	evlp_topic_partition_encode(&w, &tps[0]);
	evl_assert_err(
	    evl_decode_raw(evlp_join_resp_decode_v, buf, w.len, &rout),
	    EVL_EPROTO);
}

/* ---- HEARTBEAT, LEAVE_GROUP ------------------------------------------- */

static void
enc_member_req(evlp_wr *w, const void *ctx)
{
	evlp_member_req_encode(w, ctx);
}

Test(member_req, round_trip)
{
	evlp_member_req in = { V("billing"), V("billing-1-abc"), -1 };
	evlp_member_req out;
	size_t          n;
	uint8_t        *buf = evl_codec_check(
            enc_member_req, &in, evlp_member_req_decode_v, &out, &n);
	cr_assert_eq(n, 9 + 15 + 4);
	evl_assert_view_eq(out.group, "billing");
	evl_assert_view_eq(out.member, "billing-1-abc");
	cr_assert_eq(out.generation, -1);
	free(buf);
}

/* ---- LIST_GROUPS ------------------------------------------------------ */

static const evlp_group_entry groups[] = {
	{ V("billing"), V("stable"), 3 },
	{ V("audit"), V("empty"), 0 },
};

static void
enc_group_list(evlp_wr *w, const void *ctx)
{
	(void) ctx;
	evlp_group_list_encode(w, N(groups));
	for (size_t i = 0; i < N(groups); i++)
		evlp_group_entry_encode(w, &groups[i]);
}

Test(group_list, round_trip)
{
	evlp_group_list  out;
	evlp_group_entry e;
	size_t           n;
	uint8_t         *buf = evl_codec_check(
            enc_group_list, NULL, evlp_group_list_decode_v, &out, &n);
	cr_assert_eq(n, 4 + 2 * 8 + 7 + 6 + 5 + 5);
	cr_assert_eq(out.count, N(groups));
	for (size_t i = 0; i < N(groups); i++) {
		cr_assert(evlp_group_list_next(&out, &e));
		assert_view_same(e.group, groups[i].group);
		assert_view_same(e.state, groups[i].state);
		cr_assert_eq(e.members, groups[i].members);
	}
	cr_assert_not(evlp_group_list_next(&out, &e));
	free(buf);
}

Test(group_list, oversize_count)
{
	static const uint8_t b[] = { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	evlp_group_list      out;
	evl_assert_err(
	    evl_decode_raw(evlp_group_list_decode_v, b, sizeof(b), &out),
	    EVL_EPROTO);
}

/* ---- DESCRIBE_GROUP --------------------------------------------------- */

/* Two members (holding 2 and 0 partitions) and three partition rows. */
static const evlp_group_member members[] = {
	{ V("m-1"), V("svc-a"), 2, { 0 } },
	{ V("m-2"), V("svc-b"), 0, { 0 } },
};
static const evlp_group_partition rows[] = {
	{ V("orders"), 0, V("m-1"), 1000, 1200 },
	{ V("orders"), 5, V("m-1"), -1, 0 },
	{ V("audit"), 2, V(""), 17, UINT64_MAX },
};

static void
enc_group_desc(evlp_wr *w, const void *ctx)
{
	(void) ctx;
	evlp_group_desc_encode(
	    w, evl_view_str("billing"), evl_view_str("stable"), 9, N(members));
	evlp_group_member_encode(w, &members[0]);
	evlp_topic_partition_encode(w, &tps[0]);
	evlp_topic_partition_encode(w, &tps[1]);
	evlp_group_member_encode(w, &members[1]);
	evlp_group_desc_partitions_encode(w, N(rows));
	for (size_t i = 0; i < N(rows); i++)
		evlp_group_partition_encode(w, &rows[i]);
}

Test(group_desc, round_trip)
{
	evlp_group_desc      out;
	evlp_group_member    gm;
	evlp_topic_partition tp;
	evlp_group_partition p;
	size_t               n;
	uint8_t             *buf = evl_codec_check(
            enc_group_desc, NULL, evlp_group_desc_decode_v, &out, &n);
	cr_assert_eq(n, 9 + 8 + 4 + 2 + (5 + 7 + 2 + 12 + 12) + (5 + 7 + 2) +
	        4 + 3 * 24 + (6 + 3) + (6 + 3) + 5);
	evl_assert_view_eq(out.group, "billing");
	evl_assert_view_eq(out.state, "stable");
	cr_assert_eq(out.generation, 9);
	cr_assert_eq(out.members, N(members));
	for (size_t i = 0; i < N(members); i++) {
		cr_assert(evlp_group_desc_next_member(&out, &gm), "member %zu",
		    i);
		assert_view_same(gm.member, members[i].member);
		assert_view_same(gm.client_id, members[i].client_id);
		cr_assert_eq(gm.count, members[i].count);
		for (size_t j = 0; j < gm.count; j++) {
			cr_assert(evlp_group_member_next(&gm, &tp));
			assert_view_same(tp.topic, tps[j].topic);
			cr_assert_eq(tp.partition, tps[j].partition);
		}
		cr_assert_not(evlp_group_member_next(&gm, &tp));
	}
	cr_assert_not(evlp_group_desc_next_member(&out, &gm));
	cr_assert_eq(out.partitions, N(rows));
	for (size_t i = 0; i < N(rows); i++) {
		cr_assert(evlp_group_desc_next_partition(&out, &p));
		assert_view_same(p.topic, rows[i].topic);
		cr_assert_eq(p.partition, rows[i].partition);
		assert_view_same(p.member, rows[i].member);
		cr_assert_eq(p.committed, rows[i].committed);
		cr_assert_eq(p.head, rows[i].head);
	}
	cr_assert_not(evlp_group_desc_next_partition(&out, &p));
	free(buf);
}

Test(group_desc, nested_count_cannot_spill)
{
	/* A member claiming 3 partitions while holding 2 would swallow the
	 * next section; decode must refuse rather than misparse. */
	evlp_group_member liar = { V("m-1"), V("svc-a"), 3, { 0 } };
	uint8_t           buf[256];
	evlp_wr           w;
	evlp_group_desc   out;
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_group_desc_encode(&w, evl_view_str("g"), evl_view_str("s"), 1, 1);
	evlp_group_member_encode(&w, &liar);
	evlp_topic_partition_encode(&w, &tps[0]);
	evlp_topic_partition_encode(&w, &tps[1]);
	evlp_group_desc_partitions_encode(&w, 0);
	evl_assert_ok(w.err);
	cr_assert_neq(
	    evl_decode_raw(evlp_group_desc_decode_v, buf, w.len, &out), 0);
}

Test(group_desc, oversize_counts)
{
	uint8_t         buf[64];
	evlp_wr         w;
	evlp_group_desc out;
	/* 65535 members */
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_group_desc_encode(
	    &w, evl_view_str("g"), evl_view_str("s"), 1, UINT16_MAX);
	evlp_group_desc_partitions_encode(&w, 0);
	evl_assert_err(
	    evl_decode_raw(evlp_group_desc_decode_v, buf, w.len, &out),
	    EVL_EPROTO);
	/* 4 billion partition rows */
	evlp_wr_init(&w, buf, sizeof(buf));
	evlp_group_desc_encode(&w, evl_view_str("g"), evl_view_str("s"), 1, 0);
	evlp_group_desc_partitions_encode(&w, UINT32_MAX);
	evlp_group_partition_encode(&w, &rows[0]);
	evl_assert_err(
	    evl_decode_raw(evlp_group_desc_decode_v, buf, w.len, &out),
	    EVL_EPROTO);
}
