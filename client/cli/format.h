/*
 * format.h -- how `evlog tail` writes a record: kcat-style --format
 * templates, or one JSON object per line (--json).
 */
#ifndef EVLOG_CLI_FORMAT_H
#define EVLOG_CLI_FORMAT_H

#include <stddef.h>

#include <evlog/evlog.h>

#include "buf.h"

#define CLI_FORMAT_DEFAULT "%s\\n"

typedef struct cli_format cli_format;

/*
 * Compiles a template.  Tokens: %t topic, %p partition, %o offset, %k key,
 * %s value, %K key length, %S value length, %T timestamp (broker, ms),
 * %h headers (name=value, comma-separated), %% a percent sign; escapes
 * \n, \r, \t, \0 and \\.  Everything else is written as given (no newline
 * is added).  Returns 0, or -1 with a message in err for an unknown %
 * token or a dangling % or \.  Caller frees with cli_format_free.
 */
int cli_format_parse(
    const char *spec, cli_format **out, char *err, size_t errlen);
void cli_format_free(cli_format *f);

/* Appends r to b through the template f. */
void cli_format_record(const cli_format *f, const evl_record *r, cli_buf *b);

/*
 * Appends r to b as one JSON object and a newline: topic, partition,
 * offset, timestamp, producer_timestamp (only when set), key (null when
 * absent), value, headers (an object; a repeated name maps to the array
 * of its values, in order).  A key or value that is not valid UTF-8 is
 * written as key_base64 / value_base64 instead.  Header names and values
 * that are not valid UTF-8 have their bad bytes replaced by U+FFFD.
 */
void cli_json_record(const evl_record *r, cli_buf *b);

#endif /* EVLOG_CLI_FORMAT_H */
