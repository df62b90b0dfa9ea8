/*
 * shipping -- the consuming side of the pub/sub example: a shipping
 * service that ships every placed order.  Run several instances with the
 * same group (`shipping`) and they share the work: the broker gives each
 * instance some of the `orders` partitions and moves them when an
 * instance comes or goes.
 *
 *   shipping [-b URL] [--name NAME] [--idle-exit MS]
 *
 * For each OrderPlaced event it "ships" the order (prints a line) and then
 * commits: read, apply, commit, so a crash between the two ships an order
 * again rather than never (at least once; a real service makes shipping
 * idempotent by order id).  SIGINT/SIGTERM commit and leave the group, so
 * the other instances take over at once.  --idle-exit ends the instance
 * after MS without any event (for scripts and tests).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <evlog/evlog.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

struct service {
	const char *name;
	long        shipped;
};

static void
on_assign(void *arg, evl_consumer *k, const evl_topic_partition *p, size_t n)
{
	struct service *s = arg;
	(void) k;
	fprintf(stderr, "%s: assigned", s->name);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %s/%u", p[i].topic, (unsigned) p[i].partition);
	fprintf(stderr, "\n");
}

static void
on_revoke(void *arg, evl_consumer *k, const evl_topic_partition *p, size_t n)
{
	struct service *s = arg;
	(void) p;
	/* The last moment our commits count for these partitions. */
	int rv = evl_consumer_commit(k);
	fprintf(stderr, "%s: giving up %zu partitions (commit: %s)\n", s->name,
	    n, evl_strerror(rv));
}

/* The order id inside the event's JSON (a toy parser, enough here). */
static void
order_id(const evl_record *r, char *out, size_t len)
{
	const char *v   = r->value;
	const char *end = v + r->value_len;
	const char *key = "\"order_id\":\"";
	size_t      kl  = strlen(key);
	snprintf(out, len, "?");
	for (const char *p = v; p + kl < end; p++) {
		if (memcmp(p, key, kl) == 0) {
			const char *q = p + kl, *e = q;
			while (e < end && *e != '"')
				e++;
			snprintf(out, len, "%.*s", (int) (e - q), q);
			return;
		}
	}
}

static bool
is_order_placed(const evl_record *r)
{
	for (size_t i = 0; i < r->header_count; i++) {
		const evl_header *h = &r->headers[i];
		if (h->name_len == 4 && memcmp(h->name, "type", 4) == 0)
			return h->value_len == 11 &&
			    memcmp(h->value, "OrderPlaced", 11) == 0;
	}
	return false;
}

int
main(int argc, char **argv)
{
	evl_client_opts   co;
	evl_consumer_opts o;
	evl_client       *c;
	evl_consumer     *k;
	struct service    s = { "shipping", 0 };
	long              idle_exit = 0;
	const char       *topics[] = { "orders" };
	int               rv;

	evl_client_opts_init(&co);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
			co.url = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			s.name = argv[++i];
		else if (strcmp(argv[i], "--idle-exit") == 0 && i + 1 < argc)
			idle_exit = strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: shipping [-b URL] [--name NAME] "
			                "[--idle-exit MS]\n");
			return 2;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if ((rv = evl_client_open(&c, &co)) != 0) {
		fprintf(stderr, "%s: cannot connect: %s\n", s.name,
		    evl_strerror(rv));
		return 1;
	}
	evl_consumer_opts_init(&o);
	o.client_id      = s.name;
	o.auto_commit_ms = 0; /* we commit after shipping */
	o.on_assign      = on_assign;
	o.on_revoke      = on_revoke;
	o.cb_arg         = &s;
	if ((rv = evl_consumer_open(&k, c, "shipping", topics, 1, &o)) != 0) {
		fprintf(stderr, "%s: %s\n", s.name, evl_strerror(rv));
		evl_client_close(c);
		return 1;
	}
	long idle = 0;
	while (!stop && (idle_exit == 0 || idle < idle_exit)) {
		const evl_record *r;
		rv = evl_consumer_poll(k, &r, 200);
		if (rv == EVL_ETIMEDOUT) {
			idle += 200;
			continue;
		}
		if (rv != 0) {
			/* The broker away for a moment: keep trying. */
			fprintf(stderr, "%s: %s\n", s.name, evl_strerror(rv));
			continue;
		}
		idle = 0;
		if (!is_order_placed(r))
			continue;
		char id[64];
		order_id(r, id, sizeof(id));
		printf("%s shipped %s (partition %u, offset %llu)\n", s.name, id,
		    (unsigned) r->partition, (unsigned long long) r->offset);
		fflush(stdout);
		s.shipped++;
		/* Shipped: now it may be committed. */
		if ((rv = evl_consumer_commit(k)) != 0)
			fprintf(stderr, "%s: commit: %s\n", s.name,
			    evl_strerror(rv));
	}
	evl_consumer_close(k);
	evl_client_close(c);
	fprintf(stderr, "%s: shipped %ld orders\n", s.name, s.shipped);
	return 0;
}
