/*
 * scram.c -- SCRAM-SHA-256 messages and keys (scram.h).
 *
 * Parsing works on (pointer, length) views of the caller's bytes and
 * never past them: each message is split into "x=value" attributes at
 * ',' by attr_next, which only advances within the view.  Message text is
 * built with a bounded appender (sb_*) whose overflow is remembered and
 * reported once, as EVL_ETOOBIG.
 *
 *   SaltedPassword  = PBKDF2-HMAC-SHA-256(password, salt, i)
 *   ClientKey       = HMAC(SaltedPassword, "Client Key")
 *   StoredKey       = SHA-256(ClientKey)
 *   ServerKey       = HMAC(SaltedPassword, "Server Key")
 *   AuthMessage     = client-first-bare "," server-first ","
 *                     client-final-without-proof
 *   ClientProof     = ClientKey XOR HMAC(StoredKey, AuthMessage)
 *   ServerSignature = HMAC(ServerKey, AuthMessage)
 */
#include "scram.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>

#include <evlog/evlog.h>

/* ---- small helpers ---------------------------------------------------- */

void
evlp_scram_wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;
	while (n-- > 0)
		*v++ = 0;
}

int
evlp_scram_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t                 d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (uint8_t) (x[i] ^ y[i]);
	return d == 0;
}

int
evlp_scram_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return EVL_EIO;
		}
		p += got;
		n -= (size_t) got;
	}
	return 0;
}

static int
hmac(const uint8_t *key, size_t klen, const void *msg, size_t mlen,
    uint8_t out[EVLP_SCRAM_KEY_LEN])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	return mbedtls_md_hmac(md, key, klen, msg, mlen, out) == 0
	    ? 0
	    : EVL_EINTERNAL;
}

static int
sha256(const uint8_t *in, size_t len, uint8_t out[EVLP_SCRAM_KEY_LEN])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	return mbedtls_md(md, in, len, out) == 0 ? 0 : EVL_EINTERNAL;
}

static bool
b64_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

int
evlp_scram_b64_encode(
    char *out, size_t cap, size_t *outlen, const uint8_t *in, size_t len)
{
	size_t n = 0;
	if (len > 3 * (EVLP_SCRAM_MSG_MAX / 4))
		return EVL_ETOOBIG;
	int rv = mbedtls_base64_encode((unsigned char *) out, cap, &n, in, len);
	if (rv != 0)
		return EVL_ETOOBIG;
	*outlen = n;
	return 0;
}

int
evlp_scram_b64_decode(
    uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t len)
{
	size_t n = 0;
	/* mbedTLS skips whitespace; a SCRAM attribute has none, so refuse
	 * anything outside the alphabet before it looks. */
	if (len % 4 != 0)
		return EVL_EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!b64_char((uint8_t) in[i]))
			return EVL_EINVAL;
	int rv = mbedtls_base64_decode(
	    out, cap, &n, (const unsigned char *) in, len);
	if (rv == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL)
		return EVL_ETOOBIG;
	if (rv != 0)
		return EVL_EINVAL;
	*outlen = n;
	return 0;
}

/* A bounded string builder; an overflow sticks. */
typedef struct sb {
	char  *p;
	size_t cap, len;
	bool   over;
} sb;

static void
sb_put(sb *b, const void *s, size_t n)
{
	if (b->over || n > b->cap - b->len) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
sb_str(sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void
sb_b64(sb *b, const uint8_t *in, size_t len)
{
	size_t n;
	if (b->over ||
	    evlp_scram_b64_encode(b->p + b->len, b->cap - b->len, &n, in, len) !=
	        0) {
		b->over = true;
		return;
	}
	b->len += n;
}

static void
sb_u32(sb *b, uint32_t v)
{
	char   tmp[10];
	size_t n = 0;
	do {
		tmp[n++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n > 0)
		sb_put(b, &tmp[--n], 1);
}

/* ---- attributes -------------------------------------------------------- */

/* A view of part of a message. */
typedef struct view {
	const char *p;
	size_t      len;
} view;

/* The next attribute "k=value" from *rest (up to ',' or the end); *rest
 * moves past it and its ','.  False when *rest is empty or the attribute
 * is not a letter followed by '='. */
static bool
attr_next(view *rest, char *k, view *val)
{
	if (rest->len == 0)
		return false;
	const char *end = memchr(rest->p, ',', rest->len);
	size_t      n   = end ? (size_t) (end - rest->p) : rest->len;
	if (n < 2 || rest->p[1] != '=')
		return false;
	char c = rest->p[0];
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
		return false;
	*k        = c;
	val->p    = rest->p + 2;
	val->len  = n - 2;
	rest->p   += end ? n + 1 : n;
	rest->len -= end ? n + 1 : n;
	/* "a,": a trailing ',' with nothing after it is malformed. */
	if (end != NULL && rest->len == 0)
		return false;
	return true;
}

/* printable = %x21-2B / %x2D-7E (RFC 5802): a nonce's characters. */
static bool
nonce_ok(const char *p, size_t n)
{
	if (n == 0 || n > EVLP_SCRAM_NONCE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t) p[i];
		if (c < 0x21 || c > 0x7e || c == ',')
			return false;
	}
	return true;
}

static bool
no_nul(const uint8_t *p, size_t n)
{
	return memchr(p, 0, n) == NULL;
}

/* saslname -> name: "=2C" is ',', "=3D" is '=', any other '=' is
 * malformed.  1..EVLP_SCRAM_USER_MAX bytes. */
static int
saslname_decode(view v, char out[EVLP_SCRAM_USER_MAX + 1])
{
	size_t n = 0;
	for (size_t i = 0; i < v.len; i++) {
		char c = v.p[i];
		if (c == '=') {
			if (v.len - i < 3)
				return EVL_EPROTO;
			if (v.p[i + 1] == '2' && v.p[i + 2] == 'C')
				c = ',';
			else if (v.p[i + 1] == '3' && v.p[i + 2] == 'D')
				c = '=';
			else
				return EVL_EPROTO;
			i += 2;
		}
		if (n == EVLP_SCRAM_USER_MAX)
			return EVL_EPROTO;
		out[n++] = c;
	}
	if (n == 0)
		return EVL_EPROTO;
	out[n] = '\0';
	return 0;
}

static void
sb_saslname(sb *b, const char *name)
{
	for (; *name; name++) {
		if (*name == ',')
			sb_str(b, "=2C");
		else if (*name == '=')
			sb_str(b, "=3D");
		else
			sb_put(b, name, 1);
	}
}

/* ---- keys --------------------------------------------------------------- */

static int
salted_password(const char *pw, size_t pwlen, const uint8_t *salt,
    size_t slen, uint32_t iter, uint8_t out[EVLP_SCRAM_KEY_LEN])
{
	mbedtls_md_context_t ctx;
	int                  rv = EVL_ENOMEM;
	mbedtls_md_init(&ctx);
	if (mbedtls_md_setup(&ctx, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
	        1) != 0)
		goto out;
	rv = mbedtls_pkcs5_pbkdf2_hmac(&ctx, (const unsigned char *) pw, pwlen,
	         salt, slen, iter, EVLP_SCRAM_KEY_LEN, out) == 0
	    ? 0
	    : EVL_EINTERNAL;
out:
	mbedtls_md_free(&ctx);
	return rv;
}

int
evlp_scram_cred_make(evlp_scram_cred *out, const char *password,
    size_t password_len, const uint8_t *salt, size_t salt_len,
    uint32_t iterations)
{
	uint8_t         sp[EVLP_SCRAM_KEY_LEN], ck[EVLP_SCRAM_KEY_LEN];
	evlp_scram_cred c;
	int             rv;
	if (salt_len == 0 || salt_len > EVLP_SCRAM_SALT_MAX ||
	    iterations < EVLP_SCRAM_ITER_MIN ||
	    iterations > EVLP_SCRAM_ITER_MAX)
		return EVL_EINVAL;
	memset(&c, 0, sizeof(c));
	c.iterations = iterations;
	c.salt_len   = salt_len;
	memcpy(c.salt, salt, salt_len);
	if ((rv = salted_password(password, password_len, salt, salt_len,
	         iterations, sp)) != 0 ||
	    (rv = hmac(sp, sizeof(sp), "Client Key", 10, ck)) != 0 ||
	    (rv = sha256(ck, sizeof(ck), c.stored_key)) != 0 ||
	    (rv = hmac(sp, sizeof(sp), "Server Key", 10, c.server_key)) != 0)
		goto out;
	*out = c;
out:
	evlp_scram_wipe(sp, sizeof(sp));
	evlp_scram_wipe(ck, sizeof(ck));
	evlp_scram_wipe(&c, sizeof(c));
	return rv;
}

/* HMAC(key, AuthMessage) without building AuthMessage in one buffer. */
static int
auth_hmac(const uint8_t key[EVLP_SCRAM_KEY_LEN], const char *bare,
    size_t bare_len, const char *sfirst, size_t sfirst_len,
    const char *cfinal, size_t cfinal_len, uint8_t out[EVLP_SCRAM_KEY_LEN])
{
	mbedtls_md_context_t ctx;
	int                  rv = EVL_EINTERNAL;
	mbedtls_md_init(&ctx);
	if (mbedtls_md_setup(&ctx, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
	        1) != 0) {
		rv = EVL_ENOMEM;
		goto out;
	}
	if (mbedtls_md_hmac_starts(&ctx, key, EVLP_SCRAM_KEY_LEN) != 0 ||
	    mbedtls_md_hmac_update(&ctx, (const uint8_t *) bare, bare_len) !=
	        0 ||
	    mbedtls_md_hmac_update(&ctx, (const uint8_t *) ",", 1) != 0 ||
	    mbedtls_md_hmac_update(&ctx, (const uint8_t *) sfirst,
	        sfirst_len) != 0 ||
	    mbedtls_md_hmac_update(&ctx, (const uint8_t *) ",", 1) != 0 ||
	    mbedtls_md_hmac_update(&ctx, (const uint8_t *) cfinal,
	        cfinal_len) != 0 ||
	    mbedtls_md_hmac_finish(&ctx, out) != 0)
		goto out;
	rv = 0;
out:
	mbedtls_md_free(&ctx);
	return rv;
}

/* ---- client ------------------------------------------------------------ */

int
evlp_scram_client_first(evlp_scram_client *s, const char *user,
    const char *cnonce, char *out, size_t cap, size_t *outlen)
{
	char   rnd_nonce[40];
	size_t ulen = user ? strlen(user) : 0;
	memset(s, 0, sizeof(*s));
	if (ulen == 0 || ulen > EVLP_SCRAM_USER_MAX)
		return EVL_EINVAL;
	if (cnonce == NULL) {
		uint8_t raw[24];
		size_t  n;
		int     rv = evlp_scram_random(raw, sizeof(raw));
		if (rv != 0)
			return rv;
		evlp_scram_b64_encode(rnd_nonce, sizeof(rnd_nonce), &n, raw,
		    sizeof(raw));
		cnonce = rnd_nonce;
	}
	/* Leave room for the server's part of the nonce. */
	if (!nonce_ok(cnonce, strlen(cnonce)) ||
	    strlen(cnonce) > EVLP_SCRAM_NONCE_MAX / 2)
		return EVL_EINVAL;
	strcpy(s->cnonce, cnonce);

	sb bare = { s->first_bare, sizeof(s->first_bare), 0, false };
	sb_str(&bare, "n=");
	sb_saslname(&bare, user);
	sb_str(&bare, ",r=");
	sb_str(&bare, cnonce);
	if (bare.over)
		return EVL_ETOOBIG;
	s->first_bare_len = bare.len;

	sb m = { out, cap, 0, false };
	sb_str(&m, "n,,");
	sb_put(&m, s->first_bare, s->first_bare_len);
	if (m.over)
		return EVL_ETOOBIG;
	*outlen  = m.len;
	s->state = 1;
	return 0;
}

int
evlp_scram_client_final(evlp_scram_client *s, const char *password,
    size_t password_len, const uint8_t *server_first, size_t len, char *out,
    size_t cap, size_t *outlen)
{
	view     rest = { (const char *) server_first, len }, v, nonce = { 0 };
	char     k;
	uint8_t  salt[EVLP_SCRAM_SALT_MAX];
	size_t   slen = 0;
	uint32_t iter = 0;
	int      rv;

	if (s->state != 1)
		return EVL_EINVAL;
	if (len == 0 || len > EVLP_SCRAM_MSG_MAX || !no_nul(server_first, len))
		return EVL_EPROTO;
	if (!attr_next(&rest, &k, &v))
		return EVL_EPROTO;
	if (k == 'e')
		return EVL_EAUTH;
	if (k != 'r' || !nonce_ok(v.p, v.len))
		return EVL_EPROTO;
	nonce = v;
	size_t cn = strlen(s->cnonce);
	/* The server's nonce must extend ours, by at least one character. */
	if (nonce.len <= cn || memcmp(nonce.p, s->cnonce, cn) != 0)
		return EVL_EAUTH;
	if (!attr_next(&rest, &k, &v) || k != 's' ||
	    evlp_scram_b64_decode(salt, sizeof(salt), &slen, v.p, v.len) != 0 ||
	    slen == 0)
		return EVL_EPROTO;
	if (!attr_next(&rest, &k, &v) || k != 'i' || v.len == 0 || v.len > 9)
		return EVL_EPROTO;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return EVL_EPROTO;
		iter = iter * 10 + (uint32_t) (v.p[i] - '0');
	}
	if (iter < EVLP_SCRAM_ITER_MIN || iter > EVLP_SCRAM_ITER_MAX)
		return EVL_EINVAL;
	/* Extensions may follow; we know none and ignore them. */

	sb m = { out, cap, 0, false };
	sb_str(&m, "c=biws,r=");
	sb_put(&m, nonce.p, nonce.len);
	if (m.over)
		return EVL_ETOOBIG;
	size_t without_proof = m.len;

	uint8_t sp[EVLP_SCRAM_KEY_LEN], ck[EVLP_SCRAM_KEY_LEN];
	uint8_t stored[EVLP_SCRAM_KEY_LEN], sk[EVLP_SCRAM_KEY_LEN];
	uint8_t sig[EVLP_SCRAM_KEY_LEN], proof[EVLP_SCRAM_KEY_LEN];
	if ((rv = salted_password(password, password_len, salt, slen, iter,
	         sp)) != 0 ||
	    (rv = hmac(sp, sizeof(sp), "Client Key", 10, ck)) != 0 ||
	    (rv = sha256(ck, sizeof(ck), stored)) != 0 ||
	    (rv = hmac(sp, sizeof(sp), "Server Key", 10, sk)) != 0 ||
	    (rv = auth_hmac(stored, s->first_bare, s->first_bare_len,
	         (const char *) server_first, len, out, without_proof, sig)) !=
	        0 ||
	    (rv = auth_hmac(sk, s->first_bare, s->first_bare_len,
	         (const char *) server_first, len, out, without_proof,
	         s->server_sig)) != 0)
		goto out;
	for (size_t i = 0; i < EVLP_SCRAM_KEY_LEN; i++)
		proof[i] = ck[i] ^ sig[i];
	sb_str(&m, ",p=");
	sb_b64(&m, proof, sizeof(proof));
	if (m.over) {
		rv = EVL_ETOOBIG;
		goto out;
	}
	*outlen  = m.len;
	s->state = 2;
out:
	evlp_scram_wipe(sp, sizeof(sp));
	evlp_scram_wipe(ck, sizeof(ck));
	evlp_scram_wipe(stored, sizeof(stored));
	evlp_scram_wipe(sk, sizeof(sk));
	evlp_scram_wipe(sig, sizeof(sig));
	evlp_scram_wipe(proof, sizeof(proof));
	return rv;
}

int
evlp_scram_client_verify(
    evlp_scram_client *s, const uint8_t *server_final, size_t len)
{
	view    rest = { (const char *) server_final, len }, v;
	char    k;
	uint8_t sig[EVLP_SCRAM_KEY_LEN + 3];
	size_t  n = 0;
	if (s->state != 2)
		return EVL_EINVAL;
	if (len == 0 || len > EVLP_SCRAM_MSG_MAX || !no_nul(server_final, len))
		return EVL_EPROTO;
	if (!attr_next(&rest, &k, &v))
		return EVL_EPROTO;
	if (k == 'e')
		return EVL_EAUTH;
	if (k != 'v' ||
	    evlp_scram_b64_decode(sig, sizeof(sig), &n, v.p, v.len) != 0 ||
	    n != EVLP_SCRAM_KEY_LEN)
		return EVL_EPROTO;
	if (!evlp_scram_equal(sig, s->server_sig, EVLP_SCRAM_KEY_LEN))
		return EVL_EAUTH;
	return 0;
}

/* ---- server ------------------------------------------------------------ */

int
evlp_scram_server_start(
    evlp_scram_server *s, const uint8_t *client_first, size_t len)
{
	const char *p = (const char *) client_first;
	view        rest, v;
	char        k;
	int         rv;

	memset(s, 0, sizeof(*s));
	if (len < 3 || len > EVLP_SCRAM_MSG_MAX || !no_nul(client_first, len))
		return EVL_EPROTO;
	/* gs2-header = gs2-cbind-flag "," [ authzid ] "," */
	if (p[0] == 'p')
		return EVL_ENOTSUP; /* channel binding: not offered */
	if ((p[0] != 'n' && p[0] != 'y') || p[1] != ',')
		return EVL_EPROTO;
	if (p[2] != ',') {
		/* An authzid ("a=name,"): we have no proxy users. */
		return p[2] == 'a' ? EVL_EAUTH : EVL_EPROTO;
	}
	s->gs2[0] = p[0];
	s->gs2[1] = ',';
	s->gs2[2] = ',';
	rest.p    = p + 3;
	rest.len  = len - 3;
	memcpy(s->first_bare, rest.p, rest.len);
	s->first_bare_len = rest.len;

	if (!attr_next(&rest, &k, &v))
		return EVL_EPROTO;
	if (k == 'm')
		return EVL_ENOTSUP; /* a mandatory extension */
	if (k != 'n' || (rv = saslname_decode(v, s->user)) != 0)
		return EVL_EPROTO;
	if (!attr_next(&rest, &k, &v) || k != 'r' || !nonce_ok(v.p, v.len) ||
	    v.len > EVLP_SCRAM_NONCE_MAX / 2)
		return EVL_EPROTO;
	memcpy(s->nonce, v.p, v.len);
	s->nonce[v.len] = '\0';
	/* Extensions may follow: syntax-checked, ignored. */
	while (rest.len > 0)
		if (!attr_next(&rest, &k, &v))
			return EVL_EPROTO;
	s->state = 1;
	return 0;
}

int
evlp_scram_server_first(evlp_scram_server *s, const evlp_scram_cred *cred,
    const char *snonce, char *out, size_t cap, size_t *outlen)
{
	char   rnd[40];
	size_t cn = strlen(s->nonce);
	if (s->state != 1 || cred->salt_len == 0 ||
	    cred->salt_len > EVLP_SCRAM_SALT_MAX)
		return EVL_EINVAL;
	if (snonce == NULL) {
		uint8_t raw[24];
		size_t  n;
		int     rv = evlp_scram_random(raw, sizeof(raw));
		if (rv != 0)
			return rv;
		evlp_scram_b64_encode(rnd, sizeof(rnd), &n, raw, sizeof(raw));
		snonce = rnd;
	}
	size_t sn = strlen(snonce);
	if (!nonce_ok(snonce, sn) || cn + sn > EVLP_SCRAM_NONCE_MAX)
		return EVL_EINVAL;
	memcpy(s->nonce + cn, snonce, sn + 1);
	s->cred = *cred;

	sb m = { s->server_first, sizeof(s->server_first), 0, false };
	sb_str(&m, "r=");
	sb_str(&m, s->nonce);
	sb_str(&m, ",s=");
	sb_b64(&m, cred->salt, cred->salt_len);
	sb_str(&m, ",i=");
	sb_u32(&m, cred->iterations);
	if (m.over || m.len > cap)
		return EVL_ETOOBIG;
	s->server_first_len = m.len;
	memcpy(out, s->server_first, m.len);
	*outlen  = m.len;
	s->state = 2;
	return 0;
}

int
evlp_scram_server_final(evlp_scram_server *s, const uint8_t *client_final,
    size_t len, char *out, size_t cap, size_t *outlen)
{
	const char *p    = (const char *) client_final;
	view        rest = { p, len }, v;
	char        k;
	char        cb[8];
	size_t      cbn = 0;
	size_t      without_proof = 0;
	uint8_t     proof[EVLP_SCRAM_KEY_LEN + 3];
	size_t      plen = 0;
	bool        have_c = false, have_r = false, have_p = false;
	int         rv;

	if (s->state != 2)
		return EVL_EINVAL;
	s->state = 3; /* one attempt per exchange */
	if (len == 0 || len > EVLP_SCRAM_MSG_MAX || !no_nul(client_final, len))
		return EVL_EPROTO;
	/* c= (the gs2 header again), r=, extensions, and p= last. */
	while (rest.len > 0) {
		const char *at = rest.p;
		if (!attr_next(&rest, &k, &v))
			return EVL_EPROTO;
		if (have_p)
			return EVL_EPROTO; /* the proof must be last */
		if (!have_c) {
			if (k != 'c')
				return EVL_EPROTO;
			evlp_scram_b64_encode(cb, sizeof(cb), &cbn,
			    (const uint8_t *) s->gs2, 3);
			/* A different header: the channel binding data do
			 * not match what the client first said. */
			if (v.len != cbn || memcmp(v.p, cb, cbn) != 0)
				return EVL_EAUTH;
			have_c = true;
		} else if (!have_r) {
			if (k != 'r')
				return EVL_EPROTO;
			if (v.len != strlen(s->nonce) ||
			    memcmp(v.p, s->nonce, v.len) != 0)
				return EVL_EAUTH;
			have_r = true;
		} else if (k == 'p') {
			if (evlp_scram_b64_decode(proof, sizeof(proof), &plen,
			        v.p, v.len) != 0 ||
			    plen != EVLP_SCRAM_KEY_LEN)
				return EVL_EPROTO;
			/* The ',' before "p=". */
			without_proof = (size_t) (at - p) - 1;
			have_p        = true;
		}
	}
	if (!have_p)
		return EVL_EPROTO;

	uint8_t sig[EVLP_SCRAM_KEY_LEN], ck[EVLP_SCRAM_KEY_LEN];
	uint8_t stored[EVLP_SCRAM_KEY_LEN], ssig[EVLP_SCRAM_KEY_LEN];
	if ((rv = auth_hmac(s->cred.stored_key, s->first_bare,
	         s->first_bare_len, s->server_first, s->server_first_len, p,
	         without_proof, sig)) != 0)
		goto out;
	for (size_t i = 0; i < EVLP_SCRAM_KEY_LEN; i++)
		ck[i] = proof[i] ^ sig[i];
	if ((rv = sha256(ck, sizeof(ck), stored)) != 0)
		goto out;
	if (!evlp_scram_equal(stored, s->cred.stored_key, EVLP_SCRAM_KEY_LEN)) {
		rv = EVL_EAUTH;
		goto out;
	}
	if ((rv = auth_hmac(s->cred.server_key, s->first_bare,
	         s->first_bare_len, s->server_first, s->server_first_len, p,
	         without_proof, ssig)) != 0)
		goto out;
	sb m = { out, cap, 0, false };
	sb_str(&m, "v=");
	sb_b64(&m, ssig, sizeof(ssig));
	if (m.over) {
		rv = EVL_ETOOBIG;
		goto out;
	}
	*outlen = m.len;
out:
	evlp_scram_wipe(sig, sizeof(sig));
	evlp_scram_wipe(ck, sizeof(ck));
	evlp_scram_wipe(stored, sizeof(stored));
	evlp_scram_wipe(ssig, sizeof(ssig));
	evlp_scram_wipe(&s->cred, sizeof(s->cred));
	return rv;
}
