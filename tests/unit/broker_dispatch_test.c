/*
 * broker_dispatch_test.c -- frame in, handler, frame out
 * (broker/dispatch.c), without sockets or a store.
 */
#include <string.h>

#include "dispatch.h"
#include "evl_test.h"
#include "msg.h"
#include "ops.h"

static nng_msg *
msg_of(const void *p, size_t len)
{
	nng_msg *m;
	cr_assert_eq(nng_msg_alloc(&m, 0), 0);
	if (len > 0)
		cr_assert_eq(nng_msg_append(m, p, len), 0);
	return m;
}

static nng_msg *
request(uint8_t op, uint32_t id, uint16_t flags, const void *body,
    size_t len)
{
	uint8_t    hdr[EVLP_FRAME_SIZE];
	evlp_frame f = { EVLP_VERSION, op, flags, 0, id, (uint32_t) len };
	nng_msg   *m;
	evlp_frame_encode(hdr, &f);
	m = msg_of(hdr, sizeof(hdr));
	if (len > 0)
		cr_assert_eq(nng_msg_append(m, body, len), 0);
	return m;
}

/* Runs a message through decode, handle and finish, as the server
 * does; returns the answer's frame and keeps the message in *resp. */
static evlp_frame
run(nng_msg *m, nng_msg **resp, evlp_view *body)
{
	struct evld_req r;
	evlp_frame      f;
	int             rv;
	evld_req_init(&r, NULL, NULL, NULL);
	rv = evld_req_decode(&r, m);
	if (rv == 0)
		rv = evld_req_handle(&r);
	cr_assert_neq(rv, EVLD_ASYNC);
	evld_req_finish(&r, rv);
	cr_assert_not_null(r.resp);
	cr_assert_null(r.msg);
	*resp = r.resp;
	r.resp = NULL;
	evld_req_fini(&r);
	cr_assert_eq(evlp_frame_decode(nng_msg_body(*resp), nng_msg_len(*resp),
	                 &f, body),
	    0);
	cr_assert(f.flags & EVLP_FLAG_RESPONSE);
	return f;
}

static void
expect_error(nng_msg *m, int status, uint8_t op, uint32_t id)
{
	nng_msg        *resp;
	evlp_view       body;
	evlp_error_body eb;
	evlp_frame      f = run(m, &resp, &body);
	cr_assert_eq(f.status, status, "status %s, want %s",
	    evl_errname(f.status), evl_errname(status));
	cr_assert_eq(f.op, op);
	cr_assert_eq(f.id, id);
	evl_assert_ok(evlp_error_body_decode(body, &eb));
	cr_assert_gt(eb.message.len, 0);
	nng_msg_free(resp);
}

Test(broker_dispatch, ping)
{
	nng_msg       *resp;
	evlp_view      body;
	evlp_ping_resp pr;
	evlp_frame     f = run(request(EVLP_OP_PING, 77, 0, NULL, 0), &resp, &body);
	cr_assert_eq(f.status, 0);
	cr_assert_eq(f.op, EVLP_OP_PING);
	cr_assert_eq(f.id, 77);
	evl_assert_ok(evlp_ping_resp_decode(body, &pr));
	cr_assert_eq(pr.protocol_version, EVLP_VERSION);
	cr_assert(pr.broker_version.len > 0);
	nng_msg_free(resp);
}

Test(broker_dispatch, ping_with_a_body_is_malformed)
{
	expect_error(request(EVLP_OP_PING, 5, 0, "x", 1), EVL_EPROTO,
	    EVLP_OP_PING, 5);
}

Test(broker_dispatch, garbage_gets_eproto_with_id_zero)
{
	expect_error(msg_of("hello", 5), EVL_EPROTO, 0, 0);
	expect_error(msg_of(NULL, 0), EVL_EPROTO, 0, 0);
	/* 16 bytes without the magic. */
	expect_error(msg_of("0123456789abcdef", 16), EVL_EPROTO, 0, 0);
}

Test(broker_dispatch, bad_length_echoes_op_and_id)
{
	nng_msg *m = request(EVLP_OP_PING, 9, 0, NULL, 0);
	uint8_t *p = nng_msg_body(m);
	evlp_put_u32(p + 12, 100); /* says 100 body bytes; there are none */
	expect_error(m, EVL_EPROTO, EVLP_OP_PING, 9);
}

Test(broker_dispatch, other_version)
{
	nng_msg *m = request(EVLP_OP_PING, 9, 0, NULL, 0);
	((uint8_t *) nng_msg_body(m))[2] = 2;
	expect_error(m, EVL_EVERSION, EVLP_OP_PING, 9);
}

Test(broker_dispatch, a_response_is_not_a_request)
{
	expect_error(request(EVLP_OP_PING, 3, EVLP_FLAG_RESPONSE, NULL, 0),
	    EVL_EPROTO, EVLP_OP_PING, 3);
}

Test(broker_dispatch, unknown_op)
{
	expect_error(request(0x7e, 4, 0, NULL, 0), EVL_EUNKNOWNOP, 0x7e, 4);
	expect_error(request(0, 4, 0, NULL, 0), EVL_EUNKNOWNOP, 0, 4);
}

Test(broker_dispatch, later_ops_are_not_supported_yet)
{
	int ops[] = { EVLP_OP_AUTH_START, EVLP_OP_AUTH_FINISH };
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		expect_error(request((uint8_t) ops[i], 1, 0, NULL, 0),
		    EVL_ENOTSUP, (uint8_t) ops[i], 1);
}

Test(broker_dispatch, lookup_covers_the_data_path)
{
	int err;
	cr_assert_not_null(evld_dispatch_lookup(EVLP_OP_PRODUCE, &err));
	cr_assert_not_null(evld_dispatch_lookup(EVLP_OP_FETCH, &err));
	cr_assert_not_null(evld_dispatch_lookup(EVLP_OP_LIST_OFFSETS, &err));
	cr_assert_not_null(evld_dispatch_lookup(EVLP_OP_COMMIT_OFFSETS, &err));
	cr_assert_not_null(evld_dispatch_lookup(EVLP_OP_READ_STREAM, &err));
	cr_assert_not_null(evld_dispatch_lookup(EVLP_OP_STREAM_INFO, &err));
	cr_assert_not_null(evld_dispatch_lookup(EVLP_OP_DELETE_STREAM, &err));
	cr_assert_null(evld_dispatch_lookup(256, &err));
	cr_assert_eq(err, EVL_EUNKNOWNOP);
	cr_assert_null(evld_dispatch_lookup(-1, &err));
}

Test(broker_dispatch, names)
{
	char      out[EVLD_NAME_MAX + 1];
	char      big[300];
	evlp_view v;
	memset(big, 'a', sizeof(big));
	v.p   = (const uint8_t *) big;
	v.len = 249;
	evl_assert_ok(evld_name_copy(out, v));
	cr_assert_eq(strlen(out), 249);
	v.len = 250;
	evl_assert_err(evld_name_copy(out, v), EVL_EBADNAME);
	v.len = 0;
	evl_assert_err(evld_name_copy(out, v), EVL_EBADNAME);
	v.p   = (const uint8_t *) "ok.Name_-9";
	v.len = 10;
	evl_assert_ok(evld_name_copy(out, v));
	cr_assert_str_eq(out, "ok.Name_-9");
	v.p   = (const uint8_t *) "no/slash";
	v.len = 8;
	evl_assert_err(evld_name_copy(out, v), EVL_EBADNAME);
	v.p   = (const uint8_t *) "nul\0x";
	v.len = 5;
	evl_assert_err(evld_name_copy(out, v), EVL_EBADNAME);
	evl_assert_err(evld_str_copy(out, v), EVL_EBADNAME);
	v.p   = (const uint8_t *) "group one/2";
	v.len = 11;
	evl_assert_ok(evld_str_copy(out, v));
}

Test(broker_dispatch, put_measures_and_appends)
{
	nng_msg       *m;
	evlp_ping_resp pr = { 1, { (const uint8_t *) "x", 1 } };
	int            rv = -5;
	cr_assert_eq(nng_msg_alloc(&m, 3), 0);
	EVLD_PUT(m, rv, evlp_ping_resp_encode(w, &pr));
	evl_assert_ok(rv);
	cr_assert_eq(nng_msg_len(m), 3 + 2 + 2 + 1);
	/* A string too long for a str fails and leaves m as it was. */
	char big[70000];
	memset(big, 'a', sizeof(big));
	pr.broker_version.p   = (const uint8_t *) big;
	pr.broker_version.len = sizeof(big);
	EVLD_PUT(m, rv, evlp_ping_resp_encode(w, &pr));
	evl_assert_err(rv, EVL_EINVAL);
	cr_assert_eq(nng_msg_len(m), 8);
	nng_msg_free(m);
}

Test(broker_dispatch, group_ops_have_handlers)
{
	int ops[] = { EVLP_OP_JOIN_GROUP, EVLP_OP_HEARTBEAT,
		EVLP_OP_LEAVE_GROUP, EVLP_OP_LIST_GROUPS, EVLP_OP_DESCRIBE_GROUP,
		EVLP_OP_DELETE_GROUP };
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		int err = -1;
		cr_assert_not_null(evld_dispatch_lookup(ops[i], &err));
		cr_assert_eq(err, 0);
	}
}
