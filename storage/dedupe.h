/*
 * dedupe.h -- expiring the evlog-id table of topics with a dedupe window.
 *
 * The writer remembers each appended record's evlog-id ('X', keys.h) and
 * the same ids ordered by append time ('Y'), and treats an id older than
 * the window as unseen (heads.h).  The prune bounds the table: it deletes
 * from the front of the time order every id whose window has passed, in
 * chunks, holding commit_mu per chunk so that it never deletes an 'X'
 * entry the writer has just rewritten.  The broker runs it in its
 * retention job (evls_retention_run), so the table holds about one
 * window's worth of ids plus one retention-check interval.
 */
#ifndef EVLS_DEDUPE_H
#define EVLS_DEDUPE_H

#include <stdint.h>

typedef struct evls_store evls_store;

/*
 * evls_ids_prune deletes the ids of topic whose window has passed at
 * now_ms (every id, when the topic's window is 0: turned off).  Adds the
 * number deleted to *expired (may be NULL).  Errors: EVL_ENOTOPIC,
 * EVL_EIO, EVL_ECORRUPT.
 */
int evls_ids_prune(
    evls_store *s, const char *topic, int64_t now_ms, uint64_t *expired);

#endif /* EVLS_DEDUPE_H */
