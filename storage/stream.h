/*
 * stream.h -- per-key streams: reading one key's records by version, its
 * current version, and deleting it.
 *
 * On a topic created with key_index, every record with a key gets a
 * version, dense per key (0, 1, 2 ...), besides its offset; the key's
 * partition is fixed (the topic cannot grow, and the writer refuses a key
 * on another partition than evlp_partition_for_key gives).  Versions are
 * assigned, and expected versions checked, by the writer (writer.h,
 * heads.h).  A stream read is one Seek in the version index and one batch
 * fetch per batch holding the key's records: it never scans the topic.
 */
#ifndef EVLS_STREAM_H
#define EVLS_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"

typedef struct evls_store evls_store;

/* Longest record key a key-indexed topic accepts. */
#define EVLS_STREAM_KEY_MAX 4096

typedef struct evls_stream_info {
	uint32_t partition;     /* the key's partition */
	int64_t  version;       /* current version, -1 = none */
	uint64_t first_version; /* first readable; > version when empty */
	int64_t  snapshot;      /* newest readable snapshot, -1 = none */
	uint64_t last_offset;   /* offset of the current version (if any) */
	bool     deleted;       /* deleted at least once */
	uint64_t next_offset;   /* the partition's head when read */
} evls_stream_info;

/*
 * evls_stream_info_get describes stream `key` of topic (O(1): one
 * metadata get).  A key never written gives version -1.  Errors:
 * EVL_ENOTOPIC, EVL_EINVAL (topic without key_index, key longer than
 * EVLS_STREAM_KEY_MAX), EVL_EIO, EVL_ECORRUPT.
 */
int evls_stream_info_get(evls_store *s, const char *topic, const void *key,
    size_t klen, evls_stream_info *out);

/* A stream read's consumer: rec borrows from the store during the call.
 * A nonzero return stops the read and becomes its result. */
typedef int (*evls_record_sink)(
    void *arg, int64_t version, const evlp_record *rec);

/* Start versions for evls_stream_read besides a version >= 0. */
#define EVLS_FROM_END (-1) /* backwards: from the current version */
#define EVLS_FROM_SNAPSHOT                                                    \
	(-2) /* forwards: the newest snapshot, else                           \
	        the first readable version */

/*
 * evls_stream_read hands sink the records of stream `key`, forwards from
 * version `from` up, or (backwards) from `from` down, at most max_count of
 * them (0 = no limit) and until the next would take the total value and
 * key bytes past max_bytes (the first always goes).  Versions before the
 * first readable one (deleted) are skipped; erased records are never
 * handed out.  info_out, if not NULL, gets the stream as of the read.
 * Errors: as evls_stream_info_get, EVL_EINVAL (from < -2), EVL_ECORRUPT
 * (an index entry whose record is missing), or the sink's error.
 */
int evls_stream_read(evls_store *s, const char *topic, const void *key,
    size_t klen, int64_t from, bool backwards, uint32_t max_count,
    size_t max_bytes, evls_record_sink sink, void *arg,
    evls_stream_info *info_out);

/*
 * evls_stream_delete deletes stream `key` if its current version matches
 * expected (EVLS_VERSION_* from writer.h, or >= 0): every record of the
 * key is erased in place in the log at once (value and header bytes
 * zeroed, the record marked EVLP_REC_ERASED, the batch's CRC redone), and
 * its version index dropped.  The head stays as a tombstone, so later
 * appends continue from the next version -- unless forget_versions, which
 * drops the head too, and the key starts again at version 0.  Serialized
 * with the writer.  Errors: as evls_stream_info_get, EVL_ENOTFOUND (no
 * such stream), EVL_EWRONGVERSION (*current = the current version).
 */
int evls_stream_delete(evls_store *s, const char *topic, const void *key,
    size_t klen, int64_t expected, bool forget_versions, int64_t *current);

#endif /* EVLS_STREAM_H */
