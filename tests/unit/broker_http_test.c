/*
 * evld_http: /healthz and /metrics over real TCP on 127.0.0.1:0, checked
 * with NNG's HTTP client and, for the exact header bytes, a raw socket;
 * 404/405 for everything else; bind errors; stopping while clients are
 * busy (the registry is freed right after stop, so ASan catches any late
 * use of it).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "evl_test.h"
#include "http.h"
#include "metrics.h"

struct reply {
	int      rv; /* NNG result of the transaction */
	uint16_t status;
	char     type[128];
	char     www_auth[128]; /* WWW-Authenticate */
	char     body[8192];
	size_t   len;
};

/* One HTTP/1.1 request with NNG's client, 5 s at most; auth, when not
 * NULL, is sent as the Authorization header. */
static void
request_auth(uint16_t port, const char *method, const char *path,
    const char *auth, struct reply *r)
{
	char             text[128];
	nng_url         *url;
	nng_http_client *cli;
	nng_http_req    *req;
	nng_http_res    *res;
	nng_aio         *aio;
	void            *data;
	size_t           len;
	const char      *type;

	memset(r, 0, sizeof(*r));
	snprintf(text, sizeof(text), "http://127.0.0.1:%u%s", (unsigned) port,
	    path);
	cr_assert_eq(nng_url_parse(&url, text), 0);
	cr_assert_eq(nng_http_client_alloc(&cli, url), 0);
	cr_assert_eq(nng_http_req_alloc(&req, url), 0);
	cr_assert_eq(nng_http_req_set_method(req, method), 0);
	if (auth != NULL)
		cr_assert_eq(
		    nng_http_req_set_header(req, "Authorization", auth), 0);
	cr_assert_eq(nng_http_res_alloc(&res), 0);
	cr_assert_eq(nng_aio_alloc(&aio, NULL, NULL), 0);
	nng_aio_set_timeout(aio, 5000);
	nng_http_client_transact(cli, req, res, aio);
	nng_aio_wait(aio);
	if ((r->rv = nng_aio_result(aio)) == 0) {
		r->status = nng_http_res_get_status(res);
		if ((type = nng_http_res_get_header(res, "Content-Type")) !=
		    NULL)
			snprintf(r->type, sizeof(r->type), "%s", type);
		if ((type = nng_http_res_get_header(res, "WWW-Authenticate")) !=
		    NULL)
			snprintf(r->www_auth, sizeof(r->www_auth), "%s", type);
		nng_http_res_get_data(res, &data, &len);
		cr_assert_lt(len, sizeof(r->body));
		memcpy(r->body, data, len);
		r->len = len;
	}
	nng_aio_free(aio);
	nng_http_res_free(res);
	nng_http_req_free(req);
	nng_http_client_free(cli);
	nng_url_free(url);
}

static void
request(uint16_t port, const char *method, const char *path, struct reply *r)
{
	request_auth(port, method, path, NULL, r);
}

static evld_metrics *metrics;
static evld_counter *hits;

static void
setup(void)
{
	const char *labels[] = { "op", "produce", NULL };
	evl_assert_ok(evld_metrics_alloc(&metrics));
	evl_assert_ok(evld_metrics_counter(metrics, &hits,
	    "evlog_requests_total", "Requests.", labels));
	evld_counter_add(hits, 7);
}

static void
teardown(void)
{
	evld_metrics_free(metrics);
}

TestSuite(http, .init = setup, .fini = teardown);

Test(http, serves_healthz_and_metrics)
{
	evld_http   *h;
	struct reply r;
	char         addr[64];
	char         want[64];
	char         err[128];

	evl_assert_ok(evld_http_start(&h, "127.0.0.1:0", metrics, NULL, NULL, NULL,
	    err, sizeof(err)));
	cr_assert_neq(evld_http_port(h), 0);
	evl_assert_ok(evld_http_addr(h, addr, sizeof(addr)));
	snprintf(want, sizeof(want), "127.0.0.1:%u",
	    (unsigned) evld_http_port(h));
	cr_assert_str_eq(addr, want);

	request(evld_http_port(h), "GET", "/healthz", &r);
	cr_assert_eq(r.rv, 0, "%s", nng_strerror(r.rv));
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.len, 3);
	cr_assert_eq(memcmp(r.body, "ok\n", 3), 0);

	request(evld_http_port(h), "GET", "/metrics", &r);
	cr_assert_eq(r.rv, 0);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(strncmp(r.type, "text/plain; version=0.0.4", 25), 0,
	    "Content-Type: %s", r.type);
	r.body[r.len] = '\0';
	cr_assert(strstr(r.body,
	              "# TYPE evlog_requests_total counter\n"
	              "evlog_requests_total{op=\"produce\"} 7\n") != NULL,
	    "%s", r.body);

	/* The body is rendered per request. */
	evld_counter_inc(hits);
	request(evld_http_port(h), "GET", "/metrics?x=1", &r);
	r.body[r.len] = '\0';
	cr_assert(strstr(r.body, "{op=\"produce\"} 8\n") != NULL);

	static const char *const missing[] = { "/", "/nope", "/metrics/x",
		"/healthzz", "/health" };
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		request(evld_http_port(h), "GET", missing[i], &r);
		cr_assert_eq(r.rv, 0);
		cr_assert_eq(r.status, 404, "%s: %u", missing[i], r.status);
	}
	request(evld_http_port(h), "POST", "/metrics", &r);
	cr_assert_eq(r.rv, 0);
	cr_assert_eq(r.status, 405);

	uint16_t port = evld_http_port(h);
	evld_http_stop(h);
	/* Nothing listens any more. */
	request(port, "GET", "/healthz", &r);
	cr_assert_neq(r.rv, 0);
}

static bool
flag_health(void *arg)
{
	return atomic_load((atomic_bool *) arg);
}

Test(http, healthz_follows_the_health_callback)
{
	atomic_bool  serving = false;
	evld_http   *h;
	struct reply r;

	evl_assert_ok(evld_http_start(&h, "127.0.0.1:0", metrics, flag_health,
	    &serving, NULL, NULL, 0));
	request(evld_http_port(h), "GET", "/healthz", &r);
	cr_assert_eq(r.rv, 0);
	cr_assert_eq(r.status, 503);
	cr_assert_eq(r.len, strlen("unavailable\n"));
	atomic_store(&serving, true);
	request(evld_http_port(h), "GET", "/healthz", &r);
	cr_assert_eq(r.status, 200);
	atomic_store(&serving, false);
	request(evld_http_port(h), "GET", "/healthz", &r);
	cr_assert_eq(r.status, 503);
	/* /metrics is served either way: scrape a draining broker too. */
	request(evld_http_port(h), "GET", "/metrics", &r);
	cr_assert_eq(r.status, 200);
	evld_http_stop(h);
}

/* Reads a whole HTTP/1.0 exchange over a plain socket. */
static size_t
raw_exchange(uint16_t port, const char *req, char *buf, size_t cap)
{
	struct sockaddr_in sa = { 0 };
	size_t             len = 0;
	ssize_t            n;
	int                fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert(fd >= 0);
	sa.sin_family      = AF_INET;
	sa.sin_port        = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t) strlen(req));
	/* HTTP/1.0: the server closes when done, which ends the loop. */
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t) n;
	buf[len] = '\0';
	close(fd);
	return len;
}

Test(http, exact_headers_on_the_wire)
{
	evld_http *h;
	char       buf[8192];

	evl_assert_ok(evld_http_start(&h, "127.0.0.1:0", metrics, NULL, NULL, NULL,
	    NULL, 0));
	raw_exchange(evld_http_port(h), "GET /metrics HTTP/1.0\r\n\r\n", buf,
	    sizeof(buf));
	cr_assert_eq(strncmp(buf, "HTTP/1.1 200 ", 13), 0, "%s", buf);
	cr_assert(strstr(buf,
	              "\r\nContent-Type: text/plain; version=0.0.4") != NULL,
	    "%s", buf);
	char *body = strstr(buf, "\r\n\r\n");
	cr_assert_not_null(body);
	cr_assert_eq(strncmp(body + 4, "# HELP evlog_requests_total ", 28), 0);

	raw_exchange(evld_http_port(h), "HEAD /healthz HTTP/1.0\r\n\r\n", buf,
	    sizeof(buf));
	cr_assert_eq(strncmp(buf, "HTTP/1.1 200 ", 13), 0, "%s", buf);
	cr_assert(strstr(buf, "Content-Length: 3\r\n") != NULL, "%s", buf);
	body = strstr(buf, "\r\n\r\n");
	cr_assert_str_eq(body + 4, "", "HEAD has no body");

	raw_exchange(evld_http_port(h), "GET /x HTTP/1.0\r\n\r\n", buf,
	    sizeof(buf));
	cr_assert_eq(strncmp(buf, "HTTP/1.1 404 ", 13), 0, "%s", buf);
	evld_http_stop(h);
}

Test(http, bad_addresses)
{
	evld_http *h = (evld_http *) &h;
	char       err[128];

	static const char *const bad[] = { "127.0.0.1", "127.0.0.1:", ":0",
		"127.0.0.1:x", "127.0.0.1:70000", "::1:0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		evl_assert_err(evld_http_start(&h, bad[i], metrics, NULL, NULL, NULL,
		                   err, sizeof(err)),
		    EVL_EINVAL);
		cr_assert(strstr(err, bad[i]) != NULL, "%s", err);
	}
	cr_assert_eq(h, (evld_http *) &h, "out-parameter written on failure");

	/* A port someone else holds. */
	struct sockaddr_in sa  = { 0 };
	socklen_t          len = sizeof(sa);
	int                fd  = socket(AF_INET, SOCK_STREAM, 0);
	char               hp[32];
	sa.sin_family          = AF_INET;
	sa.sin_addr.s_addr     = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", (unsigned) ntohs(sa.sin_port));
	evl_assert_err(evld_http_start(&h, hp, metrics, NULL, NULL, NULL, err,
	                   sizeof(err)),
	    EVL_EINVAL);
	cr_assert(strstr(err, hp) != NULL, "%s", err);
	close(fd);

	/* An address that is not ours. */
	evl_assert_err(evld_http_start(&h, "192.0.2.1:0", metrics, NULL, NULL, NULL,
	                   err, sizeof(err)),
	    EVL_EINVAL);
	evld_http_stop(NULL);
}

Test(http, two_endpoints_and_small_addr_buffer)
{
	evld_http *a, *b;
	char       small[4];

	evl_assert_ok(evld_http_start(&a, "127.0.0.1:0", metrics, NULL, NULL, NULL,
	    NULL, 0));
	evl_assert_ok(evld_http_start(&b, "127.0.0.1:0", metrics, NULL, NULL, NULL,
	    NULL, 0));
	cr_assert_neq(evld_http_port(a), evld_http_port(b));
	evl_assert_err(evld_http_addr(a, small, sizeof(small)), EVL_ETOOBIG);
	evld_http_stop(a);
	struct reply r;
	request(evld_http_port(b), "GET", "/healthz", &r);
	cr_assert_eq(r.status, 200);
	evld_http_stop(b);
}

#define CLIENTS 4

struct load {
	uint16_t        port;
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	int             ok; /* 200s received, all clients */
	int             unavailable;
};

/* Scrapes until the endpoint goes away. */
static void *
client(void *arg)
{
	struct load *l = arg;
	struct reply r;

	for (;;) {
		request(l->port, "GET", (l->ok & 1) ? "/metrics" : "/healthz",
		    &r);
		if (r.rv != 0)
			return NULL;
		pthread_mutex_lock(&l->mtx);
		if (r.status == 200)
			l->ok++;
		else if (r.status == 503)
			l->unavailable++;
		else
			cr_assert_fail("status %u", r.status);
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mtx);
	}
}

Test(http, stop_under_load_then_free_the_registry)
{
	struct load l = { .mtx = PTHREAD_MUTEX_INITIALIZER,
		.cv            = PTHREAD_COND_INITIALIZER };
	pthread_t   t[CLIENTS];
	evld_http  *h;

	evl_assert_ok(evld_http_start(&h, "127.0.0.1:0", metrics, NULL, NULL, NULL,
	    NULL, 0));
	l.port = evld_http_port(h);
	for (int i = 0; i < CLIENTS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, client, &l), 0);
	pthread_mutex_lock(&l.mtx);
	while (l.ok < 50)
		pthread_cond_wait(&l.cv, &l.mtx);
	pthread_mutex_unlock(&l.mtx);

	evld_http_stop(h);
	/* The promise under test: after stop, the registry is ours. */
	evld_metrics_free(metrics);
	metrics = NULL;
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(t[i], NULL);
	cr_assert_geq(l.ok, 50);
}

/*
 * A collector that holds a /metrics request inside the registry until
 * released, to check that evld_http_stop waits for it.
 */
struct gate {
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	bool            entered;
	bool            released;
	bool            stopped;
	evld_http      *h;
	struct reply    r;
};

static void
collect_gate(void *arg, evld_metrics_writer *w)
{
	struct gate *g = arg;
	(void) w;
	pthread_mutex_lock(&g->mtx);
	g->entered = true;
	pthread_cond_broadcast(&g->cv);
	while (!g->released)
		pthread_cond_wait(&g->cv, &g->mtx);
	pthread_mutex_unlock(&g->mtx);
}

static void *
scrape(void *arg)
{
	struct gate *g = arg;
	request(evld_http_port(g->h), "GET", "/metrics", &g->r);
	return NULL;
}

static void *
stopper(void *arg)
{
	struct gate *g = arg;
	evld_http_stop(g->h);
	pthread_mutex_lock(&g->mtx);
	g->stopped = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mtx);
	return NULL;
}

Test(http, stop_waits_for_a_handler_inside_the_registry)
{
	struct gate     g = { .mtx = PTHREAD_MUTEX_INITIALIZER,
		    .cv           = PTHREAD_COND_INITIALIZER };
	pthread_t       scraper, stop;
	struct timespec until;

	evl_assert_ok(evld_http_start(&g.h, "127.0.0.1:0", metrics, NULL, NULL, NULL,
	    NULL, 0));
	evl_assert_ok(evld_metrics_collector_add(metrics, collect_gate, &g));
	cr_assert_eq(pthread_create(&scraper, NULL, scrape, &g), 0);
	pthread_mutex_lock(&g.mtx);
	while (!g.entered)
		pthread_cond_wait(&g.cv, &g.mtx);
	pthread_mutex_unlock(&g.mtx);

	cr_assert_eq(pthread_create(&stop, NULL, stopper, &g), 0);
	/* A negative check: stop must not return while the handler is in
	 * the registry.  Correct code passes however long this waits; the
	 * bound only limits how hard a broken stop is looked for. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 300 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&g.mtx);
	while (!g.stopped &&
	    pthread_cond_timedwait(&g.cv, &g.mtx, &until) == 0)
		;
	cr_assert_not(g.stopped, "stop returned while a handler was busy");
	g.released = true;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mtx);

	pthread_join(stop, NULL);
	cr_assert(g.stopped);
	pthread_join(scraper, NULL);
	/* The scrape was cut off or answered; it never saw a freed h. */
	evl_assert_ok(evld_metrics_collector_remove(metrics, collect_gate, &g));
}

/* --http-token: /metrics needs the bearer token, /healthz never does. */
Test(http, metrics_token)
{
	evld_http   *h;
	struct reply r;
	char         err[128];
	static const char *const wrong[] = { NULL, "Bearer", "Bearer ",
		"Bearer s3cret-toke", "Bearer s3cret-token!", "Bearer S3cret-token",
		"Basic s3cret-token", "s3cret-token", "Bearer s3cret-tokem" };

	evl_assert_ok(evld_http_start(&h, "127.0.0.1:0", metrics, NULL, NULL,
	    "s3cret-token", err, sizeof(err)));

	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		request_auth(evld_http_port(h), "GET", "/metrics", wrong[i], &r);
		cr_assert_eq(r.rv, 0, "%s", nng_strerror(r.rv));
		cr_assert_eq(r.status, 401, "Authorization: %s -> %u",
		    wrong[i] ? wrong[i] : "(none)", (unsigned) r.status);
		cr_assert_str_eq(r.www_auth, "Bearer realm=\"evlog\"");
		r.body[r.len] = '\0';
		cr_assert(strstr(r.body, "evlog_requests_total") == NULL);
	}

	request_auth(evld_http_port(h), "GET", "/metrics",
	    "Bearer s3cret-token", &r);
	cr_assert_eq(r.rv, 0);
	cr_assert_eq(r.status, 200);
	r.body[r.len] = '\0';
	cr_assert(strstr(r.body, "evlog_requests_total") != NULL, "%s", r.body);
	/* The scheme is case-insensitive (RFC 7235). */
	request_auth(evld_http_port(h), "GET", "/metrics",
	    "bearer s3cret-token", &r);
	cr_assert_eq(r.status, 200);

	/* Probes and orchestrators have no token. */
	request(evld_http_port(h), "GET", "/healthz", &r);
	cr_assert_eq(r.rv, 0);
	cr_assert_eq(r.status, 200);
	evld_http_stop(h);
}
