# W1 munmap medians per backend and per-round ratios: w1_rounds.py RAW
import re,sys,statistics as st
d={}
for l in open(sys.argv[1]):
    m=re.search(r'W1 r=(\d+) P=(\d+) be=(\w+) proc=\d+ munmap_ns=(\d+)',l)
    if m:
        r,p,b,ns=m.groups(); d.setdefault(b,{})[int(r)]=int(ns)/1e6
for b,v in d.items():
    x=list(v.values()); print(f"{b:8s} median {st.median(x):6.1f} ms ({min(x):.1f}-{max(x):.1f}) n={len(x)}")
def rat(a,b):
    x=[d[a][r]/d[b][r] for r in d[a] if r in d[b]]; return f"{st.median(x):.2f} ({min(x):.2f}-{max(x):.2f})"
for a,b in (('stock','ours'),('ours','floor'),('a1','floor'),('a2','floor'),('inplace','ours')):
    if a in d and b in d: print(f"{a}/{b}: {rat(a,b)}")
