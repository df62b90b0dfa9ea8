/*
 * fuzz_scram -- the SCRAM-SHA-256 parsers (scram.c) on hostile bytes:
 * the first input byte picks which message the rest is, read by the side
 * that receives it.  Peer messages are checked against a fixed exchange
 * (RFC 7677's nonces), so a well-formed input gets as far as the key
 * arithmetic.  Whatever is accepted must leave the state consistent.
 * The seeds in corpus/fuzz_scram/ are RFC 7677's messages, one per
 * target, written by hand (first byte: the target's index below).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "scram.h"

#define CFIRST "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define SNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"

static evlp_scram_cred cred;
static int             have_cred;

static void
setup(void)
{
	static const uint8_t salt[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
		12, 13, 14, 15, 16 };
	if (!have_cred &&
	    evlp_scram_cred_make(&cred, "pencil", 6, salt, 16, 4096) == 0)
		have_cred = 1;
}

/* client-first-message, as the broker reads it. */
static void
client_first(const uint8_t *p, size_t n)
{
	evlp_scram_server s;
	char              out[EVLP_SCRAM_MSG_MAX];
	size_t            len;
	if (evlp_scram_server_start(&s, p, n) != 0)
		return;
	size_t ul = strlen(s.user);
	if (ul == 0 || ul > EVLP_SCRAM_USER_MAX)
		fuzz_fail("server_start accepted a bad user name");
	if (evlp_scram_server_first(&s, &cred, NULL, out, sizeof(out), &len) !=
	    0)
		fuzz_fail("server_first after a valid client-first");
}

/* client-final-message, as the broker reads it. */
static void
client_final(const uint8_t *p, size_t n)
{
	evlp_scram_server s;
	char              out[EVLP_SCRAM_MSG_MAX];
	size_t            len;
	if (evlp_scram_server_start(&s, (const uint8_t *) CFIRST,
	        strlen(CFIRST)) != 0 ||
	    evlp_scram_server_first(&s, &cred, SNONCE, out, sizeof(out), &len) !=
	        0)
		fuzz_fail("fixed exchange");
	/* A valid proof from random bytes would be a SHA-256 break. */
	if (evlp_scram_server_final(&s, p, n, out, sizeof(out), &len) == 0)
		fuzz_fail("server_final accepted a fuzzed proof");
}

/* Whether s occurs in p[0..n). */
static int
has(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return 1;
	return 0;
}

/* server-first-message, as the client reads it (PBKDF2 runs when it
 * parses: iterations are capped by EVLP_SCRAM_ITER_MAX). */
static void
server_first(const uint8_t *p, size_t n)
{
	evlp_scram_client c;
	char              out[EVLP_SCRAM_MSG_MAX];
	size_t            len;
	if (evlp_scram_client_first(&c, "user", "rOprNGfwEbeRWgbNEkqO", out,
	        sizeof(out), &len) != 0)
		fuzz_fail("fixed client-first");
	/* Keep the fuzzer fast: only the default count runs PBKDF2. */
	if (!has(p, n, ",i=4096") && has(p, n, "i="))
		return;
	(void) evlp_scram_client_final(
	    &c, "pencil", 6, p, n, out, sizeof(out), &len);
}

/* server-final-message, as the client reads it. */
static void
server_final(const uint8_t *p, size_t n)
{
	evlp_scram_client c;
	memset(&c, 0, sizeof(c));
	c.state = 2;
	if (evlp_scram_client_verify(&c, p, n) == 0)
		fuzz_fail("client_verify accepted a fuzzed signature");
}

static void
b64(const uint8_t *p, size_t n)
{
	uint8_t out[EVLP_SCRAM_MSG_MAX];
	char    back[2 * EVLP_SCRAM_MSG_MAX];
	size_t  len, blen;
	if (evlp_scram_b64_decode(out, sizeof(out), &len, (const char *) p, n) !=
	    0)
		return;
	if (evlp_scram_b64_encode(back, sizeof(back), &blen, out, len) != 0 ||
	    blen != n)
		fuzz_fail("base64 decode/encode sizes");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const targets[])(const uint8_t *, size_t) = {
		client_first, client_final, server_first, server_final, b64,
	};
	if (size == 0)
		return 0;
	setup();
	if (!have_cred)
		return 0;
	/* A copy sized to the message, so an overread of it is caught. */
	uint8_t *copy = malloc(size - 1 ? size - 1 : 1);
	memcpy(copy, data + 1, size - 1);
	targets[data[0] % (sizeof(targets) / sizeof(targets[0]))](
	    copy, size - 1);
	free(copy);
	return 0;
}
