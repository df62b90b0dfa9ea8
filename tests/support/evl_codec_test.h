/*
 * evl_codec_test.h -- checks every proto codec test runs on a message:
 * the writer measures and refuses small buffers, the decoder accepts the
 * exact bytes and refuses every truncation and any trailing byte.
 *
 * Every buffer handed to an encoder or decoder here is malloc'ed at
 * exactly the size under test, so AddressSanitizer reports a single byte
 * read or written past it.  Decoders are called through a void * wrapper
 * made with EVL_DECODER, because calling a function through a pointer of
 * another type is undefined.
 */
#ifndef EVL_CODEC_TEST_H
#define EVL_CODEC_TEST_H

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "evl_test.h"

/* Writes a whole message (fixed part and entries) from ctx into w. */
typedef void (*evl_encode_fn)(evlp_wr *w, const void *ctx);
/* Decodes body into out (a struct of the decoder's type). */
typedef int (*evl_decode_fn)(evlp_view body, void *out);

/* EVL_DECODER(evlp_x_decode, evlp_x) defines evlp_x_decode_v, an
 * evl_decode_fn calling evlp_x_decode. */
#define EVL_DECODER(fn, type)                                 \
	static int fn##_v(evlp_view body, void *out)          \
	{                                                     \
		return fn(body, (type *) out);                \
	}

static inline evlp_view
evl_view_str(const char *s)
{
	evlp_view v = { (const uint8_t *) s, strlen(s) };
	return v;
}

static inline void
evl_assert_view_eq(evlp_view v, const char *want)
{
	size_t n = strlen(want);
	cr_assert_eq(v.len, n, "view of %zu bytes, want \"%s\"", v.len, want);
	cr_assert(n == 0 || memcmp(v.p, want, n) == 0,
	    "view \"%.*s\", want \"%s\"", (int) v.len, (const char *) v.p,
	    want);
}

/* Copies n bytes into a fresh allocation of exactly n (1 if n is 0). */
static inline uint8_t *
evl_copy_exact(const void *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	cr_assert_not_null(c);
	if (n)
		memcpy(c, p, n);
	return c;
}

/*
 * Encodes ctx with enc and returns the bytes in an allocation of exactly
 * their size (caller frees with free); *n gets the size.  Checks on the
 * way that a zero-capacity writer measures that size exactly and that
 * every smaller capacity fails with EVL_ETOOBIG, still counting the full
 * size, without writing past its buffer.
 */
static inline uint8_t *
evl_encode_checked(evl_encode_fn enc, const void *ctx, size_t *n)
{
	evlp_wr w;
	evlp_wr_init(&w, NULL, 0);
	enc(&w, ctx);
	evl_assert_err(w.err, EVL_ETOOBIG);
	size_t size = w.len;
	for (size_t cap = 0; cap < size; cap++) {
		uint8_t *b = malloc(cap ? cap : 1);
		evlp_wr_init(&w, b, cap);
		enc(&w, ctx);
		cr_assert_eq(w.err, EVL_ETOOBIG, "cap %zu: %s", cap,
		    evl_errname(w.err));
		cr_assert_eq(w.len, size, "cap %zu counted %zu of %zu", cap,
		    w.len, size);
		free(b);
	}
	uint8_t *buf = malloc(size ? size : 1);
	evlp_wr_init(&w, buf, size);
	enc(&w, ctx);
	evl_assert_ok(w.err);
	cr_assert_eq(w.len, size);
	*n = size;
	return buf;
}

/* Every proper prefix of buf fails to decode. */
static inline void
evl_assert_truncations_fail(
    evl_decode_fn dec, const uint8_t *buf, size_t n, void *out)
{
	for (size_t len = 0; len < n; len++) {
		uint8_t  *c = evl_copy_exact(buf, len);
		evlp_view v = { c, len };
		int       rv = dec(v, out);
		cr_assert_neq(rv, 0, "truncated to %zu of %zu bytes decoded",
		    len, n);
		free(c);
	}
}

/* buf with one more byte (of any value) is EVL_EPROTO. */
static inline void
evl_assert_trailing_fails(
    evl_decode_fn dec, const uint8_t *buf, size_t n, void *out)
{
	uint8_t *c = malloc(n + 1);
	memcpy(c, buf, n);
	c[n]        = 0;
	evlp_view v = { c, n + 1 };
	evl_assert_err(dec(v, out), EVL_EPROTO);
	free(c);
}

/*
 * The whole battery: encode with every capacity, then check truncations
 * and a trailing byte, then decode the exact bytes into out for the
 * caller to compare field by field.  Returns the encoding (caller frees;
 * out's views point into it) and its size in *n.
 */
static inline uint8_t *
evl_codec_check(evl_encode_fn enc, const void *ctx, evl_decode_fn dec,
    void *out, size_t *n)
{
	uint8_t *buf = evl_encode_checked(enc, ctx, n);
	evl_assert_truncations_fail(dec, buf, *n, out);
	evl_assert_trailing_fails(dec, buf, *n, out);
	evlp_view v = { buf, *n };
	evl_assert_ok(dec(v, out));
	return buf;
}

/* Decodes a hand-made body held in a buffer of exactly its size, for
 * the result code only: the copy is freed before returning. */
static inline int
evl_decode_raw(evl_decode_fn dec, const void *p, size_t n, void *out)
{
	uint8_t  *c  = evl_copy_exact(p, n);
	evlp_view v  = { c, n };
	int       rv = dec(v, out);
	free(c);
	return rv;
}

#endif /* EVL_CODEC_TEST_H */
