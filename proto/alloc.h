/*
 * alloc.h -- the one allocator every layer of evlog uses.
 *
 * Going through one place lets the tests make the Nth allocation fail
 * (evlp_alloc_fail_after) and sweep every failure path of an operation, as
 * SQLite's faultsim does.  evlp_free(NULL) does nothing.
 */
#ifndef EVLP_ALLOC_H
#define EVLP_ALLOC_H

#include <stddef.h>

void *evlp_alloc(size_t size);
void *evlp_zalloc(size_t size);
void *evlp_realloc(void *ptr, size_t size);
void  evlp_free(void *ptr);
/* evlp_strdup copies a NUL-terminated string; caller frees with
 * evlp_free.  NULL in gives NULL out. */
char *evlp_strdup(const char *s);
/* evlp_memdup copies len bytes; caller frees with evlp_free. */
void *evlp_memdup(const void *p, size_t len);

#define EVLP_ALLOC_STRUCT(p) ((p) = evlp_zalloc(sizeof(*(p))))

/*
 * Test hook: after n more successful allocations, every allocation fails
 * until evlp_alloc_fail_after(-1) turns injection off.  Process-wide.
 */
void evlp_alloc_fail_after(long n);

#endif /* EVLP_ALLOC_H */
