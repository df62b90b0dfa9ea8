/*
 * assign.h -- the partition assignors of the group coordinator: range,
 * round-robin, and sticky (the default).  Pure functions over arrays: no
 * locks, no store, no NNG, so the unit tests drive them directly.
 *
 * Topics are given by index into a table sorted by name; a member lists
 * the topics it subscribes to as a bool per index, and (for sticky) the
 * partitions it owned in the previous generation.  Members are given in
 * member id order, which is the order range and round-robin deal in.
 */
#ifndef EVLD_ASSIGN_H
#define EVLD_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A partition: topic index, partition number. */
struct evld_assign_tp {
	uint32_t topic;
	uint32_t partition;
};

struct evld_assign_topic {
	const char *name;
	uint32_t    partitions;
};

struct evld_assign_member {
	const bool                  *subscribed; /* ntopics of them */
	const struct evld_assign_tp *prev;       /* sticky: last owned */
	size_t                       nprev;
	/* Out: the new assignment, sorted by (topic, partition); caller
	 * frees out with evlp_free. */
	struct evld_assign_tp *out;
	size_t                 nout;
};

/*
 * evld_assign deals every partition of every topic that at least one
 * member subscribes to, each to exactly one member subscribed to its
 * topic, with strategy an evlp_assignor:
 *   range       per topic, contiguous ranges in member order (the first
 *               partitions % members members get one more);
 *   roundrobin  all partitions, by topic then number, dealt in turn;
 *   sticky      each member keeps what it owned (still existing, still
 *               subscribed, owned by no one else) up to its fair share
 *               (total / members, one more for the members keeping the
 *               most), and the rest go one at a time to the eligible
 *               member owning fewest.  With equal subscriptions the
 *               result is balanced to within one partition and moves as
 *               few partitions as possible.
 * Partitions in prev that do not exist any more are ignored.  Errors:
 * EVL_EINVAL (unknown strategy), EVL_ENOMEM; on error no out is set.
 */
int evld_assign(int strategy, const struct evld_assign_topic *topics,
    size_t ntopics, struct evld_assign_member *members, size_t nmembers);

#endif /* EVLD_ASSIGN_H */
