/*
 * examples_test.c -- the examples end to end against an evlogd child:
 * the event-sourced bank account (two processes withdrawing from one
 * account at once never overdraw it) and the CQRS projection into SQLite
 * (a projector killed mid-transaction and restarted applies every event
 * exactly once, and a rebuild from scratch gives the same read model; two
 * projectors in the consumer group share the partitions and one SQLite
 * file, and when one dies mid-transaction the other takes its partitions
 * over and the read model ends exactly right).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <evlog/evlog.h>
#include <sqlite3.h>

#include "client_util.h"

TestSuite(examples, .timeout = 300);

/* A running example program with its stdout captured. */
typedef struct prog {
	pid_t pid;
	int   out_fd;
	char  out[1 << 16];
	int   status;
} prog;

static void
prog_start(prog *p, const char *path, const char *const *args)
{
	const char *argv[32];
	int         fds[2], n = 0;
	argv[n++] = path;
	for (size_t i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	cr_assert_eq(pipe(fds), 0);
	memset(p, 0, sizeof(*p));
	pid_t parent = getpid();
	p->pid       = fork();
	cr_assert_geq(p->pid, 0);
	if (p->pid == 0) {
		evlct_die_with_parent(parent);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(path, (char *const *) argv);
		_exit(127);
	}
	close(fds[1]);
	p->out_fd = fds[0];
}

static int
prog_wait(prog *p)
{
	size_t  len = 0;
	ssize_t n;
	while (
	    (n = read(p->out_fd, p->out + len, sizeof(p->out) - 1 - len)) > 0)
		len += (size_t) n;
	p->out[len] = '\0';
	close(p->out_fd);
	cr_assert_eq(waitpid(p->pid, &p->status, 0), p->pid);
	return WIFEXITED(p->status) ? WEXITSTATUS(p->status) : 128;
}

#define ARGS(...) ((const char *const[]) { __VA_ARGS__, NULL })

static int
run(prog *p, const char *path, const char *const *args)
{
	prog_start(p, path, args);
	return prog_wait(p);
}

static long
bank_balance(const char *url, const char *acct)
{
	prog p;
	cr_assert_eq(run(&p, EVLCT_BANK, ARGS("-b", url, "balance", acct)), 0);
	return strtol(p.out, NULL, 10);
}

/* Replays `evl-bank history`: the balance never goes below 0; returns
 * the number of events. */
static int
check_history(const char *url, const char *acct, long *final)
{
	prog p;
	cr_assert_eq(run(&p, EVLCT_BANK, ARGS("-b", url, "history", acct)), 0);
	long  bal = 0, n;
	int   events = 0;
	char *save, *line = strtok_r(p.out, "\n", &save);
	for (; line != NULL; line = strtok_r(NULL, "\n", &save), events++) {
		long v;
		char what[32];
		cr_assert_geq(sscanf(line, "%ld %31s %ld", &v, what, &n), 2);
		cr_assert_eq(v, events, "versions are dense: %s", line);
		if (strcmp(what, "deposited") == 0)
			bal += n;
		else if (strcmp(what, "withdrew") == 0)
			bal -= n;
		else if (strcmp(what, "snapshot") == 0)
			cr_assert_eq(n, bal, "a snapshot holds the balance");
		cr_assert_geq(bal, 0, "overdrawn at version %ld", v);
	}
	*final = bal;
	return events;
}

Test(examples, bank_concurrent_withdrawals_never_overdraw)
{
	evlct_broker b;
	prog         p, w1, w2;
	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	cr_assert_eq(
	    run(&p, EVLCT_BANK, ARGS("-b", b.url, "open", "acct-1")), 0);
	cr_assert_eq(run(&p, EVLCT_BANK, ARGS("-b", b.url, "open", "acct-1")),
	    4, "an account opens once");
	cr_assert_eq(run(&p, EVLCT_BANK,
	                 ARGS("-b", b.url, "deposit", "acct-1", "1000")),
	    0);
	cr_assert_eq(run(&p, EVLCT_BANK,
	                 ARGS("-b", b.url, "withdraw", "acct-1", "5000")),
	    4, "no overdraft");

	/* Two processes, 100 withdrawals of 7 each: 1,400 asked, 1,000
	 * there. */
	prog_start(&w1, EVLCT_BANK,
	    ARGS("-b", b.url, "withdraw", "acct-1", "7", "--repeat", "100"));
	prog_start(&w2, EVLCT_BANK,
	    ARGS("-b", b.url, "withdraw", "acct-1", "7", "--repeat", "100"));
	cr_assert_eq(prog_wait(&w1), 0);
	cr_assert_eq(prog_wait(&w2), 0);
	long ok = strtol(w1.out, NULL, 10) + strtol(w2.out, NULL, 10);
	cr_log_info("withdrawals: %ld + %ld", strtol(w1.out, NULL, 10),
	    strtol(w2.out, NULL, 10));
	cr_assert_eq(ok, 1000 / 7, "every withdrawal that fits, no more");
	long bal = bank_balance(b.url, "acct-1");
	cr_assert_eq(bal, 1000 - 7 * ok);
	cr_assert_geq(bal, 0);

	/* A snapshot, then more: the balance is loaded from it. */
	cr_assert_eq(
	    run(&p, EVLCT_BANK, ARGS("-b", b.url, "snapshot", "acct-1")), 0);
	cr_assert_eq(
	    run(&p, EVLCT_BANK, ARGS("-b", b.url, "deposit", "acct-1", "4")),
	    0);
	cr_assert_eq(bank_balance(b.url, "acct-1"), bal + 4);
	long final;
	int  events = check_history(b.url, "acct-1", &final);
	cr_assert_eq(final, bal + 4);
	cr_assert_eq(events, 2 + ok + 2);
	evlct_broker_stop(&b, false);
}

/* SQLite: one integer from a query. */
static long
q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long          v = -1;
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
	    "%s", sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (long) sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static long
balance_in(sqlite3 *db, const char *acct)
{
	char sql[128];
	snprintf(sql, sizeof(sql),
	    "SELECT balance FROM balances WHERE account = '%s'", acct);
	return q1(db, sql);
}

Test(examples, cqrs_projection_exactly_once)
{
	evlct_broker b;
	prog         p;
	char         db[400];
	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	snprintf(db, sizeof(db), "%s/read-model.db", b.dir);
	const char *accts[] = { "a-1", "a-2", "a-3", "a-4", "a-5" };
	int         events = 0;
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(
		    run(&p, EVLCT_BANK, ARGS("-b", b.url, "open", accts[i])),
		    0);
		events++;
		for (int k = 1; k <= 12; k++) {
			char amount[16];
			snprintf(amount, sizeof(amount), "%d", k * (i + 1));
			cr_assert_eq(run(&p, EVLCT_BANK,
			                 ARGS("-b", b.url,
			                     k % 3 ? "deposit" : "withdraw",
			                     accts[i], amount)),
			    0);
			events++;
		}
	}

	/* Killed in the middle of a transaction, then restarted. */
	cr_assert_eq(run(&p, EVLCT_PROJECTOR,
	                 ARGS("-b", b.url, "--db", db, "--batch", "20",
	                     "--crash-after", "30")),
	    9);
	cr_assert_eq(run(&p, EVLCT_PROJECTOR,
	                 ARGS("-b", b.url, "--db", db, "--batch", "20")),
	    0);

	sqlite3 *s;
	cr_assert_eq(sqlite3_open(db, &s), SQLITE_OK);
	cr_assert_eq(
	    q1(s, "SELECT count(*) FROM ledger"), events, "every event once");
	for (int i = 0; i < 5; i++)
		cr_assert_eq(balance_in(s, accts[i]),
		    bank_balance(b.url, accts[i]), "%s", accts[i]);
	/* Nothing new: a second run applies nothing. */
	cr_assert_eq(
	    run(&p, EVLCT_PROJECTOR, ARGS("-b", b.url, "--db", db)), 0);
	cr_assert_eq(q1(s, "SELECT count(*) FROM ledger"), events);

	/* More events, then a rebuild from scratch: the same model. */
	cr_assert_eq(
	    run(&p, EVLCT_BANK, ARGS("-b", b.url, "deposit", "a-1", "1000")),
	    0);
	events++;
	cr_assert_eq(run(&p, EVLCT_PROJECTOR,
	                 ARGS("-b", b.url, "--db", db, "--rebuild")),
	    0);
	cr_assert_eq(q1(s, "SELECT count(*) FROM ledger"), events);
	cr_assert_eq(balance_in(s, "a-1"), bank_balance(b.url, "a-1"));
	sqlite3_close(s);
	evlct_broker_stop(&b, false);
}

/* ---- two projectors in the group ----------------------------------------- */

#define NACCTS 16

static int
bank(const char *url, const char *cmd, const char *acct, const char *amount)
{
	prog p;
	return amount ? run(&p, EVLCT_BANK, ARGS("-b", url, cmd, acct, amount))
	              : run(&p, EVLCT_BANK, ARGS("-b", url, cmd, acct));
}

/* Deposits `round` into every account; returns the events added. */
static int
deposit_all(const char *url, int round)
{
	char amount[16];
	snprintf(amount, sizeof(amount), "%d", round);
	for (int i = 0; i < NACCTS; i++) {
		char acct[16];
		snprintf(acct, sizeof(acct), "g-%d", i);
		cr_assert_eq(bank(url, "deposit", acct, amount), 0);
	}
	return NACCTS;
}

typedef struct model_wait {
	const char *db;
	long        events;
} model_wait;

static bool
model_has_all(void *arg)
{
	model_wait *w = arg;
	sqlite3    *s;
	long        n = -1;
	if (sqlite3_open(w->db, &s) == SQLITE_OK) {
		sqlite3_stmt *st;
		sqlite3_busy_timeout(s, 1000);
		if (sqlite3_prepare_v2(s, "SELECT count(*) FROM ledger", -1,
		        &st, NULL)
		    == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW)
				n = (long) sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
		}
	}
	sqlite3_close(s);
	return n == w->events;
}

typedef struct group_wait {
	evl_client *c;
	size_t      members; /* each owning a partition */
} group_wait;

static bool
group_shared(void *arg)
{
	group_wait     *w = arg;
	evl_group_desc *d;
	bool            ok;
	if (evl_group_describe(w->c, "projector", &d) != 0)
		return false;
	ok = strcmp(d->state, "stable") == 0 && d->member_count == w->members;
	for (size_t i = 0; ok && i < d->member_count; i++)
		ok = d->members[i].partition_count > 0;
	evl_group_desc_free(d);
	return ok;
}

/* The group's committed offsets reach the heads: lag 0. */
static bool
group_no_lag(void *arg)
{
	group_wait     *w = arg;
	evl_group_desc *d;
	bool            ok;
	if (evl_group_describe(w->c, "projector", &d) != 0)
		return false;
	ok = d->partition_count == 4;
	for (size_t i = 0; ok && i < d->partition_count; i++)
		ok = d->partitions[i].committed >= 0
		    && (uint64_t) d->partitions[i].committed
		        == d->partitions[i].head;
	evl_group_desc_free(d);
	return ok;
}

static long
stop_projector(prog *p)
{
	kill(p->pid, SIGTERM);
	cr_assert_eq(prog_wait(p), 0, "projector exit");
	long n = -1;
	cr_assert_eq(sscanf(p->out, "applied %ld", &n), 1, "%s", p->out);
	return n;
}

static void
check_model(const char *url, const char *db, long events)
{
	sqlite3 *s;
	cr_assert_eq(sqlite3_open(db, &s), SQLITE_OK);
	cr_assert_eq(q1(s, "SELECT count(*) FROM ledger"), events);
	cr_assert_eq(q1(s, "SELECT sum(events) FROM balances"), events);
	for (int i = 0; i < NACCTS; i++) {
		char acct[16];
		snprintf(acct, sizeof(acct), "g-%d", i);
		cr_assert_eq(balance_in(s, acct), bank_balance(url, acct),
		    "%s", acct);
	}
	sqlite3_close(s);
}

Test(examples, cqrs_projection_group_shares_and_fails_over)
{
	evlct_broker b;
	prog         pa, pb, pc;
	char         db[400];
	long         events = 0;
	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	snprintf(db, sizeof(db), "%s/read-model.db", b.dir);
	for (int i = 0; i < NACCTS; i++) {
		char acct[16];
		snprintf(acct, sizeof(acct), "g-%d", i);
		cr_assert_eq(bank(b.url, "open", acct, NULL), 0);
		events++;
	}
	events += deposit_all(b.url, 1);

	evl_client_opts co;
	evl_client     *c;
	evl_client_opts_init(&co);
	co.url = b.url;
	cr_assert_eq(evl_client_open(&c, &co), 0);
	/* Every partition holds accounts (fixed by the names' hashes), so
	 * whoever owns a partition gets events of its own. */
	evl_topic_info *t;
	cr_assert_eq(evl_topic_describe(c, "account", &t), 0);
	cr_assert_eq(t->partition_count, 4);
	for (size_t i = 0; i < t->partition_count; i++)
		cr_assert_gt(t->partitions[i].records, 0, "partition %zu", i);
	evl_topic_info_free(t, 1);

	/* Two instances, one SQLite file: they share the partitions. */
	const char *const args[] = { "-b", b.url, "--db", db, "--follow",
		"--batch", "5", "--session-timeout", "3000", NULL };
	prog_start(&pa, EVLCT_PROJECTOR, args);
	prog_start(&pb, EVLCT_PROJECTOR, args);
	group_wait gw = { c, 2 };
	cr_assert(evlct_wait_until(group_shared, &gw, 60000),
	    "both projectors own partitions");
	for (int r = 2; r <= 4; r++)
		events += deposit_all(b.url, r);
	model_wait mw = { db, events };
	cr_assert(evlct_wait_until(model_has_all, &mw, 60000),
	    "the read model has every event");
	cr_assert(evlct_wait_until(group_no_lag, &gw, 30000),
	    "the group's offsets follow the read model");
	long a = stop_projector(&pa);
	check_model(b.url, db, events);

	/* A third instance joins B; it dies in the middle of a transaction
	 * (without leaving the group); B takes its partitions over once
	 * its session expires. */
	const char *const crash[] = { "-b", b.url, "--db", db, "--follow",
		"--batch", "50", "--session-timeout", "3000", "--crash-after",
		"5", NULL };
	prog_start(&pc, EVLCT_PROJECTOR, crash);
	cr_assert(evlct_wait_until(group_shared, &gw, 60000),
	    "B and C own partitions");
	for (int r = 5; r <= 6; r++)
		events += deposit_all(b.url, r);
	cr_assert_eq(prog_wait(&pc), 9, "C crashed mid-transaction");
	mw.events = events;
	cr_assert(evlct_wait_until(model_has_all, &mw, 60000),
	    "B applied C's share");
	long bn = stop_projector(&pb);
	cr_log_info("projector A applied %ld, B %ld", a, bn);
	cr_assert_gt(a, 0, "A had a share");
	cr_assert_gt(bn, 0, "B had a share");
	check_model(b.url, db, events);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}
