/*
 * alloc.c -- malloc with a fault-injection hook for tests.
 *
 * The countdown is an atomic so concurrent allocations in the broker's
 * threads see one consistent budget; when injection is off (the normal
 * case) the cost is one relaxed load.
 */
#include "alloc.h"
#include "buf.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* < 0: injection off; otherwise allocations left before failing. */
static _Atomic long fail_countdown = -1;

static int
alloc_should_fail(void)
{
	long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
	while (n >= 0) {
		if (n == 0)
			return 1;
		if (atomic_compare_exchange_weak(&fail_countdown, &n, n - 1))
			return 0;
	}
	return 0;
}

void
evlp_alloc_fail_after(long n)
{
	atomic_store(&fail_countdown, n < 0 ? -1 : n);
}

void *
evlp_alloc(size_t size)
{
	if (alloc_should_fail())
		return NULL;
	return malloc(size ? size : 1);
}

void *
evlp_zalloc(size_t size)
{
	if (alloc_should_fail())
		return NULL;
	return calloc(1, size ? size : 1);
}

void *
evlp_realloc(void *ptr, size_t size)
{
	if (alloc_should_fail())
		return NULL;
	return realloc(ptr, size ? size : 1);
}

void
evlp_free(void *ptr)
{
	free(ptr);
}

void *
evlp_memdup(const void *p, size_t len)
{
	void *q = evlp_alloc(len);
	if (q != NULL && len > 0)
		memcpy(q, p, len);
	return q;
}

char *
evlp_view_dup(evlp_view v)
{
	char *s = evlp_alloc(v.len + 1);
	if (s != NULL) {
		if (v.len > 0)
			memcpy(s, v.p, v.len);
		s[v.len] = '\0';
	}
	return s;
}

char *
evlp_strdup(const char *s)
{
	if (s == NULL)
		return NULL;
	return evlp_memdup(s, strlen(s) + 1);
}
