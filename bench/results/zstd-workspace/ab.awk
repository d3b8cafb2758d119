# SPDX-License-Identifier: GPL-2.0-or-later
# awk -f ../../lib.awk -f ab.awk raw-run1-6.12.txt raw-run2-6.12.txt
# per-round vzalloc/kvzalloc MiB/s for each row and P, pooled over runs
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
		md = med(t, n)
		above = 0; for (i = 1; i <= n; i++) if (t[i] > 1) above++
		printf("%-16s n=%2d  vzalloc/kvzalloc %.2f (%.2f-%.2f)  rounds > 1: %d\n", k, n, md, t[1], t[n], above)
	}
}
