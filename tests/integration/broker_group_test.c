/*
 * broker_group_test.c -- the group coordinator over the raw protocol: an
 * in-process broker and REQ contexts speaking JOIN_GROUP, HEARTBEAT,
 * LEAVE_GROUP, COMMIT/FETCH_OFFSETS, LIST/DESCRIBE/DELETE_GROUP built
 * with proto/.  Joins are long polls, so each runs on its own context
 * and the test waits for its answer with a deadline.  Session timeouts
 * are waited out by polling the group's state, never by sleeping.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "alloc.h"
#include "evl_test.h"
#include "harness.h"
#include "msg.h"
#include "ops.h"

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
start(struct evlt_broker *tb, const char *dir)
{
	int rv = evlt_broker_start(tb, dir, NULL);
	cr_assert_eq(rv, 0, "broker start: %s", evl_strerror(rv));
}

static evlp_view
V(const char *s)
{
	evlp_view v = { (const uint8_t *) s, strlen(s) };
	return v;
}

/* ---- a join on its own context ---------------------------------------- */

struct pending {
	nng_ctx     ctx;
	nng_aio    *aio;
	nng_msg    *msg;
	int         rv;
	atomic_bool done;
};

static void
pending_cb(void *arg)
{
	struct pending *p = arg;
	p->rv             = nng_aio_result(p->aio);
	p->msg            = p->rv == 0 ? nng_aio_get_msg(p->aio) : NULL;
	atomic_store(&p->done, true);
}

static bool
pending_done(void *arg)
{
	return atomic_load(&((struct pending *) arg)->done);
}

static void
pending_start(struct pending *p, nng_socket s, uint8_t op, const void *body,
    size_t len)
{
	nng_aio   *saio;
	nng_msg   *m;
	uint8_t    hdr[EVLP_FRAME_SIZE];
	evlp_frame f = { EVLP_VERSION, op, 0, 0, 9, (uint32_t) len };

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

static void
pending_free(struct pending *p)
{
	nng_aio_free(p->aio);
	nng_ctx_close(p->ctx);
	if (p->msg != NULL)
		nng_msg_free(p->msg);
	p->msg = NULL;
}

struct joined {
	int      status;
	int32_t  generation;
	char     member[64];
	uint16_t n;
	char     topic[16][32];
	uint32_t part[16];
};

static size_t
join_body(uint8_t *buf, size_t cap, const char *group, const char *member,
    uint32_t session_ms, uint32_t rebalance_ms, uint8_t assignor,
    const char *const *subs)
{
	evlp_wr       w;
	evlp_join_req m;
	uint16_t      n = 0;
	while (subs[n] != NULL)
		n++;
	memset(&m, 0, sizeof(m));
	m.group                = V(group);
	m.member               = V(member);
	m.client_id            = V("raw-test");
	m.session_timeout_ms   = session_ms;
	m.rebalance_timeout_ms = rebalance_ms;
	m.assignor             = assignor;
	m.count                = n;
	evlp_wr_init(&w, buf, cap);
	evlp_join_req_encode(&w, &m);
	for (uint16_t i = 0; i < n; i++) {
		evlp_subscription s = {
			strpbrk(subs[i], "*?[") ? EVLP_SUB_GLOB : EVLP_SUB_TOPIC,
			V(subs[i])
		};
		evlp_subscription_encode(&w, &s);
	}
	cr_assert_eq(w.err, 0);
	return w.len;
}

static void
join_start(struct pending *p, nng_socket s, const char *group,
    const char *member, uint32_t session_ms, uint32_t rebalance_ms,
    const char *const *subs)
{
	uint8_t body[1024];
	size_t  n = join_body(body, sizeof(body), group, member, session_ms,
	     rebalance_ms, EVLP_ASSIGN_STICKY, subs);
	pending_start(p, s, EVLP_OP_JOIN_GROUP, body, n);
}

static struct joined
join_wait(struct pending *p)
{
	struct joined        j;
	evlp_frame           f;
	evlp_view            body;
	evlp_join_resp       jr;
	evlp_topic_partition tp;
	memset(&j, 0, sizeof(j));
	cr_assert(evlt_wait_until(pending_done, p, TIMEOUT_MS),
	    "the join was not answered in time");
	cr_assert_eq(p->rv, 0, "recv: %s", nng_strerror(p->rv));
	evl_assert_ok(evlp_frame_decode(
	    nng_msg_body(p->msg), nng_msg_len(p->msg), &f, &body));
	j.status = f.status;
	if (f.status == 0) {
		evl_assert_ok(evlp_join_resp_decode(body, &jr));
		j.generation = jr.generation;
		cr_assert_lt(jr.member.len, sizeof(j.member));
		memcpy(j.member, jr.member.p, jr.member.len);
		cr_assert(jr.heartbeat_interval_ms > 0);
		while (evlp_join_resp_next(&jr, &tp)) {
			cr_assert_lt(j.n, 16);
			snprintf(j.topic[j.n], sizeof(j.topic[0]), "%.*s",
			    (int) tp.topic.len, (const char *) tp.topic.p);
			j.part[j.n++] = tp.partition;
		}
	}
	pending_free(p);
	return j;
}

static struct joined
join(nng_socket s, const char *group, const char *member,
    uint32_t session_ms, const char *const *subs)
{
	struct pending p;
	join_start(&p, s, group, member, session_ms, 5000, subs);
	return join_wait(&p);
}

/* ---- other calls ------------------------------------------------------ */

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

static int
member_op(nng_socket s, uint8_t op, const char *group, const char *member,
    int32_t gen)
{
	uint8_t         body[512];
	evlp_wr         w;
	evlp_member_req m = { V(group), V(member), gen };
	evlp_wr_init(&w, body, sizeof(body));
	evlp_member_req_encode(&w, &m);
	return call_status(s, op, body, w.len, NULL);
}

static int
heartbeat(nng_socket s, const char *group, const char *member, int32_t gen)
{
	return member_op(s, EVLP_OP_HEARTBEAT, group, member, gen);
}

/* Commits one entry; the request's status, or else the entry's error. */
static int
commit(nng_socket s, const char *group, int32_t gen, const char *member,
    const char *topic, uint32_t partition, int64_t offset)
{
	uint8_t           body[512];
	evlp_wr           w;
	evlt_resp         r;
	evlp_offset_list  ol;
	evlp_offset_entry oe;
	evlp_commit_entry ce = { V(topic), partition, offset, { NULL, 0 } };
	evlp_wr_init(&w, body, sizeof(body));
	evlp_commit_req_encode(&w, V(group), gen, V(member), 1);
	evlp_commit_entry_encode(&w, &ce);
	int st = call_status(s, EVLP_OP_COMMIT_OFFSETS, body, w.len, &r);
	if (st == 0) {
		evl_assert_ok(evlp_commit_resp_decode(r.body, &ol));
		cr_assert(evlp_commit_resp_next(&ol, &oe));
		st = oe.error;
	}
	evlt_resp_free(&r);
	return st;
}

static int64_t
committed(nng_socket s, const char *group, const char *topic, uint32_t part)
{
	uint8_t              body[512];
	evlp_wr              w;
	evlt_resp            r;
	evlp_offset_list     ol;
	evlp_offset_entry    oe;
	evlp_topic_partition tp = { V(topic), part };
	evlp_wr_init(&w, body, sizeof(body));
	evlp_fetch_offsets_req_encode(&w, V(group), 1);
	evlp_topic_partition_encode(&w, &tp);
	cr_assert_eq(call_status(s, EVLP_OP_FETCH_OFFSETS, body, w.len, &r), 0);
	evl_assert_ok(evlp_fetch_offsets_resp_decode(r.body, &ol));
	cr_assert(evlp_fetch_offsets_resp_next(&ol, &oe));
	cr_assert_eq(oe.error, 0);
	int64_t off = oe.offset;
	evlt_resp_free(&r);
	return off;
}

struct described {
	int      status;
	char     state[16];
	int32_t  generation;
	uint16_t members;
	uint32_t rows;
	uint32_t assigned; /* rows with an owner */
	int64_t  committed[16];
	uint64_t head[16];
};

static struct described
describe(nng_socket s, const char *group)
{
	uint8_t              body[512];
	evlp_wr              w;
	evlt_resp            r;
	evlp_group_desc      d;
	evlp_group_member    gm;
	evlp_group_partition gp;
	evlp_topic_partition tp;
	struct described     out;
	evlp_name_req        m = { V(group) };
	memset(&out, 0, sizeof(out));
	evlp_wr_init(&w, body, sizeof(body));
	evlp_name_req_encode(&w, &m);
	out.status = call_status(s, EVLP_OP_DESCRIBE_GROUP, body, w.len, &r);
	if (out.status == 0) {
		evl_assert_ok(evlp_group_desc_decode(r.body, &d));
		snprintf(out.state, sizeof(out.state), "%.*s",
		    (int) d.state.len, (const char *) d.state.p);
		out.generation = d.generation;
		out.members    = d.members;
		while (evlp_group_desc_next_member(&d, &gm))
			while (evlp_group_member_next(&gm, &tp))
				;
		while (evlp_group_desc_next_partition(&d, &gp)) {
			if (out.rows < 16) {
				out.committed[out.rows] = gp.committed;
				out.head[out.rows]      = gp.head;
			}
			out.rows++;
			out.assigned += gp.member.len > 0;
		}
	}
	evlt_resp_free(&r);
	return out;
}

struct group_cond {
	nng_socket  s;
	const char *group;
	uint16_t    members;
	const char *state;
};

static bool
group_is(void *arg)
{
	struct group_cond *c = arg;
	struct described   d = describe(c->s, c->group);
	return d.status == 0 && d.members == c->members &&
	    strcmp(d.state, c->state) == 0;
}

static void
wait_group(nng_socket s, const char *group, uint16_t members,
    const char *state)
{
	struct group_cond c = { s, group, members, state };
	cr_assert(evlt_wait_until(group_is, &c, TIMEOUT_MS),
	    "group %s never had %u members and state %s", group,
	    (unsigned) members, state);
}

struct hb_cond {
	nng_socket  s;
	const char *group;
	const char *member;
	int32_t     gen;
	int         want;
};

static bool
heartbeat_is(void *arg)
{
	struct hb_cond *c = arg;
	return heartbeat(c->s, c->group, c->member, c->gen) == c->want;
}

static void
produce(nng_socket s, const char *topic, uint32_t part, uint32_t n)
{
	evl_assert_ok(evlt_produce(s, topic, part, EVLP_ACKS_WRITTEN, n, 10,
	    NULL));
}

static const char *const SUB_T[] = { "t", NULL };

/* ---- tests ------------------------------------------------------------ */

Test(broker_group, single_member_owns_every_partition)
{
	struct evlt_broker tb;
	start(&tb, NULL);
	nng_socket s = client(tb.url);
	evl_assert_ok(evlt_create_topic(s, "t", 4));

	struct joined j = join(s, "g", "", 10000, SUB_T);
	cr_assert_eq(j.status, 0, "join: %s", evl_errname(j.status));
	cr_assert_eq(j.generation, 1);
	cr_assert_eq(j.n, 4);
	for (uint16_t i = 0; i < 4; i++) {
		cr_assert_str_eq(j.topic[i], "t");
		cr_assert_eq(j.part[i], i);
	}
	cr_assert_eq(heartbeat(s, "g", j.member, 1), 0);
	cr_assert_eq(heartbeat(s, "g", j.member, 7), EVL_EGENERATION);
	cr_assert_eq(heartbeat(s, "g", "nobody", 1), EVL_EUNKNOWNMEMBER);
	cr_assert_eq(heartbeat(s, "h", j.member, 1), EVL_ENOGROUP);

	/* Lag is head - committed, exactly. */
	produce(s, "t", 0, 10);
	cr_assert_eq(commit(s, "g", 1, j.member, "t", 0, 4), 0);
	struct described d = describe(s, "g");
	cr_assert_eq(d.status, 0);
	cr_assert_str_eq(d.state, "stable");
	cr_assert_eq(d.generation, 1);
	cr_assert_eq(d.members, 1);
	cr_assert_eq(d.rows, 4);
	cr_assert_eq(d.assigned, 4);
	cr_assert_eq(d.committed[0], 4);
	cr_assert_eq(d.head[0], 10);
	cr_assert_eq(d.committed[1], -1);

	/* And the same in /metrics. */
	char  *text;
	size_t len;
	evl_assert_ok(evld_metrics_render(tb.b->metrics, &text, &len));
	cr_assert_not_null(strstr(text,
	    "evlog_group_lag{group=\"g\",topic=\"t\",partition=\"0\"} 6\n"),
	    "%s", text);
	cr_assert_not_null(strstr(text, "evlog_group_members{group=\"g\"} 1\n"));
	cr_assert_not_null(
	    strstr(text, "evlog_group_generation{group=\"g\"} 1\n"));
	cr_assert_not_null(strstr(text,
	    "evlog_group_committed_offset{group=\"g\",topic=\"t\","
	    "partition=\"0\"} 4\n"));
	evlp_free(text);

	cr_assert_eq(member_op(s, EVLP_OP_LEAVE_GROUP, "g", j.member, 1), 0);
	d = describe(s, "g");
	cr_assert_str_eq(d.state, "empty");
	cr_assert_eq(d.members, 0);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_group, a_join_rebalances_and_fences_the_old_generation)
{
	struct evlt_broker tb;
	struct pending     pa, pb;
	start(&tb, NULL);
	nng_socket s  = client(tb.url);
	nng_socket sb = client(tb.url);
	evl_assert_ok(evlt_create_topic(s, "t", 4));

	struct joined a = join(s, "g", "", 10000, SUB_T);
	cr_assert_eq(a.n, 4);
	join_start(&pb, sb, "g", "", 10000, 5000, SUB_T);
	/* A learns of the rebalance from its heartbeat... */
	struct hb_cond hc = { s, "g", a.member, 1, EVL_EREBALANCE };
	cr_assert(evlt_wait_until(heartbeat_is, &hc, TIMEOUT_MS));
	cr_assert_not(pending_done(&pb), "B answered before A rejoined");
	/* ...may still commit its generation's partitions... */
	cr_assert_eq(commit(s, "g", 1, a.member, "t", 3, 2), 0);
	/* ...and rejoins. */
	join_start(&pa, s, "g", a.member, 10000, 5000, SUB_T);
	struct joined a2 = join_wait(&pa);
	struct joined b  = join_wait(&pb);
	cr_assert_eq(a2.status, 0);
	cr_assert_eq(b.status, 0);
	cr_assert_eq(a2.generation, 2);
	cr_assert_eq(b.generation, 2);
	cr_assert_str_eq(a2.member, a.member);
	cr_assert_eq(a2.n, 2);
	cr_assert_eq(b.n, 2);
	/* Disjoint and covering. */
	bool seen[4] = { false };
	for (int i = 0; i < 2; i++) {
		cr_assert_not(seen[a2.part[i]]);
		seen[a2.part[i]] = true;
		cr_assert_not(seen[b.part[i]]);
		seen[b.part[i]] = true;
	}
	/* Generation 1 is fenced now; a partition of B's is not A's. */
	cr_assert_eq(commit(s, "g", 1, a.member, "t", a2.part[0], 9),
	    EVL_EGENERATION);
	cr_assert_eq(commit(s, "g", 2, a.member, "t", b.part[0], 9),
	    EVL_ENOTOWNER);
	cr_assert_eq(commit(s, "g", 2, a.member, "t", a2.part[0], 9), 0);
	cr_assert_eq(committed(s, "g", "t", b.part[0]),
	    b.part[0] == 3 ? 2 : -1);
	nng_close(sb);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_group, an_expired_member_is_fenced_and_its_commit_changes_nothing)
{
	struct evlt_broker tb;
	start(&tb, NULL);
	nng_socket s = client(tb.url);
	evl_assert_ok(evlt_create_topic(s, "t", 2));

	struct joined a = join(s, "g", "", 300, SUB_T);
	cr_assert_eq(a.status, 0);
	cr_assert_eq(commit(s, "g", a.generation, a.member, "t", 0, 5), 0);
	/* A stops heartbeating: the session ends, the group empties. */
	uint64_t t0 = evlt_now_ms();
	wait_group(s, "g", 0, "empty");
	cr_assert_lt(evlt_now_ms() - t0, 3000);
	/* Paused past its session, it wakes and commits: rejected. */
	cr_assert_eq(commit(s, "g", a.generation, a.member, "t", 0, 9),
	    EVL_EUNKNOWNMEMBER);
	cr_assert_eq(committed(s, "g", "t", 0), 5);
	cr_assert_eq(heartbeat(s, "g", a.member, a.generation),
	    EVL_EUNKNOWNMEMBER);
	/* A successor gets a newer generation; the old one stays fenced. */
	struct joined b = join(s, "g", "", 10000, SUB_T);
	cr_assert(b.generation > a.generation);
	cr_assert_eq(commit(s, "g", a.generation, b.member, "t", 0, 9),
	    EVL_EGENERATION);
	cr_assert_eq(committed(s, "g", "t", 0), 5);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_group, a_member_that_does_not_rejoin_is_dropped)
{
	struct evlt_broker tb;
	struct pending     pb;
	start(&tb, NULL);
	nng_socket s  = client(tb.url);
	nng_socket sb = client(tb.url);
	evl_assert_ok(evlt_create_topic(s, "t", 3));

	struct pending pa;
	join_start(&pa, s, "g", "", 10000, 300, SUB_T);
	struct joined a = join_wait(&pa);
	cr_assert_eq(a.n, 3);
	/* B joins with a short rebalance timeout; A keeps heartbeating but
	 * never rejoins, so the rebalance ends without it. */
	join_start(&pb, sb, "g", "", 10000, 300, SUB_T);
	struct joined b = join_wait(&pb);
	cr_assert_eq(b.status, 0);
	cr_assert_eq(b.n, 3);
	cr_assert_eq(heartbeat(s, "g", a.member, a.generation),
	    EVL_EUNKNOWNMEMBER);
	nng_close(sb);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_group, tools_commit_and_delete_only_an_idle_group)
{
	struct evlt_broker tb;
	uint8_t            body[256];
	evlp_wr            w;
	evlp_name_req      m = { V("g") };
	start(&tb, NULL);
	nng_socket s = client(tb.url);
	evl_assert_ok(evlt_create_topic(s, "t", 1));
	evlp_wr_init(&w, body, sizeof(body));
	evlp_name_req_encode(&w, &m);
	cr_assert_eq(call_status(s, EVLP_OP_DELETE_GROUP, body, w.len, NULL),
	    EVL_ENOGROUP);

	struct joined a = join(s, "g", "", 10000, SUB_T);
	cr_assert_eq(commit(s, "g", -1, "", "t", 0, 1), EVL_EGROUPACTIVE);
	cr_assert_eq(call_status(s, EVLP_OP_DELETE_GROUP, body, w.len, NULL),
	    EVL_EGROUPACTIVE);
	cr_assert_eq(member_op(s, EVLP_OP_LEAVE_GROUP, "g", a.member,
	                 a.generation),
	    0);
	cr_assert_eq(commit(s, "g", -1, "", "t", 0, 1), 0);
	cr_assert_eq(committed(s, "g", "t", 0), 1);

	/* LIST_GROUPS shows it. */
	evlt_resp        r;
	evlp_group_list  gl;
	evlp_group_entry ge;
	cr_assert_eq(call_status(s, EVLP_OP_LIST_GROUPS, NULL, 0, &r), 0);
	evl_assert_ok(evlp_group_list_decode(r.body, &gl));
	cr_assert_eq(gl.count, 1);
	cr_assert(evlp_group_list_next(&gl, &ge));
	cr_assert_eq(ge.group.len, 1);
	cr_assert_eq(ge.members, 0);
	evlt_resp_free(&r);

	cr_assert_eq(call_status(s, EVLP_OP_DELETE_GROUP, body, w.len, NULL), 0);
	cr_assert_eq(describe(s, "g").status, EVL_ENOGROUP);
	cr_assert_eq(committed(s, "g", "t", 0), -1);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_group, bad_joins_are_refused_and_change_nothing)
{
	struct evlt_broker tb;
	uint8_t            body[1024];
	start(&tb, NULL);
	nng_socket s = client(tb.url);
	evl_assert_ok(evlt_create_topic(s, "t", 1));
	const char *const none[]  = { NULL };
	const char *const bad[]   = { "no/slash", NULL };
	size_t            n;

	n = join_body(body, sizeof(body), "g", "", 10000, 5000, 0, none);
	cr_assert_eq(call_status(s, EVLP_OP_JOIN_GROUP, body, n, NULL),
	    EVL_EINVAL);
	n = join_body(body, sizeof(body), "g", "", 10, 5000, 0, SUB_T);
	cr_assert_eq(call_status(s, EVLP_OP_JOIN_GROUP, body, n, NULL),
	    EVL_EINVAL);
	n = join_body(body, sizeof(body), "g", "", 10000, 0, 0, SUB_T);
	cr_assert_eq(call_status(s, EVLP_OP_JOIN_GROUP, body, n, NULL),
	    EVL_EINVAL);
	n = join_body(body, sizeof(body), "g", "", 10000, 5000, 0, bad);
	cr_assert_eq(call_status(s, EVLP_OP_JOIN_GROUP, body, n, NULL),
	    EVL_EBADNAME);
	n = join_body(body, sizeof(body), "g!", "", 10000, 5000, 0, SUB_T);
	cr_assert_eq(call_status(s, EVLP_OP_JOIN_GROUP, body, n, NULL),
	    EVL_EBADNAME);
	n = join_body(body, sizeof(body), "g", "m-1-1", 10000, 5000, 0, SUB_T);
	cr_assert_eq(call_status(s, EVLP_OP_JOIN_GROUP, body, n, NULL),
	    EVL_EUNKNOWNMEMBER);
	n = join_body(body, sizeof(body), "g", "", 10000, 5000, 3, SUB_T);
	cr_assert_eq(call_status(s, EVLP_OP_JOIN_GROUP, body, n, NULL),
	    EVL_EINVAL);
	cr_assert_eq(describe(s, "g").status, EVL_ENOGROUP);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_group, a_glob_picks_up_new_topics_and_partitions)
{
	struct evlt_broker tb;
	start(&tb, NULL);
	nng_socket s = client(tb.url);
	evl_assert_ok(evlt_create_topic(s, "ev.a", 2));
	evl_assert_ok(evlt_create_topic(s, "other", 2));
	const char *const glob[] = { "ev.*", NULL };

	struct joined a = join(s, "g", "", 10000, glob);
	cr_assert_eq(a.n, 2);
	evl_assert_ok(evlt_create_topic(s, "ev.b", 3));
	struct hb_cond hc = { s, "g", a.member, a.generation, EVL_EREBALANCE };
	cr_assert(evlt_wait_until(heartbeat_is, &hc, TIMEOUT_MS),
	    "creating ev.b did not rebalance the group");
	struct joined a2 = join(s, "g", a.member, 10000, glob);
	cr_assert_eq(a2.n, 5);
	cr_assert_eq(a2.generation, a.generation + 1);
	cr_assert_str_eq(a2.topic[4], "ev.b");

	/* A topic that does not match changes nothing. */
	evl_assert_ok(evlt_create_topic(s, "zzz", 1));
	cr_assert_eq(heartbeat(s, "g", a.member, a2.generation), 0);

	/* Growing a subscribed topic rebalances too. */
	uint8_t        body[256];
	evlp_wr        w;
	evlp_topic_req tr;
	memset(&tr, 0, sizeof(tr));
	tr.name       = V("ev.a");
	tr.partitions = 4;
	evlp_wr_init(&w, body, sizeof(body));
	evlp_topic_req_encode(&w, &tr);
	cr_assert_eq(call_status(s, EVLP_OP_ALTER_TOPIC, body, w.len, NULL), 0);
	hc.gen = a2.generation;
	cr_assert(evlt_wait_until(heartbeat_is, &hc, TIMEOUT_MS),
	    "growing ev.a did not rebalance the group");
	struct joined a3 = join(s, "g", a.member, 10000, glob);
	cr_assert_eq(a3.n, 7);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_group, a_restart_keeps_the_group_and_its_offsets)
{
	struct evlt_broker tb;
	char               data[300], olddir[256];
	start(&tb, NULL);
	nng_socket s = client(tb.url);
	evl_assert_ok(evlt_create_topic(s, "t", 2));
	struct joined a = join(s, "g", "", 10000, SUB_T);
	cr_assert_eq(commit(s, "g", a.generation, a.member, "t", 1, 7), 0);
	nng_close(s);
	snprintf(data, sizeof(data), "%s", tb.data);
	snprintf(olddir, sizeof(olddir), "%s", tb.dir);
	evlt_broker_stop(&tb, true);

	start(&tb, data);
	s = client(tb.url);
	/* The member goes on with the generation it had. */
	cr_assert_eq(heartbeat(s, "g", a.member, a.generation), 0);
	struct described d = describe(s, "g");
	cr_assert_str_eq(d.state, "stable");
	cr_assert_eq(d.members, 1);
	cr_assert_eq(d.generation, a.generation);
	cr_assert_eq(d.assigned, 2);
	cr_assert_eq(d.committed[1], 7);
	cr_assert_eq(commit(s, "g", a.generation, a.member, "t", 1, 8), 0);
	cr_assert_eq(committed(s, "g", "t", 1), 8);
	nng_close(s);
	evlt_broker_stop(&tb, false);
	evlt_rmrf(olddir);
}
