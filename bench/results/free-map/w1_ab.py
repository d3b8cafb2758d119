import re,sys,statistics as st
# per round mean munmap per backend
d={}
for l in open(sys.argv[1]):
    m=re.search(r'W1 r=(\d+) P=(\d+) be=(\w+) proc=\d+ munmap_ns=(\d+)',l)
    if not m: continue
    r,p,b,ns=m.groups()
    d.setdefault((int(p),b,int(r)),[]).append(int(ns)/1e6)
ps=sorted(set(k[0] for k in d)); bs=sorted(set(k[1] for k in d))
for p in ps:
    rounds=sorted(set(k[2] for k in d if k[0]==p))
    mean={b:{r:st.mean(d[(p,b,r)]) for r in rounds if (p,b,r) in d} for b in bs}
    for b in bs:
        v=list(mean[b].values()); print(f"P={p} {b:8s} median {st.median(v):7.1f} ms ({min(v):.1f}-{max(v):.1f})")
    def ratio(a,b):
        x=[mean[a][r]/mean[b][r] for r in rounds if r in mean[a] and r in mean[b]]
        return f"{st.median(x):.2f} ({min(x):.2f}-{max(x):.2f})"
    for a,b in (('stock','ours'),('stock','base'),('base','ours'),('ours','floor'),('base','floor')):
        if a in mean and b in mean: print(f"  P={p} {a}/{b}: {ratio(a,b)}")
    # above floor
    x=[(mean['base'][r]-mean['floor'][r])/(mean['ours'][r]-mean['floor'][r]) for r in rounds]
    print(f"  P={p} (base-floor)/(ours-floor): {st.median(x):.2f} ({min(x):.2f}-{max(x):.2f})")
