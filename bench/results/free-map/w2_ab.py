import re,sys,statistics as st
rows={}
for l in open(sys.argv[1]):
    m=re.search(r'W2 r=(\d+) (base-)?impl=(\S+) .*threads=(\d+) .*ns_per_free=(\d+)',l)
    if not m: continue
    r,b,impl,n,ns=m.groups()
    key=(('base-' if b else '')+impl,int(n))
    rows.setdefault(key,{})[int(r)]=int(ns)
for n in sorted(set(k[1] for k in rows)):
    stock=rows[('stock',n)]
    for k in sorted(rows):
        if k[1]!=n: continue
        v=rows[k]; rs=sorted(v)
        rat=[stock[r]/v[r] for r in rs if r in stock]
        print(f"N={n} {k[0]:20s} med {st.median(v.values()):7.0f} ({min(v.values())}-{max(v.values())})  stock/x {st.median(rat):.2f} ({min(rat):.2f}-{max(rat):.2f})")
    for a,b in (('zsfast','base-zsfast'),('zsfast-bulk','base-zsfast-bulk')):
        if (a,n) in rows and (b,n) in rows:
            rat=[rows[(b,n)][r]/rows[(a,n)][r] for r in rows[(a,n)] if r in rows[(b,n)]]
            print(f"N={n} base/new {a}: {st.median(rat):.2f} ({min(rat):.2f}-{max(rat):.2f})")
