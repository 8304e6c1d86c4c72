/* The permit notice (thông báo giấy phép): the A4 sheet posted at a building site, its QR
 * 15 cm wide so that a phone reads it from across a narrow street (3 m). */

#include "motcham/print/print.h"

#include "private.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "motcham/base/buf.h"
#include "motcham/base/utf8.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"

/* Cuts (see print_cut). */
#define SCOPE_MAX 300
#define FIELD_MAX 160
#define NUMBER_MAX 60

/* Decimal comma, at most two decimals, no trailing zeros: 85.50 -> "85,5". */
static void fmt_number(double v, char out[48])
{
	char *dot;
	size_t len;

	snprintf(out, 48, "%.2f", v);
	len = strlen(out);
	while (len > 1 && out[len - 1] == '0')
		out[--len] = '\0';
	if (len > 1 && out[len - 1] == '.')
		out[--len] = '\0';
	if ((dot = strchr(out, '.')) != NULL)
		*dot = ',';
}

static const char *kind_label(const char *kind)
{
	if (kind && strcmp(kind, MC_PERMIT_REPAIR) == 0)
		return "Sửa chữa nhà ở";
	if (kind && strcmp(kind, MC_PERMIT_RENOVATION) == 0)
		return "Cải tạo nhà ở";
	if (kind && strcmp(kind, MC_PERMIT_NEW_BUILD) == 0)
		return "Xây dựng mới nhà ở";
	return kind;
}

/* Shown on screen only: staff should think twice before posting such a notice. */
static const char *status_warning(const char *status)
{
	if (status && strcmp(status, MC_STATUS_SUSPENDED) == 0)
		return "Giấy phép đang bị đình chỉ: không dán thông báo này.";
	if (status && strcmp(status, MC_STATUS_REVOKED) == 0)
		return "Giấy phép đã bị thu hồi: không dán thông báo này.";
	if (status && strcmp(status, MC_STATUS_COMPLETED) == 0)
		return "Công trình đã hoàn thành.";
	return NULL;
}

/* "2 tầng · 85,5 m² · cao 7,25 m", or nothing. */
static enum mc_err set_size(struct mc_tobj *o, const struct mc_permit *p)
{
	char area[48], height[48], line[200] = "";
	size_t n = 0;

	if (p->floors > 0 && p->floors <= 1000)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%d tầng", p->floors);
	if (p->area_m2 > 0 && p->area_m2 < 1e9) {
		fmt_number(p->area_m2, area);
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%sdiện tích sàn %s m²",
				      n ? " · " : "", area);
	}
	if (p->height_m > 0 && p->height_m < 1e9 && n < sizeof(line)) {
		fmt_number(p->height_m, height);
		snprintf(line + n, sizeof(line) - n, "%scao %s m", n ? " · " : "", height);
	}
	return mc_tobj_str(o, "size", line[0] ? line : NULL);
}

static enum mc_err set_owner(struct mc_tobj *o, const char *owner)
{
	struct mc_buf b;
	enum mc_err err;

	if (!owner || !*owner)
		return MC_OK;
	mc_buf_init(&b);
	/* A wall is a public page too: the owner's name is masked as on the web. */
	err = mc_utf8_mask_name(owner, &b);
	if (err == MC_OK)
		err = mc_tobj_strn(o, "owner", b.data, b.len);
	else if (err != MC_ERR_NOMEM)
		err = MC_OK;
	mc_buf_finish(&b);
	return err;
}

static enum mc_err permit_cb(void *ctx, const struct mc_permit *p)
{
	struct print_job *j = ctx;
	struct mc_tobj *o = mc_tobj_obj(j->root, "permit");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	j->ward_id = p->ward_id;
	if ((err = mc_tobj_strf(j->root, "title", "Thông báo giấy phép %s", p->number)) != MC_OK ||
	    (err = mc_tobj_strf(j->root, "back", "/staff/permits/%" PRId64, p->id)) != MC_OK ||
	    (err = mc_tobj_str(j->root, "warning", status_warning(p->status))) != MC_OK ||
	    (err = print_cut(o, "number", p->number, NUMBER_MAX)) != MC_OK ||
	    (err = mc_tobj_str(o, "kind", kind_label(p->kind))) != MC_OK ||
	    (err = print_cut(o, "address", p->address, FIELD_MAX)) != MC_OK ||
	    (err = print_cut(o, "scope", p->scope, SCOPE_MAX)) != MC_OK ||
	    (err = print_cut(o, "contractor", p->contractor, FIELD_MAX)) != MC_OK ||
	    (err = print_cut(o, "office", p->office, FIELD_MAX)) != MC_OK ||
	    (err = mc_tobj_date(o, "issued", p->issued_on)) != MC_OK ||
	    (err = mc_tobj_date(o, "starts", p->starts_on)) != MC_OK ||
	    (err = mc_tobj_date(o, "ends", p->ends_on)) != MC_OK || (err = set_size(o, p)) != MC_OK)
		return err;
	return set_owner(o, p->owner_name);
}

enum mc_err mc_print_permit_notice(struct mc_pages *p, struct mc_store *s, int64_t permit_id,
				   struct mc_response *r)
{
	struct print_job j;
	enum mc_err err;

	if ((err = print_job_init(&j, p, s)) == MC_OK &&
	    (err = mc_store_permit_get(s, permit_id, permit_cb, &j)) == MC_OK &&
	    (err = print_ward(&j, j.ward_id)) == MC_OK &&
	    (err = print_find_code(&j, MC_KIND_PERMIT, permit_id)) == MC_OK)
		err = print_render(&j, "print_permit", r);
	return print_job_finish(&j, err, r);
}
