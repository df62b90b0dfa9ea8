/*
 * session.h -- what the broker knows about one connection (NNG pipe)
 * when authentication is on: its principal, the SCRAM exchange in
 * progress and the peer's address (PROTOCOL.md §9).
 *
 * Sessions live in the server's pipe table (server.c): made at the
 * pipe's ADD_PRE, freed (and wiped) at its REM_POST, so a reconnect
 * starts unauthenticated.  Handlers reach one with
 * evld_server_session_lock, under the pipe table's lock.
 */
#ifndef EVLD_SESSION_H
#define EVLD_SESSION_H

#include <stdbool.h>

#include "dispatch.h"
#include "scram.h"

/* "192.0.2.1", "2001:db8::1" or "local" (ipc, inproc). */
#define EVLD_PEER_MAX 48

struct evld_session {
	char user[EVLD_USER_MAX + 1]; /* the principal; "" = none yet */
	char peer[EVLD_PEER_MAX];     /* the remote address, no port */
	bool tls_verified;            /* a verified client certificate */

	/* The exchange in progress: after AUTH_START until AUTH_FINISH. */
	bool              scram_active;
	bool              scram_known; /* the user exists */
	evlp_scram_server scram;
};

#endif /* EVLD_SESSION_H */
