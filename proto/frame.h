/*
 * frame.h -- the 16-byte header in front of every evlog message.
 *
 * NNG delivers whole messages, so the frame carries no "more to come":
 * body_length must equal what follows exactly, and anything else is
 * EVL_EPROTO.  Requests carry status 0; a response echoes op and id, sets
 * EVLP_FLAG_RESPONSE, and carries EVL_OK or the request's error code in
 * status.  A response with status != 0 has an error body (msg.h).
 *
 *   OFFSET SIZE DESCRIPTION
 *        0    2 magic        0x45 0x56 ("EV")
 *        2    1 version      protocol version, 1
 *        3    1 op           operation (ops.h)
 *        4    2 flags        bit 0: response; bits 1-15 must be 0
 *        6    2 status       responses: EVL_ERRORS code; requests: 0
 *        8    4 id           chosen by the client, echoed by the broker
 *       12    4 body_length  bytes after the header
 *       16      body
 */
#ifndef EVLP_FRAME_H
#define EVLP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define EVLP_FRAME_SIZE     16
#define EVLP_MAGIC          0x4556u
#define EVLP_VERSION        1
#define EVLP_FLAG_RESPONSE  0x0001u

typedef struct evlp_frame {
	uint8_t  version;
	uint8_t  op;
	uint16_t flags;
	uint16_t status;
	uint32_t id;
	uint32_t body_length;
} evlp_frame;

/*
 * evlp_frame_decode checks and decodes the header of a whole message of
 * len bytes and returns its body as a view into msg.  Errors: EVL_EPROTO
 * (short, bad magic, reserved flags, length mismatch), EVL_EVERSION.
 * The op is not checked here: the broker answers an unknown op with
 * EVL_EUNKNOWNOP, which needs the rest of the frame decoded.
 */
int evlp_frame_decode(
    const void *msg, size_t len, evlp_frame *out, evlp_view *body);

/* evlp_frame_encode writes the 16 header bytes. */
void evlp_frame_encode(uint8_t out[EVLP_FRAME_SIZE], const evlp_frame *f);

#endif /* EVLP_FRAME_H */
