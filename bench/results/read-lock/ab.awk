# SPDX-License-Identifier: GPL-2.0-or-later
# awk -f ../../lib.awk -f ab.awk raw-6.12.txt
# per-round nolock/lock MiB/s ("inplace" = class lock skipped, "zramx" = as shipped)
/# THR be=/ {
	be = kv($0, "be"); if (be == "stock") next
	k = kv($0, "row") " p=" kv($0, "p")
	m[k, kv($0, "round"), be] = kv($0, "mbps"); keys[k] = 1
	if (be == "zramx") s[k, kv($0, "round")] = 1
}
END {
	for (k in keys) {
		n = 0
		for (i = 1; i <= 20; i++)
			if ((k, i, "inplace") in m && (k, i, "zramx") in m)
				t[++n] = m[k, i, "inplace"] / m[k, i, "zramx"]
		md = med(t, n)
		above = 0; for (i = 1; i <= n; i++) if (t[i] > 1) above++
		printf("%-16s n=%2d  nolock/lock %.2f (%.2f-%.2f)  rounds > 1: %d\n", k, n, md, t[1], t[n], above)
	}
}
