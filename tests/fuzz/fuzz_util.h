/*
 * fuzz_util.h -- what the libFuzzer targets share: the round-trip check
 * and a consumer's walk over record batches.
 *
 * A fuzz target decodes untrusted bytes; whatever decodes is encoded
 * again and must give the same bytes back (every evlog body is fixed
 * width or length-prefixed, so the encoding is canonical), and a
 * mismatch aborts so libFuzzer keeps the input.
 */
#ifndef EVL_FUZZ_UTIL_H
#define EVL_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "msg.h"

static inline void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz: %s\n", what);
	abort();
}

/* A writer over a fresh buffer of exactly want's size: encoding more
 * than the decoded body shows up as EVL_ETOOBIG. */
static inline void
fuzz_wr_open(evlp_wr *w, evlp_view want)
{
	evlp_wr_init(w, malloc(want.len ? want.len : 1), want.len);
}

/* Checks w holds exactly want's bytes, then frees it. */
static inline void
fuzz_wr_check(evlp_wr *w, evlp_view want, const char *what)
{
	if (w->err != 0 || w->len != want.len ||
	    (want.len && memcmp(w->buf, want.p, want.len) != 0))
		fuzz_fail(what);
	free(w->buf);
}

/* Reads every record and header of one batch, as a consumer would; the
 * walk must stop cleanly or with an error, never read out of bounds. */
static inline void
fuzz_walk_batch(const uint8_t *p, size_t len)
{
	evlp_batch_iter it;
	evlp_record     rec;
	if (evlp_batch_iter_init(&it, p, len) != 0)
		return;
	while (evlp_batch_next(&it, &rec)) {
		evlp_rd     hr;
		evlp_header h;
		uint32_t    n = 0;
		evlp_rd_init(&hr, rec.headers.p, rec.headers.len);
		while (evlp_header_next(&hr, &h))
			n++;
		if (hr.err == 0 && n != rec.header_count)
			fuzz_fail("header count differs from headers walked");
	}
}

/* Walks concatenated batches (a fetch response's partition). */
static inline void
fuzz_walk_batches(evlp_view v)
{
	evlp_rd        rd;
	evlp_view      b;
	evlp_batch_hdr h;
	evlp_rd_init(&rd, v.p, v.len);
	while (evlp_batches_next(&rd, &b, &h)) {
		evlp_batch_hdr ch;
		(void) evlp_batch_check(b.p, b.len, &ch);
		fuzz_walk_batch(b.p, b.len);
	}
}

#endif /* EVL_FUZZ_UTIL_H */
