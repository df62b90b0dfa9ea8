/*
 * users.h -- the users file (--users FILE): who may log in, and the
 * SCRAM-SHA-256 credentials the broker checks them against.
 *
 * One user per line, fields separated by ':'; '#' starts a comment line,
 * blank lines are skipped:
 *
 *   NAME:SCRAM-SHA-256:ITERATIONS:SALT:STOREDKEY:SERVERKEY
 *
 * NAME is [A-Za-z0-9._@-]{1,64}; SALT (1..64 bytes), STOREDKEY and
 * SERVERKEY (32 bytes each) are base64.  Neither the password nor the
 * salted password is stored: StoredKey lets the broker check a proof and
 * ServerKey lets it prove itself, but neither yields a proof for the
 * client side (RFC 5802, section 9).  The file is still a secret (a
 * stolen one allows an offline guess at each password), hence mode 0600.
 */
#ifndef EVLD_USERS_H
#define EVLD_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "dispatch.h"
#include "scram.h"

struct evld_user {
	char            name[EVLD_USER_MAX + 1];
	evlp_scram_cred cred;
};

struct evld_users {
	struct evld_user *v;
	size_t            n;
};

/* Whether name is a valid user name: 1..64 bytes of [A-Za-z0-9._@-]. */
bool evld_user_name_ok(const char *name);

/*
 * evld_users_load reads path into u (empty before).  A missing,
 * unreadable or garbled file, or a name given twice, is EVL_EINVAL with
 * a message naming the file and line in err; EVL_ENOMEM.  u is left
 * empty on failure.
 */
int evld_users_load(
    struct evld_users *u, const char *path, char *err, size_t errlen);

/* evld_users_fini wipes and frees what u holds. */
void evld_users_fini(struct evld_users *u);

/* The user called name, or NULL; borrowed from u. */
const struct evld_user *evld_users_find(
    const struct evld_users *u, const char *name);

/*
 * evld_users_passwd adds NAME to the file at path (created if missing)
 * or replaces its line, with a fresh 16-byte salt and iterations
 * (EVLP_SCRAM_ITER_MIN..MAX), and writes the file atomically: a
 * temporary file beside it, fsync, rename, fsync of the directory; mode
 * 0600.  Other lines (comments too) are kept as they are.  Errors:
 * EVL_EBADNAME (name), EVL_EINVAL (the existing file is garbled; err
 * names the line), EVL_EIO (cannot write), EVL_ENOMEM.
 */
int evld_users_passwd(const char *path, const char *name,
    const char *password, size_t password_len, uint32_t iterations,
    char *err, size_t errlen);

#endif /* EVLD_USERS_H */
