/*
 * server.c -- the REP socket, its listeners and the context pool
 * (server.h).
 *
 * Threads.  A context's aio callback runs on NNG's taskq threads; a
 * produce's answer is sent from the store's writer thread (the append's
 * done), and a parked fetch is woken and answered on the writer thread
 * too (evld_req_wake_now).  At any moment exactly one of these owns a
 * context's request: it moves through them in sequence, so the
 * request's fields need no lock.  The pool's counters and lists, and the
 * per-pipe table, take the server mutexes, held only for a few
 * instructions.
 *
 * Parking.  A parked request sleeps on its own aio (paio), apart from
 * the context's aio, so that a wake can answer the request on the waking
 * thread while the sleep's cancellation completes on an NNG thread.  Who
 * answers is decided by one exchange on parked (the park's token, 0 when
 * claimed): the sleep's callback (timeout, or evld_req_wake's cancel) or
 * evld_req_wake_now, whichever comes first.  holds counts what must end
 * before the context may receive again: the request itself (until its
 * answer is sent) and a started sleep (until its callback has run), so
 * neither aio is reused while an operation on it is still pending.
 *
 * Nothing here blocks a callback thread on the store's writer: appends
 * are submitted and answered from their done.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>

#include "alloc.h"
#include "broker.h"
#include "limit.h"
#include "ops.h"
#include "server.h"
#include "session.h"

enum sctx_state {
	SCTX_SPARE,  /* open, not receiving */
	SCTX_RECV,   /* a receive is posted */
	SCTX_WORK,   /* a request is being handled (or queued in the store) */
	SCTX_PARKED, /* a fetch sleeps on the aio */
	SCTX_SEND,   /* the answer is being sent */
	SCTX_CLOSED, /* the socket closed under it */
};

struct sctx {
	struct evld_server *srv;
	nng_ctx             ctx;
	nng_aio            *aio;
	enum sctx_state     state;
	struct sctx        *next_spare;
	struct evld_req     req;
	nng_aio            *paio;     /* a parked request's sleep */
	atomic_uint_fast64_t parked;  /* the park's token; 0 = claimed */
	uint64_t            park_gen; /* the last park's token */
	atomic_int          holds;    /* see "Parking" above */
};

/* Outstanding requests of one pipe; id 0 marks an empty slot (NNG never
 * hands out pipe id 0).  sess is the pipe's session (session.h), only
 * when authentication is on. */
struct pipe_slot {
	uint32_t             id;
	uint32_t             n;
	struct evld_session *sess;
};

struct evld_server {
	struct evld_broker *b;
	nng_socket          sock;
	bool                sock_open;
	nng_tls_config     *tls;
	nng_listener       *listeners;
	char              **urls;
	size_t              nurls;

	pthread_mutex_t mu; /* the pool */
	pthread_cond_t  cv;
	struct sctx   **all;
	size_t          nall, capall;
	struct sctx    *spare;
	size_t          nrecv;
	size_t          nbusy;
	size_t          nparked;
	/* The close gate's: threads inside nng_ctx_send/recv, and closed
	 * (written under mu, read without it by the gate). */
	atomic_size_t ncalls;
	size_t        max_ctx;
	size_t        max_parked;
	bool          stopping;
	atomic_bool   closed;

	pthread_mutex_t   pmu; /* the pipe table */
	struct pipe_slot *pipes;
	size_t            pipe_cap; /* power of two */
	size_t            npipes;
	uint32_t          max_outstanding;
	/* --max-connections: pipes over it are closed at ADD_PRE.  The
	 * warning is logged at most every CONN_WARN_MS, with a count. */
	uint32_t max_connections;
	uint64_t conn_warn_ms;
	uint64_t conn_refused; /* since the last warning */
};

#define CONN_WARN_MS 10000

/* ---- the pipe table ------------------------------------------------- */

static size_t
pipe_home(const struct evld_server *s, uint32_t id)
{
	return (id * 0x9e3779b1u) & (s->pipe_cap - 1);
}

/* Call with pmu held. */
static struct pipe_slot *
pipe_find(struct evld_server *s, uint32_t id)
{
	for (size_t i = pipe_home(s, id);; i = (i + 1) & (s->pipe_cap - 1)) {
		if (s->pipes[i].id == id)
			return &s->pipes[i];
		if (s->pipes[i].id == 0)
			return NULL;
	}
}

/* Call with pmu held. */
static int
pipe_insert(struct evld_server *s, uint32_t id)
{
	if ((s->npipes + 1) * 2 > s->pipe_cap) {
		size_t            ocap = s->pipe_cap;
		struct pipe_slot *old  = s->pipes;
		struct pipe_slot *nw   = evlp_zalloc(2 * ocap * sizeof(*nw));
		if (nw == NULL)
			return EVL_ENOMEM;
		s->pipes    = nw;
		s->pipe_cap = 2 * ocap;
		for (size_t i = 0; i < ocap; i++) {
			if (old[i].id == 0)
				continue;
			size_t j = pipe_home(s, old[i].id);
			while (s->pipes[j].id != 0)
				j = (j + 1) & (s->pipe_cap - 1);
			s->pipes[j] = old[i];
		}
		evlp_free(old);
	}
	size_t i = pipe_home(s, id);
	while (s->pipes[i].id != 0 && s->pipes[i].id != id)
		i = (i + 1) & (s->pipe_cap - 1);
	if (s->pipes[i].id == 0) {
		s->pipes[i].id   = id;
		s->pipes[i].n    = 0;
		s->pipes[i].sess = NULL;
		s->npipes++;
	}
	return 0;
}

/* Linear probing with backward-shift deletion.  Call with pmu held. */
static void
pipe_remove(struct evld_server *s, uint32_t id)
{
	size_t mask = s->pipe_cap - 1;
	size_t i    = pipe_home(s, id);
	while (s->pipes[i].id != id) {
		if (s->pipes[i].id == 0)
			return;
		i = (i + 1) & mask;
	}
	s->pipes[i].id   = 0;
	s->pipes[i].sess = NULL;
	s->npipes--;
	for (size_t j = (i + 1) & mask; s->pipes[j].id != 0; j = (j + 1) & mask) {
		size_t h = pipe_home(s, s->pipes[j].id);
		/* Move j into the hole unless its home lies cyclically in
		 * (i, j]. */
		bool stay = i <= j ? (i < h && h <= j) : (i < h || h <= j);
		if (!stay) {
			s->pipes[i]    = s->pipes[j];
			s->pipes[j].id = 0;
			i              = j;
		}
	}
}

/* Counts a request on its pipe and copies the pipe's principal into
 * user; false when the pipe is over its cap.  An untracked pipe (its
 * ADD_PRE lost to ENOMEM) is not limited, and has no principal. */
static bool
pipe_acquire(struct evld_server *s, uint32_t id, bool *held,
    char user[EVLD_USER_MAX + 1])
{
	bool ok = true;
	pthread_mutex_lock(&s->pmu);
	struct pipe_slot *p = pipe_find(s, id);
	*held               = p != NULL;
	if (p != NULL) {
		p->n++;
		ok = s->max_outstanding == 0 || p->n <= s->max_outstanding;
		if (p->sess != NULL)
			memcpy(user, p->sess->user, EVLD_USER_MAX + 1);
	}
	pthread_mutex_unlock(&s->pmu);
	return ok;
}

struct evld_session *
evld_server_session_lock(struct evld_server *s, uint32_t pipe)
{
	pthread_mutex_lock(&s->pmu);
	struct pipe_slot *p = pipe_find(s, pipe);
	if (p == NULL || p->sess == NULL) {
		pthread_mutex_unlock(&s->pmu);
		return NULL;
	}
	return p->sess;
}

void
evld_server_session_unlock(struct evld_server *s)
{
	pthread_mutex_unlock(&s->pmu);
}

static void
session_free(struct evld_session *ss)
{
	if (ss != NULL) {
		evlp_scram_wipe(ss, sizeof(*ss));
		evlp_free(ss);
	}
}

/* The peer's address without its port, for the failure limit and logs. */
static void
peer_name(nng_pipe p, char out[EVLD_PEER_MAX])
{
	nng_sockaddr sa;
	snprintf(out, EVLD_PEER_MAX, "local");
	if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0)
		return;
	if (sa.s_family == NNG_AF_INET)
		inet_ntop(AF_INET, &sa.s_in.sa_addr, out, EVLD_PEER_MAX);
	else if (sa.s_family == NNG_AF_INET6)
		inet_ntop(AF_INET6, sa.s_in6.sa_addr, out, EVLD_PEER_MAX);
}

/*
 * A session for a new pipe, when authentication is on.  With
 * --tls-client-user, a pipe whose client certificate was verified is
 * bound to that user at once (NNG 1.5.2 tells only that it was verified,
 * not whose certificate it is).  NULL when off or out of memory.
 */
static struct evld_session *
session_new(struct evld_server *s, nng_pipe p)
{
	const struct evld_config *cfg = s->b->cfg;
	struct evld_session      *ss;
	bool                      verified = false;
	if (!evld_broker_auth_on(s->b) || EVLP_ALLOC_STRUCT(ss) == NULL)
		return NULL;
	peer_name(p, ss->peer);
	if (nng_pipe_get_bool(p, NNG_OPT_TLS_VERIFIED, &verified) == 0 &&
	    verified) {
		ss->tls_verified = true;
		if (cfg->tls_client_user != NULL) {
			snprintf(ss->user, sizeof(ss->user), "%s",
			    cfg->tls_client_user);
			evld_log_info(&s->b->log,
			    "user %s authenticated by client certificate "
			    "from %s", ss->user, ss->peer);
			if (s->b->bm_ok)
				evld_counter_inc(s->b->bm.auth_ok);
		}
	}
	return ss;
}

void
evld_server_pipe_release(struct evld_server *s, uint32_t id)
{
	pthread_mutex_lock(&s->pmu);
	struct pipe_slot *p = pipe_find(s, id);
	if (p != NULL && p->n > 0)
		p->n--;
	pthread_mutex_unlock(&s->pmu);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

/* Counts a pipe refused at --max-connections and warns at most every
 * CONN_WARN_MS (a flood of connects must not flood the log).  The caller
 * closes the pipe, after dropping pmu.  Call with pmu held. */
static void
conn_refuse(struct evld_server *s)
{
	uint64_t now = mono_ms();

	if (s->b->bm_ok)
		evld_limit_count(&s->b->bm, EVLD_LIMIT_CONNECTIONS);
	s->conn_refused++;
	if (s->conn_warn_ms != 0 && now - s->conn_warn_ms < CONN_WARN_MS)
		return;
	evld_log_warn(&s->b->log,
	    "connection limit reached (--max-connections %u): refused %llu "
	    "connection(s)%s",
	    s->max_connections, (unsigned long long) s->conn_refused,
	    s->conn_warn_ms != 0 ? " since the last warning" : "");
	s->conn_warn_ms = now != 0 ? now : 1;
	s->conn_refused = 0;
}

static void
pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct evld_server *s  = arg;
	uint32_t            id = (uint32_t) nng_pipe_id(p);
	bool                stopping, refused;

	switch (ev) {
	case NNG_PIPE_EV_ADD_PRE: {
		pthread_mutex_lock(&s->mu);
		stopping = s->stopping;
		pthread_mutex_unlock(&s->mu);
		if (stopping) {
			nng_pipe_close(p);
			break;
		}
		/*
		 * Counted, admitted and tracked here, not at ADD_POST:
		 * NNG starts the pipe's protocol (and so its requests)
		 * between ADD_PRE and ADD_POST, and a request must find
		 * its pipe's session (nni_dialer/listener_add_pipe in NNG
		 * 1.5.2); a refused pipe never gets a request in.  The
		 * count and the insert share the lock, so concurrent
		 * connects cannot overshoot.  A pipe whose ADD_PRE ran
		 * always gets its REM_POST.
		 */
		struct evld_session *ss   = session_new(s, p);
		bool                 lost = false;
		pthread_mutex_lock(&s->pmu);
		refused = s->npipes >= s->max_connections;
		if (refused) {
			conn_refuse(s);
		} else if (!(lost = pipe_insert(s, id) != 0)) {
			pipe_find(s, id)->sess = ss;
			if (s->b->bm_ok)
				evld_gauge_set(s->b->bm.connections,
				    (int64_t) s->npipes);
		}
		pthread_mutex_unlock(&s->pmu);
		if (refused || lost)
			session_free(ss);
		if (refused) {
			nng_pipe_close(p);
		} else if (lost) {
			evld_log_warn(&s->b->log,
			    "out of memory tracking a connection; its "
			    "requests are not limited");
		} else if (ss == NULL && evld_broker_auth_on(s->b)) {
			evld_log_warn(&s->b->log,
			    "out of memory making a session; the connection "
			    "cannot authenticate");
		}
		break;
	}
	case NNG_PIPE_EV_REM_POST: {
		/* A refused pipe was never inserted: removing is a no-op. */
		struct evld_session *ss = NULL;
		pthread_mutex_lock(&s->pmu);
		struct pipe_slot *slot = pipe_find(s, id);
		if (slot != NULL)
			ss = slot->sess;
		pipe_remove(s, id);
		if (s->b->bm_ok)
			evld_gauge_set(s->b->bm.connections, (int64_t) s->npipes);
		pthread_mutex_unlock(&s->pmu);
		session_free(ss);
		break;
	}
	default:
		break;
	}
}

/* ---- the context pool ---------------------------------------------- */

static void sctx_cb(void *arg);
static void park_cb(void *arg);

/* Opens one more context.  Call with mu held. */
static struct sctx *
sctx_open(struct evld_server *s)
{
	struct sctx *c;
	if (s->nall >= s->max_ctx)
		return NULL;
	if (s->nall == s->capall) {
		size_t        ncap = s->capall ? 2 * s->capall : 32;
		struct sctx **nall = evlp_realloc(s->all, ncap * sizeof(*nall));
		if (nall == NULL)
			return NULL;
		s->all    = nall;
		s->capall = ncap;
	}
	if (EVLP_ALLOC_STRUCT(c) == NULL)
		return NULL;
	c->srv = s;
	if (nng_aio_alloc(&c->aio, sctx_cb, c) != 0) {
		evlp_free(c);
		return NULL;
	}
	if (nng_aio_alloc(&c->paio, park_cb, c) != 0) {
		nng_aio_free(c->aio);
		evlp_free(c);
		return NULL;
	}
	if (nng_ctx_open(&c->ctx, s->sock) != 0) {
		nng_aio_free(c->paio);
		nng_aio_free(c->aio);
		evlp_free(c);
		return NULL;
	}
	atomic_init(&c->parked, 0);
	atomic_init(&c->holds, 0);
	evld_req_init(&c->req, s->b, s->b->bm_ok ? &s->b->bm : NULL, c);
	c->state         = SCTX_SPARE;
	s->all[s->nall++] = c;
	return c;
}

/*
 * Takes a spare context (or opens one) and marks it receiving; the
 * caller posts the receive after dropping mu.  Call with mu held.
 */
static struct sctx *
pool_take(struct evld_server *s)
{
	struct sctx *c = s->spare;
	if (c != NULL)
		s->spare = c->next_spare;
	else if ((c = sctx_open(s)) == NULL)
		return NULL;
	c->next_spare = NULL;
	c->state      = SCTX_RECV;
	s->nrecv++;
	return c;
}

/*
 * The close gate.  NNG 1.5.2 keeps a reference on a context until
 * nng_ctx_send/nng_ctx_recv returns, but completes the operation (and so
 * runs our callback on another thread) before that; if the socket is
 * closed in between, the late release tears the context down while the
 * socket is being destroyed, and NNG panics on a destroyed mutex.  So
 * every such call passes this gate, and evld_server_drain marks the
 * server closed and waits for the calls inside to leave before it calls
 * nng_close.
 *
 * The gate takes no lock: every answer passes it twice, mostly from the
 * store's writer thread, and a mutex shared with the receive callbacks
 * made them queue behind it (3.8% of the broker's samples were receive
 * callbacks waiting for mu).  Enter counts itself in, then looks at
 * closed; drain sets closed, then looks at the count; with both in
 * sequentially consistent order, either the caller sees closed or the
 * drain sees the caller.
 */
static void gate_leave(struct evld_server *s);

static bool
gate_enter(struct evld_server *s)
{
	atomic_fetch_add(&s->ncalls, 1);
	if (!atomic_load(&s->closed))
		return true;
	gate_leave(s);
	return false;
}

static void
gate_leave(struct evld_server *s)
{
	if (atomic_fetch_sub(&s->ncalls, 1) == 1 && atomic_load(&s->closed)) {
		/* The drain waits under mu: the broadcast cannot slip in
		 * between its look at the count and its wait. */
		pthread_mutex_lock(&s->mu);
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
}

static void sctx_after_send(struct sctx *c);

/* Drops one of c's holds; the last receives again (or rests). */
static void
sctx_release(struct sctx *c)
{
	if (atomic_fetch_sub(&c->holds, 1) == 1)
		sctx_after_send(c);
}

static void
sctx_send(struct sctx *c)
{
	struct evld_req    *r = &c->req;
	struct evld_server *s = c->srv; /* c may be reused once sent */
	/* Answered, so no longer outstanding: released before the send,
	 * since the peer may have the answer and send its next request
	 * before our send callback runs, and a client that waits for each
	 * answer must never be over --max-outstanding 1. */
	if (r->pipe_held) {
		evld_server_pipe_release(s, r->pipe);
		r->pipe_held = false;
	}
	if (r->resp == NULL) {
		/* Not even an error answer could be allocated: drop the
		 * connection so the peer does not wait for an answer that
		 * will never come, and carry on with the next request. */
		nng_pipe p = NNG_PIPE_INITIALIZER;
		p.id       = r->pipe;
		(void) nng_pipe_close(p);
		c->state = SCTX_SEND;
		sctx_release(c);
		return;
	}
	c->state = SCTX_SEND;
	if (!gate_enter(s)) {
		/* The socket is closing (an append answered as the store
		 * closes): nobody to answer. */
		nng_msg_free(r->resp);
		r->resp = NULL;
		sctx_release(c);
		return;
	}
	nng_aio_set_msg(c->aio, r->resp);
	r->resp = NULL;
	nng_ctx_send(c->ctx, c->aio);
	gate_leave(s);
}

void
evld_req_done(struct evld_req *r, int rv)
{
	struct sctx *c = r->sctx;
	evld_req_finish(r, rv);
	sctx_send(c);
}

static void on_wake(struct sctx *c);

uint64_t
evld_req_sleep(struct evld_req *r, uint32_t ms)
{
	struct sctx *c = r->sctx;
	c->state       = SCTX_PARKED;
	if (++c->park_gen == 0)
		c->park_gen = 1;
	atomic_fetch_add(&c->holds, 1); /* released by park_cb */
	atomic_store(&c->parked, c->park_gen);
	nng_sleep_aio((nng_duration) ms, c->paio);
	return c->park_gen;
}

void
evld_req_wake(struct evld_req *r)
{
	struct sctx *c = r->sctx;
	nng_aio_cancel(c->paio);
}

void
evld_req_wake_now(void *arg, uint64_t token)
{
	struct evld_req *r = arg;
	struct sctx     *c = r->sctx;
	uint_fast64_t    t = token;
	/* A stale token: the sleep ended first and the context has moved
	 * on, perhaps to another park. */
	if (!atomic_compare_exchange_strong(&c->parked, &t, 0))
		return;
	nng_aio_cancel(c->paio);
	on_wake(c);
}

void
evld_req_waiter_fire(struct evld_waiter *w, void *arg)
{
	(void) w;
	evld_req_wake(arg);
}

void
evld_req_waiter_arm(void *arg)
{
	struct evld_req *r = arg;
	r->waiter.token    = evld_req_sleep(r, r->park_ms);
}

int
evld_req_park_acquire(struct evld_req *r)
{
	struct sctx        *c  = r->sctx;
	struct evld_server *s  = c->srv;
	int                 rv = 0;
	pthread_mutex_lock(&s->mu);
	if (s->nparked >= s->max_parked)
		rv = EVL_EBUSY;
	else
		s->nparked++;
	pthread_mutex_unlock(&s->mu);
	if (rv == 0)
		r->parked = true;
	return rv;
}

void
evld_req_park_release(struct evld_req *r)
{
	struct sctx        *c = r->sctx;
	struct evld_server *s = c->srv;
	if (!r->parked)
		return;
	r->parked = false;
	pthread_mutex_lock(&s->mu);
	s->nparked--;
	pthread_mutex_unlock(&s->mu);
}

void
evld_server_pool_stats(
    struct evld_server *s, size_t *open, size_t *receiving, size_t *parked)
{
	pthread_mutex_lock(&s->mu);
	*open      = s->nall;
	*receiving = s->nrecv;
	*parked    = s->nparked;
	pthread_mutex_unlock(&s->mu);
}

/* A request arrived on c. */
static void
on_recv(struct sctx *c)
{
	struct evld_server *s    = c->srv;
	struct evld_req    *r    = &c->req;
	struct sctx        *grow = NULL;
	int                 rv   = nng_aio_result(c->aio);
	bool                stopping;

	pthread_mutex_lock(&s->mu);
	s->nrecv--;
	if (rv != 0) {
		if (rv == NNG_ECLOSED || s->closed) {
			c->state = SCTX_CLOSED;
			pthread_cond_broadcast(&s->cv);
			pthread_mutex_unlock(&s->mu);
			return;
		}
		/* Transient (out of memory in NNG): receive again. */
		s->nrecv++;
		atomic_fetch_add(&s->ncalls, 1);
		pthread_mutex_unlock(&s->mu);
		nng_ctx_recv(c->ctx, c->aio);
		gate_leave(s);
		return;
	}
	if (s->closed) {
		/* Past the close gate the store may be closing: a request
		 * that slipped in is dropped, never handled. */
		c->state = SCTX_CLOSED;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		nng_msg_free(nng_aio_get_msg(c->aio));
		nng_aio_set_msg(c->aio, NULL);
		return;
	}
	s->nbusy++;
	stopping = s->stopping;
	if (!stopping && s->nrecv < EVLD_SERVER_MIN_RECV &&
	    (grow = pool_take(s)) != NULL)
		atomic_fetch_add(&s->ncalls, 1);
	pthread_mutex_unlock(&s->mu);
	if (grow != NULL) {
		nng_ctx_recv(grow->ctx, grow->aio);
		gate_leave(s);
	}

	c->state = SCTX_WORK;
	atomic_store(&c->holds, 1); /* the request, until answered */
	nng_msg *m = nng_aio_get_msg(c->aio);
	nng_aio_set_msg(c->aio, NULL);
	r->pipe      = (uint32_t) nng_pipe_id(nng_msg_get_pipe(m));
	rv           = evld_req_decode(r, m); /* resets r->user */
	bool ok      = pipe_acquire(s, r->pipe, &r->pipe_held, r->user);
	/* The gate (PROTOCOL.md §9): an unauthenticated pipe may only
	 * ping and authenticate. */
	bool gated = rv == 0 && r->user[0] == '\0' &&
	    evld_broker_auth_on(s->b) && r->frame.op != EVLP_OP_PING &&
	    r->frame.op != EVLP_OP_AUTH_START &&
	    r->frame.op != EVLP_OP_AUTH_FINISH;
	if (rv == 0 && (stopping || !ok || gated) && r->bm != NULL)
		evld_broker_metrics_request(r->bm, r->frame.op);
	if (rv == 0 && stopping) {
		rv        = EVL_ESHUTDOWN;
		r->detail = EVLD_BUSY_BACKOFF_MS;
	} else if (rv == 0 && !ok) {
		rv        = EVL_EBUSY;
		r->detail = EVLD_BUSY_BACKOFF_MS;
		snprintf(r->errbuf, sizeof(r->errbuf),
		    "too many requests outstanding on this connection "
		    "(--max-outstanding %u)",
		    s->max_outstanding);
		r->errmsg = r->errbuf;
	} else if (gated) {
		rv        = EVL_EAUTHREQUIRED;
		r->errmsg = "authentication required: log in with AUTH_START "
		            "and AUTH_FINISH first";
	}
	if (rv == 0)
		rv = evld_req_handle(r);
	if (rv == EVLD_ASYNC)
		return; /* c belongs to the handler now */
	evld_req_done(r, rv);
}

/* A parked request's sleep ended or was cut short. */
static void
on_wake(struct sctx *c)
{
	struct evld_req *r = &c->req;
	int              rv;
	c->state = SCTX_WORK;
	rv       = r->resume != NULL ? r->resume(r) : EVL_EINTERNAL;
	if (rv == EVLD_ASYNC)
		return;
	evld_req_done(r, rv);
}

/* The answer went out (or could not). */
static void
on_sent(struct sctx *c)
{
	if (nng_aio_result(c->aio) != 0) {
		/* The peer is gone or the socket closed: the message is
		 * still ours. */
		nng_msg *m = nng_aio_get_msg(c->aio);
		if (m != NULL)
			nng_msg_free(m);
		nng_aio_set_msg(c->aio, NULL);
	}
	sctx_release(c);
}

/* Ends c's request: receive again, or rest as a spare. */
static void
sctx_after_send(struct sctx *c)
{
	struct evld_server *s = c->srv;
	struct evld_req    *r = &c->req;
	bool                again;

	if (r->pipe_held) {
		evld_server_pipe_release(s, r->pipe);
		r->pipe_held = false;
	}
	pthread_mutex_lock(&s->mu);
	s->nbusy--;
	if (s->closed) {
		c->state = SCTX_CLOSED;
		again    = false;
	} else if (s->nrecv >= EVLD_SERVER_BASE_CTX) {
		/* Enough contexts receive already: this one was grown for
		 * a burst of parked fetches that has passed. */
		c->state      = SCTX_SPARE;
		c->next_spare = s->spare;
		s->spare      = c;
		again         = false;
	} else {
		c->state = SCTX_RECV;
		s->nrecv++;
		atomic_fetch_add(&s->ncalls, 1);
		again = true;
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (again) {
		nng_ctx_recv(c->ctx, c->aio);
		gate_leave(s);
	}
}

/* A park's sleep ended: timed out, or cancelled by evld_req_wake, by
 * evld_req_wake_now (which then answers), or by the socket closing. */
static void
park_cb(void *arg)
{
	struct sctx *c = arg;
	if (atomic_exchange(&c->parked, 0) != 0)
		on_wake(c);
	sctx_release(c);
}

static void
sctx_cb(void *arg)
{
	struct sctx *c = arg;
	switch (c->state) {
	case SCTX_RECV:
		on_recv(c);
		break;
	case SCTX_SEND:
		on_sent(c);
		break;
	default:
		/* SPARE, WORK and CLOSED post no aio operation. */
		assert(!"context callback in an idle state");
		break;
	}
}

/* ---- listeners ------------------------------------------------------ */

static bool
url_is_tls(const char *url)
{
	return strncmp(url, "tls+", 4) == 0 || strncmp(url, "wss", 3) == 0;
}

/* Reads a whole (PEM) file into a NUL-terminated string. */
static int
file_slurp(const char *path, char **out)
{
	FILE  *f = fopen(path, "rb");
	char  *buf;
	long   n;
	size_t got;
	if (f == NULL)
		return EVL_EINVAL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || n > (64L << 20)) {
		fclose(f);
		return EVL_EINVAL;
	}
	if ((buf = evlp_alloc((size_t) n + 1)) == NULL) {
		fclose(f);
		return EVL_ENOMEM;
	}
	got = fread(buf, 1, (size_t) n, f);
	fclose(f);
	if (got != (size_t) n) {
		evlp_free(buf);
		return EVL_EINVAL;
	}
	buf[n] = '\0';
	*out   = buf;
	return 0;
}

static int
tls_setup(struct evld_server *s)
{
	const struct evld_config *cfg  = s->b->cfg;
	char                     *cert = NULL, *key = NULL;
	nng_tls_config           *tls  = NULL;
	nng_tls_auth_mode         mode;
	int                       rv;

	if (cfg->tls_cert == NULL || cfg->tls_key == NULL) {
		evld_log_error(&s->b->log,
		    "a tls+tcp:// or wss:// listener needs --tls-cert and "
		    "--tls-key");
		return EVL_EINVAL;
	}
	if ((rv = file_slurp(cfg->tls_cert, &cert)) != 0) {
		evld_log_error(&s->b->log, "cannot read --tls-cert %s",
		    cfg->tls_cert);
		goto out;
	}
	if ((rv = file_slurp(cfg->tls_key, &key)) != 0) {
		evld_log_error(&s->b->log, "cannot read --tls-key %s",
		    cfg->tls_key);
		goto out;
	}
	if (nng_tls_config_alloc(&tls, NNG_TLS_MODE_SERVER) != 0) {
		rv = EVL_ENOMEM;
		goto out;
	}
	if ((rv = nng_tls_config_own_cert(tls, cert, key, NULL)) != 0) {
		evld_log_error(&s->b->log, "bad TLS certificate or key: %s",
		    nng_strerror(rv));
		rv = EVL_EINVAL;
		goto out;
	}
	if (cfg->tls_ca != NULL &&
	    (rv = nng_tls_config_ca_file(tls, cfg->tls_ca)) != 0) {
		evld_log_error(&s->b->log, "bad --tls-ca %s: %s", cfg->tls_ca,
		    nng_strerror(rv));
		rv = EVL_EINVAL;
		goto out;
	}
	switch (cfg->tls_client_auth) {
	case EVLD_TLS_AUTH_REQUIRED:
		mode = NNG_TLS_AUTH_MODE_REQUIRED;
		break;
	case EVLD_TLS_AUTH_OPTIONAL:
		mode = NNG_TLS_AUTH_MODE_OPTIONAL;
		break;
	default:
		mode = NNG_TLS_AUTH_MODE_NONE;
		break;
	}
	if ((rv = nng_tls_config_auth_mode(tls, mode)) != 0) {
		rv = EVL_EINVAL;
		goto out;
	}
	s->tls = tls;
	tls    = NULL;
	rv     = 0;
out:
	if (tls != NULL)
		nng_tls_config_free(tls);
	if (key != NULL) {
		memset(key, 0, strlen(key));
		evlp_free(key);
	}
	evlp_free(cert);
	return rv;
}

/*
 * The URL with its port replaced by the bound one: "tcp://127.0.0.1:0"
 * becomes "tcp://127.0.0.1:41234".  Only the authority's trailing
 * ":port" changes; the rest (a ws path) is kept.
 */
static char *
url_with_port(const char *url, int port)
{
	const char *auth = strstr(url, "://");
	const char *end, *colon = NULL;
	char       *out;
	size_t      n;
	if (auth == NULL)
		return evlp_strdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/");
	for (const char *p = auth; p < end; p++) {
		if (*p == ':')
			colon = p;
		else if (*p == ']')
			colon = NULL;
	}
	if (colon == NULL)
		return evlp_strdup(url);
	n   = (size_t) (colon - url) + 1 + 12 + strlen(end) + 1;
	out = evlp_alloc(n);
	if (out != NULL)
		snprintf(out, n, "%.*s:%d%s", (int) (colon - url), url, port,
		    end);
	return out;
}

static int
nng_to_evl(int rv)
{
	switch (rv) {
	case NNG_ENOMEM:
		return EVL_ENOMEM;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
	case NNG_ENOTSUP:
	case NNG_EBADTYPE:
		return EVL_EINVAL;
	default:
		return EVL_EIO;
	}
}

static int
listener_start(struct evld_server *s, size_t i, const char *url)
{
	const struct evld_config *cfg = s->b->cfg;
	nng_listener              l;
	int                       rv, port = -1;

	if ((rv = nng_listener_create(&l, s->sock, url)) != 0) {
		evld_log_error(&s->b->log, "cannot listen on %s: %s", url,
		    nng_strerror(rv));
		return nng_to_evl(rv);
	}
	/* Every transport gets the cap; ws has its own 1 MiB default that
	 * the socket's option does not override. */
	rv = nng_listener_set_size(l, NNG_OPT_RECVMAXSZ, cfg->max_message_bytes);
	if (rv != 0 && rv != NNG_ENOTSUP) {
		evld_log_error(&s->b->log, "%s: cannot set the message size "
		    "limit: %s", url, nng_strerror(rv));
		nng_listener_close(l);
		return nng_to_evl(rv);
	}
	if (url_is_tls(url)) {
		if (s->tls == NULL && (rv = tls_setup(s)) != 0) {
			nng_listener_close(l);
			return rv;
		}
		rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, s->tls);
		if (rv != 0) {
			evld_log_error(&s->b->log, "%s: cannot set TLS: %s",
			    url, nng_strerror(rv));
			nng_listener_close(l);
			return nng_to_evl(rv);
		}
	}
	if ((rv = nng_listener_start(l, 0)) != 0) {
		evld_log_error(&s->b->log, "cannot listen on %s: %s", url,
		    nng_strerror(rv));
		nng_listener_close(l);
		return nng_to_evl(rv);
	}
	s->listeners[i] = l;

	/* The real port, for "listening on" and for tests that ask for
	 * port 0.  ipc and inproc have none. */
	if (nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port) != 0) {
		nng_sockaddr sa;
		if (nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa) == 0) {
			if (sa.s_family == NNG_AF_INET)
				port = ntohs(sa.s_in.sa_port);
			else if (sa.s_family == NNG_AF_INET6)
				port = ntohs(sa.s_in6.sa_port);
		}
	}
	s->urls[i] = port > 0 ? url_with_port(url, port) : evlp_strdup(url);
	return s->urls[i] != NULL ? 0 : EVL_ENOMEM;
}

/* ---- start and stop ------------------------------------------------- */

int
evld_server_start(struct evld_server **out, struct evld_broker *b)
{
	const struct evld_config *cfg = b->cfg;
	struct evld_server       *s;
	struct sctx              *start[EVLD_SERVER_BASE_CTX];
	size_t                    nstart = 0;
	int                       rv;

	if (EVLP_ALLOC_STRUCT(s) == NULL)
		return EVL_ENOMEM;
	s->b               = b;
	atomic_init(&s->ncalls, 0);
	atomic_init(&s->closed, false);
	s->max_parked      = cfg->max_parked_fetches;
	s->max_outstanding = cfg->max_outstanding;
	s->max_connections = cfg->max_connections;
	s->max_ctx = EVLD_SERVER_BASE_CTX + EVLD_SERVER_MIN_RECV + s->max_parked;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadline_after */
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->pmu, NULL);
	s->pipe_cap = 64;
	s->pipes    = evlp_zalloc(s->pipe_cap * sizeof(*s->pipes));
	s->listeners = evlp_zalloc(
	    (cfg->nlisten ? cfg->nlisten : 1) * sizeof(*s->listeners));
	s->urls = evlp_zalloc((cfg->nlisten ? cfg->nlisten : 1) * sizeof(char *));
	if (s->pipes == NULL || s->listeners == NULL || s->urls == NULL) {
		rv = EVL_ENOMEM;
		goto fail;
	}

	if ((rv = nng_rep0_open(&s->sock)) != 0) {
		rv = nng_to_evl(rv);
		goto fail;
	}
	s->sock_open = true;
	/* Bounds what a peer can make us allocate; the listeners get the
	 * same value (ws keeps its own otherwise). */
	nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, cfg->max_message_bytes);
	if ((rv = nng_pipe_notify(s->sock, NNG_PIPE_EV_ADD_PRE, pipe_event, s)) != 0 ||
	    (rv = nng_pipe_notify(s->sock, NNG_PIPE_EV_REM_POST, pipe_event, s)) != 0) {
		rv = nng_to_evl(rv);
		goto fail;
	}

	/* The base pool, receiving before any listener accepts. */
	pthread_mutex_lock(&s->mu);
	while (nstart < EVLD_SERVER_BASE_CTX) {
		struct sctx *c = pool_take(s);
		if (c == NULL)
			break;
		start[nstart++] = c;
	}
	pthread_mutex_unlock(&s->mu);
	if (nstart < EVLD_SERVER_BASE_CTX) {
		rv = EVL_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < nstart; i++)
		nng_ctx_recv(start[i]->ctx, start[i]->aio);

	for (size_t i = 0; i < cfg->nlisten; i++) {
		if ((rv = listener_start(s, i, cfg->listen[i])) != 0)
			goto fail;
		s->nurls = i + 1;
	}
	*out = s;
	return 0;

fail:
	evld_server_drain(s, 0);
	evld_server_close(s);
	evld_server_free(s);
	return rv;
}

size_t
evld_server_url_count(const struct evld_server *s)
{
	return s->nurls;
}

const char *
evld_server_url(const struct evld_server *s, size_t i)
{
	return i < s->nurls ? s->urls[i] : NULL;
}

void
evld_server_quiesce(struct evld_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_mutex_unlock(&s->mu);
}

static struct timespec
deadline_after(uint32_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long) (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

void
evld_server_drain(struct evld_server *s, uint32_t timeout_ms)
{
	struct timespec until = deadline_after(timeout_ms);
	bool            any;

	pthread_mutex_lock(&s->pmu);
	any = s->npipes > 0;
	pthread_mutex_unlock(&s->pmu);
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	any         = any || s->nbusy > 0;
	while (s->nbusy > 0) {
		if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT)
			break;
	}
	if (s->nbusy > 0)
		evld_log_warn(&s->b->log,
		    "%zu requests still in progress at shutdown", s->nbusy);
	pthread_mutex_unlock(&s->mu);

	/*
	 * A send completes when NNG has queued the message on its pipe, not
	 * when the bytes are out; closing the socket at once would cut the
	 * last answers off.  NNG has no flush, so linger a moment.
	 */
	if (any && timeout_ms > 0) {
		struct timespec linger = { 0, 50 * 1000000L };
		nanosleep(&linger, NULL);
	}

	pthread_mutex_lock(&s->mu);
	atomic_store(&s->closed, true);
	while (atomic_load(&s->ncalls) > 0)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

void
evld_server_close(struct evld_server *s)
{
	if (s != NULL && s->sock_open) {
		/* Closes listeners, pipes and contexts: receives complete
		 * with NNG_ECLOSED. */
		nng_close(s->sock);
		s->sock_open = false;
	}
}

void
evld_server_free(struct evld_server *s)
{
	if (s == NULL)
		return;
	if (s->sock_open) {
		nng_close(s->sock);
		s->sock_open = false;
	}
	/* nng_aio_free waits for a callback in progress. */
	for (size_t i = 0; i < s->nall; i++) {
		struct sctx *c = s->all[i];
		nng_aio_free(c->paio);
		nng_aio_free(c->aio);
		nng_ctx_close(c->ctx);
		evld_req_fini(&c->req);
		evlp_free(c);
	}
	evlp_free(s->all);
	if (s->tls != NULL)
		nng_tls_config_free(s->tls);
	for (size_t i = 0; s->urls != NULL && i < s->b->cfg->nlisten; i++)
		evlp_free(s->urls[i]);
	evlp_free(s->urls);
	evlp_free(s->listeners);
	for (size_t i = 0; s->pipes != NULL && i < s->pipe_cap; i++)
		if (s->pipes[i].id != 0)
			session_free(s->pipes[i].sess);
	evlp_free(s->pipes);
	pthread_mutex_destroy(&s->pmu);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	evlp_free(s);
}
