#!/usr/bin/env python3
"""The gait filter op (kernels/ref/gait_filter_ref.c) against scipy.signal.

Upstream reference: scipy.signal.butter(2, fc / (fs / 2)) for the
coefficients and scipy.signal.filtfilt (padtype "odd", padlen 9) for the
zero-lag filtering, on unit-amplitude signals so that float32 storage in the
C twin stays far below the 1e-6 tolerance. Also checks that runs separated by
a long gap are filtered independently and that short gaps are filled by the
cubic through two samples on each side before filtering.

usage: check_filter.py GAIT_TOOL
"""
import subprocess
import sys

import numpy as np
import scipy.signal as ss

TOOL = sys.argv[1]
TOL = 1e-6
failures = 0


def tool(args, data=None):
    inp = "".join(f"{v:.9g}\n" for v in data) if data is not None else None
    out = subprocess.run([TOOL] + [str(a) for a in args], input=inp, capture_output=True,
                         text=True, check=True).stdout
    return np.array([float(v) for v in out.split()])


def check(name, got, want, tol):
    global failures
    both_nan = np.isnan(got) & np.isnan(want)
    err = np.where(both_nan, 0.0, np.abs(got - want))
    worst = np.nanmax(err) if err.size else 0.0
    if np.isnan(err).any() or worst > tol:
        failures += 1
        print(f"FAIL {name}: max |ours - scipy| = {worst:.3g} (tol {tol:g}), nan mismatch={np.isnan(err).sum()}")
    else:
        print(f"ok   {name}: max |ours - scipy| = {worst:.3g}")


rng = np.random.default_rng(5)
for fs, fc in [(30, 6), (60, 6), (25, 6), (120, 6), (15, 4.5), (240, 6)]:
    b, a = ss.butter(2, fc / (fs / 2))
    check(f"butter fs={fs} fc={fc}", tool(["butter", fs, fc]), np.concatenate([b, a]), 1e-12)
    t = np.arange(400) / fs
    x = (0.6 * np.sin(2 * np.pi * 0.9 * t) + 0.3 * np.cos(2 * np.pi * 2.7 * t + 1)
         + 0.1 * rng.standard_normal(t.size)).astype(np.float32).astype(np.float64)
    check(f"filtfilt fs={fs} fc={fc}", tool(["filtfilt", fs, fc], x), ss.filtfilt(b, a, x), TOL)

# A long gap splits the series; each run is filtered on its own.
fs, fc = 30, 6
b, a = ss.butter(2, fc / (fs / 2))
x = rng.standard_normal(300).astype(np.float32).astype(np.float64) * 0.5
x[120:160] = np.nan
want = x.copy()
want[:120] = ss.filtfilt(b, a, x[:120])
want[160:] = ss.filtfilt(b, a, x[160:])
check("two runs", tool(["filtfilt", fs, fc, 5], x), want, TOL)

# A short gap is filled by the cubic through x[i-2], x[i-1], x[j], x[j+1].
t = np.arange(200) / fs
x = (np.sin(2 * np.pi * 1.1 * t)).astype(np.float32).astype(np.float64)
gap = slice(80, 84)
xg = x.copy()
xg[gap] = np.nan
pts = np.array([78, 79, 84, 85])
filled = xg.copy()
filled[gap] = np.polyval(np.polyfit(pts, xg[pts], 3), np.arange(80, 84))
check("cubic gap fill", tool(["filtfilt", fs, fc, 5], xg), ss.filtfilt(b, a, filled), 2e-6)

# A run shorter than the filter's padding cannot be filtered: it is dropped.
x = np.full(30, np.nan)
x[5:12] = 1.0
got = tool(["filtfilt", fs, fc, 0], x)
if not np.isnan(got).all():
    failures += 1
    print("FAIL short run: a 7-sample run was kept")
else:
    print("ok   short run dropped")

sys.exit(1 if failures else 0)
