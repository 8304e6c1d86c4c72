#ifndef MOTCHAM_ERR_H
#define MOTCHAM_ERR_H

/* The one error type of the project. MC_OK is zero so `if (err)` reads naturally. */
enum mc_err {
	MC_OK = 0,
	MC_ERR_NOMEM,	 /* allocation failed */
	MC_ERR_INVALID,	 /* bad input from outside: argument, field, request */
	MC_ERR_NOTFOUND, /* no such record, file or route */
	MC_ERR_EXISTS,	 /* a unique key is already taken */
	MC_ERR_CHECK,	 /* a token whose check character does not match */
	MC_ERR_GONE,	 /* a revoked code */
	MC_ERR_TOOBIG,	 /* over a size limit */
	MC_ERR_IO,	 /* file system or network error */
	MC_ERR_DB,	 /* SQLite error */
	MC_ERR_BUSY,	 /* database locked or read-only: try later */
	MC_ERR_FULL,	 /* the disk is full */
	MC_ERR_QR,	 /* libqrencode failed or the data does not fit */
	MC_ERR_PNG,	 /* libpng failed */
	MC_ERR_TEMPLATE, /* template syntax or missing template */
	MC_ERR_INTERNAL, /* a bug: an invariant did not hold */
};

/* Returns a short static English description of err; never NULL. */
const char *mc_strerror(enum mc_err err);

#endif
