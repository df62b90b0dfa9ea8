/*
 * main.c -- evlogd: argv -> evld_config -> evld_broker_run; and the one
 * subcommand, `evlogd passwd FILE NAME`, which sets a user's password in
 * a users file (users.h).
 */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "broker.h"
#include "config.h"
#include "users.h"

/* Longest password read (a line of stdin). */
#define PASSWD_MAX 1024

/*
 * Reads one line of stdin into buf, without its line end.  On a terminal
 * it prompts on stderr and turns echo off while reading.  Returns the
 * length, or -1 (nothing read, or the line is too long).
 */
static long
read_password(char *buf, size_t cap)
{
	struct termios old, quiet;
	bool           tty = isatty(STDIN_FILENO) &&
	    tcgetattr(STDIN_FILENO, &old) == 0;
	long           n   = -1;
	if (tty) {
		fprintf(stderr, "Password: ");
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t) ECHO;
		/* TCSANOW, not TCSAFLUSH: a password typed (or pasted)
		 * ahead of the prompt is kept, not thrown away. */
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	if (fgets(buf, (int) cap, stdin) != NULL) {
		size_t len = strlen(buf);
		bool   eol = len > 0 && buf[len - 1] == '\n';
		if (eol)
			buf[--len] = '\0';
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
		/* A full buffer without a line end: too long to be whole. */
		if (eol || len + 1 < cap)
			n = (long) len;
	}
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fprintf(stderr, "\n");
	}
	return n;
}

static int
passwd_main(int argc, char **argv)
{
	char pw[PASSWD_MAX + 2], err[512];
	long n;
	int  rv;
	if (argc != 4) {
		fprintf(stderr, "usage: evlogd passwd FILE NAME  (the password "
		                "is read from standard input)\n");
		return 2;
	}
	if (!evld_user_name_ok(argv[3])) {
		fprintf(stderr,
		    "evlogd passwd: bad user name '%s' (want "
		    "[A-Za-z0-9._@-]{1,64})\n",
		    argv[3]);
		return 2;
	}
	if ((n = read_password(pw, sizeof(pw))) < 0) {
		fprintf(stderr, "evlogd passwd: no password read (one line of "
		                "at most 1024 bytes on standard input)\n");
		return 1;
	}
	if (n == 0) {
		fprintf(stderr, "evlogd passwd: empty password refused\n");
		return 1;
	}
	rv = evld_users_passwd(argv[2], argv[3], pw, (size_t) n,
	    EVLP_SCRAM_DEFAULT_ITER, err, sizeof(err));
	memset(pw, 0, sizeof(pw));
	if (rv != 0) {
		fprintf(stderr, "evlogd passwd: %s\n", err);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct evld_config cfg;
	char               err[512];
	int                status;

	if (argc >= 2 && strcmp(argv[1], "passwd") == 0)
		return passwd_main(argc, argv);
	evld_config_init(&cfg);
	if (evld_config_parse(&cfg, argc, argv, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "evlogd: %s\n", err);
		fprintf(stderr, "Try 'evlogd --help'.\n");
		return 2;
	}
	switch (cfg.action) {
	case EVLD_CONFIG_HELP:
		evld_config_usage(stdout);
		status = 0;
		break;
	case EVLD_CONFIG_VERSION:
		printf("evlogd %s\n", EVLD_VERSION);
		status = 0;
		break;
	default:
		status = evld_broker_run(&cfg);
		break;
	}
	evld_config_fini(&cfg);
	return status;
}
