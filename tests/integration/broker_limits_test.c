/*
 * broker_limits_test.c -- protected mode and the limits from the
 * broker's side, on an in-process broker (so the metrics can be read
 * directly) and as an evlogd process (for the exit status): a
 * non-loopback listener without users fails to start, before
 * listening; --max-topics holds for auto-created topics, which the
 * client library cannot reach (it describes a topic before producing);
 * --max-connections closes the extra pipes and counts them; --http-token
 * guards the broker's /metrics (which shows those counts) but not
 * /healthz.  The limits
 * through libevlog are in client_limits_test.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "evl_test.h"
#include "harness.h"
#include "limit.h"
#include "ops.h"

#define TIMEOUT_MS 10000

TestSuite(broker_limits, .timeout = 120);

static uint64_t
hits(struct evlt_broker *tb, enum evld_limit l)
{
	return evld_counter_get(tb->b->bm.limit_hits[l]);
}

Test(broker_limits, protected_mode_in_process)
{
	struct evlt_broker tb;
	const char *const  wild[]   = { "--listen", "tcp://0.0.0.0:0", NULL };
	const char *const  v6[]     = { "--listen", "tcp://127.0.0.1:0",
		"--listen", "ws://[::]:0/evlog", NULL };
	const char *const  ok[]     = { "--listen", "tcp://0.0.0.0:0",
		"--insecure", NULL };
	const char *const  users[]  = { "--listen", "tcp://0.0.0.0:0",
		"--tls-client-user", "svc", NULL };

	evl_assert_err(evlt_broker_start(&tb, NULL, wild), EVL_EINVAL);
	evl_assert_err(evlt_broker_start(&tb, NULL, v6), EVL_EINVAL);
	evl_assert_ok(evlt_broker_start(&tb, NULL, ok));
	cr_assert(strstr(tb.url, "tcp://0.0.0.0:") == tb.url, "%s", tb.url);
	evlt_broker_stop(&tb, false);
	/* Users configured: allowed (who gets in is then part A's). */
	evl_assert_ok(evlt_broker_start(&tb, NULL, users));
	evlt_broker_stop(&tb, false);
}

/* Runs evlogd with args and its stderr into file; the exit status. */
static int
evlogd_run(const char *dir, const char *args, const char *file)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
	    "timeout 30 '%s' --data '%s/data' %s </dev/null >/dev/null "
	    "2>'%s'",
	    EVLT_EVLOGD, dir, args, file);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
slurp(const char *path, char *buf, size_t len)
{
	FILE  *f = fopen(path, "r");
	size_t n;
	cr_assert_not_null(f, "%s", path);
	n      = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

Test(broker_limits, protected_mode_refuses_to_start)
{
	char dir[256], file[300], out[4096];
	cr_assert_eq(evlt_tmpdir(dir, sizeof(dir)), 0);
	snprintf(file, sizeof(file), "%s/stderr", dir);

	cr_assert_eq(evlogd_run(dir,
	                 "--listen tcp://127.0.0.1:0 --listen tcp://0.0.0.0:0 "
	                 "--http off",
	                 file),
	    1);
	slurp(file, out, sizeof(out));
	cr_assert(strstr(out, "protected mode: refusing to listen on "
	                      "tcp://0.0.0.0:0") != NULL,
	    "%s", out);
	cr_assert(strstr(out, "--users FILE") != NULL, "%s", out);
	cr_assert(strstr(out, "--insecure (EVLOG_INSECURE=1)") != NULL, "%s",
	    out);
	/* Refused before anything listens (not even the loopback one). */
	cr_assert(strstr(out, "listening on") == NULL, "%s", out);

	/* The HTTP endpoint too. */
	cr_assert_eq(evlogd_run(dir,
	                 "--listen tcp://127.0.0.1:0 --http 0.0.0.0:0", file),
	    1);
	slurp(file, out, sizeof(out));
	cr_assert(strstr(out, "refusing to serve http on 0.0.0.0:0") != NULL,
	    "%s", out);
	cr_assert(strstr(out, "--http-token") != NULL, "%s", out);
	cr_assert(strstr(out, "listening on") == NULL, "%s", out);

	/* EVLOG_INSECURE=1 is the other way out: evlogd starts (and --help
	 * would not prove that, so it runs until timeout stops it). */
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
	    "EVLOG_INSECURE=1 timeout --preserve-status -s TERM 2 '%s' --data '%s/data' "
	    "--listen tcp://0.0.0.0:0 --http off </dev/null >/dev/null "
	    "2>'%s'",
	    EVLT_EVLOGD, dir, file);
	int st = system(cmd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "evlogd with EVLOG_INSECURE=1 exited %d", st);
	slurp(file, out, sizeof(out));
	cr_assert(strstr(out, "evlogd: listening on tcp://0.0.0.0:") != NULL,
	    "%s", out);
	evlt_rmrf(dir);
}

Test(broker_limits, auto_create_counts_against_max_topics)
{
	struct evlt_broker tb;
	const char *const  args[] = { "--auto-create-topics", "--max-topics",
		"2", NULL };
	uint8_t            batch[256], body[512];
	evlt_resp          r;
	char               msg[256];
	nng_socket         s;

	evl_assert_ok(evlt_broker_start(&tb, NULL, args));
	cr_assert_eq(evlt_req_open(&s, tb.url, TIMEOUT_MS, NULL), 0);
	cr_assert_eq(evlt_create_topic(s, "a", 1), 0);
	cr_assert_eq(evlt_produce(s, "b", 0, 1, 1, 10, NULL), 0);
	cr_assert_eq(hits(&tb, EVLD_LIMIT_TOPICS), 0);

	size_t blen = evlt_batch(batch, sizeof(batch), 1, 10);
	size_t len  = evlt_produce_body(body, sizeof(body), "c", 0, 1, batch,
	     blen);
	cr_assert_eq(evlt_call(s, EVLP_OP_PRODUCE, 7, body, len, &r), 0);
	cr_assert_eq(r.frame.status, EVL_ELIMIT);
	cr_assert_str_eq(evlt_errmsg(&r, msg, sizeof(msg)),
	    "topic limit reached (--max-topics 2)");
	evlt_resp_free(&r);
	cr_assert_eq(hits(&tb, EVLD_LIMIT_TOPICS), 1);
	cr_assert_eq(evlt_create_topic(s, "d", 1), EVL_ELIMIT);
	cr_assert_eq(hits(&tb, EVLD_LIMIT_TOPICS), 2);
	/* Producing to existing topics goes on. */
	cr_assert_eq(evlt_produce(s, "b", 0, 1, 1, 10, NULL), 0);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

struct conn_wait {
	struct evlt_broker *tb;
	uint64_t            hits;
	int64_t             open;
};

static bool
refused_and_open(void *arg)
{
	struct conn_wait *w = arg;
	return hits(w->tb, EVLD_LIMIT_CONNECTIONS) >= w->hits &&
	    evld_gauge_get(w->tb->b->bm.connections) == w->open;
}

Test(broker_limits, max_connections)
{
	struct evlt_broker tb;
	const char *const  args[] = { "--max-connections", "1", NULL };
	nng_socket         s1, s2;

	evl_assert_ok(evlt_broker_start(&tb, NULL, args));
	cr_assert_eq(evlt_req_open(&s1, tb.url, TIMEOUT_MS, NULL), 0);
	struct conn_wait w = { &tb, 0, 1 };
	cr_assert(evlt_wait_until(refused_and_open, &w, TIMEOUT_MS));

	/* The second dial completes its handshake and is closed at once
	 * (and re-dials in the background, refused each time). */
	(void) evlt_req_open(&s2, tb.url, 2000, NULL);
	w.hits = 1;
	cr_assert(evlt_wait_until(refused_and_open, &w, TIMEOUT_MS),
	    "refused %llu, open %lld",
	    (unsigned long long) hits(&tb, EVLD_LIMIT_CONNECTIONS),
	    (long long) evld_gauge_get(tb.b->bm.connections));
	cr_assert_eq(evlt_create_topic(s1, "one", 1), 0);

	/* The first goes: the second's next re-dial gets in.  The broker
	 * sees s1 go a little later than we close it, so a re-dial may
	 * still be refused meanwhile, and a request sent on it comes back
	 * as a reset connection (-1 here): send again until one lands. */
	nng_close(s1);
	uint64_t deadline = evlt_now_ms() + TIMEOUT_MS;
	int      st;
	while ((st = evlt_create_topic(s2, "two", 1)) == -1 &&
	    evlt_now_ms() < deadline)
		;
	cr_assert_eq(st, 0);
	cr_assert_eq(evld_gauge_get(tb.b->bm.connections), 1);
	nng_close(s2);
	evlt_broker_stop(&tb, false);
}

/*
 * A client that waits for each answer before it asks again has one
 * request outstanding at most: --max-outstanding 1 must never refuse it,
 * however soon after an answer its next request comes.
 */
Test(broker_limits, one_request_at_a_time_fits_max_outstanding_1)
{
	struct evlt_broker tb;
	const char *const  args[] = { "--max-outstanding", "1", NULL };
	nng_socket         s;
	evlt_resp          r;

	evl_assert_ok(evlt_broker_start(&tb, NULL, args));
	cr_assert_eq(evlt_req_open(&s, tb.url, TIMEOUT_MS, NULL), 0);
	for (uint32_t i = 0; i < 3000; i++) {
		cr_assert_eq(evlt_call(s, EVLP_OP_PING, i, NULL, 0, &r), 0);
		cr_assert_eq(r.frame.status, 0, "request %u: %s", (unsigned) i,
		    evl_errname(r.frame.status));
		evlt_resp_free(&r);
	}
	nng_close(s);
	evlt_broker_stop(&tb, false);
}

/* GET path on the broker's HTTP endpoint; the status, body into buf. */
static uint16_t
http_get(const char *hostport, const char *path, const char *auth,
    char *buf, size_t len)
{
	char             text[300];
	nng_url         *url;
	nng_http_client *cli;
	nng_http_req    *req;
	nng_http_res    *res;
	nng_aio         *aio;
	void            *data;
	size_t           n;
	uint16_t         status = 0;

	snprintf(text, sizeof(text), "http://%s%s", hostport, path);
	cr_assert_eq(nng_url_parse(&url, text), 0);
	cr_assert_eq(nng_http_client_alloc(&cli, url), 0);
	cr_assert_eq(nng_http_req_alloc(&req, url), 0);
	if (auth != NULL)
		cr_assert_eq(
		    nng_http_req_set_header(req, "Authorization", auth), 0);
	cr_assert_eq(nng_http_res_alloc(&res), 0);
	cr_assert_eq(nng_aio_alloc(&aio, NULL, NULL), 0);
	nng_aio_set_timeout(aio, 5000);
	nng_http_client_transact(cli, req, res, aio);
	nng_aio_wait(aio);
	buf[0] = '\0';
	if (nng_aio_result(aio) == 0) {
		status = nng_http_res_get_status(res);
		nng_http_res_get_data(res, &data, &n);
		n = n < len - 1 ? n : len - 1;
		memcpy(buf, data, n);
		buf[n] = '\0';
	}
	nng_aio_free(aio);
	nng_http_res_free(res);
	nng_http_req_free(req);
	nng_http_client_free(cli);
	nng_url_free(url);
	return status;
}

Test(broker_limits, metrics_behind_the_token)
{
	struct evlt_broker tb;
	const char *const  args[] = { "--http", "127.0.0.1:0", "--http-token",
		 "t0ken", "--max-topics", "1", NULL };
	static char        body[1 << 16];
	nng_socket         s;

	evl_assert_ok(evlt_broker_start(&tb, NULL, args));
	const char *addr = evld_broker_http_addr(tb.b);
	cr_assert_not_null(addr);
	cr_assert_eq(evlt_req_open(&s, tb.url, TIMEOUT_MS, NULL), 0);
	cr_assert_eq(evlt_create_topic(s, "a", 1), 0);
	cr_assert_eq(evlt_create_topic(s, "b", 1), EVL_ELIMIT);

	cr_assert_eq(http_get(addr, "/metrics", NULL, body, sizeof(body)), 401);
	cr_assert(strstr(body, "evlog_") == NULL, "%s", body);
	cr_assert_eq(http_get(addr, "/metrics", "Bearer nope", body,
	                 sizeof(body)),
	    401);
	cr_assert_eq(http_get(addr, "/healthz", NULL, body, sizeof(body)), 200);
	cr_assert_eq(http_get(addr, "/metrics", "Bearer t0ken", body,
	                 sizeof(body)),
	    200);
	cr_assert(strstr(body, "evlog_limit_hits_total{limit=\"topics\"} 1\n") !=
	        NULL,
	    "%s", body);
	cr_assert(strstr(body, "evlog_connections 1\n") != NULL, "%s", body);
	nng_close(s);
	evlt_broker_stop(&tb, false);
}
