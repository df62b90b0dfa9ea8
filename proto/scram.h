/*
 * scram.h -- SCRAM-SHA-256 (RFC 5802, RFC 7677) for the broker and the
 * client: the four messages, built and parsed, and the key arithmetic.
 *
 * The library is evl_scram: libc plus mbedcrypto (SHA-256, HMAC, PBKDF2,
 * base64), kept apart from evl_proto so that the pure wire codec still
 * links nothing.  Nothing here touches a socket or a file; randomness
 * comes from getrandom().
 *
 * The profile (PROTOCOL.md §9): gs2 header "n,," or "y,," only (no
 * channel binding, no authzid), no mandatory extensions, usernames
 * escaped as saslname (=2C for ',', =3D for '='), passwords used as
 * their bytes (no SASLprep: ASCII passwords are unaffected).  Messages
 * are at most EVLP_SCRAM_MSG_MAX bytes; every parser takes any byte
 * string and answers 0 or an error, never reading outside it.
 *
 *   client                                   server
 *   evlp_scram_client_first   -- AUTH_START -->  evlp_scram_server_start
 *                                                (look up the user)
 *                             <--------------   evlp_scram_server_first
 *   evlp_scram_client_final   -- AUTH_FINISH ->  evlp_scram_server_final
 *   evlp_scram_client_verify  <--------------
 */
#ifndef EVLP_SCRAM_H
#define EVLP_SCRAM_H

#include <stddef.h>
#include <stdint.h>

#define EVLP_SCRAM_MECH "SCRAM-SHA-256"
#define EVLP_SCRAM_KEY_LEN 32       /* SHA-256 */
#define EVLP_SCRAM_SALT_MAX 64      /* bytes of salt */
#define EVLP_SCRAM_USER_MAX 64      /* bytes of (unescaped) user name */
#define EVLP_SCRAM_NONCE_MAX 128    /* characters of the whole nonce */
#define EVLP_SCRAM_MSG_MAX 1024     /* bytes of any one message */
#define EVLP_SCRAM_ITER_MIN 4096    /* RFC 7677's floor */
#define EVLP_SCRAM_ITER_MAX 1000000 /* bounds a client's work */
#define EVLP_SCRAM_DEFAULT_ITER 4096

/* What a server stores for a user: never the password nor the salted
 * password, from which a client proof could be forged. */
typedef struct evlp_scram_cred {
	uint32_t iterations;
	size_t   salt_len;
	uint8_t  salt[EVLP_SCRAM_SALT_MAX];
	uint8_t  stored_key[EVLP_SCRAM_KEY_LEN];
	uint8_t  server_key[EVLP_SCRAM_KEY_LEN];
} evlp_scram_cred;

/* A client's exchange in progress. */
typedef struct evlp_scram_client {
	char   first_bare[EVLP_SCRAM_MSG_MAX]; /* client-first-message-bare */
	size_t first_bare_len;
	char   cnonce[EVLP_SCRAM_NONCE_MAX + 1];
	uint8_t server_sig[EVLP_SCRAM_KEY_LEN]; /* expected */
	int     state; /* 0 fresh, 1 first sent, 2 final sent */
} evlp_scram_client;

/* A server's exchange in progress. */
typedef struct evlp_scram_server {
	char   user[EVLP_SCRAM_USER_MAX + 1];
	char   first_bare[EVLP_SCRAM_MSG_MAX];
	size_t first_bare_len;
	char   server_first[EVLP_SCRAM_MSG_MAX];
	size_t server_first_len;
	char   nonce[EVLP_SCRAM_NONCE_MAX + 1]; /* client + server parts */
	char   gs2[4];                          /* "n,," or "y,," */
	evlp_scram_cred cred;
	int             state; /* 0 fresh, 1 started, 2 first sent */
} evlp_scram_server;

/* evlp_scram_random fills buf with n bytes from getrandom().  EVL_EIO. */
int evlp_scram_random(void *buf, size_t n);

/* Constant-time equality of two n-byte strings (1 equal, 0 not). */
int evlp_scram_equal(const void *a, const void *b, size_t n);

/*
 * evlp_scram_cred_make derives a user's stored credentials from the
 * password, the salt (1..EVLP_SCRAM_SALT_MAX bytes) and the iteration
 * count (EVLP_SCRAM_ITER_MIN..MAX).  Errors: EVL_EINVAL, EVL_ENOMEM.
 */
int evlp_scram_cred_make(evlp_scram_cred *out, const char *password,
    size_t password_len, const uint8_t *salt, size_t salt_len,
    uint32_t iterations);

/*
 * Base64 (RFC 4648, with padding), strict: evlp_scram_b64_decode rejects
 * anything outside the alphabet (no whitespace).  Both write a NUL after
 * the output when there is room.  Errors: EVL_EINVAL (bad input),
 * EVL_ETOOBIG (output does not fit in cap).
 */
int evlp_scram_b64_encode(
    char *out, size_t cap, size_t *outlen, const uint8_t *in, size_t len);
int evlp_scram_b64_decode(
    uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t len);

/*
 * Client.  evlp_scram_client_first writes the client-first-message for
 * user into out (cap bytes; *outlen its length, not NUL-terminated).
 * cnonce is the client nonce (printable ASCII without ','), or NULL for
 * 24 random bytes in base64; a given one is for test vectors only.
 * Errors: EVL_EINVAL (bad user or nonce), EVL_ETOOBIG, EVL_EIO.
 */
int evlp_scram_client_first(evlp_scram_client *s, const char *user,
    const char *cnonce, char *out, size_t cap, size_t *outlen);

/*
 * evlp_scram_client_final reads the server-first-message and writes the
 * client-final-message (with the proof) into out.  Errors: EVL_EAUTH
 * (the server answered with another nonce, or an "e=" error),
 * EVL_EPROTO (malformed), EVL_EINVAL (iteration count out of range),
 * EVL_ETOOBIG.
 */
int evlp_scram_client_final(evlp_scram_client *s, const char *password,
    size_t password_len, const uint8_t *server_first, size_t len, char *out,
    size_t cap, size_t *outlen);

/*
 * evlp_scram_client_verify checks the server-final-message: 0 when the
 * server proved it knows the user's ServerKey, EVL_EAUTH when it did not
 * (or answered "e="), EVL_EPROTO when malformed.
 */
int evlp_scram_client_verify(
    evlp_scram_client *s, const uint8_t *server_final, size_t len);

/*
 * Server.  evlp_scram_server_start parses the client-first-message and
 * puts the (unescaped) user name into s->user.  Errors: EVL_EPROTO
 * (malformed), EVL_ENOTSUP (channel binding or a mandatory extension
 * asked for), EVL_EAUTH (an authzid; we have no proxy users).
 */
int evlp_scram_server_start(
    evlp_scram_server *s, const uint8_t *client_first, size_t len);

/*
 * evlp_scram_server_first takes the user's credentials (copied) and
 * writes the server-first-message into out.  snonce is the server's
 * nonce part or NULL for a random one (tests only).  Errors: EVL_EINVAL,
 * EVL_ETOOBIG, EVL_EIO.
 */
int evlp_scram_server_first(evlp_scram_server *s,
    const evlp_scram_cred *cred, const char *snonce, char *out, size_t cap,
    size_t *outlen);

/*
 * evlp_scram_server_final checks the client-final-message.  On a valid
 * proof returns 0 and writes the server-final-message ("v=...") into
 * out.  Errors: EVL_EAUTH (wrong proof, nonce or channel binding data),
 * EVL_EPROTO (malformed), EVL_ETOOBIG.  The proof is compared in
 * constant time.
 */
int evlp_scram_server_final(evlp_scram_server *s, const uint8_t *client_final,
    size_t len, char *out, size_t cap, size_t *outlen);

/* Wipes an exchange's secrets (memset that is not optimised away). */
void evlp_scram_wipe(void *p, size_t n);

#endif /* EVLP_SCRAM_H */
