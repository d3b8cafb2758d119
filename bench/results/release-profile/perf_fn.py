# Per-round mean samples of the named functions per backend: perf_fn.py RAW fn,fn,...
import re,sys,collections
I=collections.defaultdict(collections.Counter); R=collections.defaultdict(set)
for l in open(sys.argv[1]):
    m=re.search(r'# PERFI W1 r=(\d+) P=(\d+) be=(\w+) (\S+) (\d+) (\d+)',l)
    if m:
        r,p,b,f,n,t=m.groups(); I[b][f]+=int(n); R[b].add(r)
fs=sys.argv[2].split(',')
print("%-34s"%"fn"+"".join("%10s"%b for b in I))
for f in fs:
    print("%-34s"%f+"".join("%10.0f"%(I[b][f]/len(R[b])) for b in I))
