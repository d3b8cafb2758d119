# SPDX-License-Identifier: GPL-2.0-or-later
# awk -f ab.awk raw-run1-6.12.txt raw-run2-6.12.txt
# per-round vzalloc/kvzalloc MiB/s for each row and P, pooled over runs
function kv(line, key,    i, n, f) {
	n = split(line, f, " ")
	for (i = 1; i <= n; i++)
		if (index(f[i], key "=") == 1)
			return substr(f[i], length(key) + 2)
	return ""
}
FNR == 1 { run++ }
/# THR be=/ {
	be = kv($0, "be"); if (be == "stock") next
	al = (run == 1) == (be == "zramx") ? "kv" : "v"
	k = kv($0, "row") " p=" kv($0, "p")
	m[k, run, kv($0, "round"), al] = kv($0, "mbps"); keys[k] = 1
}
END {
	for (k in keys) {
		n = 0
		for (r = 1; r <= 2; r++) for (i = 1; i <= 9; i++)
			if ((k, r, i, "v") in m && (k, r, i, "kv") in m)
				t[++n] = m[k, r, i, "v"] / m[k, r, i, "kv"]
		for (i = 2; i <= n; i++) { x = t[i]; for (j = i - 1; j >= 1 && t[j] > x; j--) t[j + 1] = t[j]; t[j + 1] = x }
		md = n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
		above = 0; for (i = 1; i <= n; i++) if (t[i] > 1) above++
		printf("%-16s n=%2d  vzalloc/kvzalloc %.2f (%.2f-%.2f)  rounds > 1: %d\n", k, n, md, t[1], t[n], above)
	}
}
