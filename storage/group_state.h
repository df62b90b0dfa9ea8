/*
 * group_state.h -- a consumer group's membership record, kept so that a
 * restarted broker knows its groups' generations, members and
 * assignments (members then resume heartbeating without losing their
 * place).
 *
 * The store treats the record as opaque bytes: the broker's coordinator
 * encodes and decodes it (broker/group.c).  It lives in the metadata
 * database under 'M' + group (keys.h), beside the group's committed
 * offsets ('G'), and is written with the same durability as a commit.
 */
#ifndef EVLS_GROUP_STATE_H
#define EVLS_GROUP_STATE_H

#include <stddef.h>

typedef struct evls_store evls_store;

/* Largest record accepted. */
#define EVLS_GROUP_STATE_MAX (4u << 20)

/*
 * evls_group_state_put replaces group's record with the len bytes at v
 * (borrowed).  Errors: EVL_EBADNAME (group), EVL_ETOOBIG, EVL_EIO.
 */
int evls_group_state_put(
    evls_store *s, const char *group, const void *v, size_t len);

/*
 * evls_group_state_delete removes group's record; no record is not an
 * error.  Errors: EVL_EBADNAME, EVL_EIO.
 */
int evls_group_state_delete(evls_store *s, const char *group);

/*
 * evls_group_state_each calls fn(arg, group, v, len) for every stored
 * record, in group name order; the arguments are borrowed for the call.
 * A non-zero return from fn stops the walk and is returned.  Errors:
 * EVL_ECORRUPT, EVL_EIO.
 */
typedef int (*evls_group_state_fn)(
    void *arg, const char *group, const void *v, size_t len);
int evls_group_state_each(evls_store *s, evls_group_state_fn fn, void *arg);

#endif /* EVLS_GROUP_STATE_H */
