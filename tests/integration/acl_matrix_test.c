/*
 * acl_matrix_test.c -- access control in a real in-process broker
 * (store, coordinator, metrics, engine) with authentication on.
 *
 * Requests run through the broker's own decode/handle/finish path with
 * the principal set on the request, as the server does after a login
 * (PROTOCOL.md, "Authentication"), so the allow/deny matrix is checked
 * against every handler without depending on how users log in.  The
 * end-to-end versions over the client library (login, a rule changed
 * while a client stays connected, the CLI) are in client_acl_test.c.
 *
 * Authentication is turned on with an empty users file: no one can log
 * in over the wire here, and every request below names its user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "alloc.h"
#include "batch.h"
#include "dispatch.h"
#include "evl_test.h"
#include "group_int.h"
#include "harness.h"
#include "msg.h"
#include "ops.h"

struct env {
	struct evlt_broker tb;
	char               users[300];
	char               data[300];
};

/* Starts the broker; data_dir NULL makes a fresh directory (with the
 * users file beside the data), else restarts on e's.  extra: one more
 * flag or NULL. */
static void
env_start_with(struct env *e, const char *data_dir, const char *extra)
{
	if (data_dir == NULL) {
		char dir[256];
		cr_assert_eq(evlt_tmpdir(dir, sizeof(dir)), 0);
		snprintf(e->data, sizeof(e->data), "%s/data", dir);
		snprintf(e->users, sizeof(e->users), "%s/users", dir);
		FILE *f = fopen(e->users, "w");
		cr_assert_not_null(f);
		fclose(f);
	}
	const char *args[] = { "--users", e->users, "--superusers",
		"admin,root", extra, NULL };
	int rv = evlt_broker_start(&e->tb, e->data, args);
	cr_assert_eq(rv, 0, "broker start: %s", evl_strerror(rv));
	cr_assert(evld_broker_auth_on(e->tb.b));
}

static void
env_start(struct env *e, const char *data_dir)
{
	env_start_with(e, data_dir, NULL);
}

static void
env_stop(struct env *e, bool keep)
{
	evlt_broker_stop(&e->tb, false);
	if (!keep) {
		/* data and users live side by side in one temporary dir */
		char dir[300];
		snprintf(dir, sizeof(dir), "%s", e->data);
		char *slash = strrchr(dir, '/');
		if (slash != NULL)
			*slash = '\0';
		evlt_rmrf(dir);
	}
}

struct answer {
	int  status;
	char msg[256];
	nng_msg *resp;
	evlp_view body;
};

/* Runs one request as user through decode, handle and finish. */
static struct answer
as(struct env *e, const char *user, uint8_t op, const void *body,
    size_t len)
{
	struct evld_req r;
	struct answer   a;
	uint8_t         hdr[EVLP_FRAME_SIZE];
	evlp_frame      f = { EVLP_VERSION, op, 0, 0, 7, (uint32_t) len };
	nng_msg        *m;
	int             rv;

	memset(&a, 0, sizeof(a));
	evlp_frame_encode(hdr, &f);
	cr_assert_eq(nng_msg_alloc(&m, 0), 0);
	cr_assert_eq(nng_msg_append(m, hdr, sizeof(hdr)), 0);
	if (len > 0)
		cr_assert_eq(nng_msg_append(m, body, len), 0);
	evld_req_init(&r, e->tb.b, &e->tb.b->bm, NULL);
	rv = evld_req_decode(&r, m);
	snprintf(r.user, sizeof(r.user), "%s", user); /* as the server */
	if (rv == 0)
		rv = evld_req_handle(&r);
	cr_assert_neq(rv, EVLD_ASYNC, "a request here must answer at once");
	evld_req_finish(&r, rv);
	cr_assert_not_null(r.resp);
	a.resp = r.resp;
	r.resp = NULL;
	evld_req_fini(&r);
	cr_assert_eq(evlp_frame_decode(nng_msg_body(a.resp),
	                 nng_msg_len(a.resp), &f, &a.body),
	    0);
	a.status = f.status;
	if (f.status != 0) {
		evlp_error_body eb;
		evl_assert_ok(evlp_error_body_decode(a.body, &eb));
		snprintf(a.msg, sizeof(a.msg), "%.*s", (int) eb.message.len,
		    (const char *) eb.message.p);
	}
	return a;
}

static void
answer_free(struct answer *a)
{
	nng_msg_free(a->resp);
	a->resp = NULL;
}

/* Expects status; with a message, expects it too. */
static void
expect(struct answer a, int status, const char *msg)
{
	cr_assert_eq(a.status, status, "status %s (%s), want %s",
	    evl_errname(a.status), a.msg, evl_errname(status));
	if (msg != NULL)
		cr_assert_str_eq(a.msg, msg);
	answer_free(&a);
}

static uint8_t buf[1 << 16];

/* Request bodies are encoded into buf through w: begin(), the
 * encoder calls, then end() for the length. */
static evlp_wr        wr_;
static evlp_wr *const w = &wr_;

static void
begin(void)
{
	evlp_wr_init(w, buf, sizeof(buf));
}

static size_t
end(void)
{
	cr_assert_eq(w->err, 0);
	return w->len;
}

static evlp_view
V(const char *s)
{
	evlp_view v = { (const uint8_t *) s, strlen(s) };
	return v;
}

static struct answer
acl_change(struct env *e, const char *user, bool add, const char *principal,
    uint8_t res, const char *pattern, uint8_t ops, uint8_t effect)
{
	evlp_acl_rule m = { V(principal), res, V(pattern), ops, effect };
	begin();
	evlp_acl_rule_encode(w, &m);
	size_t        n = end();
	return as(e, user, add ? EVLP_OP_ACL_ADD : EVLP_OP_ACL_REMOVE, buf, n);
}

static void
allow(struct env *e, const char *principal, uint8_t res,
    const char *pattern, uint8_t ops)
{
	expect(acl_change(e, "admin", true, principal, res, pattern, ops,
	           EVLP_ACL_ALLOW),
	    0, NULL);
}

static void
deny(struct env *e, const char *principal, uint8_t res,
    const char *pattern, uint8_t ops)
{
	expect(acl_change(e, "admin", true, principal, res, pattern, ops,
	           EVLP_ACL_DENY),
	    0, NULL);
}

static struct answer
create_topic(struct env *e, const char *user, const char *name)
{
	evlp_topic_req m = { V(name), 1, { 0 } };
	begin();
	evlp_topic_req_encode(w, &m);
	size_t         n = end();
	return as(e, user, EVLP_OP_CREATE_TOPIC, buf, n);
}

static struct answer
name_op(struct env *e, const char *user, uint8_t op, const char *name)
{
	evlp_name_req m = { V(name) };
	begin();
	evlp_name_req_encode(w, &m);
	size_t        n = end();
	return as(e, user, op, buf, n);
}

/* An acks=none produce of one record: answered at once when allowed. */
static struct answer
produce(struct env *e, const char *user, const char *topic)
{
	uint8_t          batch[256];
	size_t           blen = evlt_batch(batch, sizeof(batch), 1, 8);
	evlp_produce_req m    = { V(topic), 0, EVLP_ACKS_NONE, EVLP_VERSION_ANY,
		   1000, { batch, blen } };
	begin();
	evlp_produce_req_encode(w, &m);
	size_t           n = end();
	return as(e, user, EVLP_OP_PRODUCE, buf, n);
}

static struct answer
fetch(struct env *e, const char *user, const char *topic)
{
	begin();
	evlp_fetch_req_encode(w, 0, 1 << 20, 1);
	evlp_fetch_part p = { V(topic), 0, 0, 1 << 20 };
	evlp_fetch_part_encode(w, &p);
	size_t n = end();
	return as(e, user, EVLP_OP_FETCH, buf, n);
}

static struct answer
list_offsets(struct env *e, const char *user, const char *topic)
{
	begin();
	evlp_list_offsets_encode(w, 1);
	evlp_offset_query q = { V(topic), 0, EVLP_TIME_LATEST };
	evlp_offset_query_encode(w, &q);
	size_t n = end();
	return as(e, user, EVLP_OP_LIST_OFFSETS, buf, n);
}

static struct answer
commit(struct env *e, const char *user, const char *group,
    const char *topic)
{
	begin();
	evlp_commit_req_encode(w, V(group), -1, V(""), 1);
	evlp_commit_entry c = { V(topic), 0, 0, V("") };
	evlp_commit_entry_encode(w, &c);
	size_t n = end();
	return as(e, user, EVLP_OP_COMMIT_OFFSETS, buf, n);
}

static struct answer
fetch_offsets(struct env *e, const char *user, const char *group)
{
	begin();
	evlp_fetch_offsets_req_encode(w, V(group), 0);
	size_t n = end();
	return as(e, user, EVLP_OP_FETCH_OFFSETS, buf, n);
}

static struct answer
join(struct env *e, const char *user, const char *group, const char *topic)
{
	begin();
	evlp_join_req m;
	memset(&m, 0, sizeof(m));
	m.group                = V(group);
	m.member               = V("");
	m.client_id            = V("t");
	m.session_timeout_ms   = 10000;
	m.rebalance_timeout_ms = 10000;
	m.count                = 1;
	evlp_join_req_encode(w, &m);
	evlp_subscription s = { EVLP_SUB_TOPIC, V(topic) };
	evlp_subscription_encode(w, &s);
	size_t n = end();
	return as(e, user, EVLP_OP_JOIN_GROUP, buf, n);
}

static struct answer
stream_info(struct env *e, const char *user, const char *topic)
{
	evlp_stream_req m = { V(topic), V("k"), EVLP_VERSION_ANY, 0 };
	begin();
	evlp_stream_info_req_encode(w, &m);
	size_t          n = end();
	return as(e, user, EVLP_OP_STREAM_INFO, buf, n);
}

static uint64_t
head(struct env *e, const char *topic)
{
	evls_partition_info info;
	evl_assert_ok(evls_partition_info_get(e->tb.b->store, topic, 0, &info));
	return info.next_offset;
}

struct head_arg {
	struct env *e;
	const char *topic;
	uint64_t    want;
};

static bool
head_is(void *arg)
{
	struct head_arg *h = arg;
	return head(h->e, h->topic) == h->want;
}

/* Names of a LIST_TOPICS or LIST_GROUPS answer, comma-joined. */
static void
topic_names(struct answer a, char *out, size_t len)
{
	evlp_topic_list  tl;
	evlp_topic_entry t;
	size_t           at = 0;
	cr_assert_eq(a.status, 0, "%s", a.msg);
	evl_assert_ok(evlp_topic_list_decode(a.body, &tl));
	out[0] = '\0';
	while (evlp_topic_list_next(&tl, &t))
		at += (size_t) snprintf(out + at, len - at, "%s%.*s",
		    at ? "," : "", (int) t.name.len, (const char *) t.name.p);
	answer_free(&a);
}

static void
group_names(struct answer a, char *out, size_t len)
{
	evlp_group_list  gl;
	evlp_group_entry g;
	size_t           at = 0;
	cr_assert_eq(a.status, 0, "%s", a.msg);
	evl_assert_ok(evlp_group_list_decode(a.body, &gl));
	out[0] = '\0';
	while (evlp_group_list_next(&gl, &g))
		at += (size_t) snprintf(out + at, len - at, "%s%.*s",
		    at ? "," : "", (int) g.group.len, (const char *) g.group.p);
	answer_free(&a);
}

Test(broker_acl, topic_matrix)
{
	struct env e;
	char       names[512];
	env_start(&e, NULL);
	static const char *const topics[] = { "orders-eu", "orders-us",
		"orders-secret", "payments", "pub-1" };
	for (size_t i = 0; i < 5; i++)
		expect(create_topic(&e, "admin", topics[i]), 0, NULL);

	allow(&e, "bob", EVLP_RES_TOPIC, "orders-*",
	    EVLP_ACL_READ | EVLP_ACL_DESCRIBE);
	allow(&e, "bob", EVLP_RES_TOPIC, "orders-eu", EVLP_ACL_WRITE);
	deny(&e, "bob", EVLP_RES_TOPIC, "orders-secret", EVLP_ACL_READ);
	allow(&e, "*", EVLP_RES_TOPIC, "pub-?", EVLP_ACL_DESCRIBE);

	/* write */
	expect(produce(&e, "bob", "orders-eu"), 0, NULL);
	expect(produce(&e, "bob", "orders-us"), EVL_EDENIED,
	    "bob may not write topic orders-us");
	/* read: the glob allows, the deny wins on orders-secret */
	expect(fetch(&e, "bob", "orders-us"), 0, NULL);
	expect(fetch(&e, "bob", "orders-secret"), EVL_EDENIED,
	    "bob may not read topic orders-secret");
	expect(fetch(&e, "bob", "payments"), EVL_EDENIED,
	    "bob may not read topic payments");
	expect(list_offsets(&e, "bob", "orders-eu"), 0, NULL);
	expect(list_offsets(&e, "bob", "payments"), EVL_EDENIED, NULL);
	/* per-key stream ops read the topic too (no key index: EINVAL
	 * when allowed, which is past the check) */
	expect(stream_info(&e, "bob", "orders-eu"), EVL_EINVAL, NULL);
	expect(stream_info(&e, "bob", "payments"), EVL_EDENIED, NULL);
	/* describe, and a list showing only what bob may describe */
	expect(name_op(&e, "bob", EVLP_OP_DESCRIBE_TOPIC, "orders-eu"), 0,
	    NULL);
	expect(name_op(&e, "bob", EVLP_OP_DESCRIBE_TOPIC, "payments"),
	    EVL_EDENIED, "bob may not describe topic payments");
	topic_names(name_op(&e, "bob", EVLP_OP_LIST_TOPICS, ""), names,
	    sizeof(names));
	cr_assert_str_eq(names, "orders-eu,orders-secret,orders-us,pub-1");
	topic_names(name_op(&e, "carol", EVLP_OP_LIST_TOPICS, ""), names,
	    sizeof(names));
	cr_assert_str_eq(names, "pub-1");
	topic_names(name_op(&e, "admin", EVLP_OP_LIST_TOPICS, ""), names,
	    sizeof(names));
	cr_assert_str_eq(
	    names, "orders-eu,orders-secret,orders-us,payments,pub-1");
	/* create, alter, delete */
	expect(create_topic(&e, "bob", "orders-new"), EVL_EDENIED,
	    "bob may not create topic orders-new");
	expect(name_op(&e, "bob", EVLP_OP_DELETE_TOPIC, "orders-eu"),
	    EVL_EDENIED, "bob may not delete topic orders-eu");
	{
		evlp_topic_req m = { V("orders-eu"), 2, { 0 } };
		begin();
		evlp_topic_req_encode(w, &m);
		size_t         n = end();
		expect(as(&e, "bob", EVLP_OP_ALTER_TOPIC, buf, n), EVL_EDENIED,
		    "bob may not alter topic orders-eu");
	}
	allow(&e, "bob", EVLP_RES_TOPIC, "orders-*",
	    EVLP_ACL_CREATE | EVLP_ACL_DELETE);
	expect(create_topic(&e, "bob", "orders-new"), 0, NULL);
	expect(name_op(&e, "bob", EVLP_OP_DELETE_TOPIC, "orders-new"), 0, NULL);
	/* A superuser passes every check, rules or not. */
	expect(name_op(&e, "root", EVLP_OP_DELETE_TOPIC, "payments"), 0, NULL);
	/* Denials are counted by operation, and /metrics shows them; the
	 * create,delete added to bob's orders-* rule merged into it. */
	cr_assert_eq(evld_counter_get(e.tb.b->bm.denied[1]), 1); /* write */
	cr_assert_eq(evld_counter_get(e.tb.b->bm.denied[0]), 4); /* read */
	char  *text;
	size_t len;
	evl_assert_ok(evld_metrics_render(e.tb.b->metrics, &text, &len));
	cr_assert(strstr(text, "evlog_denied_total{op=\"write\"} 1\n") != NULL,
	    "%s", text);
	cr_assert(strstr(text, "evlog_denied_total{op=\"read\"} 4\n") != NULL,
	    "%s", text);
	cr_assert(strstr(text, "evlog_acl_rules 4\n") != NULL, "%s", text);
	evlp_free(text);
	env_stop(&e, false);
}

Test(broker_acl, group_matrix)
{
	struct env e;
	char       names[512];
	env_start(&e, NULL);
	expect(create_topic(&e, "admin", "t"), 0, NULL);
	expect(create_topic(&e, "admin", "hidden"), 0, NULL);
	/* groups exist once offsets are committed (outside membership) */
	expect(commit(&e, "admin", "g-1", "t"), 0, NULL);
	expect(commit(&e, "admin", "g-keep", "t"), 0, NULL);
	expect(commit(&e, "admin", "other", "t"), 0, NULL);

	allow(&e, "carol", EVLP_RES_GROUP, "g-*", EVLP_ACL_ALL);
	deny(&e, "carol", EVLP_RES_GROUP, "g-keep", EVLP_ACL_DELETE);
	allow(&e, "carol", EVLP_RES_TOPIC, "t", EVLP_ACL_READ);

	expect(fetch_offsets(&e, "carol", "g-1"), 0, NULL);
	expect(fetch_offsets(&e, "carol", "other"), EVL_EDENIED,
	    "carol may not read group other");
	expect(fetch_offsets(&e, "bob", "g-1"), EVL_EDENIED, NULL);
	/* a reset (commit outside membership) is alter */
	expect(commit(&e, "carol", "g-1", "t"), 0, NULL);
	allow(&e, "dave", EVLP_RES_GROUP, "g-1", EVLP_ACL_READ);
	expect(commit(&e, "dave", "g-1", "t"), EVL_EDENIED,
	    "dave may not alter group g-1");
	/* describe and list */
	expect(name_op(&e, "carol", EVLP_OP_DESCRIBE_GROUP, "g-1"), 0, NULL);
	expect(name_op(&e, "carol", EVLP_OP_DESCRIBE_GROUP, "other"),
	    EVL_EDENIED, "carol may not describe group other");
	group_names(as(&e, "carol", EVLP_OP_LIST_GROUPS, NULL, 0), names,
	    sizeof(names));
	cr_assert_str_eq(names, "g-1,g-keep");
	group_names(as(&e, "dave", EVLP_OP_LIST_GROUPS, NULL, 0), names,
	    sizeof(names));
	cr_assert_str_eq(names, "");
	/* delete: deny wins over the group glob's all */
	expect(name_op(&e, "carol", EVLP_OP_DELETE_GROUP, "g-keep"),
	    EVL_EDENIED, "carol may not delete group g-keep");
	expect(name_op(&e, "carol", EVLP_OP_DELETE_GROUP, "g-1"), 0, NULL);
	/* join: read on the group and on each topic named */
	expect(join(&e, "carol", "other", "t"), EVL_EDENIED,
	    "carol may not read group other");
	expect(join(&e, "carol", "g-2", "hidden"), EVL_EDENIED,
	    "carol may not read topic hidden");
	env_stop(&e, false);
}

Test(broker_acl, glob_subscriptions_skip_unreadable_topics)
{
	struct env         e;
	struct evld_member m;
	struct evld_gsub   sub = { EVLP_SUB_GLOB, "orders-*" };
	env_start(&e, NULL);
	allow(&e, "bob", EVLP_RES_TOPIC, "orders-*", EVLP_ACL_READ);
	deny(&e, "bob", EVLP_RES_TOPIC, "orders-secret", EVLP_ACL_READ);
	memset(&m, 0, sizeof(m));
	m.subs  = &sub;
	m.nsubs = 1;
	snprintf(m.user, sizeof(m.user), "bob");
	cr_assert(evld_member_subscribes(e.tb.b, &m, "orders-eu"));
	cr_assert_not(evld_member_subscribes(e.tb.b, &m, "orders-secret"));
	cr_assert_not(evld_member_subscribes(e.tb.b, &m, "payments"));
	snprintf(m.user, sizeof(m.user), "carol");
	cr_assert_not(evld_member_subscribes(e.tb.b, &m, "orders-eu"));
	env_stop(&e, false);
}

Test(broker_acl, denied_produce_appends_nothing)
{
	struct env e;
	env_start(&e, NULL);
	expect(create_topic(&e, "admin", "ledger"), 0, NULL);
	for (int i = 0; i < 3; i++)
		expect(produce(&e, "mallory", "ledger"), EVL_EDENIED, NULL);
	/* an allowed one behind them lands at offset 0: nothing before */
	allow(&e, "mallory", EVLP_RES_TOPIC, "ledger", EVLP_ACL_WRITE);
	expect(produce(&e, "mallory", "ledger"), 0, NULL);
	struct head_arg h = { &e, "ledger", 1 };
	cr_assert(evlt_wait_until(head_is, &h, 10000));
	/* a produce to a missing topic with --auto-create-topics off is
	 * denied before the store is asked: no topic appears */
	expect(produce(&e, "mallory", "ghost"), EVL_EDENIED, NULL);
	expect(name_op(&e, "admin", EVLP_OP_DESCRIBE_TOPIC, "ghost"),
	    EVL_ENOTOPIC, NULL);
	env_stop(&e, false);
}

Test(broker_acl, auto_create_needs_create)
{
	struct env e;
	env_start_with(&e, NULL, "--auto-create-topics");
	allow(&e, "bob", EVLP_RES_TOPIC, "auto-*", EVLP_ACL_WRITE);
	expect(produce(&e, "bob", "auto-1"), EVL_EDENIED,
	    "bob may not create topic auto-1");
	expect(name_op(&e, "admin", EVLP_OP_DESCRIBE_TOPIC, "auto-1"),
	    EVL_ENOTOPIC, NULL);
	allow(&e, "bob", EVLP_RES_TOPIC, "auto-*", EVLP_ACL_CREATE);
	expect(produce(&e, "bob", "auto-1"), 0, NULL);
	expect(name_op(&e, "admin", EVLP_OP_DESCRIBE_TOPIC, "auto-1"), 0, NULL);
	env_stop(&e, false);
}

Test(broker_acl, changing_rules_needs_alter_on_the_cluster)
{
	struct env e;
	env_start(&e, NULL);
	expect(acl_change(&e, "bob", true, "bob", EVLP_RES_TOPIC, "*",
	           EVLP_ACL_ALL, EVLP_ACL_ALLOW),
	    EVL_EDENIED, "bob may not alter the cluster");
	expect(as(&e, "bob", EVLP_OP_ACL_LIST, (uint8_t[]) { 0, 0, 0, 0, 0 },
	           5),
	    EVL_EDENIED, "bob may not describe the cluster");
	cr_assert_eq(evld_acl_count(e.tb.b->acl), 0);
	/* Whoever is allowed alter on the cluster may change them. */
	allow(&e, "ops", EVLP_RES_CLUSTER, "*", EVLP_ACL_ALTER);
	expect(acl_change(&e, "ops", true, "bob", EVLP_RES_TOPIC, "t",
	           EVLP_ACL_READ, EVLP_ACL_ALLOW),
	    0, NULL);
	cr_assert_eq(evld_acl_count(e.tb.b->acl), 2);
	cr_assert_eq(evld_gauge_get(e.tb.b->bm.acl_rules), 2);
	/* Bad rules: a clear EINVAL, nothing changed. */
	expect(acl_change(&e, "admin", true, "b b", EVLP_RES_TOPIC, "t",
	           EVLP_ACL_READ, EVLP_ACL_ALLOW),
	    EVL_EINVAL,
	    "malformed rule: the principal is * or a user name: 1..64 "
	    "bytes of [A-Za-z0-9._@-]");
	expect(acl_change(&e, "admin", true, "bob", EVLP_RES_CLUSTER, "prod",
	           EVLP_ACL_READ, EVLP_ACL_ALLOW),
	    EVL_EINVAL, "malformed rule: the cluster's pattern is *");
	expect(acl_change(&e, "admin", true, "bob", EVLP_RES_TOPIC, "t", 0,
	           EVLP_ACL_ALLOW),
	    EVL_EINVAL, NULL);
	/* Removing what is not there: ENOTFOUND. */
	expect(acl_change(&e, "admin", false, "bob", EVLP_RES_TOPIC, "t",
	           EVLP_ACL_WRITE, EVLP_ACL_ALLOW),
	    EVL_ENOTFOUND, NULL);
	expect(acl_change(&e, "admin", false, "bob", EVLP_RES_TOPIC, "t",
	           EVLP_ACL_READ, EVLP_ACL_DENY),
	    EVL_ENOTFOUND, NULL);
	cr_assert_eq(evld_acl_count(e.tb.b->acl), 2);
	env_stop(&e, false);
}

Test(broker_acl, changes_apply_to_the_next_request)
{
	struct env e;
	env_start(&e, NULL);
	expect(create_topic(&e, "admin", "t"), 0, NULL);
	expect(fetch(&e, "bob", "t"), EVL_EDENIED, NULL);
	allow(&e, "bob", EVLP_RES_TOPIC, "t", EVLP_ACL_READ);
	expect(fetch(&e, "bob", "t"), 0, NULL);
	deny(&e, "*", EVLP_RES_TOPIC, "*", EVLP_ACL_READ);
	expect(fetch(&e, "bob", "t"), EVL_EDENIED, NULL);
	expect(acl_change(&e, "admin", false, "*", EVLP_RES_TOPIC, "*",
	           EVLP_ACL_READ, EVLP_ACL_DENY),
	    0, NULL);
	expect(fetch(&e, "bob", "t"), 0, NULL);
	expect(acl_change(&e, "admin", false, "bob", EVLP_RES_TOPIC, "t",
	           EVLP_ACL_READ, EVLP_ACL_ALLOW),
	    0, NULL);
	expect(fetch(&e, "bob", "t"), EVL_EDENIED, NULL);
	env_stop(&e, false);
}

Test(broker_acl, rules_survive_a_restart)
{
	struct env    e;
	struct answer a;
	env_start(&e, NULL);
	expect(create_topic(&e, "admin", "t"), 0, NULL);
	allow(&e, "bob", EVLP_RES_TOPIC, "t", EVLP_ACL_READ | EVLP_ACL_WRITE);
	deny(&e, "bob", EVLP_RES_TOPIC, "t", EVLP_ACL_WRITE);
	evlt_broker_stop(&e.tb, false);

	env_start(&e, e.data);
	cr_assert_eq(evld_acl_count(e.tb.b->acl), 2);
	cr_assert_eq(evld_gauge_get(e.tb.b->bm.acl_rules), 2);
	expect(fetch(&e, "bob", "t"), 0, NULL);
	expect(produce(&e, "bob", "t"), EVL_EDENIED, NULL);
	/* ACL_LIST as a superuser: both rules, allow first */
	a = as(&e, "admin", EVLP_OP_ACL_LIST, (uint8_t[]) { 0, 3, 'b', 'o',
	    'b', 0, 0, 0 }, 8);
	cr_assert_eq(a.status, 0, "%s", a.msg);
	evlp_acl_list l;
	evlp_acl_rule r;
	evl_assert_ok(evlp_acl_list_decode(a.body, &l));
	cr_assert_eq(l.count, 2);
	cr_assert(evlp_acl_list_next(&l, &r));
	cr_assert_eq(r.effect, EVLP_ACL_ALLOW);
	cr_assert_eq(r.ops, EVLP_ACL_READ | EVLP_ACL_WRITE);
	cr_assert(evlp_acl_list_next(&l, &r));
	cr_assert_eq(r.effect, EVLP_ACL_DENY);
	answer_free(&a);
	env_stop(&e, false);
}

/* With authentication off nothing is checked: rules can be managed,
 * but even a deny-everything rule stops no one (today's behaviour). */
Test(broker_acl, auth_off_allows_everything)
{
	struct evlt_broker tb;
	nng_socket         s;
	uint64_t           base;
	cr_assert_eq(evlt_broker_start(&tb, NULL, NULL), 0);
	cr_assert_not(evld_broker_auth_on(tb.b));
	cr_assert_eq(evlt_req_open(&s, tb.url, 10000, NULL), 0);
	evlp_acl_rule m = { V("*"), EVLP_RES_TOPIC, V("*"), EVLP_ACL_ALL,
		EVLP_ACL_DENY };
	begin();
	evlp_acl_rule_encode(w, &m);
	size_t        n = end();
	evlt_resp     resp;
	evl_assert_ok(evlt_call(s, EVLP_OP_ACL_ADD, 1, buf, n, &resp));
	cr_assert_eq(resp.frame.status, 0);
	evlt_resp_free(&resp);
	evl_assert_ok(evlt_create_topic(s, "t", 1));
	evl_assert_ok(evlt_produce(s, "t", 0, EVLP_ACKS_WRITTEN, 1, 8, &base));
	cr_assert_eq(base, 0);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

/* A name that is no user name in --superusers stops the broker at
 * start, rather than leaving an admin out silently. */
Test(broker_acl, bad_superusers_refuse_to_start)
{
	struct evlt_broker tb;
	const char *args[] = { "--superusers", "admin,,root", NULL };
	cr_assert_eq(evlt_broker_start(&tb, NULL, args), EVL_EINVAL);
	const char *args2[] = { "--superusers", "ad min", NULL };
	cr_assert_eq(evlt_broker_start(&tb, NULL, args2), EVL_EINVAL);
}
