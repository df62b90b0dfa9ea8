/*
 * example_pubsub_test.c -- examples/pubsub run as a user would: an evlogd
 * child, two `shipping` instances and one `orders` run as processes.
 * Every order must be shipped exactly once (nothing fails here), and both
 * instances must have shipped some: the group shares the work.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <evlog/evlog.h>

#include "client_util.h"
#include "evl_test.h"

#define ORDERS 200

struct child {
	pid_t  pid;
	int    out;
	char  *buf;
	size_t len;
};

static void
spawn(struct child *c, const char *const *argv)
{
	int fds[2];
	memset(c, 0, sizeof(*c));
	cr_assert_eq(pipe(fds), 0);
	pid_t parent = getpid();
	c->pid       = fork();
	cr_assert_neq(c->pid, -1);
	if (c->pid == 0) {
		evlct_die_with_parent(parent);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *) argv);
		_exit(127);
	}
	close(fds[1]);
	c->out = fds[0];
}

/* Reads what the children wrote, for up to ms. */
static void
pump(struct child *cs, int n, int ms)
{
	struct pollfd f[4];
	for (int i = 0; i < n; i++)
		f[i] = (struct pollfd) { cs[i].out, POLLIN, 0 };
	if (poll(f, (nfds_t) n, ms) <= 0)
		return;
	for (int i = 0; i < n; i++) {
		char    b[4096];
		ssize_t r;
		if (!(f[i].revents & (POLLIN | POLLHUP)))
			continue;
		if ((r = read(cs[i].out, b, sizeof(b))) <= 0)
			continue;
		cs[i].buf = realloc(cs[i].buf, cs[i].len + (size_t) r + 1);
		memcpy(cs[i].buf + cs[i].len, b, (size_t) r);
		cs[i].len += (size_t) r;
		cs[i].buf[cs[i].len] = '\0';
	}
}

/* How many times each order was shipped, over both outputs. */
static int
shipped(struct child *cs, int n, int *count)
{
	int total = 0;
	memset(count, 0, (ORDERS + 1) * sizeof(*count));
	for (int i = 0; i < n; i++) {
		const char *p = cs[i].buf;
		while (p != NULL && (p = strstr(p, " shipped order-")) != NULL) {
			long id = strtol(p + 15, NULL, 10);
			if (id >= 1 && id <= ORDERS)
				count[id]++;
			total++;
			p += 15;
		}
	}
	return total;
}

struct members_cond {
	evl_client *c;
	size_t      n;
};

static bool
members_joined(void *arg)
{
	struct members_cond *m = arg;
	evl_group_desc      *d;
	if (evl_group_describe(m->c, "shipping", &d) != 0)
		return false;
	bool ok = d->member_count == m->n && strcmp(d->state, "stable") == 0;
	for (size_t i = 0; ok && i < d->member_count; i++)
		ok = d->members[i].partition_count == 2;
	evl_group_desc_free(d);
	return ok;
}

TestSuite(example_pubsub, .timeout = 180);

Test(example_pubsub, two_shipping_instances_share_the_orders)
{
	evlct_broker    b;
	evl_client_opts o;
	evl_client     *c;
	struct child    ship[2], ord;
	int             count[ORDERS + 1];

	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	evl_client_opts_init(&o);
	o.url = b.url;
	evl_assert_ok(evl_client_open(&c, &o));
	evl_topic_config tc;
	evl_topic_config_init(&tc);
	tc.partitions = 4;
	evl_assert_ok(evl_topic_create(c, "orders", &tc));

	spawn(&ship[0], (const char *const[]) { EXAMPLE_SHIPPING, "-b", b.url,
	                    "--name", "shipping-1", NULL });
	spawn(&ship[1], (const char *const[]) { EXAMPLE_SHIPPING, "-b", b.url,
	                    "--name", "shipping-2", NULL });
	struct members_cond mc = { c, 2 };
	cr_assert(evlct_wait_until(members_joined, &mc, 30000),
	    "the two instances never shared the partitions");

	char n[16];
	snprintf(n, sizeof(n), "%d", ORDERS);
	spawn(&ord, (const char *const[]) { EXAMPLE_ORDERS, "-b", b.url, n,
	                NULL });
	int st;
	while (waitpid(ord.pid, &st, 0) < 0 && errno == EINTR)
		;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "orders failed");

	uint64_t deadline = evlct_now_ms() + 60000;
	while (shipped(ship, 2, count) < ORDERS && evlct_now_ms() < deadline)
		pump(ship, 2, 100);
	for (int i = 0; i < 2; i++)
		kill(ship[i].pid, SIGTERM);
	for (int i = 0; i < 2; i++) {
		while (waitpid(ship[i].pid, &st, 0) < 0 && errno == EINTR)
			;
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "shipping-%d did not exit cleanly", i + 1);
	}
	pump(ship, 2, 0);
	cr_assert_eq(shipped(ship, 2, count), ORDERS);
	for (int i = 1; i <= ORDERS; i++)
		cr_assert_eq(count[i], 1, "order-%d shipped %d times", i,
		    count[i]);
	for (int i = 0; i < 2; i++)
		cr_assert_not_null(strstr(ship[i].buf ? ship[i].buf : "",
		                       "shipped order-"),
		    "shipping-%d shipped nothing", i + 1);

	/* They committed as they went and left: nothing outstanding. */
	evl_group_desc *d;
	evl_assert_ok(evl_group_describe(c, "shipping", &d));
	cr_assert_str_eq(d->state, "empty");
	for (size_t i = 0; i < d->partition_count; i++)
		cr_assert_eq((uint64_t) d->partitions[i].committed,
		    d->partitions[i].head);
	evl_group_desc_free(d);
	for (int i = 0; i < 2; i++)
		free(ship[i].buf);
	free(ord.buf);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}
