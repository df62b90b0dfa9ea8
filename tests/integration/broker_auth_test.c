/*
 * broker_auth_test.c -- authentication on the wire (PROTOCOL.md §9): an
 * in-process broker with a users file, spoken to with raw frames and the
 * SCRAM library (scram.h), so these tests pin what the broker answers;
 * plus the client library's "one login for many threads" after a
 * reconnect, counted by the broker itself.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <evlog/evlog.h>
#include <nng/nng.h>

#include "alloc.h"
#include "evl_test.h"
#include "harness.h"
#include "msg.h"
#include "ops.h"
#include "scram.h"
#include "users.h"

#define TIMEOUT_MS 10000

TestSuite(broker_auth, .timeout = 120);

struct fixture {
	char               dir[256];
	char               users[300];
	struct evlt_broker tb;
};

/* A broker whose users are alice (pencil) and bob (hunter2). */
static void
start(struct fixture *f)
{
	char err[256];
	cr_assert_eq(evlt_tmpdir(f->dir, sizeof(f->dir)), 0);
	snprintf(f->users, sizeof(f->users), "%s/users", f->dir);
	evl_assert_ok(evld_users_passwd(
	    f->users, "alice", "pencil", 6, 4096, err, sizeof(err)));
	evl_assert_ok(evld_users_passwd(
	    f->users, "bob", "hunter2", 7, 4096, err, sizeof(err)));
	/* Superusers: with users on, what no ACL allows is denied
	 * (docs/SECURITY.md); these tests are about logging in. */
	const char *args[] = { "--users", f->users, "--superusers",
		"alice,bob", NULL };
	evl_assert_ok(evlt_broker_start(&f->tb, NULL, args));
}

static void
stop(struct fixture *f)
{
	evlt_broker_stop(&f->tb, false);
	evlt_rmrf(f->dir);
}

static nng_socket
raw(const char *url)
{
	nng_socket s;
	int        rv = evlt_req_open(&s, url, TIMEOUT_MS, NULL);
	cr_assert_eq(rv, 0, "dial %s: %s", url, nng_strerror(rv));
	return s;
}

/* Sends an AUTH_START (mech, data) or AUTH_FINISH (data) body. */
static void
auth_call(nng_socket s, uint8_t op, const char *mech, const void *data,
    size_t len, evlt_resp *out)
{
	uint8_t       buf[2048];
	evlp_wr       w;
	evlp_auth_msg m = { { (const uint8_t *) mech, mech ? strlen(mech) : 0 },
		{ data, len } };
	evlp_wr_init(&w, buf, sizeof(buf));
	if (op == EVLP_OP_AUTH_START)
		evlp_auth_start_encode(&w, &m);
	else
		evlp_auth_data_encode(&w, &m);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(evlt_call(s, op, 7, buf, w.len, out), 0);
}

/* The SCRAM message in a successful AUTH_* answer. */
static evlp_view
auth_data(const evlt_resp *r)
{
	evlp_auth_msg m;
	char          msg[256];
	cr_assert_eq(r->frame.status, 0, "%s: %s",
	    evl_errname(r->frame.status), evlt_errmsg(r, msg, sizeof(msg)));
	evl_assert_ok(evlp_auth_data_decode(r->body, &m));
	return m.data;
}

/* A whole login on s; the AUTH_FINISH status.  The server-first message
 * is copied into sfirst when not NULL. */
static int
login(nng_socket s, const char *user, const char *pw, char *sfirst,
    size_t cap, char *errmsg, size_t errlen)
{
	evlp_scram_client c;
	char              m[EVLP_SCRAM_MSG_MAX];
	size_t            n;
	evlt_resp         r;
	evl_assert_ok(evlp_scram_client_first(&c, user, NULL, m, sizeof(m), &n));
	auth_call(s, EVLP_OP_AUTH_START, EVLP_SCRAM_MECH, m, n, &r);
	evlp_view sf = auth_data(&r);
	if (sfirst != NULL)
		snprintf(sfirst, cap, "%.*s", (int) sf.len, (const char *) sf.p);
	evl_assert_ok(evlp_scram_client_final(&c, pw, strlen(pw), sf.p, sf.len,
	    m, sizeof(m), &n));
	evlt_resp_free(&r);
	auth_call(s, EVLP_OP_AUTH_FINISH, NULL, m, n, &r);
	int st = r.frame.status;
	if (errmsg != NULL)
		evlt_errmsg(&r, errmsg, errlen);
	if (st == 0) {
		evlp_view sv = auth_data(&r);
		evl_assert_ok(evlp_scram_client_verify(&c, sv.p, sv.len));
	}
	evlt_resp_free(&r);
	return st;
}

Test(broker_auth, unauthenticated_requests_are_refused)
{
	struct fixture f;
	evlt_resp      r;
	char           msg[256];
	start(&f);
	nng_socket s = raw(f.tb.url);
	/* PING is allowed before a login... */
	cr_assert_eq(evlt_call(s, EVLP_OP_PING, 1, NULL, 0, &r), 0);
	cr_assert_eq(r.frame.status, 0);
	evlt_resp_free(&r);
	/* ...nothing else is, and a refused create changes nothing. */
	cr_assert_eq(evlt_create_topic(s, "t", 1), EVL_EAUTHREQUIRED);
	cr_assert_eq(evlt_produce(s, "t", 0, 1, 1, 8, NULL), EVL_EAUTHREQUIRED);
	cr_assert_eq(evlt_head(s, "t", 0), -1);
	cr_assert_eq(evlt_call(s, EVLP_OP_LIST_TOPICS, 2, NULL, 0, &r), 0);
	cr_assert_eq(r.frame.status, EVL_EAUTHREQUIRED);
	cr_assert(strstr(evlt_errmsg(&r, msg, sizeof(msg)), "AUTH_START"));
	evlt_resp_free(&r);

	cr_assert_eq(login(s, "alice", "pencil", NULL, 0, NULL, 0), 0);
	/* The refused create left no topic behind. */
	cr_assert_eq(evlt_create_topic(s, "t", 1), 0);
	cr_assert_eq(evlt_produce(s, "t", 0, 1, 1, 8, NULL), 0);
	cr_assert_eq(evld_counter_get(f.tb.b->bm.auth_ok), 1);
	cr_assert_eq(evld_counter_get(f.tb.b->bm.auth_failed), 0);
	/* As /metrics shows them. */
	char  *text;
	size_t len;
	evl_assert_ok(evld_metrics_render(f.tb.b->metrics, &text, &len));
	cr_assert(strstr(text, "evlog_auth_total{result=\"ok\"} 1\n") != NULL,
	    "%s", text);
	cr_assert(strstr(text, "evlog_auth_total{result=\"failed\"} 0\n") !=
	    NULL);
	evlp_free(text);

	/* Another connection is not logged in by this one. */
	nng_socket s2 = raw(f.tb.url);
	cr_assert_eq(evlt_head(s2, "t", 0), -1);
	nng_close(s2);
	nng_close(s);
	stop(&f);
}

Test(broker_auth, unknown_user_looks_like_a_wrong_password)
{
	struct fixture f;
	char           sf1[512], sf2[512], sf3[512], m1[256], m2[256];
	start(&f);
	nng_socket s = raw(f.tb.url);
	cr_assert_eq(login(s, "mallory", "x", sf1, sizeof(sf1), m1, sizeof(m1)),
	    EVL_EAUTH);
	cr_assert_eq(login(s, "mallory", "x", sf2, sizeof(sf2), m2, sizeof(m2)),
	    EVL_EAUTH);
	/* A salt and the default count, the same at each attempt. */
	const char *s1 = strstr(sf1, ",s="), *s2 = strstr(sf2, ",s=");
	cr_assert(s1 && s2);
	cr_assert_str_eq(s1, s2);
	cr_assert(strstr(sf1, ",i=4096") != NULL, "%s", sf1);
	/* The same message as a wrong password. */
	cr_assert_eq(login(s, "alice", "wrong", sf3, sizeof(sf3), m2, sizeof(m2)),
	    EVL_EAUTH);
	cr_assert_str_eq(m1, m2);
	cr_assert_str_neq(strstr(sf3, ",s="), s1);
	cr_assert_eq(evld_counter_get(f.tb.b->bm.auth_failed), 3);
	cr_assert_eq(evld_counter_get(f.tb.b->bm.auth_ok), 0);
	nng_close(s);
	stop(&f);
}

Test(broker_auth, exchange_errors)
{
	struct fixture    f;
	evlt_resp         r;
	evlp_scram_client c;
	char              m[EVLP_SCRAM_MSG_MAX];
	size_t            n;
	start(&f);
	nng_socket s = raw(f.tb.url);
	/* AUTH_FINISH with no AUTH_START. */
	auth_call(s, EVLP_OP_AUTH_FINISH, NULL, "c=biws,r=x,p=AAAA", 17, &r);
	cr_assert_eq(r.frame.status, EVL_EAUTH);
	evlt_resp_free(&r);
	/* Another mechanism. */
	auth_call(s, EVLP_OP_AUTH_START, "PLAIN", "\0alice\0pencil", 13, &r);
	cr_assert_eq(r.frame.status, EVL_ENOTSUP);
	evlt_resp_free(&r);
	/* Garbage, and channel binding. */
	auth_call(s, EVLP_OP_AUTH_START, EVLP_SCRAM_MECH, "hello", 5, &r);
	cr_assert_eq(r.frame.status, EVL_EPROTO);
	evlt_resp_free(&r);
	auth_call(s, EVLP_OP_AUTH_START, EVLP_SCRAM_MECH,
	    "p=tls-unique,,n=alice,r=abc", 27, &r);
	cr_assert_eq(r.frame.status, EVL_ENOTSUP);
	evlt_resp_free(&r);
	/* A malformed body. */
	cr_assert_eq(evlt_call(s, EVLP_OP_AUTH_START, 9, "\x00", 1, &r), 0);
	cr_assert_eq(r.frame.status, EVL_EPROTO);
	evlt_resp_free(&r);

	/* One proof per AUTH_START: a replayed AUTH_FINISH fails. */
	evl_assert_ok(evlp_scram_client_first(&c, "bob", NULL, m, sizeof(m), &n));
	auth_call(s, EVLP_OP_AUTH_START, EVLP_SCRAM_MECH, m, n, &r);
	evlp_view sf = auth_data(&r);
	evl_assert_ok(evlp_scram_client_final(
	    &c, "hunter2", 7, sf.p, sf.len, m, sizeof(m), &n));
	evlt_resp_free(&r);
	auth_call(s, EVLP_OP_AUTH_FINISH, NULL, m, n, &r);
	cr_assert_eq(r.frame.status, 0);
	evlt_resp_free(&r);
	auth_call(s, EVLP_OP_AUTH_FINISH, NULL, m, n, &r);
	cr_assert_eq(r.frame.status, EVL_EAUTH);
	evlt_resp_free(&r);
	/* Still logged in as bob. */
	cr_assert_eq(evlt_create_topic(s, "t", 1), 0);
	nng_close(s);
	stop(&f);
}

Test(broker_auth, off_without_users)
{
	struct evlt_broker tb;
	evlt_resp          r;
	evl_assert_ok(evlt_broker_start(&tb, NULL, NULL));
	nng_socket s = raw(tb.url);
	cr_assert_eq(evlt_create_topic(s, "t", 1), 0);
	auth_call(s, EVLP_OP_AUTH_START, EVLP_SCRAM_MECH, "n,,n=a,r=b", 10, &r);
	cr_assert_eq(r.frame.status, EVL_ENOTSUP);
	evlt_resp_free(&r);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

Test(broker_auth, lockout_after_five_failures)
{
	struct fixture f;
	evlt_resp      r;
	start(&f);
	nng_socket s = raw(f.tb.url);
	for (int i = 0; i < EVLD_AUTH_FAIL_MAX; i++)
		cr_assert_eq(login(s, "alice", "wrong", NULL, 0, NULL, 0),
		    EVL_EAUTH);
	auth_call(s, EVLP_OP_AUTH_START, EVLP_SCRAM_MECH, "n,,n=alice,r=abc",
	    16, &r);
	cr_assert_eq(r.frame.status, EVL_ETHROTTLED);
	evlp_error_body eb;
	evl_assert_ok(evlp_error_body_decode(r.body, &eb));
	cr_assert(eb.detail > 0 && eb.detail <= EVLD_AUTH_LOCKOUT_MIN_MS,
	    "detail %lld", (long long) eb.detail);
	evlt_resp_free(&r);
	nng_close(s);
	stop(&f);
}

/* ---- many threads, one login after a reconnect --------------------------- */

struct creator {
	evl_client *c;
	char        topic[16];
	int         rv;
};

static void *
creator_main(void *arg)
{
	struct creator *k = arg;
	k->rv = evl_topic_create(k->c, k->topic, NULL);
	return NULL;
}

Test(broker_auth, ten_threads_one_login_after_reconnect)
{
	struct fixture  f;
	evl_client     *c;
	evl_client_opts o;
	char            url[256];
	start(&f);
	snprintf(url, sizeof(url), "%s", f.tb.url);
	evl_client_opts_init(&o);
	o.url      = url;
	o.user     = "alice";
	o.password = "pencil";
	evl_assert_ok(evl_client_open(&c, &o));
	cr_assert_eq(evld_counter_get(f.tb.b->bm.auth_ok), 1);

	/* The broker goes away.  Ten creates (not idempotent) are made
	 * while it is down: they wait in the client for a connection, and
	 * go out the moment the new broker accepts it -- before the login,
	 * which starts only once the connection is up. */
	evlt_broker_stop(&f.tb, false);
	struct creator k[10];
	pthread_t      th[10];
	for (int i = 0; i < 10; i++) {
		k[i].c = c;
		snprintf(k[i].topic, sizeof(k[i].topic), "t%d", i);
		pthread_create(&th[i], NULL, creator_main, &k[i]);
	}
	const char *args[] = { "--listen", url, "--users", f.users,
		"--superusers", "alice,bob", NULL };
	evl_assert_ok(evlt_broker_start(&f.tb, NULL, args));
	for (int i = 0; i < 10; i++) {
		pthread_join(th[i], NULL);
		evl_assert_ok(k[i].rv);
	}
	/* Refused unauthenticated, re-sent after one login, done once. */
	char  *text;
	size_t len;
	evl_assert_ok(evld_metrics_render(f.tb.b->metrics, &text, &len));
	cr_assert(strstr(text, "evlog_request_errors_total{op=\"create_topic\","
	                       "error=\"EVL_EAUTHREQUIRED\"}") != NULL,
	    "no create was refused: %s", text);
	evlp_free(text);
	cr_assert_eq(evld_counter_get(f.tb.b->bm.auth_ok), 1);
	cr_assert_eq(evld_counter_get(f.tb.b->bm.auth_failed), 0);
	evl_topic_info *t;
	size_t          n;
	evl_assert_ok(evl_topic_list(c, &t, &n));
	cr_assert_eq(n, 10);
	evl_topic_info_free(t, n);
	evl_client_close(c);
	stop(&f);
}
