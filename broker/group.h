/*
 * group.h -- the group coordinator: consumer group membership,
 * rebalances, generations, assignment, fencing, and the group records
 * that survive a restart.
 *
 * One struct evld_groups per broker holds every group in memory under
 * one mutex.  Requests never sleep holding it; a JOIN_GROUP that must
 * wait for the rest of its group parks its REP context (evld_req_sleep)
 * and is woken when the rebalance completes, so a join is a long poll
 * bounded by its rebalance_timeout_ms.  Session timeouts and rebalance
 * deadlines are enforced by a periodic NNG timer (EVLD_GROUP_TICK_MS),
 * never by a sleeping thread.
 *
 * Rebalance: any join, a leave, a member's session expiring, or a change
 * to the topics a group subscribes to (created, grown, deleted) moves the
 * group to "rebalancing"; its members learn it from HEARTBEAT
 * (EVL_EREBALANCE) and rejoin.  When every member has rejoined, or the
 * rebalance deadline passes (then the laggards are dropped), the
 * assignor deals the partitions, the generation goes up by one, and
 * every parked join is answered.  While rebalancing, commits of the
 * current generation are still accepted for the partitions the member
 * owns, so a member can commit before it rejoins.
 *
 * Persistence: at each completed rebalance, and when the group empties,
 * the group's record (generation, assignor, members with their
 * subscriptions and partitions) is written to the store
 * (storage/group_state.h); on start it is loaded and every member gets a
 * fresh session timeout to resume heartbeating with the generation it
 * had, so a broker restart costs a group neither its place nor a
 * rebalance.
 *
 * Lock order: the coordinator's mutex, then the store's and the
 * server's; never the reverse (no store or server callback calls in).
 */
#ifndef EVLD_GROUP_H
#define EVLD_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "msg.h"

/* Member ids the broker assigns are shorter than this. */
#define EVLD_MEMBER_MAX 63
/* How often sessions and rebalance deadlines are checked. */
#define EVLD_GROUP_TICK_MS 50
/* Bounds on the timeouts a member may ask for. */
#define EVLD_SESSION_MIN_MS   100
#define EVLD_SESSION_MAX_MS   300000
#define EVLD_REBALANCE_MAX_MS 300000

struct evld_broker;
struct evld_req;
struct evld_groups;
struct evld_member;

/*
 * evld_groups_start loads the stored group records and starts the timer
 * and the metrics collector.  Errors: EVL_ENOMEM, the store's
 * (EVL_ECORRUPT for a record that does not decode, EVL_EIO).
 */
int evld_groups_start(struct evld_groups **out, struct evld_broker *b);

/*
 * evld_groups_close answers parked joins EVL_ESHUTDOWN and stops the
 * timer, so nothing writes to the store afterwards.  Called once the
 * server has stopped taking requests.  evld_groups_free releases
 * everything (NULL does nothing).
 */
void evld_groups_close(struct evld_groups *gs);
void evld_groups_free(struct evld_groups *gs);

/* Topics were created, grown or deleted: groups whose subscriptions now
 * resolve to other partitions rebalance at the next tick. */
void evld_groups_topics_changed(struct evld_groups *gs);

/* JOIN_GROUP: 0 with r->resp built, an error, or EVLD_ASYNC (parked). */
int evld_groups_join(struct evld_groups *gs, struct evld_req *r,
    const char *group, const evlp_join_req *m);
int evld_groups_heartbeat(struct evld_groups *gs, const char *group,
    evlp_view member, int32_t generation);
int evld_groups_leave(struct evld_groups *gs, const char *group,
    evlp_view member, int32_t generation);
/* LIST_GROUPS, DESCRIBE_GROUP: the response into r->resp. */
int evld_groups_list(struct evld_groups *gs, struct evld_req *r);
int evld_groups_describe(
    struct evld_groups *gs, struct evld_req *r, const char *group);
/* DELETE_GROUP: the offsets and the record.  EVL_EGROUPACTIVE,
 * EVL_ENOGROUP. */
int evld_groups_delete(struct evld_groups *gs, const char *group);

/*
 * evld_groups_commit_begin checks that a COMMIT_OFFSETS may proceed and,
 * on 0, returns with the coordinator locked so no rebalance completes
 * until evld_groups_commit_end: a commit that passed the check is stored
 * before the partition can change hands.  *owner is the committing
 * member (test entries with evld_member_owns), or NULL for a commit
 * outside membership (generation -1, empty member).  Errors (not
 * locked): EVL_EGROUPACTIVE (outside membership, the group has members),
 * EVL_ENOGROUP, EVL_EUNKNOWNMEMBER, EVL_EGENERATION, EVL_ELIMIT (outside
 * membership, a new group over --max-groups).
 */
int  evld_groups_commit_begin(struct evld_groups *gs, const char *group,
     int32_t generation, evlp_view member, const struct evld_member **owner);
bool evld_member_owns(
    const struct evld_member *m, const char *topic, uint32_t partition);
void evld_groups_commit_end(struct evld_groups *gs);

#endif /* EVLD_GROUP_H */
