/*
 * handle_auth.c -- AUTH_START and AUTH_FINISH: SCRAM-SHA-256 on a pipe
 * (PROTOCOL.md §9).
 *
 * The exchange's state lives in the pipe's session (session.h), so both
 * steps must arrive on the same connection; a successful AUTH_FINISH
 * binds the user to it.  Every SCRAM step runs under the pipe table's
 * lock (a few HMACs, no PBKDF2: the users file stores the derived keys),
 * and logging, counting and the failure limit happen after it is
 * released.  Failures never say whether the user exists or the password
 * was wrong, and nothing secret is logged; the user name is, when it is
 * a valid one.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "broker.h"
#include "msg.h"
#include "server.h"
#include "session.h"

#define AUTH_FAILED "authentication failed (unknown user or wrong password)"

/* The user name as safe to log: a client-chosen string goes into the
 * log only when it is a valid name. */
static const char *
loggable(const char *user)
{
	return evld_user_name_ok(user) ? user : "(invalid name)";
}

/* Refuses while the peer is locked out; 0 otherwise. */
static int
check_locked(struct evld_req *r, const char *peer)
{
	uint64_t left =
	    evld_auth_locked_ms(&r->b->auth, peer, evld_now_us() / 1000);
	if (left == 0)
		return 0;
	r->detail = (int64_t) left;
	snprintf(r->errbuf, sizeof(r->errbuf),
	    "too many failed logins from this address; retry in %llu ms",
	    (unsigned long long) left);
	r->errmsg = r->errbuf;
	return EVL_ETHROTTLED;
}

/* Answers with one bytes field (the server's SCRAM message). */
static int
answer(struct evld_req *r, const char *data, size_t len)
{
	evlp_auth_msg m = { { NULL, 0 }, { (const uint8_t *) data, len } };
	int           rv;
	if ((rv = evld_resp_begin(r, 4 + len)) != 0)
		return rv;
	EVLD_PUT(r->resp, rv, evlp_auth_data_encode(w, &m));
	return rv;
}

/* Copies the session's peer; "" when the pipe has no session. */
static bool
session_peer(struct evld_req *r, char peer[EVLD_PEER_MAX])
{
	struct evld_session *ss = evld_server_session_lock(r->b->server, r->pipe);
	if (ss == NULL)
		return false;
	memcpy(peer, ss->peer, EVLD_PEER_MAX);
	evld_server_session_unlock(r->b->server);
	return true;
}

/* Whether a login step may run: the pipe has a session (its peer copied
 * into peer) and the peer is not locked out. */
static int
admit(struct evld_req *r, char peer[EVLD_PEER_MAX])
{
	if (!session_peer(r, peer)) {
		r->errmsg = "this connection has no session (out of memory)";
		return EVL_ENOMEM;
	}
	return check_locked(r, peer);
}

static int
auth_off(struct evld_req *r)
{
	r->errmsg = "authentication is off on this broker (no --users)";
	return EVL_ENOTSUP;
}

int
evld_handle_auth_start(struct evld_req *r)
{
	evlp_auth_msg        m;
	evlp_scram_cred      cred;
	struct evld_session *ss;
	char                 peer[EVLD_PEER_MAX];
	char                 out[EVLP_SCRAM_MSG_MAX];
	size_t               outlen = 0;
	bool                 known;
	int                  rv;

	if (!evld_broker_auth_on(r->b))
		return auth_off(r);
	if ((rv = evlp_auth_start_decode(r->body, &m)) != 0) {
		r->errmsg = "malformed AUTH_START body";
		return rv;
	}
	if (m.mechanism.len != strlen(EVLP_SCRAM_MECH) ||
	    memcmp(m.mechanism.p, EVLP_SCRAM_MECH, m.mechanism.len) != 0) {
		r->errmsg = "unsupported mechanism: this broker speaks "
		            "SCRAM-SHA-256";
		return EVL_ENOTSUP;
	}
	if ((rv = admit(r, peer)) != 0)
		return rv;

	if ((ss = evld_server_session_lock(r->b->server, r->pipe)) == NULL)
		return EVL_ECONNRESET;
	ss->scram_active = false;
	rv = evlp_scram_server_start(&ss->scram, m.data.p, m.data.len);
	if (rv == 0) {
		evld_auth_cred(&r->b->auth, ss->scram.user, &cred, &known);
		/* A name that could never be a user is treated as unknown:
		 * it fails at AUTH_FINISH like any other. */
		known = known && evld_user_name_ok(ss->scram.user);
		rv    = evlp_scram_server_first(
                    &ss->scram, &cred, NULL, out, sizeof(out), &outlen);
		evlp_scram_wipe(&cred, sizeof(cred));
	}
	if (rv == 0) {
		ss->scram_active = true;
		ss->scram_known  = known;
	}
	evld_server_session_unlock(r->b->server);

	switch (rv) {
	case 0:
		return answer(r, out, outlen);
	case EVL_ENOTSUP:
		r->errmsg = "SCRAM channel binding and mandatory extensions "
		            "are not supported";
		return rv;
	case EVL_EAUTH:
		/* An authzid: counts as a failed login. */
		r->errmsg = "SCRAM authorization identities are not supported";
		evld_counter_inc(r->b->bm_ok ? r->b->bm.auth_failed : NULL);
		evld_auth_failure(&r->b->auth, peer, evld_now_us() / 1000);
		return rv;
	case EVL_EPROTO:
		r->errmsg = "malformed SCRAM client-first-message";
		return rv;
	default:
		return rv;
	}
}

int
evld_handle_auth_finish(struct evld_req *r)
{
	evlp_auth_msg        m;
	struct evld_session *ss;
	char                 peer[EVLD_PEER_MAX];
	char                 user[EVLD_USER_MAX + 1];
	char                 out[EVLP_SCRAM_MSG_MAX];
	size_t               outlen = 0;
	bool                 started, ok = false;
	int                  rv;

	if (!evld_broker_auth_on(r->b))
		return auth_off(r);
	if ((rv = evlp_auth_data_decode(r->body, &m)) != 0) {
		r->errmsg = "malformed AUTH_FINISH body";
		return rv;
	}
	if ((rv = admit(r, peer)) != 0)
		return rv;

	if ((ss = evld_server_session_lock(r->b->server, r->pipe)) == NULL)
		return EVL_ECONNRESET;
	started = ss->scram_active;
	memcpy(user, ss->scram.user, sizeof(user));
	if (started) {
		/* One attempt per AUTH_START, right or wrong. */
		ss->scram_active = false;
		rv = evlp_scram_server_final(
		    &ss->scram, m.data.p, m.data.len, out, sizeof(out), &outlen);
		ok = rv == 0 && ss->scram_known;
		if (ok)
			memcpy(ss->user, user, sizeof(ss->user));
		evlp_scram_wipe(&ss->scram, sizeof(ss->scram));
	}
	evld_server_session_unlock(r->b->server);

	if (!started) {
		r->errmsg = "AUTH_FINISH without AUTH_START on this connection";
		return EVL_EAUTH;
	}
	if (ok) {
		evld_counter_inc(r->b->bm_ok ? r->b->bm.auth_ok : NULL);
		evld_log_info(&r->b->log, "user %s authenticated from %s", user,
		    peer);
		return answer(r, out, outlen);
	}
	evld_counter_inc(r->b->bm_ok ? r->b->bm.auth_failed : NULL);
	evld_auth_failure(&r->b->auth, peer, evld_now_us() / 1000);
	evld_log_warn(&r->b->log, "failed login for user %s from %s",
	    loggable(user), peer);
	if (rv == EVL_EPROTO) {
		r->errmsg = "malformed SCRAM client-final-message";
		return rv;
	}
	if (rv != 0 && rv != EVL_EAUTH)
		return rv;
	r->errmsg = AUTH_FAILED;
	return EVL_EAUTH;
}
