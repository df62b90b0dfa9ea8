/*
 * retention.h -- moving a partition's first offset forward.
 *
 * Whole batches entirely below the cut are deleted; first_offset becomes
 * exactly the cut, and records below it in a batch that straddles it are
 * hidden from reads (evls_read refuses offsets below first_offset).  The
 * removed counts are out-parameters that may be NULL: records is how far
 * first_offset moved, bytes the size of the batches deleted.  A trim is
 * crash-safe: the new first offset is written before any batch is
 * deleted, and batches left below it are swept on open.
 */
#ifndef EVLS_RETENTION_H
#define EVLS_RETENTION_H

#include <stdint.h>

typedef struct evls_store evls_store;

/*
 * evls_trim_below makes offset the partition's first offset (nothing
 * happens when it already is at or past it).  Errors: EVL_ENOTOPIC,
 * EVL_ENOPART, EVL_EOFFSET (offset beyond the head), EVL_EIO.
 */
int evls_trim_below(evls_store *s, const char *topic, uint32_t partition,
    uint64_t offset, uint64_t *records_removed, uint64_t *bytes_removed);

/* evls_trim_older removes every batch appended before before_ms (broker
 * time).  Errors as evls_trim_below, plus EVL_ECORRUPT. */
int evls_trim_older(evls_store *s, const char *topic, uint32_t partition,
    int64_t before_ms, uint64_t *records_removed, uint64_t *bytes_removed);

/* evls_trim_bytes removes the oldest batches until the partition holds at
 * most budget stored bytes.  Errors as evls_trim_older. */
int evls_trim_bytes(evls_store *s, const char *topic, uint32_t partition,
    uint64_t budget, uint64_t *records_removed, uint64_t *bytes_removed);

typedef struct evls_retention_stats {
	uint64_t records_removed;
	uint64_t bytes_removed;
	uint64_t ids_expired; /* evlog-ids past their window (dedupe.h) */
} evls_retention_stats;

/*
 * evls_retention_run applies every topic's retention_ms (against now_ms)
 * and retention_bytes to each of its partitions, expires the evlog-ids
 * past the topic's dedupe window (evls_ids_prune), and adds what it removed
 * to *out (zeroed first; may be NULL).  A topic deleted meanwhile is
 * skipped.  Stops at the first failure and returns it (EVL_EIO,
 * EVL_ECORRUPT); *out still counts what was removed before it.
 */
int evls_retention_run(
    evls_store *s, int64_t now_ms, evls_retention_stats *out);

#endif /* EVLS_RETENTION_H */
