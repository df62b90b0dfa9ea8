/*
 * Access-control bodies (msg_acl.c): a rule (ACL_ADD, ACL_REMOVE), the
 * ACL_LIST filter and response.  Each message goes through
 * evl_codec_check -- every writer capacity, every truncation, a trailing
 * byte -- and is then compared field by field; enumerated fields out of
 * range are EVL_EINVAL.
 */
#include "evl_codec_test.h"
#include "msg.h"

EVL_DECODER(evlp_acl_rule_decode, evlp_acl_rule)
EVL_DECODER(evlp_acl_filter_decode, evlp_acl_filter)
EVL_DECODER(evlp_acl_list_decode, evlp_acl_list)

static void
enc_rule(evlp_wr *w, const void *ctx)
{
	evlp_acl_rule_encode(w, ctx);
}

static void
assert_rule_eq(const evlp_acl_rule *a, const evlp_acl_rule *b)
{
	cr_assert_eq(a->principal.len, b->principal.len);
	cr_assert(memcmp(a->principal.p, b->principal.p, a->principal.len) == 0);
	cr_assert_eq(a->resource, b->resource);
	cr_assert_eq(a->pattern.len, b->pattern.len);
	cr_assert(memcmp(a->pattern.p, b->pattern.p, a->pattern.len) == 0);
	cr_assert_eq(a->ops, b->ops);
	cr_assert_eq(a->effect, b->effect);
}

Test(acl_rule, round_trip)
{
	evlp_acl_rule in = { evl_view_str("bob"), EVLP_RES_TOPIC,
		evl_view_str("orders-*"), EVLP_ACL_READ | EVLP_ACL_DESCRIBE,
		EVLP_ACL_ALLOW };
	evlp_acl_rule out;
	size_t        n;
	uint8_t      *buf = evl_codec_check(
            enc_rule, &in, evlp_acl_rule_decode_v, &out, &n);
	cr_assert_eq(n, 2 + 3 + 1 + 2 + 8 + 1 + 1);
	evl_assert_view_eq(out.principal, "bob");
	evl_assert_view_eq(out.pattern, "orders-*");
	cr_assert_eq(out.resource, EVLP_RES_TOPIC);
	cr_assert_eq(out.ops, EVLP_ACL_READ | EVLP_ACL_DESCRIBE);
	cr_assert_eq(out.effect, EVLP_ACL_ALLOW);
	free(buf);
}

Test(acl_rule, deny_all_on_cluster)
{
	evlp_acl_rule in = { evl_view_str("*"), EVLP_RES_CLUSTER,
		evl_view_str("*"), EVLP_ACL_ALL, EVLP_ACL_DENY };
	evlp_acl_rule out;
	size_t        n;
	uint8_t      *buf = evl_codec_check(
            enc_rule, &in, evlp_acl_rule_decode_v, &out, &n);
	assert_rule_eq(&in, &out);
	free(buf);
}

Test(acl_rule, out_of_range_fields_are_einval)
{
	/* principal "a", resource, pattern "b", ops, effect */
	uint8_t       b[] = { 0, 1, 'a', 1, 0, 1, 'b', 0x01, 0 };
	evlp_acl_rule out;
	evl_assert_ok(
	    evl_decode_raw(evlp_acl_rule_decode_v, b, sizeof(b), &out));
	b[3] = 0; /* resource 0 */
	evl_assert_err(evl_decode_raw(evlp_acl_rule_decode_v, b, sizeof(b),
	                   &out),
	    EVL_EINVAL);
	b[3] = 4;
	evl_assert_err(evl_decode_raw(evlp_acl_rule_decode_v, b, sizeof(b),
	                   &out),
	    EVL_EINVAL);
	b[3] = 2;
	b[7] = 0; /* no operation */
	evl_assert_err(evl_decode_raw(evlp_acl_rule_decode_v, b, sizeof(b),
	                   &out),
	    EVL_EINVAL);
	b[7] = 0x40; /* an unknown operation */
	evl_assert_err(evl_decode_raw(evlp_acl_rule_decode_v, b, sizeof(b),
	                   &out),
	    EVL_EINVAL);
	b[7] = 0x3f;
	b[8] = 2; /* neither allow nor deny */
	evl_assert_err(evl_decode_raw(evlp_acl_rule_decode_v, b, sizeof(b),
	                   &out),
	    EVL_EINVAL);
	b[8] = 1;
	evl_assert_ok(
	    evl_decode_raw(evlp_acl_rule_decode_v, b, sizeof(b), &out));
	cr_assert_eq(out.resource, EVLP_RES_GROUP);
	cr_assert_eq(out.effect, EVLP_ACL_DENY);
}

static void
enc_filter(evlp_wr *w, const void *ctx)
{
	evlp_acl_filter_encode(w, ctx);
}

Test(acl_filter, round_trip)
{
	evlp_acl_filter in = { evl_view_str("alice"), EVLP_RES_GROUP,
		evl_view_str("billing") };
	evlp_acl_filter out;
	size_t          n;
	uint8_t        *buf = evl_codec_check(
            enc_filter, &in, evlp_acl_filter_decode_v, &out, &n);
	cr_assert_eq(n, 2 + 5 + 1 + 2 + 7);
	evl_assert_view_eq(out.principal, "alice");
	cr_assert_eq(out.resource, EVLP_RES_GROUP);
	evl_assert_view_eq(out.pattern, "billing");
	free(buf);
}

Test(acl_filter, empty_matches_all)
{
	evlp_acl_filter in = { { NULL, 0 }, 0, { NULL, 0 } };
	evlp_acl_filter out;
	size_t          n;
	uint8_t        *buf = evl_codec_check(
            enc_filter, &in, evlp_acl_filter_decode_v, &out, &n);
	cr_assert_eq(n, 5);
	cr_assert_eq(out.principal.len, 0);
	cr_assert_eq(out.resource, 0);
	cr_assert_eq(out.pattern.len, 0);
	free(buf);
}

Test(acl_filter, resource_out_of_range)
{
	static const uint8_t b[] = { 0, 0, 4, 0, 0 };
	evlp_acl_filter      out;
	evl_assert_err(
	    evl_decode_raw(evlp_acl_filter_decode_v, b, sizeof(b), &out),
	    EVL_EINVAL);
}

static const evlp_acl_rule list_rules[] = {
	{ { (const uint8_t *) "bob", 3 }, EVLP_RES_TOPIC,
	    { (const uint8_t *) "orders-*", 8 }, EVLP_ACL_WRITE, 0 },
	{ { (const uint8_t *) "*", 1 }, EVLP_RES_GROUP,
	    { (const uint8_t *) "g?", 2 }, EVLP_ACL_ALL, 1 },
	{ { (const uint8_t *) "admin", 5 }, EVLP_RES_CLUSTER,
	    { (const uint8_t *) "*", 1 }, EVLP_ACL_ALTER, 0 },
};

static void
enc_list(evlp_wr *w, const void *ctx)
{
	(void) ctx;
	evlp_acl_list_encode(w, 3);
	for (size_t i = 0; i < 3; i++)
		evlp_acl_rule_encode(w, &list_rules[i]);
}

Test(acl_list, round_trip)
{
	evlp_acl_list out;
	evlp_acl_rule e;
	size_t        n, i = 0;
	uint8_t      *buf = evl_codec_check(
            enc_list, NULL, evlp_acl_list_decode_v, &out, &n);
	cr_assert_eq(out.count, 3);
	while (evlp_acl_list_next(&out, &e))
		assert_rule_eq(&list_rules[i++], &e);
	cr_assert_eq(i, 3);
	free(buf);
}

Test(acl_list, empty)
{
	static const uint8_t b[] = { 0, 0, 0, 0 };
	evlp_acl_list        out;
	evlp_acl_rule        e;
	evl_assert_ok(evl_decode_raw(evlp_acl_list_decode_v, b, sizeof(b), &out));
	cr_assert_eq(out.count, 0);
	cr_assert_not(evlp_acl_list_next(&out, &e));
}

Test(acl_list, oversize_count)
{
	/* 1000 rules claimed, one rule's bytes behind */
	static const uint8_t b[] = { 0, 0, 0x03, 0xe8, 0, 1, 'a', 1, 0, 1,
		'b', 1, 0 };
	evlp_acl_list        out;
	evl_assert_err(
	    evl_decode_raw(evlp_acl_list_decode_v, b, sizeof(b), &out),
	    EVL_EPROTO);
}

Test(acl_list, bad_entry_is_einval)
{
	/* one rule with effect 7 */
	static const uint8_t b[] = { 0, 0, 0, 1, 0, 1, 'a', 1, 0, 1, 'b', 1,
		7 };
	evlp_acl_list        out;
	evl_assert_err(
	    evl_decode_raw(evlp_acl_list_decode_v, b, sizeof(b), &out),
	    EVL_EINVAL);
}
