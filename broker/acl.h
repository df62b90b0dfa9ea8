/*
 * acl.h -- access control: which principal may do which operation on
 * which resource (docs/SECURITY.md, "Access control").
 *
 * A rule is (principal: a user or "*"; resource type: topic, group or
 * cluster; pattern: a glob with * and ? over the resource's name, for
 * the cluster only "*"; a set of operations; allow or deny).  A request
 * is allowed when some allow rule matches it and no deny rule does: deny
 * wins, and what no rule allows is denied.  Superusers (--superusers)
 * pass every check.  With authentication off (evld_broker_auth_on false)
 * nothing is checked: every request is allowed, as before ACLs existed.
 *
 * The engine keeps every rule in memory behind a rwlock, so the check on
 * each request is a read lock and a scan (measured in
 * tests/unit/broker_acl_test.c: see docs/SECURITY.md); rules are loaded
 * from the store (storage/acl.h) at start.  A change is written, synced,
 * to the store first and then to memory, and only then answered: the
 * next request of every connection sees it.
 */
#ifndef EVLD_ACL_H
#define EVLD_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "store.h"

struct evld_req;

/* Resource types (the wire's EVLP_RES_*). */
enum evld_res {
	EVLD_RES_TOPIC   = EVLP_RES_TOPIC,
	EVLD_RES_GROUP   = EVLP_RES_GROUP,
	EVLD_RES_CLUSTER = EVLP_RES_CLUSTER,
};

/* Operations (the wire's EVLP_ACL_* bits). */
enum evld_acl_op {
	EVLD_ACL_READ     = EVLP_ACL_READ,
	EVLD_ACL_WRITE    = EVLP_ACL_WRITE,
	EVLD_ACL_CREATE   = EVLP_ACL_CREATE,
	EVLD_ACL_DELETE   = EVLP_ACL_DELETE,
	EVLD_ACL_DESCRIBE = EVLP_ACL_DESCRIBE,
	EVLD_ACL_ALTER    = EVLP_ACL_ALTER,
};

/* The cluster's name in messages: its only resource. */
#define EVLD_CLUSTER_NAME "cluster"

struct evld_acl;

/*
 * evld_acl_alloc makes an engine whose rules live in store (borrowed;
 * NULL keeps them in memory only, for tests) and loads them.
 * superusers is a comma-separated list of user names, or NULL.  Errors:
 * EVL_EINVAL (a bad name in superusers; *why says which), those of
 * evls_acl_each (a stored rule that is no rule is EVL_ECORRUPT),
 * EVL_ENOMEM.
 */
int evld_acl_alloc(struct evld_acl **out, evls_store *store,
    const char *superusers, const char **why);

/* Frees a. NULL does nothing. */
void evld_acl_free(struct evld_acl *a);

/* True when user is one of the superusers. */
bool evld_acl_superuser(const struct evld_acl *a, const char *user);

/*
 * evld_acl_allows: may user do op on the resource (type, name)?
 * Superusers may do anything; the anonymous user "" nothing.  Takes the
 * read lock; safe from any thread.
 */
bool evld_acl_allows(struct evld_acl *a, const char *user,
    enum evld_res type, const char *name, enum evld_acl_op op);

/*
 * evld_acl_rule_check checks a rule as a client sent it: principal "*"
 * or a user name (1..64 bytes of [A-Za-z0-9._@-]), pattern 1..249 bytes
 * of name characters and * ?, for the cluster exactly "*".  Fills out
 * (ops and effect copied).  Errors: EVL_EINVAL with *why set.
 */
int evld_acl_rule_check(
    const evlp_acl_rule *in, evls_acl_rule *out, const char **why);

/*
 * evld_acl_add adds rule's operations to the rule with its principal,
 * resource, pattern and effect (creating it); evld_acl_remove takes them
 * away (deleting the rule when none are left).  The change is synced to
 * the store before memory changes.  Errors: EVL_ENOTFOUND (remove: no
 * such rule, or it has none of the operations), the store's (nothing
 * changed then), EVL_ENOMEM.
 */
int evld_acl_add(struct evld_acl *a, const evls_acl_rule *rule);
int evld_acl_remove(struct evld_acl *a, const evls_acl_rule *rule);

/*
 * evld_acl_list copies the rules matching the filter (empty strings and
 * resource 0 match any) into a new array, sorted by resource, pattern,
 * principal and effect; caller frees with evlp_free.  Errors:
 * EVL_ENOMEM.
 */
int evld_acl_list(struct evld_acl *a, const char *principal,
    uint8_t resource, const char *pattern, evls_acl_rule **out, size_t *n);

/* The number of rules. */
size_t evld_acl_count(struct evld_acl *a);

/* Glob match: * any run (also empty), ? one byte; no other magic. */
bool evld_acl_glob(const char *pattern, const char *name);

/* "read", "write", ... for one operation; "topic", "group", "cluster". */
const char *evld_acl_op_name(enum evld_acl_op op);
const char *evld_acl_res_name(enum evld_res type);

/* evld_acl_ops_format writes ops as "read,write" (or "all") into buf,
 * for the audit log. */
void evld_acl_ops_format(uint8_t ops, char *buf, size_t len);

/*
 * evld_authorize is the one call handlers make before any effect: 0
 * when r's user may do op on (type, name), else EVL_EDENIED with
 * r->errmsg (in r->errbuf) naming the user, operation and resource; the
 * denial is counted (evlog_denied_total) and logged at info.  Always 0
 * when authentication is off.
 */
int evld_authorize(struct evld_req *r, enum evld_res type, const char *name,
    enum evld_acl_op op);

/* The same check without a message, count or log line: for filtering
 * lists (LIST_TOPICS, LIST_GROUPS).  evld_broker_may is it for a user
 * outside a request (a group member's glob subscriptions). */
bool evld_authorized(struct evld_req *r, enum evld_res type,
    const char *name, enum evld_acl_op op);
struct evld_broker;
bool evld_broker_may(struct evld_broker *b, const char *user,
    enum evld_res type, const char *name, enum evld_acl_op op);

#endif /* EVLD_ACL_H */
