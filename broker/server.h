/*
 * server.h -- evlogd's request server: one NNG REP socket, its listeners,
 * and a pool of REP contexts each driven by an aio callback.
 *
 * Each context runs recv -> decode -> handle -> (queued append or parked
 * fetch) -> send -> recv.  The pool keeps at least EVLD_SERVER_MIN_RECV
 * contexts receiving: when a receive completes and fewer remain, a spare
 * context (or a new one, up to a ceiling of EVLD_SERVER_BASE_CTX +
 * max_parked_fetches + EVLD_SERVER_MIN_RECV) starts receiving.  So parked
 * fetches, which hold their context until answered, never leave produces
 * waiting for a free context; a context whose request is done goes back
 * to the spare list instead of receiving when enough others receive.
 * Parked fetches beyond --max-parked-fetches are answered EVL_EBUSY with
 * a back-off detail.
 *
 * Every request is counted against its pipe (connection); past
 * --max-outstanding the request is answered EVL_EBUSY at once, which
 * bounds what one connection can make the broker hold.
 */
#ifndef EVLD_SERVER_H
#define EVLD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dispatch.h"

#define EVLD_SERVER_BASE_CTX 16 /* contexts opened at start */
#define EVLD_SERVER_MIN_RECV 4  /* contexts kept receiving */
#define EVLD_BUSY_BACKOFF_MS 100

struct evld_broker;
struct evld_server;

/*
 * evld_server_start opens the REP socket, its contexts and a listener
 * for every URL of the broker's configuration, TLS configured for
 * tls+tcp:// and wss:// URLs.  On success *out is running.  Errors:
 * EVL_EINVAL (a URL NNG refuses, TLS files missing or bad: logged),
 * EVL_EIO (cannot listen: address in use, permissions; logged),
 * EVL_ENOMEM.
 */
int evld_server_start(struct evld_server **out, struct evld_broker *b);

/* The listeners' URLs as bound: a port 0 replaced by the real one.
 * Borrowed until evld_server_free. */
size_t      evld_server_url_count(const struct evld_server *s);
const char *evld_server_url(const struct evld_server *s, size_t i);

/*
 * evld_server_quiesce stops taking work: new connections are refused and
 * new requests answered EVL_ESHUTDOWN.  The broker then wakes the parked
 * fetches (evld_waiters_close) and calls evld_server_drain.
 */
void evld_server_quiesce(struct evld_server *s);

/*
 * evld_server_drain waits up to timeout_ms for every request in progress
 * to be answered, lets the transports flush briefly, then shuts the close
 * gate: from then on no context calls into NNG or the store, and requests
 * still arriving are dropped.  The broker then closes the store (appends
 * still queued are written, their answers dropped) and only then the
 * socket, with evld_server_close.
 */
void evld_server_drain(struct evld_server *s, uint32_t timeout_ms);

/* evld_server_close closes the socket, its listeners and connections.
 * NULL does nothing. */
void evld_server_close(struct evld_server *s);

/* evld_server_free releases everything; after the store is closed, so
 * that no append's done can still reach a context.  NULL does nothing. */
void evld_server_free(struct evld_server *s);

/* For handlers: finish an EVLD_ASYNC request from any thread (the
 * store's writer, an NNG callback): evld_req_finish, then send. */
void evld_req_done(struct evld_req *r, int rv);

/* For handlers: park r; its context sleeps ms, and r->resume runs when
 * the sleep ends or a wake cuts it short.  Returns the park's token
 * (never 0) for evld_req_wake_now. */
uint64_t evld_req_sleep(struct evld_req *r, uint32_t ms);
/* Cuts a parked request's sleep short, from any thread under any lock:
 * r->resume runs on an NNG thread.  A no-op when not sleeping. */
void evld_req_wake(struct evld_req *r);
/* Wakes r's park `token` and runs r->resume on this thread (arg = r), if
 * the park has not ended yet.  Call with no lock held that resume may
 * take (the waiter registry's wake callback, waiters.h). */
void evld_req_wake_now(void *arg, uint64_t token);

/* The waiter callbacks (waiters.h) of a request parked for r->park_ms
 * (arg = r, wake = evld_req_wake_now): fire wakes it (under the waiter
 * registry's lock), arm starts its sleep and sets the waiter's token. */
void evld_req_waiter_fire(struct evld_waiter *w, void *arg);
void evld_req_waiter_arm(void *arg);

/* Parked-fetch slots: EVL_EBUSY when --max-parked-fetches are parked. */
int  evld_req_park_acquire(struct evld_req *r);
void evld_req_park_release(struct evld_req *r);

/*
 * For acks=none produces, which answer before the append is done: the
 * append keeps the pipe's outstanding count until its done releases it
 * here, so one connection cannot queue unbounded appends.
 */
void evld_server_pipe_release(struct evld_server *s, uint32_t pipe);

/*
 * The session of a pipe (session.h), for the AUTH_* handlers: returned
 * with the pipe table's lock held, to be released with
 * evld_server_session_unlock as soon as possible (no logging, no
 * blocking in between).  NULL, with no lock held, when the pipe is gone
 * or has no session (authentication off, or out of memory at connect).
 */
struct evld_session *evld_server_session_lock(
    struct evld_server *s, uint32_t pipe);
void evld_server_session_unlock(struct evld_server *s);

/* The number of contexts opened, receiving, and parked (for tests). */
void evld_server_pool_stats(struct evld_server *s, size_t *open,
    size_t *receiving, size_t *parked);

#endif /* EVLD_SERVER_H */
