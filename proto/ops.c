/*
 * ops.c -- op code names, generated from the EVLP_OPS list in ops.h so a
 * new op needs no second edit here.
 */
#include "ops.h"

#include <stddef.h>

const char *
evlp_op_name(int op)
{
	switch (op) {
#define EVLP_OP_NAME_(code, name, str) \
	case code:                     \
		return str;
		EVLP_OPS(EVLP_OP_NAME_)
#undef EVLP_OP_NAME_
	}
	return NULL;
}
