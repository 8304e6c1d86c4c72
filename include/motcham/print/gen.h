#ifndef MOTCHAM_GEN_H
#define MOTCHAM_GEN_H

#include <stdbool.h>
#include <stdio.h>

#include "motcham/base/err.h"
#include "motcham/render/qr.h"

struct mc_store;

enum mc_gen_format { MC_GEN_PNG, MC_GEN_SVG };

/* What `motcham gen` was asked to do; the cli fills it from the command line. */
struct mc_gen_opts {
	const char *base_url; /* required */
	bool all;	      /* every active code */
	const char *token;    /* or one code (as typed; normalised here) */
	const char
	    *kind; /* or every active code of one kind: ward, procedure, permit, announcement */
	enum mc_gen_format format;
	const char *out_dir; /* created if missing */
	bool ecc_set;	     /* false: level Q (keychains and notices get worn) */
	enum mc_qr_ecc ecc;
	int scale;	/* pixels per module for PNG; 0: default 8, or from size_mm and dpi */
	double size_mm; /* 0: not given. Printed side of the symbol with its quiet zone */
	int dpi;	/* 0: not given (PNG default 300 for pHYs) */
	int margin;	/* quiet zone in modules; < 0: default 4 */
};

/* Writes one image per selected code into out_dir (file name TOKEN.png or TOKEN.svg) and a
 * manifest.csv with the header token,kind,title,url,version,ecc,file (RFC 4180 quoting).
 * Prints one line per problem to errs. MC_ERR_INVALID for bad options (for example a
 * size_mm too small for the symbol at dpi), MC_ERR_NOTFOUND when the token is unknown or
 * nothing matched; files already written stay, the manifest is written last. */
enum mc_err mc_gen_run(struct mc_store *s, const struct mc_gen_opts *o, FILE *errs);

#endif
