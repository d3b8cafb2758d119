# SPDX-License-Identifier: GPL-2.0-or-later
# usage: awk -v kind=PERFI|PERFL|PERFA -v min=N -f perfsum.awk RAW
# (the functions with a mean of at least N samples a round in some backend)
# lines: # PERFx W1 r=R P=P be=B fn count total
$2 == kind {
	be = $6; sub(/be=/, "", be); r = $4
	if (kind == "PERFA") { fn = $7 " " $8 " " $9; c = $10; t = $11 } else { fn = $7; c = $8; t = $9 }
	sum[be, fn] += c; fns[fn] = 1
	if (!((be, r) in seen)) { seen[be, r] = 1; tot[be] += t; nr[be]++ }
	bes[be] = 1
}
END {
	printf("%-40s", "fn (mean samples/round)")
	for (b in bes) printf(" %9s", b)
	printf("\n%-40s", "total")
	for (b in bes) printf(" %9.0f", tot[b] / nr[b])
	printf("\n")
	for (f in fns) {
		m = 0
		for (b in bes) if (sum[b, f] / nr[b] > m) m = sum[b, f] / nr[b]
		if (m < min) continue
		printf("%-40s", substr(f, 1, 40))
		for (b in bes) printf(" %9.0f", sum[b, f] / nr[b])
		printf("\n")
	}
}
