#include "motcham/domain/permit.h"

#include <string.h>

const struct mc_label mc_permit_kinds[3 + 1] = {
    {MC_PERMIT_REPAIR, "Sửa chữa"},
    {MC_PERMIT_RENOVATION, "Cải tạo"},
    {MC_PERMIT_NEW_BUILD, "Xây mới"},
    {NULL, NULL},
};

const struct mc_label mc_permit_statuses[5 + 1] = {
    {MC_STATUS_ISSUED, "Đã cấp phép"},	    {MC_STATUS_IN_PROGRESS, "Đang thi công"},
    {MC_STATUS_SUSPENDED, "Đình chỉ"},	    {MC_STATUS_REVOKED, "Thu hồi"},
    {MC_STATUS_COMPLETED, "Đã hoàn thành"}, {NULL, NULL},
};

const struct mc_label mc_report_categories[5 + 1] = {
    {"beyond_permit", "Thi công vượt phép"},
    {"after_expiry", "Thi công khi giấy phép đã hết hạn"},
    {"no_notice", "Không dán thông báo"},
    {"unsafe", "Công trình mất an toàn"},
    {"other", "Khác"},
    {NULL, NULL},
};

const char *mc_label_of(const struct mc_label *list, const char *value)
{
	for (; value && list && list->value; list++)
		if (!strcmp(list->value, value))
			return list->label;
	return value;
}

static bool is(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

static bool open_status(const char *s)
{
	return is(s, MC_STATUS_ISSUED) || is(s, MC_STATUS_IN_PROGRESS);
}

bool mc_permit_status_valid(const char *status)
{
	return open_status(status) || is(status, MC_STATUS_SUSPENDED) ||
	       is(status, MC_STATUS_REVOKED) || is(status, MC_STATUS_COMPLETED);
}

bool mc_permit_can_move(const char *from, const char *to)
{
	if (!mc_permit_status_valid(from) || !mc_permit_status_valid(to) || !strcmp(from, to))
		return false;
	if (is(to, MC_STATUS_REVOKED))
		return !is(from, MC_STATUS_REVOKED);
	if (is(from, MC_STATUS_ISSUED))
		return is(to, MC_STATUS_IN_PROGRESS) || is(to, MC_STATUS_SUSPENDED);
	if (is(from, MC_STATUS_IN_PROGRESS))
		return is(to, MC_STATUS_COMPLETED) || is(to, MC_STATUS_SUSPENDED);
	if (is(from, MC_STATUS_SUSPENDED))
		return open_status(to);
	return false; /* completed and revoked are final, but for revocation */
}

bool mc_permit_needs_reason(const char *to)
{
	return is(to, MC_STATUS_SUSPENDED) || is(to, MC_STATUS_REVOKED);
}

static const struct {
	const char *name;   /* in the JSON API */
	const char *reason; /* the line under the banner */
} verdicts[] = {
    [MC_VERDICT_ALLOWED] = {"allowed", NULL},
    [MC_VERDICT_NOT_STARTED] = {"not_started", "Chưa đến ngày khởi công"},
    [MC_VERDICT_EXPIRED] = {"expired", "Giấy phép đã hết hạn"},
    [MC_VERDICT_SUSPENDED] = {"suspended", "Đang bị đình chỉ"},
    [MC_VERDICT_REVOKED] = {"revoked", "Đã bị thu hồi"},
    [MC_VERDICT_COMPLETED] = {"completed", "Công trình đã hoàn thành"},
    [MC_VERDICT_OTHER] = {"unknown", "Giấy phép không ở trạng thái cho phép thi công"},
};

/* ISO dates compare as strings. */
enum mc_permit_verdict mc_permit_verdict(const char *status, const char *starts_on,
					 const char *ends_on, const char *today)
{
	if (is(status, MC_STATUS_SUSPENDED))
		return MC_VERDICT_SUSPENDED;
	if (is(status, MC_STATUS_REVOKED))
		return MC_VERDICT_REVOKED;
	if (is(status, MC_STATUS_COMPLETED))
		return MC_VERDICT_COMPLETED;
	if (!open_status(status) || !starts_on || !ends_on)
		return MC_VERDICT_OTHER;
	if (strcmp(today, starts_on) < 0)
		return MC_VERDICT_NOT_STARTED;
	if (strcmp(ends_on, today) < 0)
		return MC_VERDICT_EXPIRED;
	return MC_VERDICT_ALLOWED;
}

const char *mc_permit_verdict_name(enum mc_permit_verdict v)
{
	return v <= MC_VERDICT_OTHER ? verdicts[v].name : verdicts[MC_VERDICT_OTHER].name;
}

const char *mc_permit_verdict_reason(enum mc_permit_verdict v)
{
	return v <= MC_VERDICT_OTHER ? verdicts[v].reason : verdicts[MC_VERDICT_OTHER].reason;
}

bool mc_permit_allowed_on(const char *status, const char *starts_on, const char *ends_on,
			  const char *today)
{
	return mc_permit_verdict(status, starts_on, ends_on, today) == MC_VERDICT_ALLOWED;
}

bool mc_permit_expired_on(const char *status, const char *ends_on, const char *today)
{
	return open_status(status) && ends_on && strcmp(ends_on, today) < 0;
}
