/*
 * users.c -- reading and rewriting the users file (users.h).
 *
 * The file is small (a line per user) and read whole.  Rewriting keeps
 * every other line byte for byte and replaces or appends the one line of
 * the user being set, so comments and order survive `evlogd passwd`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "users.h"

/* A users file larger than this is refused: not a users file. */
#define USERS_FILE_MAX ((size_t) 16 << 20)

bool
evld_user_name_ok(const char *name)
{
	size_t n = 0;
	for (; name[n] != '\0'; n++) {
		char c = name[n];
		if (n >= EVLD_USER_MAX ||
		    !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		        c == '@' || c == '-'))
			return false;
	}
	return n > 0;
}

/* Reads the whole file; *out NUL-terminated.  ENOENT leaves errno. */
static int
slurp(const char *path, char **out, size_t *len)
{
	FILE  *f = fopen(path, "rb");
	char  *buf;
	long   n;
	if (f == NULL)
		return EVL_EIO;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (size_t) n > USERS_FILE_MAX) {
		fclose(f);
		return EVL_EINVAL;
	}
	if ((buf = evlp_alloc((size_t) n + 1)) == NULL) {
		fclose(f);
		return EVL_ENOMEM;
	}
	if (fread(buf, 1, (size_t) n, f) != (size_t) n) {
		fclose(f);
		evlp_free(buf);
		return EVL_EIO;
	}
	fclose(f);
	buf[n] = '\0';
	*out   = buf;
	*len   = (size_t) n;
	return 0;
}

/* Splits line (len bytes, no newline) at ':' into at most max fields. */
static size_t
split(const char *line, size_t len, const char **f, size_t *fl, size_t max)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || line[i] == ':') {
			if (n == max)
				return max + 1;
			f[n]  = line + start;
			fl[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	return n;
}

/* Parses one user line; *why says what is wrong. */
static int
parse_line(const char *line, size_t len, struct evld_user *u, const char **why)
{
	const char *f[6];
	size_t      fl[6], n;
	uint32_t    iter = 0;

	memset(u, 0, sizeof(*u));
	if (split(line, len, f, fl, 6) != 6) {
		*why = "want NAME:SCRAM-SHA-256:ITERATIONS:SALT:STOREDKEY:"
		       "SERVERKEY";
		return EVL_EINVAL;
	}
	if (fl[0] == 0 || fl[0] > EVLD_USER_MAX) {
		*why = "bad user name";
		return EVL_EINVAL;
	}
	memcpy(u->name, f[0], fl[0]);
	u->name[fl[0]] = '\0';
	if (!evld_user_name_ok(u->name)) {
		*why = "bad user name (want [A-Za-z0-9._@-]{1,64})";
		return EVL_EINVAL;
	}
	if (fl[1] != strlen(EVLP_SCRAM_MECH) ||
	    memcmp(f[1], EVLP_SCRAM_MECH, fl[1]) != 0) {
		*why = "unknown mechanism (want SCRAM-SHA-256)";
		return EVL_EINVAL;
	}
	for (size_t i = 0; i < fl[2]; i++) {
		if (f[2][i] < '0' || f[2][i] > '9' || i >= 9) {
			iter = 0;
			break;
		}
		iter = iter * 10 + (uint32_t) (f[2][i] - '0');
	}
	if (iter < EVLP_SCRAM_ITER_MIN || iter > EVLP_SCRAM_ITER_MAX) {
		*why = "bad iteration count (4096..1000000)";
		return EVL_EINVAL;
	}
	u->cred.iterations = iter;
	if (evlp_scram_b64_decode(u->cred.salt, sizeof(u->cred.salt),
	        &u->cred.salt_len, f[3], fl[3]) != 0 ||
	    u->cred.salt_len == 0) {
		*why = "bad salt (base64 of 1..64 bytes)";
		return EVL_EINVAL;
	}
	uint8_t key[EVLP_SCRAM_KEY_LEN + 3];
	if (evlp_scram_b64_decode(key, sizeof(key), &n, f[4], fl[4]) != 0 ||
	    n != EVLP_SCRAM_KEY_LEN) {
		*why = "bad StoredKey (base64 of 32 bytes)";
		return EVL_EINVAL;
	}
	memcpy(u->cred.stored_key, key, EVLP_SCRAM_KEY_LEN);
	if (evlp_scram_b64_decode(key, sizeof(key), &n, f[5], fl[5]) != 0 ||
	    n != EVLP_SCRAM_KEY_LEN) {
		*why = "bad ServerKey (base64 of 32 bytes)";
		return EVL_EINVAL;
	}
	memcpy(u->cred.server_key, key, EVLP_SCRAM_KEY_LEN);
	evlp_scram_wipe(key, sizeof(key));
	return 0;
}

/* A line to skip: blank (spaces and tabs) or a comment. */
static bool
skip_line(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i == len || line[i] == '#';
}

/*
 * Walks buf line by line; each user line is parsed into u (v grown as
 * needed) unless v is NULL.  *at_line gets the 1-based number of the bad
 * line on failure.
 */
static int
parse_all(const char *buf, size_t len, struct evld_users *out,
    size_t *at_line, const char **why)
{
	struct evld_users u = { NULL, 0 };
	size_t            cap = 0, lineno = 0;
	int               rv  = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t      n  = nl ? (size_t) (nl - (buf + i)) : len - i;
		const char *line = buf + i;
		size_t      ll   = n;
		lineno++;
		i += n + (nl ? 1 : 0);
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (skip_line(line, ll))
			continue;
		if (memchr(line, '\0', ll) != NULL) {
			*why = "a NUL byte";
			rv   = EVL_EINVAL;
			goto fail;
		}
		if (u.n == cap) {
			size_t            ncap = cap ? 2 * cap : 8;
			struct evld_user *nv =
			    evlp_realloc(u.v, ncap * sizeof(*nv));
			if (nv == NULL) {
				rv = EVL_ENOMEM;
				goto fail;
			}
			u.v = nv;
			cap = ncap;
		}
		if ((rv = parse_line(line, ll, &u.v[u.n], why)) != 0)
			goto fail;
		if (evld_users_find(&u, u.v[u.n].name) != NULL) {
			*why = "the user is named twice";
			rv   = EVL_EINVAL;
			goto fail;
		}
		u.n++;
	}
	*out = u;
	return 0;
fail:
	*at_line = lineno;
	evld_users_fini(&u);
	return rv;
}

int
evld_users_load(
    struct evld_users *u, const char *path, char *err, size_t errlen)
{
	char       *buf = NULL;
	size_t      len = 0, line = 0;
	const char *why = "";
	int         rv;

	u->v = NULL;
	u->n = 0;
	if ((rv = slurp(path, &buf, &len)) != 0) {
		if (rv != EVL_ENOMEM) {
			snprintf(err, errlen, "cannot read the users file %s: %s",
			    path,
			    rv == EVL_EINVAL ? "too large" : strerror(errno));
			rv = EVL_EINVAL;
		}
		return rv;
	}
	rv = parse_all(buf, len, u, &line, &why);
	if (rv == EVL_EINVAL)
		snprintf(err, errlen, "users file %s, line %zu: %s", path, line,
		    why);
	evlp_scram_wipe(buf, len);
	evlp_free(buf);
	return rv;
}

void
evld_users_fini(struct evld_users *u)
{
	if (u->v != NULL) {
		evlp_scram_wipe(u->v, u->n * sizeof(*u->v));
		evlp_free(u->v);
	}
	u->v = NULL;
	u->n = 0;
}

const struct evld_user *
evld_users_find(const struct evld_users *u, const char *name)
{
	/* Linear: a users file holds tens of users, looked up once per
	 * login. */
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->v[i].name, name) == 0)
			return &u->v[i];
	return NULL;
}

/* ---- evlogd passwd ------------------------------------------------------ */

/* Formats a user's line (with '\n') into out. */
static int
format_line(char *out, size_t cap, const char *name, const evlp_scram_cred *c)
{
	char   salt[100], sk[64], vk[64];
	size_t n;
	if (evlp_scram_b64_encode(salt, sizeof(salt), &n, c->salt,
	        c->salt_len) != 0 ||
	    evlp_scram_b64_encode(sk, sizeof(sk), &n, c->stored_key,
	        EVLP_SCRAM_KEY_LEN) != 0 ||
	    evlp_scram_b64_encode(vk, sizeof(vk), &n, c->server_key,
	        EVLP_SCRAM_KEY_LEN) != 0)
		return EVL_EINTERNAL;
	int w = snprintf(out, cap, "%s:%s:%u:%s:%s:%s\n", name, EVLP_SCRAM_MECH,
	    (unsigned) c->iterations, salt, sk, vk);
	return w > 0 && (size_t) w < cap ? 0 : EVL_ETOOBIG;
}

/* Writes all of p to fd.  EVL_EIO. */
static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return EVL_EIO;
		}
		p += w;
		n -= (size_t) w;
	}
	return 0;
}

/* The directory part of path ("." when none), for its fsync. */
static void
dir_of(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(out, cap, ".");
	else if (slash == path)
		snprintf(out, cap, "/");
	else
		snprintf(out, cap, "%.*s", (int) (slash - path), path);
}

int
evld_users_passwd(const char *path, const char *name, const char *password,
    size_t password_len, uint32_t iterations, char *err, size_t errlen)
{
	char             *buf = NULL, *tmp = NULL;
	size_t            len = 0, line = 0;
	const char       *why = "";
	struct evld_users cur = { NULL, 0 };
	evlp_scram_cred   c;
	uint8_t           salt[16];
	char              newline[400], dir[4096];
	int               rv, fd = -1;
	bool              replaced = false;

	if (!evld_user_name_ok(name)) {
		snprintf(err, errlen,
		    "bad user name '%s' (want [A-Za-z0-9._@-]{1,64})", name);
		return EVL_EBADNAME;
	}
	rv = slurp(path, &buf, &len);
	if (rv == EVL_EIO && errno == ENOENT) {
		buf = NULL;
		len = 0;
	} else if (rv != 0) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    rv == EVL_EINVAL ? "too large" : strerror(errno));
		return rv == EVL_ENOMEM ? rv : EVL_EIO;
	}
	/* A garbled file is not silently rewritten. */
	if ((rv = parse_all(buf ? buf : "", len, &cur, &line, &why)) != 0) {
		if (rv == EVL_EINVAL)
			snprintf(err, errlen, "users file %s, line %zu: %s",
			    path, line, why);
		goto out;
	}
	if ((rv = evlp_scram_random(salt, sizeof(salt))) != 0 ||
	    (rv = evlp_scram_cred_make(&c, password, password_len, salt,
	         sizeof(salt), iterations)) != 0 ||
	    (rv = format_line(newline, sizeof(newline), name, &c)) != 0) {
		snprintf(err, errlen, "cannot derive the credentials: %s",
		    evl_strerror(rv));
		goto out;
	}
	evlp_scram_wipe(&c, sizeof(c));

	size_t plen = strlen(path);
	if ((tmp = evlp_alloc(plen + 16)) == NULL) {
		rv = EVL_ENOMEM;
		goto out;
	}
	snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp,
		    strerror(errno));
		rv = EVL_EIO;
		goto out;
	}
	if (fchmod(fd, 0600) != 0) {
		rv = EVL_EIO;
		goto io;
	}
	/* Every line as it was, but NAME's, which is replaced in place. */
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t      n  = nl ? (size_t) (nl - (buf + i)) + 1 : len - i;
		const char *l  = buf + i;
		size_t      nn = strlen(name);
		i += n;
		if (!skip_line(l, n - (nl ? 1 : 0)) && n > nn &&
		    memcmp(l, name, nn) == 0 && l[nn] == ':') {
			if (!replaced &&
			    (rv = write_all(fd, newline, strlen(newline))) != 0)
				goto io;
			replaced = true;
			continue;
		}
		if ((rv = write_all(fd, l, n)) != 0)
			goto io;
		if (nl == NULL && (rv = write_all(fd, "\n", 1)) != 0)
			goto io;
	}
	if (!replaced && (rv = write_all(fd, newline, strlen(newline))) != 0)
		goto io;
	if (fsync(fd) != 0) {
		rv = EVL_EIO;
		goto io;
	}
	if (close(fd) != 0) {
		fd = -1;
		rv = EVL_EIO;
		goto io;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rv = EVL_EIO;
		goto io;
	}
	/* The rename itself is durable once the directory is synced. */
	dir_of(path, dir, sizeof(dir));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		(void) fsync(dfd);
		close(dfd);
	}
	rv = 0;
	goto out;
io:
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	evlp_scram_wipe(newline, sizeof(newline));
	evld_users_fini(&cur);
	if (buf != NULL) {
		evlp_scram_wipe(buf, len);
		evlp_free(buf);
	}
	evlp_free(tmp);
	return rv;
}
