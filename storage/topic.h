/*
 * topic.h -- topics and their partitions.
 *
 * A topic has a name ([A-Za-z0-9._-]{1,249}), an id that is never reused
 * (log entries carry it), a partition count that may only grow, and
 * retention settings.  Topic changes are written to the metadata database
 * with a sync before they return.
 */
#ifndef EVLS_TOPIC_H
#define EVLS_TOPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct evls_store evls_store;

/* Upper bound on partitions per topic: bounds what one request can make
 * the store allocate. */
#define EVLS_MAX_PARTITIONS 100000u

typedef struct evls_topic_config {
	uint32_t partitions;      /* 1 .. EVLS_MAX_PARTITIONS */
	int64_t  retention_ms;    /* -1 = keep forever */
	int64_t  retention_bytes; /* per partition, -1 = unlimited */
	bool key_index; /* per-key streams (a later issue): partitions fixed */
	/* Records carrying an evlog-id header already appended to the same
	 * partition less than this many ms ago are not appended again
	 * (heads.h); 0 = off.  May be altered. */
	int64_t dedupe_window_ms;
} evls_topic_config;

/* 1 partition, kept forever, unlimited, no key index, no dedupe. */
void evls_topic_config_init(evls_topic_config *c);

/*
 * evls_topic_create creates topic `name` with config c (both borrowed).
 * Errors: EVL_EBADNAME (name), EVL_EINVAL (partitions 0 or above the
 * maximum, retention below -1, a negative dedupe window), EVL_ETOPICEXISTS, EVL_EIO, EVL_ENOMEM.
 */
int evls_topic_create(
    evls_store *s, const char *name, const evls_topic_config *c);

/*
 * evls_topic_delete removes the topic, its records and the group offsets
 * committed for it.  Crash-safe: a deletion marker is written with the
 * topic's removal and the sweep is finished on open if interrupted.
 * Appends queued for it fail with EVL_ENOTOPIC.  Errors: EVL_ENOTOPIC,
 * EVL_EIO.
 */
int evls_topic_delete(evls_store *s, const char *name);

/*
 * evls_topic_alter replaces the retention settings and grows the partition
 * count to c->partitions.  Errors: EVL_ENOTOPIC, EVL_EINVAL (fewer
 * partitions, bad retention, or a different key_index), EVL_ESTREAMS (a
 * partition change on a key_index topic), EVL_EIO.  Nothing changes on
 * error.
 */
int evls_topic_alter(
    evls_store *s, const char *name, const evls_topic_config *c);

/* evls_topic_get copies the topic's config into *out.  EVL_ENOTOPIC. */
int evls_topic_get(evls_store *s, const char *name, evls_topic_config *out);

/*
 * evls_topic_list returns every topic, sorted by name, in *out (n of
 * them; NULL and 0 when there are none).  Caller frees with
 * evls_topic_list_free.  Errors: EVL_ENOMEM.
 */
typedef struct evls_topic_entry {
	char             *name;
	evls_topic_config config;
} evls_topic_entry;
int  evls_topic_list(evls_store *s, evls_topic_entry **out, size_t *n);
void evls_topic_list_free(evls_topic_entry *list, size_t n);

/*
 * A partition's state.  first_offset is the first readable offset,
 * next_offset the head (next to be assigned and visible); records =
 * next - first; bytes = stored batch bytes still held.
 */
typedef struct evls_partition_info {
	uint32_t partition;
	uint64_t first_offset, next_offset, records, bytes;
} evls_partition_info;

/* Errors: EVL_ENOTOPIC, EVL_ENOPART. */
int evls_partition_info_get(evls_store *s, const char *topic,
    uint32_t partition, evls_partition_info *out);

#endif /* EVLS_TOPIC_H */
