#ifndef MOTCHAM_PRINT_H
#define MOTCHAM_PRINT_H

/* What goes on walls and keychains: A4 print pages (print CSS, one clean page each) and a
 * keychain sheet as one SVG file for a print shop. Every printed code has its token printed
 * under it so it can be typed at /q/. The staff module checks who may print what. */

#include <stdint.h>

#include "motcham/base/err.h"

struct mc_pages;
struct mc_response;
struct mc_store;

/* The permit notice: QR about 6 cm or more, permit number, address, kind of work,
 * permitted dates, issuing office, and a Vietnamese line asking people to scan it. */
enum mc_err mc_print_permit_notice(struct mc_pages *p, struct mc_store *s, int64_t permit_id,
				   struct mc_response *r);
/* An A4 sheet of the ward's keychain code repeated in a grid of about 2 cm labels with a
 * caption: as an HTML print page, and as one SVG file (sized in mm). */
enum mc_err mc_print_keychain_sheet(struct mc_pages *p, struct mc_store *s, int64_t ward_id,
				    struct mc_response *r);
enum mc_err mc_print_keychain_svg(struct mc_pages *p, struct mc_store *s, int64_t ward_id,
				  struct mc_response *r);
/* An A4 poster of one procedure for the office wall: title, key facts, QR. */
enum mc_err mc_print_procedure_poster(struct mc_pages *p, struct mc_store *s, int64_t procedure_id,
				      struct mc_response *r);

#endif
