/* motcham gen: print-ready QR codes and their manifest. */

#include "private.h"

#include <string.h>

#include "motcham/print/gen.h"
#include "motcham/render/qr.h"
#include "motcham/store/store.h"

const char cmd_gen_usage[] =
    "usage: motcham gen [--db PATH] --base-url URL (--all | --token T | --kind KIND)\n"
    "                   --format png|svg --out DIR [--ecc L|M|Q|H]\n"
    "                   [--scale N | --size-mm MM [--dpi N]] [--margin N]\n"
    "Makes print-ready QR codes for BASE_URL/Q/TOKEN (upper-case: QR alphanumeric mode)\n"
    "and a manifest.csv (token,kind,title,url,version,ecc,file) beside them.\n"
    "  --all              every active code\n"
    "  --token T          one code\n"
    "  --kind KIND        every active code of a kind: ward, procedure, permit, announcement\n"
    "  --ecc L|M|Q|H      error correction (default Q: keychains and notices get worn)\n"
    "  --scale N          PNG pixels per module (default 8)\n"
    "  --size-mm MM       printed side of the symbol with its quiet zone\n"
    "  --dpi N            printer resolution for --size-mm and the PNG pHYs (default 300)\n"
    "  --margin N         quiet zone in modules (default 4)\n";

int cmd_gen(struct args *a, int argc, char **argv)
{
	const char *format = NULL, *ecc = NULL;
	struct mc_gen_opts g = {.margin = -1};
	long scale = 0, dpi = 0, margin = -1;
	double size_mm = 0;
	const struct opt opts[] = {{"base-url", OPT_STR, &g.base_url, 0, 0},
				   {"all", OPT_FLAG, &g.all, 0, 0},
				   {"token", OPT_STR, &g.token, 0, 0},
				   {"kind", OPT_STR, &g.kind, 0, 0},
				   {"format", OPT_STR, &format, 0, 0},
				   {"out", OPT_STR, &g.out_dir, 0, 0},
				   {"ecc", OPT_STR, &ecc, 0, 0},
				   {"scale", OPT_INT, &scale, 1, 100},
				   {"size-mm", OPT_DBL, &size_mm, 5, 1000},
				   {"dpi", OPT_INT, &dpi, 72, 2400},
				   {"margin", OPT_INT, &margin, 0, 40},
				   {0}};
	struct mc_store *s = NULL;
	enum mc_err err;
	int rc;

	if ((rc = cli_parse_no_args(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (!g.base_url)
		return cli_usage_error(a->cmd, "--base-url is required%s", "");
	if (!g.out_dir)
		return cli_usage_error(a->cmd, "--out is required%s", "");
	if (!format || (strcmp(format, "png") && strcmp(format, "svg")))
		return cli_usage_error(a->cmd, "--format must be png or svg%s", "");
	if ((int)g.all + (g.token != NULL) + (g.kind != NULL) != 1)
		return cli_usage_error(a->cmd, "give exactly one of --all, --token, --kind%s", "");
	if (scale && size_mm > 0)
		return cli_usage_error(a->cmd, "--scale and --size-mm exclude each other%s", "");
	if (ecc) {
		if (mc_qr_ecc_parse(ecc, &g.ecc) != MC_OK)
			return cli_usage_error(a->cmd, "--ecc must be L, M, Q or H, not %s", ecc);
		g.ecc_set = true;
	}
	g.format = strcmp(format, "png") ? MC_GEN_SVG : MC_GEN_PNG;
	g.scale = (int)scale;
	g.dpi = (int)dpi;
	g.size_mm = size_mm;
	g.margin = (int)margin;
	if ((rc = cli_open_db(a, false, &s)) != 0)
		return rc;
	if ((err = mc_gen_run(s, &g, stderr)) != MC_OK)
		rc = cli_fail(a->cmd, "codes not (all) written", err, s);
	mc_store_destroy(s);
	return rc;
}
