/*
 * offsets.h -- committed consumer-group offsets.
 *
 * One entry per (group, topic, partition): an offset and opaque metadata
 * bytes, kept in the metadata database under the topic's id, so deleting
 * a topic deletes its offsets and a new topic of the same name starts
 * with none.  Group names are any string of 1..249 bytes.  Commits are
 * fsynced when the store's policy is ALWAYS, and within the interval
 * under INTERVAL.
 */
#ifndef EVLS_OFFSETS_H
#define EVLS_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

typedef struct evls_store evls_store;

typedef struct evls_group_offset {
	const char *topic;
	uint32_t    partition;
	int64_t     offset; /* >= 0 */
	const void *meta;   /* may be NULL when meta_len is 0 */
	size_t      meta_len;
} evls_group_offset;

/* Largest metadata accepted per entry. */
#define EVLS_GROUP_META_MAX 65536u

/*
 * evls_group_commit stores the n entries of o (borrowed) for group, all
 * or none: one WriteBatch.  Errors (nothing written): EVL_EBADNAME
 * (group), EVL_EINVAL (n == 0, offset < 0, meta too large),
 * EVL_ENOTOPIC, EVL_ENOPART; EVL_EIO.
 */
int evls_group_commit(evls_store *s, const char *group,
    const evls_group_offset *o, size_t n);

/*
 * evls_group_fetch reads the committed entry of (group, topic,
 * partition): *offset is -1 when there is none (then meta is NULL, 0).
 * meta and meta_len may be NULL when not wanted; otherwise the caller
 * frees *meta with evlp_free.  Errors: EVL_EBADNAME, EVL_ENOTOPIC,
 * EVL_ENOPART, EVL_ECORRUPT, EVL_EIO, EVL_ENOMEM.
 */
int evls_group_fetch(evls_store *s, const char *group, const char *topic,
    uint32_t partition, int64_t *offset, void **meta, size_t *meta_len);

/*
 * evls_group_list returns the names of all groups with committed offsets,
 * sorted, in *out (n of them; NULL and 0 when none).  Caller frees with
 * evls_group_list_free.  Errors: EVL_EIO, EVL_ENOMEM.
 */
int  evls_group_list(evls_store *s, char ***out, size_t *n);
void evls_group_list_free(char **list, size_t n);

/* One committed entry of a group, as listed. */
typedef struct evls_group_entry {
	char    *topic;
	uint32_t partition;
	int64_t  offset;
} evls_group_entry;

/*
 * evls_group_offsets lists group's committed entries, sorted by topic id
 * then partition, in *out (NULL and 0 when none).  Caller frees with
 * evls_group_entries_free.  Errors: EVL_EBADNAME, EVL_ECORRUPT, EVL_EIO,
 * EVL_ENOMEM.
 */
int  evls_group_offsets(evls_store *s, const char *group,
     evls_group_entry **out, size_t *n);
void evls_group_entries_free(evls_group_entry *list, size_t n);

/*
 * evls_group_delete removes every committed entry of group, atomically.
 * Errors: EVL_EBADNAME, EVL_ENOGROUP (nothing committed), EVL_EIO.
 */
int evls_group_delete(evls_store *s, const char *group);

#endif /* EVLS_OFFSETS_H */
