/*
 * keys.h -- the key and value layouts of the two LevelDB instances.
 *
 * A data directory holds two databases (storage/README.md, "Layout"):
 *
 *   log/   the batches, keyed by a global append sequence.  Every key is
 *          larger than every key before it, so a memtable flush makes a
 *          table that overlaps nothing and LevelDB moves it down the levels
 *          instead of rewriting it: write amplification stays near 2 (WAL +
 *          one table write) however many partitions are written at once.
 *   meta/  everything small: topics, the per-partition batch index,
 *          partition counters, group offsets, recovery markers.
 *
 * Why two databases (evl-storage-bench "layout", 2-core VM, raw LevelDB
 * with the log's options, 1,000 MB of 100 KB batches, 16 partitions
 * written interleaved): keyed (partition, offset) in one database, 2.05M
 * records/s and 1,538 MB of table writes; keyed by a global sequence,
 * 3.43M records/s and 833 MB (an earlier run: 0.84M vs 2.28M).  With
 * per-partition keys each memtable flush overlaps the earlier tables, so
 * compaction merges and rewrites them; with sequence keys tables are
 * moved, never merged.  Per-record keys cost another 3x (1.15M vs 3.30M
 * records/s for WriteBatches of 1,000), hence one value per batch.
 * README.md has the full table.
 *
 * All integers are big-endian, so bytewise key order is numeric order
 * (STYLE.md 12).  The append sequence starts at 1; 0 means "none".
 *
 * LOG DB KEY (16 bytes), value = the stamped batch bytes exactly as the
 * producer sent them (proto/batch.h).  Topic id and partition ride in the
 * key, not in a value header, so a batch is never copied to prefix it;
 * readers Seek the 8-byte seq prefix.
 *
 *   OFFSET SIZE DESCRIPTION
 *        0    8 seq          global append sequence, strictly increasing
 *        8    4 topic_id     never reused, so stale entries are detectable
 *       12    4 partition
 *
 * META DB KEYS, by first byte:
 *
 *   'S' singletons: 2 bytes, 'S' + id
 *        id 1  format version      -> u32 (EVLS_FORMAT_VERSION)
 *        id 2  applied seq         -> u64: every log entry <= this one has
 *                                     its index entry and counters here
 *        id 3  next topic id       -> u32
 *
 *   'T' topic: 'T' + name (1..249 bytes) -> 33 bytes (25 as written
 *        before dedupe windows: read as window 0)
 *        OFFSET SIZE DESCRIPTION
 *             0    4 topic_id
 *             4    4 partitions
 *             8    8 retention_ms      (i64, -1 = forever)
 *            16    8 retention_bytes   (i64, -1 = unlimited)
 *            24    1 flags             bit 0: key_index
 *            25    8 dedupe_window_ms  (i64, 0 = off)
 *
 *   'D' deletion pending: 'D' + topic_id u32 (5 bytes) -> the topic name.
 *        Written atomically with removing the 'T' key; the sweep of the
 *        topic's data is finished on open if a crash interrupts it.
 *
 *   'P' partition counters: 'P' + topic_id u32 + partition u32 (9 bytes)
 *        -> 32 bytes
 *        OFFSET SIZE DESCRIPTION
 *             0    8 first_offset  records below are trimmed (hidden)
 *             8    8 next_offset   the head
 *            16    8 bytes         stored batch bytes still indexed
 *            24    8 last_time     append time of the newest batch
 *
 *   'I' batch index: 'I' + topic_id u32 + partition u32 + last_offset u64
 *        (17 bytes) -> 28 bytes.  Keyed by the batch's LAST offset, so
 *        Seek(offset) lands on the batch that holds offset.
 *        OFFSET SIZE DESCRIPTION
 *             0    8 seq           the log DB key's seq
 *             8    8 base_offset
 *            16    4 bytes         stored batch size
 *            20    8 append_time   broker time, ms
 *        There is no separate time index: append time is non-decreasing
 *        per partition, so this index is sorted by time too and
 *        offset-for-time binary-searches it with Seek.
 *
 *   'G' group offset: 'G' + group (1..249 bytes, no NUL) + 0x00
 *        + topic_id u32 + partition u32 -> offset i64 + metadata bytes.
 *        The 0x00 terminator keeps one group's keys contiguous and apart
 *        from a group whose name extends it.
 *
 *   'M' group membership: 'M' + group (1..249 bytes) -> the coordinator's
 *        record of the group (generation, members, assignment), opaque
 *        to the store; its layout is in broker/group.c (group_state.h).
 *
 *   'A' access-control rule: 'A' + resource u8 + effect u8
 *        + principal_len u8 + principal (1..255 bytes) + pattern (1..249
 *        bytes, the rest of the key) -> ops u8 (EVLP_ACL_* bits, never
 *        0: a rule without operations is deleted).  The broker's engine
 *        (broker/acl.c) loads them all on start; acl.h.
 *
 * Per-key streams (topics with key_index; stream.h).  A stream's
 * partition is fixed by its key (the topic cannot grow), so these keys
 * name the topic and the record key only:
 *
 *   'H' stream head: 'H' + topic_id u32 + key (1..EVLS_STREAM_KEY_MAX
 *        bytes, the rest of the key) -> 33 bytes
 *        OFFSET SIZE DESCRIPTION
 *             0    8 next_version  versions handed out so far; the
 *                                  current version is next_version - 1
 *             8    8 first_version the first readable version (a delete
 *                                  moves it to next_version)
 *            16    8 snapshot      i64, version of the newest snapshot
 *                                  record, -1 = none
 *            24    8 last_offset   offset of version next_version - 1
 *            32    1 flags         bit 0: deleted at least once
 *
 *   'V' version index: 'V' + topic_id u32 + key_len u16 + key
 *        + version u64 -> offset u64.  The length prefix keeps one key's
 *        versions contiguous, apart from a key that extends it, and in
 *        version order, so a stream read is one Seek and a walk.
 *
 *   'Q' producer state: 'Q' + topic_id u32 + partition u32
 *        + producer_id u64 -> 34 bytes, the producer's last batch on the
 *        partition (the one a retry repeats)
 *        OFFSET SIZE DESCRIPTION
 *             0    2 epoch         i16
 *             2    4 base_sequence i32
 *             6    4 count         records in the batch
 *            10    8 base_offset
 *            18    8 append_time   i64
 *            26    8 version       i64, the stream version it answered
 *
 * Idempotency keys (topics with a dedupe window; heads.h, dedupe.c).  A
 * record's `evlog-id` header value is its id, remembered per partition:
 *
 *   'X' id table: 'X' + topic_id u32 + partition u32 + id (1..EVLS_ID_MAX
 *        bytes, the rest of the key) -> 16 bytes
 *        OFFSET SIZE DESCRIPTION
 *             0    8 offset        of the record that carried the id
 *             8    8 append_time   i64, its broker time (the window
 *                                  runs from it)
 *
 *   'Y' expiry order: 'Y' + topic_id u32 + partition u32
 *        + append_time u64 + id -> empty.  The same ids ordered by time,
 *        so the prune deletes a range from the front; it deletes the 'X'
 *        entry only if its time is the 'Y' entry's (an id appended again
 *        after it expired has a newer 'X' and a second 'Y').
 *
 * 'H', 'V', 'Q', 'X' and 'Y' entries are written in the same metadata
 * WriteBatch as the batch's index entry, and replayed from the log like it
 * on open.
 */
#ifndef EVLS_KEYS_H
#define EVLS_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stream.h" /* EVLS_STREAM_KEY_MAX */

#define EVLS_FORMAT_VERSION 1u
#define EVLS_NAME_MAX       249

#define EVLS_LOGKEY_SIZE 16
#define EVLS_SEQ_SIZE    8

#define EVLS_KEY_SINGLETON 'S'
#define EVLS_KEY_TOPIC     'T'
#define EVLS_KEY_DELETING  'D'
#define EVLS_KEY_PART      'P'
#define EVLS_KEY_INDEX     'I'
#define EVLS_KEY_GROUP     'G'
#define EVLS_KEY_GROUPSTATE 'M'
#define EVLS_KEY_ACL       'A'

#define EVLS_KEY_HEAD      'H'
#define EVLS_KEY_VERSION   'V'
#define EVLS_KEY_PRODUCER  'Q'
#define EVLS_KEY_ID        'X'
#define EVLS_KEY_IDTIME    'Y'

#define EVLS_HEADVAL_SIZE   33
#define EVLS_HEADKEY_MAX    (1 + 4 + EVLS_STREAM_KEY_MAX)
#define EVLS_VERKEY_MAX     (1 + 4 + 2 + EVLS_STREAM_KEY_MAX + 8)
#define EVLS_PSKEY_SIZE     17
#define EVLS_PSVAL_SIZE     34
#define EVLS_ID_MAX         256 /* bytes of an evlog-id value */
#define EVLS_IDPFX_SIZE     9   /* 'X'/'Y' + topic_id + partition */
#define EVLS_IDKEY_MAX      (EVLS_IDPFX_SIZE + EVLS_ID_MAX)
#define EVLS_IDTKEY_MAX     (EVLS_IDPFX_SIZE + 8 + EVLS_ID_MAX)
#define EVLS_IDVAL_SIZE     16

#define EVLS_S_VERSION  1
#define EVLS_S_APPLIED  2
#define EVLS_S_NEXT_TID 3

#define EVLS_TOPICVAL_SIZE 33
#define EVLS_TOPICVAL_V1    25 /* before dedupe_window_ms: window 0 */
#define EVLS_PARTKEY_SIZE  9
#define EVLS_PARTVAL_SIZE  32
#define EVLS_IDXKEY_SIZE   17
#define EVLS_IDXVAL_SIZE   28
#define EVLS_IDXPFX_SIZE   9 /* 'I' + topic_id + partition */
#define EVLS_GROUPKEY_MAX  (1 + EVLS_NAME_MAX + 1 + 8)

/* A decoded 'I' entry. */
typedef struct evls_idx {
	uint64_t last_offset;
	uint64_t seq;
	uint64_t base_offset;
	uint32_t bytes;
	int64_t  append_time;
} evls_idx;

/* A decoded 'P' value. */
typedef struct evls_counters {
	uint64_t first_offset;
	uint64_t next_offset;
	uint64_t bytes;
	int64_t  last_time;
} evls_counters;

/* Log DB key; decode returns false for a key of the wrong size. */
void evls_key_log(uint8_t k[EVLS_LOGKEY_SIZE], uint64_t seq, uint32_t tid,
    uint32_t part);
bool evls_key_log_decode(const void *k, size_t len, uint64_t *seq,
    uint32_t *tid, uint32_t *part);
void evls_key_seq(uint8_t k[EVLS_SEQ_SIZE], uint64_t seq);

void evls_key_singleton(uint8_t k[2], uint8_t id);

/* 'T' + name; k must hold 1 + EVLS_NAME_MAX bytes.  Returns the length. */
size_t evls_key_topic(uint8_t *k, const char *name);

void evls_key_deleting(uint8_t k[5], uint32_t tid);

void evls_key_part(uint8_t k[EVLS_PARTKEY_SIZE], uint32_t tid, uint32_t part);
bool evls_key_part_decode(
    const void *k, size_t len, uint32_t *tid, uint32_t *part);
void evls_val_part(uint8_t v[EVLS_PARTVAL_SIZE], const evls_counters *c);
bool evls_val_part_decode(const void *v, size_t len, evls_counters *c);

/* Index key of (tid, part, last_offset); the first 9 bytes are the
 * partition's prefix.  decode fills x (key and value) and returns false
 * when either has the wrong size. */
void evls_key_idx(uint8_t k[EVLS_IDXKEY_SIZE], uint32_t tid, uint32_t part,
    uint64_t last_offset);
void evls_val_idx(uint8_t v[EVLS_IDXVAL_SIZE], const evls_idx *x);
bool evls_idx_decode(const void *k, size_t klen, const void *v, size_t vlen,
    evls_idx *x);

/* 'G' + group + 0x00 [+ tid + part].  k must hold EVLS_GROUPKEY_MAX bytes;
 * the prefix form (with_tp false) ends after the 0x00. */
size_t evls_key_group(uint8_t *k, const char *group, bool with_tp,
    uint32_t tid, uint32_t part);

/* A decoded 'H' value. */
typedef struct evls_head {
	uint64_t next_version;
	uint64_t first_version;
	int64_t  snapshot;
	uint64_t last_offset;
	uint8_t  flags;
} evls_head;
#define EVLS_HEAD_DELETED 0x1u

/* A decoded 'Q' value. */
typedef struct evls_pstate {
	int16_t  epoch;
	int32_t  base_sequence;
	uint32_t count;
	uint64_t base_offset;
	int64_t  append_time;
	int64_t  version;
} evls_pstate;

/* 'H' + tid + key; k holds EVLS_HEADKEY_MAX bytes.  Returns the length. */
size_t evls_key_head(uint8_t *k, uint32_t tid, const void *key, size_t klen);
void   evls_val_head(uint8_t v[EVLS_HEADVAL_SIZE], const evls_head *h);
bool   evls_val_head_decode(const void *v, size_t len, evls_head *h);

/* 'V' + tid + key_len + key + version; k holds EVLS_VERKEY_MAX bytes.
 * The prefix of one key's versions is the returned length - 8. */
size_t evls_key_version(
    uint8_t *k, uint32_t tid, const void *key, size_t klen, uint64_t v);
/* The version of a 'V' key of prefix length plen; false if malformed. */
bool evls_key_version_decode(
    const void *k, size_t len, size_t plen, uint64_t *version);

void evls_key_pstate(uint8_t k[EVLS_PSKEY_SIZE], uint32_t tid, uint32_t part,
    int64_t producer_id);
void evls_val_pstate(uint8_t v[EVLS_PSVAL_SIZE], const evls_pstate *p);
bool evls_val_pstate_decode(const void *v, size_t len, evls_pstate *p);

/* 'X' + tid + part + id; k holds EVLS_IDKEY_MAX bytes.  Returns the
 * length. */
size_t evls_key_id(
    uint8_t *k, uint32_t tid, uint32_t part, const void *id, size_t n);
void evls_val_id(uint8_t v[EVLS_IDVAL_SIZE], uint64_t offset, int64_t time);
bool evls_val_id_decode(
    const void *v, size_t len, uint64_t *offset, int64_t *time);
/* 'Y' + tid + part + time + id; k holds EVLS_IDTKEY_MAX bytes.  Returns
 * the length. */
size_t evls_key_idtime(uint8_t *k, uint32_t tid, uint32_t part, int64_t time,
    const void *id, size_t n);

/* True when name is a valid topic name: [A-Za-z0-9._-]{1,249}. */
bool evls_name_valid(const char *name);

#endif /* EVLS_KEYS_H */
