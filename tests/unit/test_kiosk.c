/* The kiosk's store: featured procedures keep their order and their ward, pages show on their
 * days, notices live until lifted or expired, every write is audited once, and heartbeats
 * are bounded per screen and per ward without touching the audit trail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "motcham/store/kiosk.h"
#include "motcham/store/store.h"

struct fixture {
	char path[64];
	struct mc_store *s;
	int64_t ward, ward2;
	int64_t proc[3], other_proc;
};

static struct mc_procedure proc(int64_t ward, const char *code, const char *title)
{
	struct mc_procedure p = {.ward_id = ward,
				 .tthc_code = code,
				 .title = title,
				 .field = "Hộ tịch",
				 .steps = "Nộp hồ sơ",
				 .duration = "Trong ngày",
				 .office = "UBND Phường 7"};
	return p;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mc_ward w = {.slug = "phuong-7-quan-8", .name = "Phường 7, Quận 8"};
	struct mc_ward w2 = {.slug = "phuong-thu-hai", .name = "Phường Thử Hai"};
	const char *titles[] = {"Đăng ký khai sinh", "Đăng ký kết hôn", "Đăng ký khai tử"};
	char code[16];
	struct mc_procedure p;
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/mc-kiosk-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mc_store_open(f->path, MC_STORE_CREATE, &f->s), MC_OK);
	assert_int_equal(mc_store_migrate(f->s), MC_OK);
	assert_int_equal(mc_store_ward_upsert(f->s, &w, &f->ward), MC_OK);
	assert_int_equal(mc_store_ward_upsert(f->s, &w2, &f->ward2), MC_OK);
	for (int i = 0; i < 3; i++) {
		snprintf(code, sizeof(code), "1.00%d", i);
		p = proc(f->ward, code, titles[i]);
		assert_int_equal(mc_store_procedure_upsert(f->s, &p, NULL, 0, &f->proc[i], NULL),
				 MC_OK);
	}
	p = proc(f->ward2, "2.001", "Thủ tục của phường khác");
	assert_int_equal(mc_store_procedure_upsert(f->s, &p, NULL, 0, &f->other_proc, NULL), MC_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char side[80];

	mc_store_destroy(f->s);
	unlink(f->path);
	snprintf(side, sizeof(side), "%s-wal", f->path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", f->path);
	unlink(side);
	free(f);
	return 0;
}

static long long audits(struct fixture *f)
{
	long long n = 0;

	assert_int_equal(mc_store_audit_count(f->s, &n), MC_OK);
	return n;
}

struct order {
	int64_t ids[8];
	int n;
};

static enum mc_err order_cb(void *ctx, const struct mc_kiosk_feature *k)
{
	struct order *o = ctx;

	if (o->n < 8)
		o->ids[o->n++] = k->procedure_id;
	return MC_OK;
}

static struct order features(struct fixture *f)
{
	struct order o = {.n = 0};

	assert_int_equal(mc_store_kiosk_feature_each(f->s, f->ward, false, order_cb, &o), MC_OK);
	return o;
}

static void test_features_keep_order_and_ward(void **state)
{
	struct fixture *f = *state;
	int64_t id[3];
	long long before = audits(f);
	struct order o;

	for (int i = 0; i < 3; i++)
		assert_int_equal(mc_store_kiosk_feature_add(f->s, f->ward, f->proc[i], 12, &id[i]),
				 MC_OK);
	assert_int_equal(audits(f), before + 3);
	/* Another ward's procedure, one already there, a bad duration: refused, nothing written. */
	assert_int_equal(mc_store_kiosk_feature_add(f->s, f->ward, f->other_proc, 12, NULL),
			 MC_ERR_NOTFOUND);
	assert_int_equal(mc_store_kiosk_feature_add(f->s, f->ward, f->proc[0], 12, NULL),
			 MC_ERR_EXISTS);
	assert_int_equal(mc_store_kiosk_feature_add(f->s, f->ward, f->proc[0], 2, NULL),
			 MC_ERR_INVALID);
	assert_int_equal(audits(f), before + 3);
	o = features(f);
	assert_int_equal(o.n, 3);
	assert_true(o.ids[0] == f->proc[0] && o.ids[1] == f->proc[1] && o.ids[2] == f->proc[2]);

	/* The last goes up: two entries, one for each feature that moved. */
	assert_int_equal(mc_store_kiosk_feature_move(f->s, id[2], true), MC_OK);
	assert_int_equal(audits(f), before + 5);
	o = features(f);
	assert_true(o.ids[0] == f->proc[0] && o.ids[1] == f->proc[2] && o.ids[2] == f->proc[1]);
	/* The first cannot go up: nothing written. */
	assert_int_equal(mc_store_kiosk_feature_move(f->s, id[0], true), MC_OK);
	assert_int_equal(audits(f), before + 5);
	assert_int_equal(mc_store_kiosk_feature_move(f->s, 9999, false), MC_ERR_NOTFOUND);

	assert_int_equal(mc_store_kiosk_feature_remove(f->s, id[0]), MC_OK);
	assert_int_equal(mc_store_kiosk_feature_remove(f->s, id[0]), MC_ERR_NOTFOUND);
	assert_int_equal(audits(f), before + 6);
	o = features(f);
	assert_int_equal(o.n, 2);
	assert_true(o.ids[0] == f->proc[2] && o.ids[1] == f->proc[1]);

	/* A retired procedure leaves the screens, but not the staff's list. */
	assert_int_equal(mc_store_procedure_retire(f->s, f->proc[1]), MC_OK);
	o = features(f);
	assert_int_equal(o.n, 1);
	o.n = 0;
	assert_int_equal(mc_store_kiosk_feature_each(f->s, f->ward, true, order_cb, &o), MC_OK);
	assert_int_equal(o.n, 2);
}

static enum mc_err count_slide(void *ctx, const struct mc_kiosk_slide *sl)
{
	(void)sl;
	++*(int *)ctx;
	return MC_OK;
}

static void test_slides_show_on_their_days(void **state)
{
	struct fixture *f = *state;
	struct mc_kiosk_slide sl = {.ward_id = f->ward,
				    .title = "Giờ làm việc dịp Tết",
				    .body = "Nghỉ từ 28 tháng Chạp.",
				    .shows_from = "2026-12-01",
				    .shows_until = "2026-12-10",
				    .seconds = 20};
	int64_t id = 0;
	int n = 0;

	assert_int_equal(mc_store_kiosk_slide_upsert(f->s, &sl, &id), MC_OK);
	assert_true(id > 0);
	assert_int_equal(
	    mc_store_kiosk_slide_each_current(f->s, f->ward, "2026-12-05", count_slide, &n), MC_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(
	    mc_store_kiosk_slide_each_current(f->s, f->ward, "2026-12-11", count_slide, &n), MC_OK);
	assert_int_equal(n, 0);
	/* A range that ends before it starts, a missing body: refused. */
	sl.shows_until = "2026-11-30";
	assert_int_equal(mc_store_kiosk_slide_upsert(f->s, &sl, NULL), MC_ERR_INVALID);
	sl.shows_until = NULL;
	sl.body = NULL;
	assert_int_equal(mc_store_kiosk_slide_upsert(f->s, &sl, NULL), MC_ERR_INVALID);
	sl.body = "Nghỉ Tết.";
	sl.id = 4242;
	assert_int_equal(mc_store_kiosk_slide_upsert(f->s, &sl, NULL), MC_ERR_NOTFOUND);
	sl.id = id;
	assert_int_equal(mc_store_kiosk_slide_upsert(f->s, &sl, NULL), MC_OK);
	n = 0;
	assert_int_equal(
	    mc_store_kiosk_slide_each_current(f->s, f->ward, "2027-06-01", count_slide, &n), MC_OK);
	assert_int_equal(n, 1);
	assert_int_equal(mc_store_kiosk_slide_retire(f->s, id), MC_OK);
	assert_int_equal(mc_store_kiosk_slide_retire(f->s, id), MC_ERR_GONE);
	n = 0;
	assert_int_equal(
	    mc_store_kiosk_slide_each_current(f->s, f->ward, "2027-06-01", count_slide, &n), MC_OK);
	assert_int_equal(n, 0);
}

static enum mc_err notice_title(void *ctx, const struct mc_kiosk_notice *n)
{
	snprintf(ctx, 128, "%s", n->title);
	return MC_OK;
}

static void test_notices_until_lifted_or_expired(void **state)
{
	struct fixture *f = *state;
	struct mc_kiosk_notice n = {.ward_id = f->ward,
				    .title = "Mất điện từ 14:00",
				    .created_at = 1000,
				    .expires_at = 4600};
	char title[128] = "";
	int64_t a, b;

	assert_int_equal(mc_store_kiosk_notice_add(f->s, &n, &a), MC_OK);
	n.title = "Tạm dừng tiếp dân";
	n.created_at = 1100;
	assert_int_equal(mc_store_kiosk_notice_add(f->s, &n, &b), MC_OK);
	/* The newest live one is on screen; another ward has none. */
	assert_int_equal(mc_store_kiosk_notice_current(f->s, f->ward, 2000, notice_title, title),
			 MC_OK);
	assert_string_equal(title, "Tạm dừng tiếp dân");
	assert_int_equal(mc_store_kiosk_notice_current(f->s, f->ward2, 2000, notice_title, title),
			 MC_ERR_NOTFOUND);
	assert_int_equal(mc_store_kiosk_notice_lift(f->s, b, 2100), MC_OK);
	assert_int_equal(mc_store_kiosk_notice_lift(f->s, b, 2200), MC_ERR_GONE);
	assert_int_equal(mc_store_kiosk_notice_current(f->s, f->ward, 2300, notice_title, title),
			 MC_OK);
	assert_string_equal(title, "Mất điện từ 14:00");
	/* Past its expiry it is gone, and cannot be lifted any more. */
	assert_int_equal(mc_store_kiosk_notice_current(f->s, f->ward, 4600, notice_title, title),
			 MC_ERR_NOTFOUND);
	assert_int_equal(mc_store_kiosk_notice_lift(f->s, a, 4700), MC_ERR_GONE);
	n.expires_at = n.created_at;
	assert_int_equal(mc_store_kiosk_notice_add(f->s, &n, NULL), MC_ERR_INVALID);
}

static enum mc_err count_screen(void *ctx, const struct mc_kiosk_screen *k)
{
	(void)k;
	++*(int *)ctx;
	return MC_OK;
}

static void test_beats_are_bounded_and_not_audited(void **state)
{
	struct fixture *f = *state;
	struct mc_kiosk_beat b = {.ward_id = f->ward,
				  .screen = "sanh-tang-1",
				  .slide = "procedure:1",
				  .width = 1920,
				  .height = 1080,
				  .now = 100000};
	enum mc_kiosk_beat_result res;
	long long before = audits(f);
	char id[32];
	int n = 0;

	assert_int_equal(mc_store_kiosk_beat(f->s, &b, &res), MC_OK);
	assert_int_equal(res, MC_BEAT_OK);
	b.now += MC_KIOSK_BEAT_GAP - 1;
	assert_int_equal(mc_store_kiosk_beat(f->s, &b, &res), MC_OK);
	assert_int_equal(res, MC_BEAT_TOO_SOON);
	b.now += 1;
	assert_int_equal(mc_store_kiosk_beat(f->s, &b, &res), MC_OK);
	assert_int_equal(res, MC_BEAT_OK);
	/* A ward keeps MC_KIOSK_SCREENS screens; a new one beyond that is refused until the
	 * silent ones are a week old. */
	for (int i = 1; i < MC_KIOSK_SCREENS; i++) {
		snprintf(id, sizeof(id), "man-hinh-%d", i);
		b.screen = id;
		assert_int_equal(mc_store_kiosk_beat(f->s, &b, &res), MC_OK);
		assert_int_equal(res, MC_BEAT_OK);
	}
	b.screen = "mot-man-hinh-nua";
	assert_int_equal(mc_store_kiosk_beat(f->s, &b, &res), MC_OK);
	assert_int_equal(res, MC_BEAT_TOO_MANY);
	b.now += MC_KIOSK_FORGET + 1;
	assert_int_equal(mc_store_kiosk_beat(f->s, &b, &res), MC_OK);
	assert_int_equal(res, MC_BEAT_OK);
	assert_int_equal(mc_store_kiosk_screen_each(f->s, f->ward, count_screen, &n), MC_OK);
	assert_int_equal(n, 1);
	assert_int_equal(audits(f), before);
	b.screen = "";
	assert_int_equal(mc_store_kiosk_beat(f->s, &b, &res), MC_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_features_keep_order_and_ward, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slides_show_on_their_days, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notices_until_lifted_or_expired, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_beats_are_bounded_and_not_audited, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
