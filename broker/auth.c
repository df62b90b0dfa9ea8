/*
 * auth.c -- users, credentials and the failure limit (auth.h).
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/md.h>

#include "alloc.h"
#include "auth.h"

int
evld_auth_init(
    struct evld_auth *a, const char *users_file, char *err, size_t errlen)
{
	int rv;
	memset(a, 0, sizeof(*a));
	if (users_file != NULL &&
	    (rv = evld_users_load(&a->users, users_file, err, errlen)) != 0)
		return rv;
	if ((rv = evlp_scram_random(a->secret, sizeof(a->secret))) != 0) {
		snprintf(err, errlen, "cannot draw random bytes");
		evld_users_fini(&a->users);
		return rv;
	}
	a->peers = evlp_zalloc(EVLD_AUTH_PEERS * sizeof(*a->peers));
	if (a->peers == NULL) {
		evld_users_fini(&a->users);
		return EVL_ENOMEM;
	}
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->umu, NULL);
	return 0;
}

int
evld_auth_reload(
    struct evld_auth *a, const char *users_file, char *err, size_t errlen)
{
	struct evld_users nu, old;
	int               rv;
	if ((rv = evld_users_load(&nu, users_file, err, errlen)) != 0)
		return rv;
	pthread_mutex_lock(&a->umu);
	old      = a->users;
	a->users = nu;
	pthread_mutex_unlock(&a->umu);
	evld_users_fini(&old);
	return 0;
}

void
evld_auth_fini(struct evld_auth *a)
{
	if (a->peers == NULL)
		return;
	evld_users_fini(&a->users);
	evlp_scram_wipe(a->secret, sizeof(a->secret));
	evlp_free(a->peers);
	a->peers = NULL;
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->umu);
}

/* HMAC-SHA-256(secret, tag ":" name): stable per broker run and name. */
static void
derive(const struct evld_auth *a, const char *tag, const char *name,
    uint8_t out[EVLP_SCRAM_KEY_LEN])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	mbedtls_md_context_t     ctx;
	mbedtls_md_init(&ctx);
	if (mbedtls_md_setup(&ctx, md, 1) != 0 ||
	    mbedtls_md_hmac_starts(&ctx, a->secret, sizeof(a->secret)) != 0 ||
	    mbedtls_md_hmac_update(&ctx, (const uint8_t *) tag, strlen(tag)) !=
	        0 ||
	    mbedtls_md_hmac_update(&ctx, (const uint8_t *) ":", 1) != 0 ||
	    mbedtls_md_hmac_update(&ctx, (const uint8_t *) name,
	        strlen(name)) != 0 ||
	    mbedtls_md_hmac_finish(&ctx, out) != 0) {
		/* Out of memory in mbedTLS: random bytes fail the exchange
		 * just as well (only the salt's stability is lost). */
		if (evlp_scram_random(out, EVLP_SCRAM_KEY_LEN) != 0)
			memset(out, 0x5a, EVLP_SCRAM_KEY_LEN);
	}
	mbedtls_md_free(&ctx);
}

void
evld_auth_cred(struct evld_auth *a, const char *name, evlp_scram_cred *out,
    bool *known)
{
	const struct evld_user *u;
	uint8_t                 salt[EVLP_SCRAM_KEY_LEN];
	pthread_mutex_lock(&a->umu);
	if ((u = evld_users_find(&a->users, name)) != NULL)
		*out = u->cred;
	pthread_mutex_unlock(&a->umu);
	if (u != NULL) {
		*known = true;
		return;
	}
	/* Looks like a real user's: a 16-byte salt, the default count.  The
	 * keys are ones nobody can answer for. */
	memset(out, 0, sizeof(*out));
	derive(a, "salt", name, salt);
	out->iterations = EVLP_SCRAM_DEFAULT_ITER;
	out->salt_len   = 16;
	memcpy(out->salt, salt, 16);
	derive(a, "stored", name, out->stored_key);
	derive(a, "server", name, out->server_key);
	*known = false;
}

/* The peer's row, or NULL.  Call with mu held. */
static struct evld_auth_peer *
peer_find(struct evld_auth *a, const char *peer)
{
	for (size_t i = 0; i < EVLD_AUTH_PEERS; i++)
		if (a->peers[i].peer[0] != '\0' &&
		    strcmp(a->peers[i].peer, peer) == 0)
			return &a->peers[i];
	return NULL;
}

uint64_t
evld_auth_locked_ms(struct evld_auth *a, const char *peer, uint64_t now_ms)
{
	uint64_t left = 0;
	pthread_mutex_lock(&a->mu);
	struct evld_auth_peer *p = peer_find(a, peer);
	if (p != NULL && p->locked_until_ms > now_ms)
		left = p->locked_until_ms - now_ms;
	pthread_mutex_unlock(&a->mu);
	return left;
}

void
evld_auth_failure(struct evld_auth *a, const char *peer, uint64_t now_ms)
{
	pthread_mutex_lock(&a->mu);
	struct evld_auth_peer *p = peer_find(a, peer);
	if (p != NULL && now_ms - p->last_ms > EVLD_AUTH_FORGET_MS &&
	    p->locked_until_ms <= now_ms)
		memset(p, 0, sizeof(*p)); /* forgiven */
	if (p == NULL || p->peer[0] == '\0') {
		/* A free row, else the one idle longest. */
		struct evld_auth_peer *victim = NULL;
		for (size_t i = 0; i < EVLD_AUTH_PEERS; i++) {
			struct evld_auth_peer *q = &a->peers[i];
			if (q->peer[0] == '\0') {
				victim = q;
				break;
			}
			if (victim == NULL || q->last_ms < victim->last_ms)
				victim = q;
		}
		if (p == NULL || p != victim) {
			p = victim;
			memset(p, 0, sizeof(*p));
		}
		snprintf(p->peer, sizeof(p->peer), "%s", peer);
	}
	if (p->failures == 0 ||
	    now_ms - p->window_start_ms > EVLD_AUTH_FAIL_WINDOW_MS) {
		p->window_start_ms = now_ms;
		p->failures        = 0;
	}
	p->failures++;
	p->last_ms = now_ms;
	if (p->failures >= EVLD_AUTH_FAIL_MAX) {
		uint64_t ms = EVLD_AUTH_LOCKOUT_MIN_MS;
		for (uint32_t i = 0; i < p->lockouts && ms < EVLD_AUTH_LOCKOUT_MAX_MS;
		     i++)
			ms *= 2;
		if (ms > EVLD_AUTH_LOCKOUT_MAX_MS)
			ms = EVLD_AUTH_LOCKOUT_MAX_MS;
		p->locked_until_ms = now_ms + ms;
		p->lockouts++;
		p->failures = 0;
	}
	pthread_mutex_unlock(&a->mu);
}
