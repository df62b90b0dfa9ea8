/*
 * auth.h -- the broker's authenticator: the users (users.h), the
 * credentials an exchange runs against, and the limit on failed attempts
 * per peer address.
 *
 * Unknown users.  So that an AUTH_START does not tell whether a user
 * exists, an unknown name gets credentials derived from the name and a
 * secret drawn at start (a salt that is the same at every attempt, the
 * default iteration count), and fails at AUTH_FINISH with the same
 * message as a wrong password.
 *
 * Failure limit.  Each failed AUTH_FINISH counts against the peer's
 * address.  EVLD_AUTH_FAIL_MAX failures within EVLD_AUTH_FAIL_WINDOW_MS
 * lock the address out for a back-off that starts at
 * EVLD_AUTH_LOCKOUT_MIN_MS and doubles with each further lockout up to
 * EVLD_AUTH_LOCKOUT_MAX_MS; during it AUTH_START and AUTH_FINISH from
 * that address are answered EVL_ETHROTTLED with the milliseconds left as
 * detail.  An address with no failure for EVLD_AUTH_FORGET_MS starts
 * over.  The table holds EVLD_AUTH_PEERS addresses; when full, the one
 * idle longest is dropped.
 */
#ifndef EVLD_AUTH_H
#define EVLD_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "logger.h"
#include "scram.h"
#include "session.h"
#include "users.h"

#define EVLD_AUTH_FAIL_MAX 5
#define EVLD_AUTH_FAIL_WINDOW_MS 60000
#define EVLD_AUTH_LOCKOUT_MIN_MS 1000
#define EVLD_AUTH_LOCKOUT_MAX_MS 60000
#define EVLD_AUTH_FORGET_MS 600000
#define EVLD_AUTH_PEERS 1024

struct evld_auth_peer {
	char     peer[EVLD_PEER_MAX]; /* "" = free slot */
	uint64_t window_start_ms;     /* first failure of the window */
	uint32_t failures;            /* within the window */
	uint32_t lockouts;            /* so far; grows the back-off */
	uint64_t locked_until_ms;
	uint64_t last_ms; /* last failure */
};

struct evld_auth {
	pthread_mutex_t        umu; /* users: replaced by a reload */
	struct evld_users      users;
	uint8_t                secret[32]; /* for unknown users' salts */
	pthread_mutex_t        mu;         /* the peer table */
	struct evld_auth_peer *peers;      /* EVLD_AUTH_PEERS of them */
};

/*
 * evld_auth_init loads the users file (users_file may be NULL: no
 * users, e.g. certificate-mapped logins only) and draws the secret.
 * Errors: EVL_EINVAL (the file; err says which line), EVL_ENOMEM,
 * EVL_EIO.
 */
int evld_auth_init(struct evld_auth *a, const char *users_file, char *err,
    size_t errlen);
void evld_auth_fini(struct evld_auth *a);

/*
 * evld_auth_reload reads users_file again and, if it is valid, replaces
 * the users (SIGHUP).  Connections logged in already keep their user;
 * logins from then on see the new file.  On failure (EVL_EINVAL with err
 * naming the file and line, EVL_ENOMEM) the old users stay.
 */
int evld_auth_reload(struct evld_auth *a, const char *users_file, char *err,
    size_t errlen);

/* The credentials to run name's exchange against, and whether the user
 * exists (see "Unknown users" above). */
void evld_auth_cred(struct evld_auth *a, const char *name,
    evlp_scram_cred *out, bool *known);

/* Milliseconds the peer is still locked out at now_ms, or 0. */
uint64_t evld_auth_locked_ms(struct evld_auth *a, const char *peer,
    uint64_t now_ms);

/* Counts a failure from peer at now_ms (may start a lockout). */
void evld_auth_failure(struct evld_auth *a, const char *peer, uint64_t now_ms);

#endif /* EVLD_AUTH_H */
