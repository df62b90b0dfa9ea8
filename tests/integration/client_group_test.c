/*
 * client_group_test.c -- group consumers of libevlog against a real
 * evlogd child: three members share six partitions and consume 60,000
 * records exactly once; a member killed with SIGKILL has its partitions
 * moved to the others within its session timeout and nothing is lost; a
 * broker killed mid-consumption comes back and the group resumes from
 * its commits; pause, seek, manual and async commits.
 *
 * Members run on threads (each with its own client, as separate
 * services would) or, to be killed, as a child process
 * (group_member.c).  Every wait is a
 * condition polled with a deadline.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <evlog/evlog.h>

#include "client_util.h"
#include "evl_test.h"

#define WAIT_MS 60000

/* One suite-wide timeout: per-test ones make Criterion 2.4 leak a
 * little when several run (LeakSanitizer then fails the binary). */
TestSuite(client_group, .timeout = 240);

static evl_client *
connect_url(const char *url)
{
	evl_client_opts o;
	evl_client     *c;
	evl_client_opts_init(&o);
	o.url = url;
	evl_assert_ok(evl_client_open(&c, &o));
	return c;
}

static void
create_topic(evl_client *c, const char *name, uint32_t parts)
{
	evl_topic_config cfg;
	evl_topic_config_init(&cfg);
	cfg.partitions = parts;
	int rv = evl_topic_create(c, name, &cfg);
	cr_assert(rv == 0 || rv == EVL_ETOPICEXISTS, "create %s: %s", name,
	    evl_errname(rv));
}

/* Produces ids [from, to) as values "%u", to partition id % parts. */
static void
produce_ids(evl_client *c, const char *topic, uint32_t parts, uint32_t from,
    uint32_t to)
{
	evl_producer *p;
	evl_assert_ok(evl_producer_open(&p, c, NULL));
	for (uint32_t i = from; i < to; i++) {
		char        v[16];
		evl_message m;
		memset(&m, 0, sizeof(m));
		int n       = snprintf(v, sizeof(v), "%u", i);
		m.topic     = topic;
		m.partition = i % parts;
		m.value     = v;
		m.value_len = (size_t) n;
		evl_assert_ok(evl_produce(p, &m));
	}
	evl_assert_ok(evl_producer_flush(p, 30000));
	evl_producer_close(p);
}

static uint32_t
id_of(const evl_record *r)
{
	char v[16];
	cr_assert_lt(r->value_len, sizeof(v));
	memcpy(v, r->value, r->value_len);
	v[r->value_len] = '\0';
	return (uint32_t) strtoul(v, NULL, 10);
}

/* ---- members on threads -------------------------------------------------- */

#define MAX_IDS 60000
#define NPARTS  6

static atomic_int  seen[MAX_IDS];
static atomic_int  consumed;
static atomic_int  part_owner[NPARTS]; /* -1, or the one member */
static atomic_bool conflict;

struct member {
	int          index;
	const char  *url;
	const char  *group;
	const char  *topic;
	uint32_t     session_ms;
	atomic_bool  stop;
	atomic_bool  stopped;
	pthread_t    th;
	int          last_err;
};

static void *
member_main(void *arg)
{
	struct member    *m = arg;
	evl_client       *c;
	evl_consumer     *k;
	evl_consumer_opts o;
	evl_client_opts   co;
	const char       *topics[] = { m->topic };

	evl_client_opts_init(&co);
	co.url = m->url;
	if (evl_client_open(&c, &co) != 0) {
		m->last_err = -1;
		return NULL;
	}
	evl_consumer_opts_init(&o);
	o.session_timeout_ms   = m->session_ms;
	o.rebalance_timeout_ms = 10000;
	o.auto_commit_ms       = 100;
	o.max_wait_ms          = 100;
	if (evl_consumer_open(&k, c, m->group, topics, 1, &o) != 0) {
		m->last_err = -2;
		evl_client_close(c);
		return NULL;
	}
	while (!atomic_load(&m->stop)) {
		const evl_record *r;
		int               rv = evl_consumer_poll(k, &r, 100);
		if (rv != 0) {
			if (rv != EVL_ETIMEDOUT)
				m->last_err = rv;
			continue;
		}
		char v[16] = { 0 };
		memcpy(v, r->value,
		    r->value_len < sizeof(v) - 1 ? r->value_len : sizeof(v) - 1);
		uint32_t id = (uint32_t) strtoul(v, NULL, 10);
		if (id < MAX_IDS)
			atomic_fetch_add(&seen[id], 1);
		atomic_fetch_add(&consumed, 1);
		int want = -1;
		if (!atomic_compare_exchange_strong(
		        &part_owner[r->partition], &want, m->index) &&
		    want != m->index)
			atomic_store(&conflict, true);
	}
	evl_consumer_close(k);
	evl_client_close(c);
	atomic_store(&m->stopped, true);
	return NULL;
}

static void
members_reset(void)
{
	for (int i = 0; i < MAX_IDS; i++)
		atomic_init(&seen[i], 0);
	for (int p = 0; p < NPARTS; p++)
		atomic_init(&part_owner[p], -1);
	atomic_init(&consumed, 0);
	atomic_init(&conflict, false);
}

static void
member_start(struct member *m, int index, const char *url, const char *group,
    const char *topic, uint32_t session_ms)
{
	memset(m, 0, sizeof(*m));
	m->index      = index;
	m->url        = url;
	m->group      = group;
	m->topic      = topic;
	m->session_ms = session_ms;
	atomic_init(&m->stop, false);
	atomic_init(&m->stopped, false);
	cr_assert_eq(pthread_create(&m->th, NULL, member_main, m), 0);
}

static void
member_stop(struct member *m)
{
	atomic_store(&m->stop, true);
	pthread_join(m->th, NULL);
}

/* The group is stable with n members, every partition owned, and each
 * member holding between lo and hi partitions. */
struct stable_cond {
	evl_client *c;
	const char *group;
	size_t      members;
	size_t      parts;
};

static bool
group_stable(void *arg)
{
	struct stable_cond *s = arg;
	evl_group_desc     *d;
	bool                ok;
	if (evl_group_describe(s->c, s->group, &d) != 0)
		return false;
	ok = strcmp(d->state, "stable") == 0 && d->member_count == s->members &&
	    d->partition_count == s->parts;
	for (size_t i = 0; ok && i < d->partition_count; i++)
		ok = d->partitions[i].member[0] != '\0';
	size_t per = s->members ? s->parts / s->members : 0;
	for (size_t i = 0; ok && i < d->member_count; i++)
		ok = d->members[i].partition_count >= per &&
		    d->members[i].partition_count <= per + 1;
	evl_group_desc_free(d);
	return ok;
}

static void
wait_stable(evl_client *c, const char *group, size_t members, size_t parts)
{
	struct stable_cond s = { c, group, members, parts };
	cr_assert(evlct_wait_until(group_stable, &s, WAIT_MS),
	    "group %s never stable with %zu members", group, members);
}

static int want_consumed;

static bool
enough_consumed(void *arg)
{
	(void) arg;
	return atomic_load(&consumed) >= want_consumed;
}

Test(client_group, three_members_share_six_partitions_exactly_once)
{
	evlct_broker  b;
	struct member m[3];
	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	evl_client *c = connect_url(b.url);
	create_topic(c, "orders", NPARTS);
	members_reset();
	for (int i = 0; i < 3; i++)
		member_start(&m[i], i, b.url, "shipping", "orders", 10000);
	wait_stable(c, "shipping", 3, NPARTS);

	produce_ids(c, "orders", NPARTS, 0, MAX_IDS);
	want_consumed = MAX_IDS;
	cr_assert(evlct_wait_until(enough_consumed, NULL, WAIT_MS),
	    "consumed %d of %d", atomic_load(&consumed), MAX_IDS);
	for (int i = 0; i < 3; i++)
		member_stop(&m[i]);

	cr_assert_eq(atomic_load(&consumed), MAX_IDS, "duplicates: %d",
	    atomic_load(&consumed) - MAX_IDS);
	for (int i = 0; i < MAX_IDS; i++)
		cr_assert_eq(atomic_load(&seen[i]), 1, "record %d seen %d times",
		    i, atomic_load(&seen[i]));
	cr_assert_not(atomic_load(&conflict),
	    "a partition was read by two members");
	/* Every member did its share. */
	int owners[3] = { 0 };
	for (int p = 0; p < NPARTS; p++) {
		int o = atomic_load(&part_owner[p]);
		cr_assert(o >= 0 && o < 3);
		owners[o]++;
	}
	for (int i = 0; i < 3; i++)
		cr_assert_eq(owners[i], 2, "member %d read %d partitions", i,
		    owners[i]);

	/* The members committed everything on leaving: lag 0. */
	evl_group_desc *d;
	evl_assert_ok(evl_group_describe(c, "shipping", &d));
	cr_assert_str_eq(d->state, "empty");
	cr_assert_eq(d->partition_count, NPARTS);
	for (size_t i = 0; i < d->partition_count; i++)
		cr_assert_eq((uint64_t) d->partitions[i].committed,
		    d->partitions[i].head);
	evl_group_desc_free(d);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

/* ---- a member killed with SIGKILL ---------------------------------------- */

#define KILL_IDS 6000

struct child_reader {
	int        fd;
	pthread_t  th;
	atomic_int lines;
	atomic_int child_part[NPARTS]; /* partitions the child read */
};

static void *
child_reader_main(void *arg)
{
	struct child_reader *cr = arg;
	FILE                *f  = fdopen(cr->fd, "r");
	unsigned             id, part;
	while (f != NULL && fscanf(f, "%u %u", &id, &part) == 2) {
		if (id < MAX_IDS)
			atomic_fetch_add(&seen[id], 1);
		if (part < NPARTS)
			atomic_store(&cr->child_part[part], 1);
		atomic_fetch_add(&cr->lines, 1);
	}
	if (f != NULL)
		fclose(f);
	return NULL;
}

static int want_lo, want_hi;

static bool
all_seen(void *arg)
{
	(void) arg;
	for (int i = want_lo; i < want_hi; i++)
		if (atomic_load(&seen[i]) == 0)
			return false;
	return true;
}

static bool
child_read_some(void *arg)
{
	struct child_reader *cr = arg;
	return atomic_load(&cr->lines) > 0;
}

Test(client_group, a_killed_members_partitions_move_and_nothing_is_lost)
{
	evlct_broker        b;
	struct member       m[2];
	struct child_reader cr;
	int                 fds[2];

	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	members_reset();
	memset(&cr, 0, sizeof(cr));
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the test */
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(EVLCT_GROUP_MEMBER, "group_member", b.url, "shipping",
		    "orders", "1000", (char *) NULL);
		_exit(127);
	}
	close(fds[1]);
	cr.fd = fds[0];
	cr_assert_eq(pthread_create(&cr.th, NULL, child_reader_main, &cr), 0);

	evl_client *c = connect_url(b.url);
	create_topic(c, "orders", NPARTS);
	for (int i = 0; i < 2; i++)
		member_start(&m[i], i, b.url, "shipping", "orders", 10000);
	wait_stable(c, "shipping", 3, NPARTS);

	produce_ids(c, "orders", NPARTS, 0, KILL_IDS / 2);
	want_lo = 0;
	want_hi = KILL_IDS / 2;
	cr_assert(evlct_wait_until(all_seen, NULL, WAIT_MS),
	    "the first half was not consumed");
	cr_assert(evlct_wait_until(child_read_some, &cr, WAIT_MS));

	uint64_t t0 = evlct_now_ms();
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* Its session (1 s) ends; one rebalance later (the survivors hear
	 * of it from their next heartbeat, at most 1 s apart) the two own
	 * everything.  The bound adds 8 s for slow (sanitizer) builds on a
	 * loaded machine (5.2 s seen); the default 10 s session alone would
	 * exceed it. */
	wait_stable(c, "shipping", 2, NPARTS);
	uint64_t moved_ms = evlct_now_ms() - t0;
	cr_log_info("partitions moved %" PRIu64 " ms after the SIGKILL",
	    moved_ms);
	cr_assert_lt(moved_ms, 1000 + 1000 + 8000, "took %" PRIu64 " ms",
	    moved_ms);

	produce_ids(c, "orders", NPARTS, KILL_IDS / 2, KILL_IDS);
	want_lo = 0;
	want_hi = KILL_IDS;
	cr_assert(evlct_wait_until(all_seen, NULL, WAIT_MS),
	    "records were lost");
	for (int i = 0; i < 2; i++)
		member_stop(&m[i]);
	pthread_join(cr.th, NULL);

	/* Duplicates only in the partitions the killed member read (its
	 * uncommitted tail). */
	for (int i = 0; i < KILL_IDS; i++) {
		if (atomic_load(&seen[i]) > 1)
			cr_assert(atomic_load(&cr.child_part[i % NPARTS]),
			    "record %d duplicated outside the killed member's "
			    "partitions",
			    i);
	}
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

/* ---- a member paused past its session -------------------------------------- */

static bool
file_has(void *arg)
{
	const char **fw = arg;
	char         buf[4096] = { 0 };
	FILE        *f = fopen(fw[0], "r");
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, fw[1]) != NULL;
}

/* Every committed offset of the group, by partition. */
static void
commits_of(evl_client *c, const char *group, int64_t *out)
{
	for (uint32_t p = 0; p < NPARTS; p++)
		evl_assert_ok(evl_group_committed(c, group, "orders", p, &out[p]));
}

static bool
all_committed(void *arg)
{
	int64_t off[NPARTS], sum = 0;
	commits_of(arg, "shipping", off);
	for (int p = 0; p < NPARTS; p++)
		sum += off[p];
	return sum == 1200;
}

Test(client_group, a_paused_member_is_fenced_and_its_commit_changes_nothing)
{
	evlct_broker        b;
	struct member       m[1];
	struct child_reader cr;
	int                 fds[2];
	char                errpath[400];

	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	snprintf(errpath, sizeof(errpath), "%s/member.err", b.dir);
	members_reset();
	memset(&cr, 0, sizeof(cr));
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		/* Dies with the test, even stopped, if an assertion ends it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fds[1], 1);
		dup2(e, 2);
		close(fds[0]);
		close(fds[1]);
		execl(EVLCT_GROUP_MEMBER, "group_member", b.url, "shipping",
		    "orders", "1000", "sync", (char *) NULL);
		_exit(127);
	}
	close(fds[1]);
	cr.fd = fds[0];
	cr_assert_eq(pthread_create(&cr.th, NULL, child_reader_main, &cr), 0);

	evl_client *c = connect_url(b.url);
	create_topic(c, "orders", NPARTS);
	member_start(&m[0], 0, b.url, "shipping", "orders", 10000);
	wait_stable(c, "shipping", 2, NPARTS);
	produce_ids(c, "orders", NPARTS, 0, 600);
	want_lo = 0;
	want_hi = 600;
	cr_assert(evlct_wait_until(all_seen, NULL, WAIT_MS));

	/* Pause the child past its session: the survivor takes over. */
	kill(pid, SIGSTOP);
	wait_stable(c, "shipping", 1, NPARTS);
	produce_ids(c, "orders", NPARTS, 600, 1200);
	want_hi = 1200;
	cr_assert(evlct_wait_until(all_seen, NULL, WAIT_MS));
	/* Wait for the survivor's commits to cover everything. */
	int64_t before[NPARTS];
	cr_assert(evlct_wait_until(all_committed, c, WAIT_MS),
	    "the survivor did not commit everything");
	commits_of(c, "shipping", before);

	/* It wakes and commits its old positions: refused. */
	kill(pid, SIGCONT);
	const char *fw[] = { errpath, "commit failed: EVL_E" };
	cr_assert(evlct_wait_until(file_has, fw, WAIT_MS),
	    "the paused member's commit was not refused");
	const char *fw2[] = { errpath, "commit failed: EVL_EUNKNOWNMEMBER" };
	cr_assert(file_has(fw2), "refused, but not as an unknown member");
	int64_t after[NPARTS];
	commits_of(c, "shipping", after);
	for (int p = 0; p < NPARTS; p++)
		cr_assert_eq(after[p], before[p], "partition %d moved", p);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	member_stop(&m[0]);
	pthread_join(cr.th, NULL);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

/* ---- a broker restart mid-consumption ------------------------------------ */

Test(client_group, a_broker_restart_resumes_from_the_commits)
{
	evlct_broker      b;
	evl_consumer     *k;
	evl_consumer_opts o;
	const evl_record *r;
	char              dir[256], url[256];
	const char       *topics[] = { "orders" };
	static int        count[4000];

	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	snprintf(dir, sizeof(dir), "%s", b.dir);
	snprintf(url, sizeof(url), "%s", b.url);
	evl_client *c = connect_url(url);
	create_topic(c, "orders", 2);
	produce_ids(c, "orders", 2, 0, 4000);

	evl_consumer_opts_init(&o);
	o.auto_commit_ms = 0; /* explicit commits only */
	o.max_wait_ms    = 100;
	evl_assert_ok(evl_consumer_open(&k, c, "replay", topics, 1, &o));
	for (int i = 0; i < 2000; i++) {
		evl_assert_ok(evl_consumer_poll(k, &r, 10000));
		count[id_of(r)]++;
	}
	evl_assert_ok(evl_consumer_commit(k));
	/* 100 more, not committed: the tail that may come again. */
	for (int i = 0; i < 100; i++) {
		evl_assert_ok(evl_consumer_poll(k, &r, 10000));
		count[id_of(r)]++;
	}
	int32_t gen;
	evl_consumer_member(k, &gen);

	evlct_broker_kill(&b, SIGKILL);
	const char *args[] = { "--listen", url, NULL };
	cr_assert_eq(evlct_broker_start(&b, dir, args), 0);

	/* The same member goes on: its place is kept across the restart. */
	int got = 2100;
	while (got < 4000) {
		int rv = evl_consumer_poll(k, &r, 1000);
		if (rv == EVL_ETIMEDOUT || rv == EVL_ECONNREFUSED ||
		    rv == EVL_ECONNRESET)
			continue;
		evl_assert_ok(rv);
		count[id_of(r)]++;
		got++;
	}
	evl_assert_ok(evl_consumer_commit(k));
	int32_t gen2;
	evl_consumer_member(k, &gen2);
	cr_assert_eq(gen2, gen, "the restart cost a rebalance");
	for (int i = 0; i < 4000; i++)
		cr_assert_eq(count[i], 1, "record %d read %d times", i,
		    count[i]);
	evl_consumer_close(k);

	/* A new member of the group starts where the commits are. */
	evl_assert_ok(evl_consumer_open(&k, c, "replay", topics, 1, &o));
	cr_assert_eq(evl_consumer_poll(k, &r, 500), EVL_ETIMEDOUT);
	produce_ids(c, "orders", 2, 4000, 4001);
	evl_assert_ok(evl_consumer_poll(k, &r, 10000));
	cr_assert_eq(id_of(r), 4000);
	evl_consumer_close(k);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

/* ---- pause, seek, async commits, callbacks ------------------------------- */

struct cb_state {
	int        assigned, revoked;
	size_t     last_n;
	atomic_int commits_ok;
};

static void
on_assign(void *arg, evl_consumer *k, const evl_topic_partition *p, size_t n)
{
	struct cb_state *s = arg;
	(void) k;
	(void) p;
	s->assigned++;
	s->last_n = n;
}

static void
on_revoke(void *arg, evl_consumer *k, const evl_topic_partition *p, size_t n)
{
	struct cb_state *s = arg;
	(void) p;
	(void) n;
	s->revoked++;
	/* The last moment this member's commits are accepted. */
	evl_assert_ok(evl_consumer_commit(k));
}

static void
on_commit(void *arg, int err)
{
	struct cb_state *s = arg;
	if (err == 0)
		atomic_fetch_add(&s->commits_ok, 1);
}

static bool
async_done(void *arg)
{
	return atomic_load(&((struct cb_state *) arg)->commits_ok) > 0;
}

Test(client_group, pause_seek_and_async_commit)
{
	evlct_broker      b;
	evl_consumer     *k;
	evl_consumer_opts o;
	const evl_record *r;
	struct cb_state   st;
	const char       *topics[] = { "or*" }; /* a glob */

	memset(&st, 0, sizeof(st));
	atomic_init(&st.commits_ok, 0);
	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	evl_client *c = connect_url(b.url);
	create_topic(c, "orders", 2);
	produce_ids(c, "orders", 2, 0, 10);

	evl_consumer_opts_init(&o);
	o.auto_commit_ms    = 0;
	o.max_wait_ms       = 100;
	o.auto_offset_reset = EVL_RESET_LATEST;
	o.on_assign         = on_assign;
	o.on_revoke         = on_revoke;
	o.on_commit         = on_commit;
	o.cb_arg            = &st;
	evl_assert_ok(evl_consumer_open(&k, c, "g", topics, 1, &o));
	/* latest: what was there before is skipped. */
	cr_assert_eq(evl_consumer_poll(k, &r, 300), EVL_ETIMEDOUT);
	cr_assert_eq(st.assigned, 1);
	cr_assert_eq(st.last_n, 2);
	const evl_topic_partition *parts;
	size_t                     n;
	evl_assert_ok(evl_consumer_assignment(k, &parts, &n));
	cr_assert_eq(n, 2);

	/* Paused partition 0: only partition 1's records come. */
	evl_assert_ok(evl_consumer_pause(k, "orders", 0));
	produce_ids(c, "orders", 2, 10, 20);
	for (int i = 0; i < 5; i++) {
		evl_assert_ok(evl_consumer_poll(k, &r, 10000));
		cr_assert_eq(r->partition, 1);
	}
	cr_assert_eq(evl_consumer_poll(k, &r, 200), EVL_ETIMEDOUT);
	evl_assert_ok(evl_consumer_resume(k, "orders", 0));
	evl_assert_ok(evl_consumer_poll(k, &r, 10000));
	cr_assert_eq(r->partition, 0);
	cr_assert_eq(r->offset, 5);

	/* Seek back to the start of partition 0. */
	evl_assert_ok(evl_consumer_seek(k, "orders", 0, EVL_OFFSET_BEGINNING));
	evl_assert_ok(evl_consumer_poll(k, &r, 10000));
	cr_assert_eq(r->partition, 0);
	cr_assert_eq(r->offset, 0);
	cr_assert_eq(evl_consumer_seek(k, "orders", 9, 0), EVL_ENOTOWNER);
	cr_assert_eq(evl_consumer_pause(k, "nope", 0), EVL_ENOTOWNER);

	evl_assert_ok(evl_consumer_commit_async(k));
	cr_assert(evlct_wait_until(async_done, &st, 10000));
	int64_t off;
	evl_assert_ok(evl_group_committed(c, "g", "orders", 0, &off));
	cr_assert_eq(off, 1);
	evl_assert_ok(evl_group_committed(c, "g", "orders", 1, &off));
	cr_assert_eq(off, 10);

	/* A new topic matching the glob: revoke (with a commit), then a
	 * new assignment with it. */
	create_topic(c, "ore", 1);
	for (int i = 0; i < 100 && st.assigned < 2; i++)
		(void) evl_consumer_poll(k, &r, 100);
	cr_assert_eq(st.assigned, 2);
	cr_assert_eq(st.revoked, 1);
	cr_assert_eq(st.last_n, 3);
	evl_consumer_close(k);
	cr_assert_eq(st.revoked, 2);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

/* evl_client_close with a consumer still open closes it first: the
 * consumer commits what it consumed and leaves its group at once (no
 * session timeout to wait out), and its background thread never touches
 * the freed client. */
Test(client_group, closing_the_client_closes_its_consumers)
{
	evlct_broker      b;
	evl_consumer     *k;
	evl_consumer_opts o;
	const evl_record *r;
	const char       *topics[] = { "cc" };

	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	evl_client *admin = connect_url(b.url);
	evl_client *c     = connect_url(b.url);
	create_topic(admin, "cc", 1);
	produce_ids(admin, "cc", 1, 0, 5);

	evl_consumer_opts_init(&o);
	o.session_timeout_ms = 60000; /* a member that did not leave stays */
	o.max_wait_ms        = 100;
	evl_assert_ok(evl_consumer_open(&k, c, "gc", topics, 1, &o));
	for (uint32_t i = 0; i < 5; i++) {
		evl_assert_ok(evl_consumer_poll(k, &r, 10000));
		cr_assert_eq(id_of(r), i);
	}
	evl_client_close(c); /* k is closed with it */

	evl_group_desc *d;
	evl_assert_ok(evl_group_describe(admin, "gc", &d));
	cr_assert_eq(d->member_count, 0, "the consumer left its group");
	cr_assert_eq(d->partition_count, 1);
	cr_assert_eq(d->partitions[0].committed, 5, "and committed first");
	evl_group_desc_free(d);
	evl_client_close(admin);
	evlct_broker_stop(&b, false);
}
