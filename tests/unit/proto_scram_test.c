/*
 * SCRAM-SHA-256 (scram.c): RFC 7677's example exchange byte for byte,
 * both sides; a wrong password; malformed and hostile messages.
 */
#include <stdio.h>
#include <string.h>

#include "evl_test.h"
#include "scram.h"

/* RFC 7677, section 3. */
#define V_CFIRST "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define V_SNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define V_SFIRST                                                          \
	"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"           \
	"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define V_CFINAL                                                          \
	"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"    \
	"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define V_SFINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static const uint8_t *
u8(const char *s)
{
	return (const uint8_t *) s;
}

static evlp_scram_cred
vector_cred(void)
{
	evlp_scram_cred c;
	uint8_t         salt[16];
	size_t          n;
	evl_assert_ok(evlp_scram_b64_decode(
	    salt, sizeof(salt), &n, "W22ZaJ0SNY7soEsUEjb6gQ==", 24));
	cr_assert_eq(n, 16);
	evl_assert_ok(evlp_scram_cred_make(&c, "pencil", 6, salt, n, 4096));
	return c;
}

Test(scram, rfc7677_client_side)
{
	evlp_scram_client s;
	char              out[EVLP_SCRAM_MSG_MAX];
	size_t            n;
	evl_assert_ok(evlp_scram_client_first(
	    &s, "user", "rOprNGfwEbeRWgbNEkqO", out, sizeof(out), &n));
	cr_assert_eq(n, strlen(V_CFIRST));
	cr_assert(memcmp(out, V_CFIRST, n) == 0);
	evl_assert_ok(evlp_scram_client_final(&s, "pencil", 6, u8(V_SFIRST),
	    strlen(V_SFIRST), out, sizeof(out), &n));
	cr_assert_eq(n, strlen(V_CFINAL), "%.*s", (int) n, out);
	cr_assert(memcmp(out, V_CFINAL, n) == 0, "%.*s", (int) n, out);
	evl_assert_ok(
	    evlp_scram_client_verify(&s, u8(V_SFINAL), strlen(V_SFINAL)));
}

Test(scram, rfc7677_server_side)
{
	evlp_scram_server s;
	evlp_scram_cred   c = vector_cred();
	char              out[EVLP_SCRAM_MSG_MAX];
	size_t            n;
	evl_assert_ok(evlp_scram_server_start(&s, u8(V_CFIRST), strlen(V_CFIRST)));
	cr_assert_str_eq(s.user, "user");
	evl_assert_ok(
	    evlp_scram_server_first(&s, &c, V_SNONCE, out, sizeof(out), &n));
	cr_assert_eq(n, strlen(V_SFIRST));
	cr_assert(memcmp(out, V_SFIRST, n) == 0, "%.*s", (int) n, out);
	evl_assert_ok(evlp_scram_server_final(
	    &s, u8(V_CFINAL), strlen(V_CFINAL), out, sizeof(out), &n));
	cr_assert_eq(n, strlen(V_SFINAL));
	cr_assert(memcmp(out, V_SFINAL, n) == 0, "%.*s", (int) n, out);
}

/* A full exchange with random nonces; pw is the client's password. */
static int
exchange(const char *user, const char *pw, int *client_verify)
{
	evlp_scram_client cl;
	evlp_scram_server sv;
	evlp_scram_cred   c;
	uint8_t           salt[16];
	char              m1[EVLP_SCRAM_MSG_MAX], m2[EVLP_SCRAM_MSG_MAX];
	char              m3[EVLP_SCRAM_MSG_MAX], m4[EVLP_SCRAM_MSG_MAX];
	size_t            n1, n2, n3, n4;
	int               rv;
	evl_assert_ok(evlp_scram_random(salt, sizeof(salt)));
	evl_assert_ok(evlp_scram_cred_make(&c, "s3cret", 6, salt, 16, 4096));
	evl_assert_ok(
	    evlp_scram_client_first(&cl, user, NULL, m1, sizeof(m1), &n1));
	evl_assert_ok(evlp_scram_server_start(&sv, u8(m1), n1));
	cr_assert_str_eq(sv.user, user);
	evl_assert_ok(evlp_scram_server_first(&sv, &c, NULL, m2, sizeof(m2), &n2));
	evl_assert_ok(evlp_scram_client_final(
	    &cl, pw, strlen(pw), u8(m2), n2, m3, sizeof(m3), &n3));
	rv = evlp_scram_server_final(&sv, u8(m3), n3, m4, sizeof(m4), &n4);
	if (rv == 0)
		*client_verify = evlp_scram_client_verify(&cl, u8(m4), n4);
	return rv;
}

Test(scram, round_trip_random_nonces)
{
	int v = -1;
	evl_assert_ok(exchange("alice", "s3cret", &v));
	evl_assert_ok(v);
	/* Escaped names survive. */
	evl_assert_ok(exchange("a,b=c", "s3cret", &v));
	evl_assert_ok(v);
}

Test(scram, wrong_password_is_eauth)
{
	int v = -1;
	evl_assert_err(exchange("alice", "s3cres", &v), EVL_EAUTH);
	cr_assert_eq(v, -1);
}

Test(scram, server_signature_checked)
{
	evlp_scram_client s;
	char              out[EVLP_SCRAM_MSG_MAX];
	size_t            n;
	evl_assert_ok(evlp_scram_client_first(
	    &s, "user", "rOprNGfwEbeRWgbNEkqO", out, sizeof(out), &n));
	evl_assert_ok(evlp_scram_client_final(&s, "pencil", 6, u8(V_SFIRST),
	    strlen(V_SFIRST), out, sizeof(out), &n));
	/* One bit off in the signature. */
	const char *bad = "v=6rrjTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
	evl_assert_err(evlp_scram_client_verify(&s, u8(bad), strlen(bad)),
	    EVL_EAUTH);
	evl_assert_err(
	    evlp_scram_client_verify(&s, u8("e=other-error"), 13), EVL_EAUTH);
	evl_assert_err(evlp_scram_client_verify(&s, u8("v="), 2), EVL_EPROTO);
}

Test(scram, client_rejects_foreign_nonce)
{
	evlp_scram_client s;
	char              out[EVLP_SCRAM_MSG_MAX];
	size_t            n;
	const char *sf = "r=XXXXNGfwEbeRWgbNEkqO%hvYD,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
	                 "i=4096";
	evl_assert_ok(evlp_scram_client_first(
	    &s, "user", "rOprNGfwEbeRWgbNEkqO", out, sizeof(out), &n));
	evl_assert_err(evlp_scram_client_final(&s, "pencil", 6, u8(sf),
	                   strlen(sf), out, sizeof(out), &n),
	    EVL_EAUTH);
}

Test(scram, client_rejects_low_iterations)
{
	evlp_scram_client s;
	char              out[EVLP_SCRAM_MSG_MAX];
	size_t            n;
	const char *sf = "r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1";
	evl_assert_ok(
	    evlp_scram_client_first(&s, "user", "abc", out, sizeof(out), &n));
	evl_assert_err(evlp_scram_client_final(&s, "pencil", 6, u8(sf),
	                   strlen(sf), out, sizeof(out), &n),
	    EVL_EINVAL);
}

static int
start(const char *m)
{
	evlp_scram_server s;
	return evlp_scram_server_start(&s, u8(m), strlen(m));
}

Test(scram, server_start_rejects)
{
	evl_assert_err(start(""), EVL_EPROTO);
	evl_assert_err(start("n,"), EVL_EPROTO);
	evl_assert_err(start("p=tls-unique,,n=user,r=abc"), EVL_ENOTSUP);
	evl_assert_err(start("n,a=admin,n=user,r=abc"), EVL_EAUTH);
	evl_assert_err(start("n,,m=ext,n=user,r=abc"), EVL_ENOTSUP);
	evl_assert_err(start("n,,n=,r=abc"), EVL_EPROTO);
	evl_assert_err(start("n,,n=us=er,r=abc"), EVL_EPROTO);
	evl_assert_err(start("n,,n=user"), EVL_EPROTO);
	evl_assert_err(start("n,,n=user,r="), EVL_EPROTO);
	evl_assert_err(start("n,,n=user,r=a b"), EVL_EPROTO);
	evl_assert_err(start("n,,n=user,r=abc,"), EVL_EPROTO);
	evl_assert_err(start("x,,n=user,r=abc"), EVL_EPROTO);
	evl_assert_ok(start("y,,n=user,r=abc"));
	evl_assert_ok(start("n,,n=user,r=abc,x=ignored"));
	/* 65 bytes of name. */
	char m[128];
	snprintf(m, sizeof(m), "n,,n=%065d,r=abc", 0);
	evl_assert_err(start(m), EVL_EPROTO);
	snprintf(m, sizeof(m), "n,,n=%064d,r=abc", 0);
	evl_assert_ok(start(m));
	/* A NUL inside. */
	evlp_scram_server s;
	evl_assert_err(evlp_scram_server_start(&s, u8("n,,n=u\0s,r=abc"), 14),
	    EVL_EPROTO);
}

static int
final_of(const char *cf)
{
	evlp_scram_server s;
	evlp_scram_cred   c = vector_cred();
	char              out[EVLP_SCRAM_MSG_MAX];
	size_t            n;
	evl_assert_ok(evlp_scram_server_start(&s, u8(V_CFIRST), strlen(V_CFIRST)));
	evl_assert_ok(
	    evlp_scram_server_first(&s, &c, V_SNONCE, out, sizeof(out), &n));
	return evlp_scram_server_final(&s, u8(cf), strlen(cf), out, sizeof(out), &n);
}

Test(scram, server_final_rejects)
{
	const char *r = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
	const char *p = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
	char        m[512];
	evl_assert_ok(final_of(V_CFINAL));
	snprintf(m, sizeof(m), "c=eSws,%s,%s", r, p); /* "y,," */
	evl_assert_err(final_of(m), EVL_EAUTH);
	snprintf(m, sizeof(m), "c=biws,r=rOprNGfwEbeRWgbNEkqO,%s", p);
	evl_assert_err(final_of(m), EVL_EAUTH);
	snprintf(m, sizeof(m), "c=biws,%s", r);
	evl_assert_err(final_of(m), EVL_EPROTO);
	snprintf(m, sizeof(m), "c=biws,%s,%s,x=late", r, p);
	evl_assert_err(final_of(m), EVL_EPROTO);
	snprintf(m, sizeof(m), "c=biws,%s,p=AAAA", r);
	evl_assert_err(final_of(m), EVL_EPROTO);
	snprintf(m, sizeof(m), "c=biws,%s,p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", r);
	evl_assert_err(final_of(m), EVL_EAUTH);
	evl_assert_err(final_of(""), EVL_EPROTO);
	evl_assert_err(final_of(","), EVL_EPROTO);
}

Test(scram, server_final_only_once)
{
	evlp_scram_server s;
	evlp_scram_cred   c = vector_cred();
	char              out[EVLP_SCRAM_MSG_MAX];
	size_t            n;
	evl_assert_ok(evlp_scram_server_start(&s, u8(V_CFIRST), strlen(V_CFIRST)));
	evl_assert_ok(
	    evlp_scram_server_first(&s, &c, V_SNONCE, out, sizeof(out), &n));
	evl_assert_ok(evlp_scram_server_final(
	    &s, u8(V_CFINAL), strlen(V_CFINAL), out, sizeof(out), &n));
	evl_assert_err(evlp_scram_server_final(&s, u8(V_CFINAL),
	                   strlen(V_CFINAL), out, sizeof(out), &n),
	    EVL_EINVAL);
}

Test(scram, b64_strict)
{
	uint8_t out[16];
	size_t  n;
	evl_assert_err(evlp_scram_b64_decode(out, sizeof(out), &n, "AA A", 4),
	    EVL_EINVAL);
	evl_assert_err(evlp_scram_b64_decode(out, sizeof(out), &n, "AAA", 3),
	    EVL_EINVAL);
	evl_assert_ok(evlp_scram_b64_decode(out, sizeof(out), &n, "AAA=", 4));
	cr_assert_eq(n, 2);
}

Test(scram, cred_bounds)
{
	evlp_scram_cred c;
	uint8_t         salt[EVLP_SCRAM_SALT_MAX + 1] = { 0 };
	evl_assert_err(evlp_scram_cred_make(&c, "x", 1, salt, 0, 4096),
	    EVL_EINVAL);
	evl_assert_err(evlp_scram_cred_make(&c, "x", 1, salt, sizeof(salt), 4096),
	    EVL_EINVAL);
	evl_assert_err(evlp_scram_cred_make(&c, "x", 1, salt, 16, 4095),
	    EVL_EINVAL);
}
