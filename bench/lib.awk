# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/lib.awk: functions for the benchmarks' awk programs, in plain
# POSIX awk (mawk has no asort).  bench/report.sh puts it in front of
# its programs; a script of its own loads it with
# `awk -f bench/lib.awk -f SCRIPT`.  col() and rat() read the caller's
# v[K, B, round] and maxr.
function isort(a, n,    i, j, t) {
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
}
function med(a, n,    m) {
	isort(a, n)
	if (n % 2)
		return a[(n + 1) / 2]
	return (a[n / 2] + a[n / 2 + 1]) / 2
}
# t[1..n] (sorted in place): "median|min–max|min|max" in format f;
# "-|-" if n is 0
function summ(t, n, f,    m) {
	if (!n) return "-|-"
	m = med(t, n)
	return sprintf(f, m) "|" sprintf(f "–" f, t[1], t[n]) "|" \
	       sprintf(f "|" f, t[1], t[n])
}
# summ() of a[K, 1..n]
function summk(a, K, n, f,    i, t) {
	for (i = 1; i <= n; i++) t[i] = a[K, i]
	return summ(t, n, f)
}
# summ() of v[K, B, i] over the rounds i = 1..maxr
function col(K, B, f,    i, n, t) {
	n = 0
	for (i = 1; i <= maxr; i++)
		if ((K, B, i) in v) t[++n] = v[K, B, i]
	return summ(t, n, f)
}
# a summ() string's median and min–max, joined by sep
function mj(s, sep,    a) {
	split(s, a, "|")
	return a[1] sep a[2]
}
# median (min–max) of the per-round ratios v[K, x, i] / v[K, y, i]; the
# median, min, max and count also in rmed, rlo, rhi, rn
function rat(K, x, y,    i, t) {
	rn = 0
	for (i = 1; i <= maxr; i++)
		if ((K, x, i) in v && (K, y, i) in v && v[K, y, i] > 0)
			t[++rn] = v[K, x, i] / v[K, y, i]
	if (!rn) return "-"
	rmed = med(t, rn); rlo = t[1]; rhi = t[rn]
	return sprintf("%.2f (%.2f–%.2f)", rmed, rlo, rhi)
}
function kv(line, key,    i, n, f) {
	n = split(line, f, " ")
	for (i = 1; i <= n; i++)
		if (index(f[i], key "=") == 1)
			return substr(f[i], length(key) + 2)
	return ""
}
