/*
 * auth.c -- logging in: SCRAM-SHA-256 over AUTH_START and AUTH_FINISH
 * (PROTOCOL.md §9), at open and again after every reconnect.
 *
 * The broker binds a login to the pipe (connection).  This client has
 * one dialer, so at most one pipe at a time; when it is replaced, the
 * new one starts unauthenticated.  Two things then log in again:
 *  - the auth thread, kicked by the new pipe's ADD_POST event (NNG's
 *    callbacks must not block, so the exchange runs on our own thread);
 *  - any synchronous request refused EVL_EAUTHREQUIRED (it raced the
 *    thread), through evlc_auth_ensure before it re-sends.
 * amu lets one exchange run at a time; whoever comes second finds
 * auth_pipe == cur_pipe and returns at once, so ten threads refused at
 * once cost one login.  The producer's asynchronous sends kick the
 * thread and back off instead (producer.c).
 *
 * Both steps of one exchange must reach the same pipe: if the answers
 * came over different pipes (a reconnect in between), or the connection
 * dropped, the exchange starts over, a few times.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "client_int.h"
#include "msg.h"
#include "ops.h"
#include "scram.h"

/* Exchanges started over after a reconnect cut one. */
#define AUTH_ATTEMPTS 4

typedef struct auth_arg {
	const char *data;
	size_t      len;
} auth_arg;

static void
start_encode(evlp_wr *w, const void *arg)
{
	const auth_arg *a = arg;
	evlp_auth_msg   m = { { (const uint8_t *) EVLP_SCRAM_MECH,
		                  strlen(EVLP_SCRAM_MECH) },
		  { (const uint8_t *) a->data, a->len } };
	evlp_auth_start_encode(w, &m);
}

static void
finish_encode(evlp_wr *w, const void *arg)
{
	const auth_arg *a = arg;
	evlp_auth_msg   m = { { NULL, 0 }, { (const uint8_t *) a->data, a->len } };
	evlp_auth_data_encode(w, &m);
}

/* One AUTH_* step: sends data, the broker's SCRAM message into out. */
static int
step(evl_client *c, uint8_t op, const char *data, size_t len, char *out,
    size_t cap, size_t *outlen, uint32_t *pipe)
{
	evlc_resp     resp = { 0 };
	evlp_auth_msg m;
	auth_arg      a = { data, len };
	int           rv;
	rv = evlc_call(c, op, op == EVLP_OP_AUTH_START ? start_encode
	                                                : finish_encode,
	    &a, 0, EVLC_NOAUTH, &resp);
	*pipe = resp.pipe;
	if (rv == EVL_EAUTH)
		return evlc_fail(c, rv, "login as %s failed: unknown user or "
		                        "wrong password", c->user);
	if (rv == EVL_ENOTSUP) {
		char why[256];
		pthread_mutex_lock(&c->mu);
		snprintf(why, sizeof(why), "%.200s", c->errmsg);
		pthread_mutex_unlock(&c->mu);
		return evlc_fail(c, rv, "cannot log in as %s: %s", c->user,
		    why[0] ? why : "not supported by the broker");
	}
	if (rv != 0)
		return rv;
	if ((rv = evlp_auth_data_decode(resp.body, &m)) != 0 || m.data.len > cap) {
		evlc_resp_fini(&resp);
		return evlc_fail(c, EVL_EPROTO, "malformed %s response",
		    evlp_op_name(op));
	}
	memcpy(out, m.data.p, m.data.len);
	*outlen = m.data.len;
	evlc_resp_fini(&resp);
	return 0;
}

/* One whole exchange; on 0 *pipe is the pipe it succeeded on.  A
 * reconnect in the middle is EVL_ECONNRESET. */
static int
exchange(evl_client *c, uint32_t *pipe)
{
	evlp_scram_client s;
	char              m[EVLP_SCRAM_MSG_MAX], in[EVLP_SCRAM_MSG_MAX];
	size_t            mlen, inlen;
	uint32_t          p1 = 0, p2 = 0;
	int               rv;

	if ((rv = evlp_scram_client_first(
	         &s, c->user, NULL, m, sizeof(m), &mlen)) != 0)
		return evlc_fail(c, rv, "cannot start a login for %s", c->user);
	rv = step(c, EVLP_OP_AUTH_START, m, mlen, in, sizeof(in), &inlen, &p1);
	if (rv != 0)
		goto out;
	rv = evlp_scram_client_final(&s, c->password, strlen(c->password),
	    (const uint8_t *) in, inlen, m, sizeof(m), &mlen);
	if (rv != 0) {
		rv = evlc_fail(c, rv == EVL_EINVAL ? EVL_EPROTO : rv,
		    "the broker's SCRAM server-first-message was %s",
		    rv == EVL_EAUTH ? "refused (its nonce is not ours)"
		                    : "malformed");
		goto out;
	}
	rv = step(c, EVLP_OP_AUTH_FINISH, m, mlen, in, sizeof(in), &inlen, &p2);
	if (p1 != p2 && p1 != 0 && p2 != 0) {
		rv = EVL_ECONNRESET; /* the steps reached two pipes */
		goto out;
	}
	if (rv != 0)
		goto out;
	if ((rv = evlp_scram_client_verify(&s, (const uint8_t *) in, inlen)) !=
	    0) {
		rv = evlc_fail(c, EVL_EAUTH,
		    "the broker failed to prove it knows the password of %s "
		    "(server signature %s)",
		    c->user, rv == EVL_EAUTH ? "wrong" : "malformed");
		goto out;
	}
	*pipe = p2;
out:
	evlp_scram_wipe(&s, sizeof(s));
	evlp_scram_wipe(m, sizeof(m));
	return rv;
}

int
evlc_auth_ensure(evl_client *c)
{
	int rv = 0;
	if (c->user == NULL)
		return 0;
	pthread_mutex_lock(&c->amu);
	for (int i = 0; i < AUTH_ATTEMPTS; i++) {
		uint32_t pipe = 0;
		if (c->auth_pipe != 0 && c->auth_pipe == atomic_load(&c->cur_pipe)) {
			rv = 0;
			break;
		}
		rv = exchange(c, &pipe);
		if (rv == 0) {
			c->auth_pipe = pipe;
			break;
		}
		if (rv != EVL_ECONNRESET)
			break;
	}
	pthread_mutex_unlock(&c->amu);
	if (rv == EVL_ECONNRESET)
		evlc_fail(c, rv, "connection to %s lost during the login",
		    c->url);
	return rv;
}

bool
evlc_auth_kick(evl_client *c)
{
	if (c->user == NULL)
		return false;
	pthread_mutex_lock(&c->mu);
	c->auth_kicked = true;
	pthread_cond_signal(&c->acv);
	pthread_mutex_unlock(&c->mu);
	return true;
}

void
evlc_auth_pipe_event(evl_client *c, nng_pipe p, nng_pipe_ev ev)
{
	uint32_t id = (uint32_t) nng_pipe_id(p);
	if (ev == NNG_PIPE_EV_ADD_POST) {
		atomic_store(&c->cur_pipe, id);
		evlc_auth_kick(c);
	} else if (ev == NNG_PIPE_EV_REM_POST) {
		unsigned want = id;
		atomic_compare_exchange_strong(&c->cur_pipe, &want, 0u);
	}
}

static void *
auth_main(void *arg)
{
	evl_client *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->auth_kicked && !c->auth_stop)
			pthread_cond_wait(&c->acv, &c->mu);
		if (c->auth_stop)
			break;
		c->auth_kicked = false;
		pthread_mutex_unlock(&c->mu);
		/* A failure is for the requests to report: they log in
		 * again themselves when refused. */
		(void) evlc_auth_ensure(c);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
evlc_auth_open(evl_client *c, const evl_client_opts *o)
{
	int rv;
	if (o->user == NULL)
		return 0;
	if (o->password == NULL)
		return evlc_fail(c, EVL_EINVAL, "a user (%s) without a password",
		    o->user);
	if (*o->user == '\0' || strlen(o->user) > EVLP_SCRAM_USER_MAX)
		return evlc_fail(c, EVL_EINVAL, "bad user name (1..64 bytes)");
	if ((c->user = evlp_strdup(o->user)) == NULL ||
	    (c->password = evlp_strdup(o->password)) == NULL)
		return EVL_ENOMEM;
	if ((rv = evlc_auth_ensure(c)) != 0)
		return rv;
	if (pthread_create(&c->auth_thread, NULL, auth_main, c) != 0)
		return evlc_fail(c, EVL_ENOMEM, "cannot start the login thread");
	c->auth_thread_started = true;
	return 0;
}

void
evlc_auth_close(evl_client *c)
{
	if (c->auth_thread_started) {
		pthread_mutex_lock(&c->mu);
		c->auth_stop = true;
		pthread_cond_signal(&c->acv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->auth_thread, NULL);
		c->auth_thread_started = false;
	}
	if (c->password != NULL) {
		evlp_scram_wipe(c->password, strlen(c->password));
		evlp_free(c->password);
		c->password = NULL;
	}
	evlp_free(c->user);
	c->user = NULL;
}
