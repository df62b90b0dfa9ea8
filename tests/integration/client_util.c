/*
 * client_util.c -- an evlogd child process for the client tests.
 */
#include "client_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef EVLCT_EVLOGD
#error "EVLCT_EVLOGD (the evlogd binary) must be defined"
#endif

#define LISTEN_PREFIX "evlogd: listening on "

uint64_t
evlct_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

bool
evlct_wait_until(bool (*cond)(void *), void *arg, uint32_t timeout_ms)
{
	uint64_t deadline = evlct_now_ms() + timeout_ms;
	for (;;) {
		if (cond(arg))
			return true;
		if (evlct_now_ms() >= deadline)
			return false;
		struct timespec ts = { 0, 1000000L };
		nanosleep(&ts, NULL);
	}
}

int
evlct_tmpdir(char *buf, size_t len)
{
	const char *t = getenv("TMPDIR");
	if (t == NULL || *t == '\0')
		t = "/tmp";
	if ((size_t) snprintf(buf, len, "%s/evlct-XXXXXX", t) >= len)
		return -1;
	return mkdtemp(buf) ? 0 : -1;
}

int
evlct_sh(const char *cmd)
{
	int st = system(cmd);
	return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
evlct_passwd(const char *dir, const char *name, const char *password)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	    "printf '%%s\\n' '%s' | %s passwd %s/users '%s' 2>/dev/null",
	    password, EVLCT_EVLOGD, dir, name);
	return evlct_sh(cmd);
}

/* Copies the child's stderr to ours until it closes. */
static void *
drain_main(void *arg)
{
	int     fd = (int) (intptr_t) arg;
	char    buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			(void) !write(2, buf, (size_t) n);
	return NULL;
}

int
evlct_broker_start(evlct_broker *b, const char *dir, const char *const *args)
{
	const char *argv[64];
	int         argc = 0, listens = 0, pfd[2];
	memset(b, 0, sizeof(*b));
	b->pid    = -1;
	b->err_fd = -1;
	if (dir)
		snprintf(b->dir, sizeof(b->dir), "%s", dir);
	else if (evlct_tmpdir(b->dir, sizeof(b->dir)) != 0)
		return -1;
	snprintf(b->data, sizeof(b->data), "%s/data", b->dir);
	argv[argc++] = EVLCT_EVLOGD;
	argv[argc++] = "--data";
	argv[argc++] = b->data;
	argv[argc++] = "--http";
	argv[argc++] = "off";
	for (size_t i = 0; args && args[i] && argc < 60; i++) {
		if (strcmp(args[i], "--listen") == 0)
			listens++;
		argv[argc++] = args[i];
	}
	if (listens == 0) {
		argv[argc++] = "--listen";
		argv[argc++] = "tcp://127.0.0.1:0";
		listens      = 1;
	}
	argv[argc] = NULL;
	if (pipe(pfd) != 0)
		return -1;
	pid_t parent = getpid();
	pid_t pid    = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		evlct_die_with_parent(parent);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		/* The broker reads EVLOG_* from the environment. */
		unsetenv("EVLOG_LISTEN");
		execv(argv[0], (char *const *) argv);
		_exit(127);
	}
	close(pfd[1]);
	b->pid    = pid;
	b->err_fd = pfd[0];

	/* Read lines until every listener printed its URL. */
	char     line[1024];
	size_t   used     = 0;
	uint64_t deadline = evlct_now_ms() + 15000;
	while (b->nurls < listens) {
		uint64_t now = evlct_now_ms();
		if (now >= deadline)
			goto fail;
		struct pollfd p = { b->err_fd, POLLIN, 0 };
		if (poll(&p, 1, (int) (deadline - now)) <= 0)
			continue;
		ssize_t n = read(b->err_fd, line + used, sizeof(line) - 1 - used);
		if (n <= 0)
			goto fail; /* exited */
		(void) !write(2, line + used, (size_t) n);
		used += (size_t) n;
		line[used] = '\0';
		char *nl;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (strncmp(line, LISTEN_PREFIX, strlen(LISTEN_PREFIX)) ==
			        0 &&
			    b->nurls < EVLCT_MAX_URLS)
				snprintf(b->urls[b->nurls++], sizeof(b->urls[0]),
				    "%.255s", line + strlen(LISTEN_PREFIX));
			size_t rest = used - (size_t) (nl + 1 - line);
			memmove(line, nl + 1, rest);
			used       = rest;
			line[used] = '\0';
		}
		if (used == sizeof(line) - 1)
			used = 0;
	}
	b->url = b->urls[0];
	pthread_t *t = malloc(sizeof(*t));
	if (t == NULL || pthread_create(t, NULL, drain_main,
	                     (void *) (intptr_t) b->err_fd) != 0) {
		free(t);
		goto fail;
	}
	b->drain = t;
	return 0;
fail:
	evlct_broker_kill(b, SIGKILL);
	return -1;
}

void
evlct_broker_kill(evlct_broker *b, int sig)
{
	if (b->pid > 0) {
		kill(b->pid, sig);
		while (waitpid(b->pid, NULL, 0) < 0 && errno == EINTR)
			;
		b->pid = -1;
	}
	if (b->drain) {
		pthread_join(*(pthread_t *) b->drain, NULL);
		free(b->drain);
		b->drain = NULL;
	}
	if (b->err_fd >= 0) {
		close(b->err_fd);
		b->err_fd = -1;
	}
}

void
evlct_broker_stop(evlct_broker *b, bool keep)
{
	evlct_broker_kill(b, SIGTERM);
	if (!keep && b->dir[0]) {
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
		(void) evlct_sh(cmd);
	}
}

void
evlct_die_with_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The parent may have died before the prctl. */
	if (getppid() != parent)
		_exit(127);
}
