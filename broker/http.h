/*
 * http.h -- evlogd's HTTP endpoint for operators: GET /healthz and GET
 * /metrics, on NNG's HTTP server.
 *
 *   GET /healthz  200 "ok\n" while the broker serves; 503
 *                 "unavailable\n" when the health callback says it does
 *                 not, or once the endpoint is stopping
 *   GET /metrics  200, Content-Type "text/plain; version=0.0.4", the
 *                 registry rendered (evld_metrics_render); 500 if that
 *                 fails.  With a token: 401 with "WWW-Authenticate:
 *                 Bearer realm="evlog"" unless the request has
 *                 "Authorization: Bearer TOKEN" (--http-token)
 *   HEAD          as GET, without the body (NNG does this)
 *   other paths   404; other methods on these paths 405 (NNG's pages)
 *
 * It is separate from the NNG listeners so that a probe or a scraper
 * never queues behind client requests, and so that it can be turned off
 * (--http off).  NNG shares one HTTP server between every holder of the
 * same host and port in a process, so two endpoints on one address fail
 * (EVL_EINVAL); with port 0 each gets its own port, provided they are
 * not started concurrently from two threads.
 */
#ifndef EVLD_HTTP_H
#define EVLD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

typedef struct evld_http evld_http;

/* Says whether the broker is serving.  Called from NNG's threads, once
 * per /healthz request; must be quick and must not block. */
typedef bool (*evld_http_health_fn)(void *arg);

/*
 * evld_http_start binds hostport ("127.0.0.1:7471", "[::1]:0"; port 0
 * picks a free port) and starts serving.  metrics is borrowed and
 * health(health_arg) may be called until evld_http_stop returns; health
 * may be NULL (always serving).  token, when not NULL, is the bearer
 * token /metrics requires (copied; /healthz never needs one, since
 * probes and orchestrators call it).  On success *out is the running
 * endpoint; caller stops and frees it with evld_http_stop.
 *
 * Errors: EVL_EINVAL (hostport is not HOST:PORT, or the address cannot be
 * bound: in use, not local, no permission), EVL_ENOMEM, EVL_EINTERNAL
 * (any other NNG failure).  On failure a one-line reason with NNG's
 * message ("http on 127.0.0.1:80: Permission denied") goes into err when
 * errlen > 0.
 */
int evld_http_start(evld_http **out, const char *hostport,
    evld_metrics *metrics, evld_http_health_fn health, void *health_arg,
    const char *token, char *err, size_t errlen);

/* evld_http_port is the port actually bound (never 0). */
uint16_t evld_http_port(const evld_http *h);

/*
 * evld_http_addr writes the bound address as "HOST:PORT" into buf (the
 * configured host, the real port: "127.0.0.1:41234"), ready for the
 * "evlogd: http on HOST:PORT" line.  Returns 0, or EVL_ETOOBIG when len
 * is too small (buf is then untouched).
 */
int evld_http_addr(const evld_http *h, char *buf, size_t len);

/*
 * evld_http_stop stops accepting, closes open connections and frees h.
 * Requests already in a handler finish first (answered 503 if they have
 * not yet looked at the broker); after it returns neither the metrics
 * registry nor the health callback is used again, so the caller may free
 * them.  NULL does nothing.
 */
void evld_http_stop(evld_http *h);

#endif /* EVLD_HTTP_H */
