#include "motcham/base/err.h"

const char *mc_strerror(enum mc_err err)
{
	switch (err) {
	case MC_OK:
		return "ok";
	case MC_ERR_NOMEM:
		return "out of memory";
	case MC_ERR_INVALID:
		return "invalid input";
	case MC_ERR_NOTFOUND:
		return "not found";
	case MC_ERR_EXISTS:
		return "already exists";
	case MC_ERR_CHECK:
		return "check character does not match (mistyped code?)";
	case MC_ERR_GONE:
		return "code revoked";
	case MC_ERR_TOOBIG:
		return "too big";
	case MC_ERR_IO:
		return "input/output error";
	case MC_ERR_DB:
		return "database error";
	case MC_ERR_BUSY:
		return "database busy or read-only";
	case MC_ERR_FULL:
		return "disk full";
	case MC_ERR_QR:
		return "QR encoding failed";
	case MC_ERR_PNG:
		return "PNG writing failed";
	case MC_ERR_TEMPLATE:
		return "template error";
	case MC_ERR_INTERNAL:
		return "internal error";
	}
	return "unknown error";
}
