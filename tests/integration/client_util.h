/*
 * client_util.h -- what the libevlog integration tests share: an evlogd
 * child process on ephemeral ports, temporary directories, and waiting on
 * a condition with a deadline.
 *
 * The broker runs as a child process (the binary the build made), so a
 * test can kill it with SIGKILL and restart it on the same data directory
 * the way an operator would; every URL it prints on "evlogd: listening on
 * URL" is captured, so tcp://127.0.0.1:0 gets its real port.  Criterion
 * forks a worker per test: start brokers inside the test.
 */
#ifndef EVLCT_CLIENT_UTIL_H
#define EVLCT_CLIENT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <evlog/evlog.h>

#define EVLCT_MAX_URLS 4

typedef struct evlct_broker {
	pid_t     pid;
	int       err_fd;   /* the child's stderr, drained by a thread */
	void     *drain;    /* that thread */
	char      dir[256]; /* the test's temporary directory */
	char      data[300];
	int       nurls;
	char      urls[EVLCT_MAX_URLS][256];
	const char *url; /* urls[0] */
} evlct_broker;

/* Monotonic milliseconds. */
uint64_t evlct_now_ms(void);

/* Polls cond(arg) until true (returns true) or timeout_ms pass. */
bool evlct_wait_until(bool (*cond)(void *), void *arg, uint32_t timeout_ms);

/* A fresh directory under $TMPDIR or /tmp; 0 or -1. */
int evlct_tmpdir(char *buf, size_t len);

/*
 * Starts evlogd with --data DIR/data --http off and args (NULL-terminated,
 * may be NULL).  Without a --listen in args it listens on
 * tcp://127.0.0.1:0.  dir NULL makes a new temporary directory; else the
 * broker reuses dir (a restart).  Waits until every listener is up.
 * Returns 0 or -1.
 */
int evlct_broker_start(
    evlct_broker *b, const char *dir, const char *const *args);

/* Sends sig to the broker and reaps it (SIGKILL: a crash). */
void evlct_broker_kill(evlct_broker *b, int sig);

/* Stops the broker (SIGTERM) and removes its directory unless keep. */
void evlct_broker_stop(evlct_broker *b, bool keep);

/*
 * In a child between fork and exec: asks the kernel to SIGKILL it when
 * parent (the test, the pid fork returned in) dies, so a test that fails
 * or crashes half-way never leaves a broker or a follower behind holding
 * ctest's output pipe open (ctest would wait for it until its timeout).
 */
void evlct_die_with_parent(pid_t parent);

/* Runs a shell command line; returns its exit status (or -1). */
int evlct_sh(const char *cmd);

/* Sets name's password in dir/users with `evlogd passwd` (so through the
 * real command, not a test-only writer); its exit status. */
int evlct_passwd(const char *dir, const char *name, const char *password);

/* Produces one record to topic's partition 0 through p, its value i in
 * decimal: the numbered records tests count and order; evl_produce's
 * result.  Inline, so that tests which link no libevlog (cli_test) can
 * share this header. */
static inline int
evlct_produce_number(evl_producer *p, const char *topic, uint32_t i)
{
	char        v[16];
	int         n = snprintf(v, sizeof(v), "%u", i);
	evl_message m = { .topic = topic,
		.partition       = 0,
		.value           = v,
		.value_len       = (size_t) n };
	return evl_produce(p, &m);
}

#endif /* EVLCT_CLIENT_UTIL_H */
