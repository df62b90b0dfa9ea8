/*
 * acl.h -- access-control rules in the metadata database.
 *
 * The store keeps rules as keys and knows nothing of what they mean: the
 * broker's engine (broker/acl.c) holds them in memory and decides.  One
 * rule is one key, 'A' + resource + effect + principal + pattern
 * (keys.h), whose value is its set of operations, so adding operations to
 * a rule or taking some away rewrites one value and two rules never
 * share a key.  Every change is synced before it returns: a rule the
 * broker answered for survives a power cut.
 */
#ifndef EVLS_ACL_H
#define EVLS_ACL_H

#include <stddef.h>
#include <stdint.h>

typedef struct evls_store evls_store;

/* Longest principal and pattern stored (the broker's limits are lower
 * or equal). */
#define EVLS_ACL_PRINCIPAL_MAX 255
#define EVLS_ACL_PATTERN_MAX   249

/* One stored rule; the strings are NUL-terminated. */
typedef struct evls_acl_rule {
	uint8_t resource; /* EVLP_RES_* */
	uint8_t effect;   /* EVLP_ACL_ALLOW / EVLP_ACL_DENY */
	uint8_t ops;      /* EVLP_ACL_* bits; 0 means "delete the rule" */
	char    principal[EVLS_ACL_PRINCIPAL_MAX + 1];
	char    pattern[EVLS_ACL_PATTERN_MAX + 1];
} evls_acl_rule;

/*
 * evls_acl_put writes rule (borrowed): its key gets rule->ops, or is
 * deleted when ops is 0.  Synced before returning.  Errors: EVL_EINVAL
 * (an empty or too long principal or pattern), EVL_EIO.
 */
int evls_acl_put(evls_store *s, const evls_acl_rule *rule);

/*
 * evls_acl_each calls fn(arg, rule) for every stored rule in key order;
 * rule is borrowed for the call.  A non-zero return from fn stops the
 * walk and is returned.  Errors: EVL_ECORRUPT (a key or value that is
 * no rule), EVL_EIO.
 */
typedef int (*evls_acl_fn)(void *arg, const evls_acl_rule *rule);
int evls_acl_each(evls_store *s, evls_acl_fn fn, void *arg);

#endif /* EVLS_ACL_H */
