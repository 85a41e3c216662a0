/* report_svg.c — a self-contained SVG gait report: knee and hip flexion over
 * the normalised gait cycle (mean +- sd per side, toe off marked), and the
 * main numbers. People read curves faster than tables. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "dancer/gait.h"

#define S_W 720
#define S_PANEL_H 240
#define S_LEFT 60
#define S_TOP 90
#define S_PLOT_W 620
#define S_PLOT_H 180

static const char *const s_colour[2] = {"#1f77b4", "#d62728"}; /* left, right */

/* Range of the curves of one panel, padded and rounded to 10 deg. */
static void s_range(const struct dn_gait_curve *c, double *lo, double *hi)
{
    *lo = INFINITY, *hi = -INFINITY;
    for (int s = 0; s < 2; s++)
        for (int p = 0; p < DN_GAIT_CURVE_POINTS && c[s].cycles; p++) {
            *lo = fmin(*lo, c[s].mean[p] - c[s].sd[p]);
            *hi = fmax(*hi, c[s].mean[p] + c[s].sd[p]);
        }
    *lo = floor(*lo / 10) * 10 - 10;
    *hi = ceil(*hi / 10) * 10 + 10;
}

static double s_x(int p)
{
    return S_LEFT + S_PLOT_W * p / (double)(DN_GAIT_CURVE_POINTS - 1);
}

static double s_y(double v, double y0, double lo, double hi)
{
    return y0 + S_PLOT_H * (hi - v) / (hi - lo);
}

static void s_axes(FILE *o, double y0, double lo, double hi, const char *title)
{
    fprintf(o, "<text x='%d' y='%.0f' font-size='14' font-weight='bold'>%s</text>\n", S_LEFT, y0 - 10, title);
    fprintf(o, "<rect x='%d' y='%.0f' width='%d' height='%d' fill='none' stroke='#888'/>\n", S_LEFT, y0,
            S_PLOT_W, S_PLOT_H);
    for (double v = lo; v <= hi + 1e-9; v += 10) {
        double y = s_y(v, y0, lo, hi);
        fprintf(o, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#eee'/>"
                   "<text x='%d' y='%.1f' font-size='10' text-anchor='end'>%.0f</text>\n",
                S_LEFT, y, S_LEFT + S_PLOT_W, y, S_LEFT - 4, y + 3, v);
    }
    for (int pct = 0; pct <= 100; pct += 20)
        fprintf(o, "<text x='%.1f' y='%.0f' font-size='10' text-anchor='middle'>%d %%</text>\n",
                s_x(pct), y0 + S_PLOT_H + 14, pct);
}

/* One side's mean line, sd band and toe-off marker. */
static void s_curve(FILE *o, const struct dn_gait_curve *c, int side, double toe_off_pct, double y0,
                    double lo, double hi)
{
    fprintf(o, "<polygon fill='%s' fill-opacity='0.18' stroke='none' points='", s_colour[side]);
    for (int p = 0; p < DN_GAIT_CURVE_POINTS; p++)
        fprintf(o, "%.1f,%.1f ", s_x(p), s_y(c->mean[p] + c->sd[p], y0, lo, hi));
    for (int p = DN_GAIT_CURVE_POINTS - 1; p >= 0; p--)
        fprintf(o, "%.1f,%.1f ", s_x(p), s_y(c->mean[p] - c->sd[p], y0, lo, hi));
    fprintf(o, "'/>\n<polyline fill='none' stroke='%s' stroke-width='2' points='", s_colour[side]);
    for (int p = 0; p < DN_GAIT_CURVE_POINTS; p++)
        fprintf(o, "%.1f,%.1f ", s_x(p), s_y(c->mean[p], y0, lo, hi));
    fprintf(o, "'/>\n");
    if (isfinite(toe_off_pct)) {
        double x = S_LEFT + S_PLOT_W * toe_off_pct / 100;
        fprintf(o, "<line x1='%.1f' y1='%.0f' x2='%.1f' y2='%.0f' stroke='%s' stroke-dasharray='4,3'/>"
                   "<text x='%.1f' y='%.0f' font-size='10' fill='%s'>toe off</text>\n",
                x, y0, x, y0 + S_PLOT_H, s_colour[side], x + 3, y0 + 12 + 12 * side, s_colour[side]);
    }
}

static void s_panel(FILE *o, const struct dn_gait_result *r, const struct dn_gait_curve *c, int index,
                    const char *title)
{
    double y0 = S_TOP + index * S_PANEL_H, lo, hi;
    if (!c[0].cycles && !c[1].cycles) {
        fprintf(o, "<text x='%d' y='%.0f' font-size='12'>%s: not measured (%s)</text>\n", S_LEFT, y0 + 20,
                title, r->params[DN_GP_KNEE_ROM].reason[0] ? r->params[DN_GP_KNEE_ROM].reason : "no data");
        return;
    }
    s_range(c, &lo, &hi);
    s_axes(o, y0, lo, hi, title);
    for (int s = 0; s < 2; s++)
        if (c[s].cycles)
            s_curve(o, &c[s], s, r->params[DN_GP_STANCE_PCT].side[s].n ? r->params[DN_GP_STANCE_PCT].side[s].mean : NAN,
                    y0, lo, hi);
}

/* "name mean unit" or "name n/a". */
static void s_value(FILE *o, const struct dn_gait_result *r, int p, const char *label, const char *fmt)
{
    const struct dn_gait_param *par = &r->params[p];
    fprintf(o, "%s ", label);
    if (par->all.n)
        fprintf(o, fmt, par->all.mean);
    else
        fprintf(o, "n/a");
    fprintf(o, " &#160;&#160; ");
}

int dn_gait_report_svg(const struct dn_gait_result *r, FILE *o, struct dn_err *err)
{
    fprintf(o, "<?xml version='1.0' encoding='UTF-8'?>\n<svg xmlns='http://www.w3.org/2000/svg' "
               "width='%d' height='%d' font-family='sans-serif'>\n<rect width='100%%' height='100%%' fill='white'/>\n",
            S_W, S_TOP + 2 * S_PANEL_H);
    fprintf(o, "<text x='%d' y='24' font-size='16' font-weight='bold'>Gait report</text>\n", S_LEFT);
    fprintf(o, "<text x='%d' y='44' font-size='12'>", S_LEFT);
    if (!r->detected) {
        fprintf(o, "No gait cycle: ");
        for (const char *c = r->reason; *c; c++) /* the reason is ours, but keep the XML valid */
            fputs(*c == '<' ? "&lt;" : *c == '&' ? "&amp;" : (char[2]){*c, 0}, o);
    } else {
        s_value(o, r, DN_GP_CADENCE, "cadence", "%.1f steps/min");
        s_value(o, r, DN_GP_STANCE_PCT, "stance", "%.1f %%");
        s_value(o, r, DN_GP_STEP_LENGTH, "step", "%.2f leg");
        fprintf(o, "confidence %.2f", r->quality.confidence);
    }
    fprintf(o, "</text>\n<text x='%d' y='60' font-size='11'><tspan fill='%s'>left</tspan> / "
               "<tspan fill='%s'>right</tspan>: mean &#177; sd over %d / %d cycles, heel strike at 0 and 100 %%</text>\n",
            S_LEFT, s_colour[0], s_colour[1], r->knee[0].cycles, r->knee[1].cycles);
    s_panel(o, r, r->knee, 0, "Knee flexion (deg)");
    s_panel(o, r, r->hip, 1, "Hip flexion (deg)");
    fprintf(o, "</svg>\n");
    if (fflush(o) || ferror(o))
        return dn_err_set(err, DN_ERR_INTERNAL, "gait report: write failed: %s", strerror(errno));
    return 0;
}
