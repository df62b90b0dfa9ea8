/*
 * group_int.h -- the coordinator's state, shared by group.c (membership,
 * rebalances) and group_view.c (list, describe, metrics).  Everything
 * here is guarded by evld_groups.mu.
 */
#ifndef EVLD_GROUP_INT_H
#define EVLD_GROUP_INT_H

#include <nng/nng.h>
#include <pthread.h>

#include "broker.h"
#include "dispatch.h"
#include "group.h"

enum { EVLD_GS_EMPTY, EVLD_GS_REBALANCING, EVLD_GS_STABLE };

struct evld_gsub {
	uint8_t kind; /* evlp_sub_kind */
	char   *pattern;
};

/* An assigned partition; topic owned. */
struct evld_gtp {
	char    *topic;
	uint32_t partition;
};

struct evld_member {
	char              id[EVLD_MEMBER_MAX + 1];
	char             *client_id;
	uint32_t          session_ms;
	uint32_t          rebalance_ms;
	uint8_t           assignor;
	struct evld_gsub *subs;
	size_t            nsubs;
	struct evld_gtp  *parts; /* this generation's, sorted */
	size_t            nparts;
	uint64_t          deadline_ms; /* session expiry (monotonic) */
	bool              joined;      /* rejoined in this rebalance */
	struct evld_req  *join;        /* its parked join, or NULL */
	/* The principal that joined (persisted from state version 2;
	 * "" before), for its glob subscriptions' read checks. */
	char user[EVLD_USER_MAX + 1];
};

struct evld_group {
	char                 name[EVLD_NAME_MAX + 1];
	int                  state;
	int32_t              generation;
	uint8_t              assignor;
	uint64_t             rebalances;
	uint64_t             rebalance_deadline;
	struct evld_member **members; /* sorted by id */
	size_t               nmembers;
	size_t               members_cap;
	char                *sig; /* the topics dealt at the last rebalance */
};

struct evld_groups {
	struct evld_broker *b;
	pthread_mutex_t     mu;
	struct evld_group **groups; /* sorted by name */
	size_t              ngroups;
	size_t              groups_cap;
	nng_aio            *tick;
	bool                closed;
	bool                collector;
	bool                topics_changed;
	uint64_t            epoch; /* start time, unique member ids */
	uint64_t            next_member;
};

/* The store's topics, and which of them g's members subscribe to. */
struct evld_group_topics {
	evls_topic_entry *list;
	size_t            n;
	bool             *sel;
};

int  evld_group_topics(struct evld_groups *gs, const struct evld_group *g,
     struct evld_group_topics *t);
void evld_group_topics_free(struct evld_group_topics *t);

struct evld_group *evld_group_find(struct evld_groups *gs, const char *name);

/*
 * evld_groups_admit says whether group may come into existence: 0 when
 * it is known already (in the coordinator or by its stored offsets) or
 * fewer than --max-groups groups are; EVL_ELIMIT otherwise; or the
 * store's error.  Lock held.  It lists the stored groups, so call it only
 * for a group the coordinator does not hold.
 */
int evld_groups_admit(struct evld_groups *gs, const char *group);

/* Whether m subscribes to topic t: by name, or by a glob matching t
 * and then only if m's user may read t (acl.h), so topics it may not
 * read are left out of its assignment rather than failing its join. */
bool evld_member_subscribes(
    struct evld_broker *b, const struct evld_member *m, const char *t);

void        evld_gtp_free(struct evld_gtp *tps, size_t n);
const char *evld_group_state_name(int state);
uint64_t    evld_group_now_ms(void);

/* The metrics collector (group_view.c). */
void evld_groups_collect(void *arg, evld_metrics_writer *w);

#endif /* EVLD_GROUP_INT_H */
