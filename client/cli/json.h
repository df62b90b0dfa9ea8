/*
 * json.h -- the JSON the CLI writes: UTF-8 validation, string escaping
 * and base64.
 *
 * Record keys and values are arbitrary bytes.  JSON strings must be
 * Unicode, so a key or value is written as a string only when it is valid
 * UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF); otherwise the caller writes it as base64 under another name.
 */
#ifndef EVLOG_CLI_JSON_H
#define EVLOG_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* True when p[0..n) is well-formed UTF-8 (NUL bytes included). */
bool cli_utf8_valid(const void *p, size_t n);

/*
 * Appends p[0..n) to b as a quoted JSON string: '"' and '\\' escaped,
 * \b \f \n \r \t in their short forms, every other control character as
 * \u00XX.  Bytes that are not part of well-formed UTF-8 become U+FFFD,
 * so the output is always valid JSON (callers that must not lose bytes
 * check cli_utf8_valid first).
 */
void cli_json_str(cli_buf *b, const void *p, size_t n);
/* cli_json_str of a NUL-terminated string. */
void cli_json_cstr(cli_buf *b, const char *s);

/* Appends the standard (RFC 4648, padded) base64 of p[0..n) to b. */
void cli_base64(cli_buf *b, const void *p, size_t n);

#endif /* EVLOG_CLI_JSON_H */
