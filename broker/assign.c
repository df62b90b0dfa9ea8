/*
 * assign.c -- range, round-robin and sticky partition assignment
 * (assign.h).  Every partition gets an owner index in one array indexed
 * by its global number (the topic's base plus the partition); the
 * members' lists are built from that array at the end, so they come out
 * sorted and a partition can never be dealt twice.
 */
#include "assign.h"

#include <evlog/evlog.h>
#include <string.h>

#include "alloc.h"
#include "msg.h"

#define NOBODY SIZE_MAX

struct deal {
	const struct evld_assign_topic *topics;
	size_t                          ntopics;
	struct evld_assign_member      *members;
	size_t                          nmembers;
	size_t                         *base;  /* ntopics + 1 */
	size_t                         *owner; /* base[ntopics] */
	size_t                         *count; /* nmembers */
};

static void
range_deal(struct deal *d)
{
	for (size_t t = 0; t < d->ntopics; t++) {
		size_t k = 0, i = 0, at = d->base[t];
		for (size_t m = 0; m < d->nmembers; m++)
			k += d->members[m].subscribed[t];
		if (k == 0)
			continue;
		size_t n = d->topics[t].partitions, per = n / k, extra = n % k;
		for (size_t m = 0; m < d->nmembers; m++) {
			if (!d->members[m].subscribed[t])
				continue;
			size_t take = per + (i++ < extra ? 1 : 0);
			for (size_t j = 0; j < take; j++)
				d->owner[at++] = m;
		}
	}
}

static void
roundrobin_deal(struct deal *d)
{
	size_t next = 0;
	for (size_t t = 0; t < d->ntopics; t++) {
		for (size_t p = 0; p < d->topics[t].partitions; p++) {
			for (size_t j = 0; j < d->nmembers; j++) {
				size_t m = (next + j) % d->nmembers;
				if (d->members[m].subscribed[t]) {
					d->owner[d->base[t] + p] = m;
					next                     = m + 1;
					break;
				}
			}
		}
	}
}

/* Insertion sort by kept count, descending, then index (qsort's
 * comparator cannot see kept without a global; member counts are
 * small). */
static void
order_by_kept(size_t *order, const size_t *kept, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		size_t v = order[i], j = i;
		while (j > 0 &&
		    (kept[order[j - 1]] < kept[v] ||
		        (kept[order[j - 1]] == kept[v] && order[j - 1] > v))) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
}

static int
sticky_deal(struct deal *d)
{
	size_t  total = 0;
	size_t *kept  = evlp_zalloc(d->nmembers * sizeof(*kept));
	size_t *cap   = evlp_zalloc(d->nmembers * sizeof(*cap));
	size_t *order = evlp_alloc(d->nmembers * sizeof(*order));
	if (kept == NULL || cap == NULL || order == NULL) {
		evlp_free(kept);
		evlp_free(cap);
		evlp_free(order);
		return EVL_ENOMEM;
	}
	for (size_t t = 0; t < d->ntopics; t++) {
		for (size_t m = 0; m < d->nmembers; m++) {
			if (d->members[m].subscribed[t]) {
				total += d->topics[t].partitions;
				break;
			}
		}
	}
	/* How much each member could keep, counting a partition claimed
	 * twice (a stale previous owner) for the first claimant only. */
	for (size_t m = 0; m < d->nmembers; m++) {
		const struct evld_assign_member *mb = &d->members[m];
		for (size_t i = 0; i < mb->nprev; i++) {
			const struct evld_assign_tp *tp = &mb->prev[i];
			if (tp->topic >= d->ntopics ||
			    tp->partition >= d->topics[tp->topic].partitions ||
			    !mb->subscribed[tp->topic])
				continue;
			size_t g = d->base[tp->topic] + tp->partition;
			if (d->owner[g] == NOBODY) {
				d->owner[g] = m;
				kept[m]++;
			}
		}
		order[m] = m;
	}
	/* Fair shares: the members keeping the most get the extra ones. */
	order_by_kept(order, kept, d->nmembers);
	size_t share = total / d->nmembers, extra = total % d->nmembers;
	for (size_t i = 0; i < d->nmembers; i++)
		cap[order[i]] = share + (i < extra ? 1 : 0);
	/* Give back what exceeds a share, highest partitions first. */
	for (size_t g = d->base[d->ntopics]; g-- > 0;) {
		size_t m = d->owner[g];
		if (m != NOBODY && kept[m] > cap[m]) {
			d->owner[g] = NOBODY;
			kept[m]--;
		}
	}
	for (size_t m = 0; m < d->nmembers; m++)
		d->count[m] = kept[m];
	/* Deal the rest to the eligible member owning fewest. */
	for (size_t t = 0; t < d->ntopics; t++) {
		for (size_t p = 0; p < d->topics[t].partitions; p++) {
			size_t g = d->base[t] + p, best = NOBODY;
			if (d->owner[g] != NOBODY)
				continue;
			for (size_t m = 0; m < d->nmembers; m++) {
				if (d->members[m].subscribed[t] &&
				    (best == NOBODY ||
				        d->count[m] < d->count[best]))
					best = m;
			}
			if (best != NOBODY) {
				d->owner[g] = best;
				d->count[best]++;
			}
		}
	}
	evlp_free(kept);
	evlp_free(cap);
	evlp_free(order);
	return 0;
}

int
evld_assign(int strategy, const struct evld_assign_topic *topics,
    size_t ntopics, struct evld_assign_member *members, size_t nmembers)
{
	struct deal d = { topics, ntopics, members, nmembers, NULL, NULL,
		NULL };
	int         rv = 0;

	if (strategy != EVLP_ASSIGN_STICKY && strategy != EVLP_ASSIGN_RANGE &&
	    strategy != EVLP_ASSIGN_ROUNDROBIN)
		return EVL_EINVAL;
	d.base = evlp_alloc((ntopics + 1) * sizeof(*d.base));
	if (d.base == NULL)
		return EVL_ENOMEM;
	d.base[0] = 0;
	for (size_t t = 0; t < ntopics; t++)
		d.base[t + 1] = d.base[t] + topics[t].partitions;
	d.owner = evlp_alloc((d.base[ntopics] + 1) * sizeof(*d.owner));
	d.count = evlp_zalloc((nmembers + 1) * sizeof(*d.count));
	if (d.owner == NULL || d.count == NULL) {
		rv = EVL_ENOMEM;
		goto out;
	}
	for (size_t g = 0; g < d.base[ntopics]; g++)
		d.owner[g] = NOBODY;
	if (nmembers == 0)
		goto out;

	switch (strategy) {
	case EVLP_ASSIGN_RANGE:
		range_deal(&d);
		break;
	case EVLP_ASSIGN_ROUNDROBIN:
		roundrobin_deal(&d);
		break;
	default:
		rv = sticky_deal(&d);
		break;
	}
	if (rv != 0)
		goto out;

	/* Build the lists from the owner array: sorted by construction. */
	memset(d.count, 0, nmembers * sizeof(*d.count));
	for (size_t g = 0; g < d.base[ntopics]; g++)
		if (d.owner[g] != NOBODY)
			d.count[d.owner[g]]++;
	size_t m;
	for (m = 0; m < nmembers; m++) {
		members[m].out  = NULL;
		members[m].nout = 0;
		if (d.count[m] == 0)
			continue;
		members[m].out = evlp_alloc(d.count[m] * sizeof(*members[m].out));
		if (members[m].out == NULL) {
			rv = EVL_ENOMEM;
			break;
		}
	}
	if (rv != 0) {
		for (size_t i = 0; i < m; i++) {
			evlp_free(members[i].out);
			members[i].out = NULL;
		}
		goto out;
	}
	for (size_t t = 0; t < ntopics; t++) {
		for (uint32_t p = 0; p < topics[t].partitions; p++) {
			size_t o = d.owner[d.base[t] + p];
			if (o == NOBODY)
				continue;
			struct evld_assign_member *mb = &members[o];
			mb->out[mb->nout].topic       = (uint32_t) t;
			mb->out[mb->nout].partition   = p;
			mb->nout++;
		}
	}
out:
	evlp_free(d.base);
	evlp_free(d.owner);
	evlp_free(d.count);
	return rv;
}
