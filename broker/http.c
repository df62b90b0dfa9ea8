/*
 * http.c -- see http.h.
 *
 * Lifetime is the subtle part.  NNG owns the handlers once they are added
 * to a server and frees them when the server is finally reaped, which
 * happens on an NNG thread some time after nng_http_server_release, and a
 * handler callback may still be running when evld_http_stop is called.
 * So the state the callbacks touch lives in a reference-counted core:
 * one reference for the evld_http, one for each handler (dropped by the
 * handler's destructor, whenever NNG runs it).  Borrowed broker state
 * (the registry, the health callback) is only used between a check of
 * core->stopping and a busy count, and evld_http_stop waits for busy to
 * drain, which is what lets it promise not to touch them afterwards.
 * (NNG 1.5.2's nng_http_server_release happens to wait for a running
 * handler as well; newer NNG reaps servers asynchronously.  The drain
 * keeps the promise independent of which one we link.)
 */
#include <arpa/inet.h>
#include <evlog/evlog.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "http.h"

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define HOST_MAX 256

struct core {
	pthread_mutex_t     mtx;
	pthread_cond_t      drained;
	int                 refs;     /* evld_http + registered handlers */
	int                 busy;     /* callbacks using borrowed state */
	bool                stopping; /* borrowed state is off limits */
	evld_metrics       *metrics;  /* borrowed */
	evld_http_health_fn health;
	void               *health_arg;
	char               *token; /* /metrics' bearer token, or NULL */
};

struct evld_http {
	nng_http_server *server;
	struct core     *core;
	char             host[HOST_MAX]; /* as configured, "[v6]" kept */
	uint16_t         port;           /* bound, host order */
};

static void
core_release(void *arg)
{
	struct core *c = arg;
	int          refs;

	pthread_mutex_lock(&c->mtx);
	refs = --c->refs;
	pthread_mutex_unlock(&c->mtx);
	if (refs > 0)
		return;
	pthread_cond_destroy(&c->drained);
	pthread_mutex_destroy(&c->mtx);
	if (c->token != NULL) {
		memset(c->token, 0, strlen(c->token));
		evlp_free(c->token);
	}
	evlp_free(c);
}

/* Enters the broker's state; false when stopping (answer 503). */
static bool
core_enter(struct core *c)
{
	bool ok;

	pthread_mutex_lock(&c->mtx);
	ok = !c->stopping;
	if (ok)
		c->busy++;
	pthread_mutex_unlock(&c->mtx);
	return ok;
}

static void
core_leave(struct core *c)
{
	pthread_mutex_lock(&c->mtx);
	if (--c->busy == 0 && c->stopping)
		pthread_cond_broadcast(&c->drained);
	pthread_mutex_unlock(&c->mtx);
}

/*
 * Completes the handler's aio with a response; body is copied.  A
 * response that cannot be built fails the aio, and NNG closes the
 * connection, which is all that is left to do without memory.
 */
static void
reply_with(nng_aio *aio, uint16_t status, const char *type, const char *body,
    size_t len, const char *hname, const char *hvalue)
{
	nng_http_res *res;
	int           rv;

	if ((rv = nng_http_res_alloc(&res)) != 0) {
		nng_aio_finish(aio, rv);
		return;
	}
	if ((rv = nng_http_res_set_status(res, status)) != 0 ||
	    (hname != NULL &&
	        (rv = nng_http_res_set_header(res, hname, hvalue)) != 0) ||
	    (rv = nng_http_res_set_header(res, "Content-Type", type)) != 0 ||
	    (rv = nng_http_res_set_header(
	         res, "Cache-Control", "no-store")) != 0 ||
	    (rv = nng_http_res_copy_data(res, body, len)) != 0) {
		nng_http_res_free(res);
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static void
reply(nng_aio *aio, uint16_t status, const char *type, const char *body,
    size_t len)
{
	reply_with(aio, status, type, body, len, NULL, NULL);
}

/*
 * Whether the request carries "Authorization: Bearer TOKEN".  The
 * comparison takes the same time wherever the first difference is (and
 * for any presented length), so timing does not leak the token.  The
 * scheme name is case-insensitive (RFC 7235); the token is not.
 */
static bool
token_ok(nng_aio *aio, const char *token)
{
	nng_http_req *req  = nng_aio_get_input(aio, 0);
	const char   *auth = nng_http_req_get_header(req, "Authorization");
	size_t        tlen = strlen(token), plen;
	unsigned char diff;

	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
		return false;
	auth += 7;
	while (*auth == ' ')
		auth++;
	plen = strlen(auth);
	while (plen > 0 && auth[plen - 1] == ' ')
		plen--;
	diff = plen != tlen;
	for (size_t i = 0; i < tlen; i++)
		diff |= (unsigned char) (token[i] ^ (i < plen ? auth[i] : 0));
	return diff == 0;
}

static struct core *
handler_core(nng_aio *aio)
{
	return nng_http_handler_get_data(nng_aio_get_input(aio, 1));
}

static void
reply_unavailable(nng_aio *aio)
{
	static const char body[] = "unavailable\n";
	reply(aio, NNG_HTTP_STATUS_SERVICE_UNAVAILABLE,
	    "text/plain; charset=utf-8", body, sizeof(body) - 1);
}

static void
handle_healthz(nng_aio *aio)
{
	static const char ok[] = "ok\n";
	struct core      *c    = handler_core(aio);
	bool              serving;

	if (!core_enter(c)) {
		reply_unavailable(aio);
		return;
	}
	serving = c->health == NULL || c->health(c->health_arg);
	core_leave(c);
	if (!serving) {
		reply_unavailable(aio);
		return;
	}
	reply(aio, NNG_HTTP_STATUS_OK, "text/plain; charset=utf-8", ok,
	    sizeof(ok) - 1);
}

static void
handle_metrics(nng_aio *aio)
{
	static const char failed[] = "cannot render metrics\n";
	struct core      *c        = handler_core(aio);
	char             *text;
	size_t            len;
	int               rv;

	if (c->token != NULL && !token_ok(aio, c->token)) {
		static const char denied[] = "unauthorized: /metrics needs "
		                             "'Authorization: Bearer TOKEN'\n";
		reply_with(aio, NNG_HTTP_STATUS_UNAUTHORIZED,
		    "text/plain; charset=utf-8", denied, sizeof(denied) - 1,
		    "WWW-Authenticate", "Bearer realm=\"evlog\"");
		return;
	}
	if (!core_enter(c)) {
		reply_unavailable(aio);
		return;
	}
	rv = evld_metrics_render(c->metrics, &text, &len);
	core_leave(c);
	if (rv != 0) {
		reply(aio, NNG_HTTP_STATUS_INTERNAL_SERVER_ERROR,
		    "text/plain; charset=utf-8", failed, sizeof(failed) - 1);
		return;
	}
	reply(aio, NNG_HTTP_STATUS_OK, METRICS_TYPE, text, len);
	evlp_free(text);
}

static int
seterr(char *err, size_t errlen, int rv, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return rv;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rv;
}

static int
nng_to_evl(int nrv)
{
	switch (nrv) {
	case NNG_ENOMEM:
		return EVL_ENOMEM;
	case NNG_EADDRINUSE:
	case NNG_EADDRINVAL:
	case NNG_EPERM:
	case NNG_EINVAL:
		return EVL_EINVAL;
	default:
		return EVL_EINTERNAL;
	}
}

/* Splits "HOST:PORT" ("[v6]:PORT") and checks the port is a number. */
static bool
hostport_split(const char *hostport, char *host, size_t hostlen)
{
	const char *colon = strrchr(hostport, ':');
	const char *p;
	size_t      n;

	if (colon == NULL || colon == hostport || colon[1] == '\0' ||
	    strlen(colon + 1) > 5)
		return false;
	for (p = colon + 1; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return false;
	if (atoi(colon + 1) > 65535)
		return false;
	n = (size_t) (colon - hostport);
	if (n >= hostlen)
		return false;
	if (hostport[0] == '[' ? colon[-1] != ']'
	                       : memchr(hostport, ':', n) != NULL)
		return false;
	memcpy(host, hostport, n);
	host[n] = '\0';
	return true;
}

/* Makes a handler for path whose data is a new reference on core. */
static int
handler_add(nng_http_server *s, struct core *core, const char *path,
    void (*cb)(nng_aio *))
{
	nng_http_handler *h;
	int               rv;

	if ((rv = nng_http_handler_alloc(&h, path, cb)) != 0)
		return rv;
	pthread_mutex_lock(&core->mtx);
	core->refs++;
	pthread_mutex_unlock(&core->mtx);
	if ((rv = nng_http_handler_collect_body(h, false, 0)) != 0 ||
	    (rv = nng_http_handler_set_data(h, core, core_release)) != 0) {
		nng_http_handler_free(h);
		core_release(core);
		return rv;
	}
	/* From here the handler's destructor drops the reference. */
	if ((rv = nng_http_server_add_handler(s, h)) != 0)
		nng_http_handler_free(h);
	return rv;
}

static void
core_stop(struct core *c)
{
	pthread_mutex_lock(&c->mtx);
	c->stopping = true;
	while (c->busy > 0)
		pthread_cond_wait(&c->drained, &c->mtx);
	pthread_mutex_unlock(&c->mtx);
}

int
evld_http_start(evld_http **out, const char *hostport,
    evld_metrics *metrics, evld_http_health_fn health, void *health_arg,
    const char *token, char *err, size_t errlen)
{
	evld_http   *h;
	struct core *core = NULL;
	nng_url     *url  = NULL;
	nng_sockaddr sa;
	char         text[HOST_MAX + 16];
	bool         started = false;
	int          rv;

	if (errlen > 0)
		err[0] = '\0';
	if (EVLP_ALLOC_STRUCT(h) == NULL)
		return seterr(err, errlen, EVL_ENOMEM, "out of memory");
	if (!hostport_split(hostport, h->host, sizeof(h->host))) {
		evlp_free(h);
		return seterr(err, errlen, EVL_EINVAL,
		    "http address \"%s\" is not HOST:PORT", hostport);
	}
	if (EVLP_ALLOC_STRUCT(core) == NULL) {
		evlp_free(h);
		return seterr(err, errlen, EVL_ENOMEM, "out of memory");
	}
	if (pthread_mutex_init(&core->mtx, NULL) != 0) {
		evlp_free(core);
		evlp_free(h);
		return seterr(err, errlen, EVL_ENOMEM, "out of memory");
	}
	if (pthread_cond_init(&core->drained, NULL) != 0) {
		pthread_mutex_destroy(&core->mtx);
		evlp_free(core);
		evlp_free(h);
		return seterr(err, errlen, EVL_ENOMEM, "out of memory");
	}
	if (token != NULL && (core->token = evlp_strdup(token)) == NULL) {
		pthread_cond_destroy(&core->drained);
		pthread_mutex_destroy(&core->mtx);
		evlp_free(core);
		evlp_free(h);
		return seterr(err, errlen, EVL_ENOMEM, "out of memory");
	}
	core->refs       = 1;
	core->metrics    = metrics;
	core->health     = health;
	core->health_arg = health_arg;
	h->core          = core;

	snprintf(text, sizeof(text), "http://%s", hostport);
	if ((rv = nng_url_parse(&url, text)) != 0 ||
	    (rv = nng_http_server_hold(&h->server, url)) != 0)
		goto fail;
	if ((rv = handler_add(h->server, core, "/healthz", handle_healthz)) !=
	        0 ||
	    (rv = handler_add(h->server, core, "/metrics", handle_metrics)) !=
	        0 ||
	    (rv = nng_http_server_start(h->server)) != 0)
		goto fail;
	started = true;
	if ((rv = nng_http_server_get_addr(h->server, &sa)) != 0)
		goto fail;
	if (sa.s_family == NNG_AF_INET)
		h->port = ntohs(sa.s_in.sa_port);
	else if (sa.s_family == NNG_AF_INET6)
		h->port = ntohs(sa.s_in6.sa_port);
	if (h->port == 0) {
		rv = NNG_EINTERNAL;
		goto fail;
	}
	nng_url_free(url);
	*out = h;
	return 0;

fail:
	seterr(err, errlen, nng_to_evl(rv), "http on %s: %s", hostport,
	    nng_strerror(rv));
	core_stop(core);
	if (h->server != NULL) {
		if (started)
			nng_http_server_stop(h->server);
		nng_http_server_release(h->server);
	}
	core_release(core);
	if (url != NULL)
		nng_url_free(url);
	evlp_free(h);
	return nng_to_evl(rv);
}

uint16_t
evld_http_port(const evld_http *h)
{
	return h->port;
}

int
evld_http_addr(const evld_http *h, char *buf, size_t len)
{
	int n = snprintf(NULL, 0, "%s:%u", h->host, (unsigned) h->port);
	if (n < 0 || (size_t) n >= len)
		return EVL_ETOOBIG;
	snprintf(buf, len, "%s:%u", h->host, (unsigned) h->port);
	return 0;
}

void
evld_http_stop(evld_http *h)
{
	if (h == NULL)
		return;
	/* First fence off the broker's state, so that a request racing
	 * the shutdown gets a 503 rather than a freed registry. */
	core_stop(h->core);
	nng_http_server_stop(h->server);
	nng_http_server_release(h->server);
	core_release(h->core);
	evlp_free(h);
}
