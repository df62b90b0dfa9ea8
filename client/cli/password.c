/*
 * password.c -- asking for a password on the terminal, without echo.
 *
 * Only when standard input is a terminal: a pipe or a file there means a
 * script, which sets EVLOG_PASSWORD instead (a prompt would hang it or
 * eat its input).  The prompt and the answer go through /dev/tty, so
 * they work when standard output is redirected.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MAX 1024

char *
cli_password_prompt(const char *user)
{
	struct termios old, quiet;
	char           buf[PASSWORD_MAX + 2];
	char          *out = NULL;
	FILE          *tty;
	bool           restore;

	if (!isatty(STDIN_FILENO) || (tty = fopen("/dev/tty", "r+")) == NULL) {
		cli_note("a password is needed for %s: set EVLOG_PASSWORD "
		         "(standard input is not a terminal to ask on)",
		    user);
		return NULL;
	}
	restore = tcgetattr(fileno(tty), &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t) ECHO;
		/* TCSANOW, not TCSAFLUSH: a password typed (or pasted)
		 * ahead of the prompt is kept, not thrown away. */
		tcsetattr(fileno(tty), TCSANOW, &quiet);
	}
	fprintf(tty, "Password for %s: ", user);
	fflush(tty);
	if (fgets(buf, sizeof(buf), tty) != NULL) {
		size_t n = strlen(buf);
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		if (n > 0 && buf[n - 1] == '\r')
			buf[--n] = '\0';
		out = strdup(buf);
	}
	if (restore)
		tcsetattr(fileno(tty), TCSANOW, &old);
	fputc('\n', tty);
	fclose(tty);
	memset(buf, 0, sizeof(buf));
	if (out == NULL)
		cli_note("no password read for %s", user);
	return out;
}

void
cli_password_free(char *pw)
{
	if (pw == NULL)
		return;
	/* volatile: the wipe must not be optimised away before free. */
	for (volatile char *p = pw; *p != '\0'; p++)
		*p = '\0';
	free(pw);
}
