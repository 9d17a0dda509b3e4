"""An idealised few-label search, no CNN and no page: round 1 asks 20 at
random; every later round asks the top K (environment, default 20) of the
page's shape forest fitted on every answer so far and the rest at random (20
at random while nothing interesting was found). Found of 25 in 100 labels, 5
draws a pool, seeds 0-8, the pools as compare_separability reads them."""
import sys, numpy as np, pandas as pd
sys.path.insert(0, '/work/main/benchmarks')
from compare_separability import read_folder
from astronomaly_ahunt.experiments.compare.data import write_compare_data
from astronomaly_ahunt.experiments.compare.suite import split_named
from astronomaly_ahunt.engine.morphology import shape_features
from astronomaly_ahunt.engine.questions import shape_forest
rows=[]; K=int(__import__("os").environ.get("K","20"))
for name in sys.argv[1:]:
    split=split_named(name)
    for seed in range(9):
        x, rare = read_folder(write_compare_data('/tmp/ho/data', name, seed, split), split.size)
        shape = shape_features(x)
        for draw in range(5):
            rng=np.random.default_rng([seed, draw])
            asked=list(rng.choice(len(x), 20, replace=False))
            for r in range(4):
                a=np.array(asked); found=a[rare[a]]; normal=a[~rare[a]]
                free=np.setdiff1d(np.arange(len(x)), a)
                if len(found)==0:
                    asked+=list(rng.choice(free, 20, replace=False)); continue
                p=shape_forest(shape, normal, found, draw); p[a]=-np.inf
                top=list(np.argsort(-p, kind="stable")[:K]); asked+=top; free2=np.setdiff1d(free, top); asked+=list(rng.choice(free2, 20-K, replace=False)) if K<20 else []
            a=np.array(asked)
            first=np.flatnonzero(rare[a]); 
            rows.append(dict(split=name, seed=seed, draw=draw, found=int(rare[a].sum()), first=int(first[0])+1 if len(first) else 101))
    t=pd.DataFrame(rows); t=t[t.split==name]
    print(name, 'mean found per run %.2f'%t.found.mean(), 'per seed (mean of draws):', t.groupby('seed').found.mean().round(1).tolist(), 'runs found<8: %d of %d'%((t.found<8).sum(), len(t)), flush=True)
pd.DataFrame(rows).to_csv('/tmp/seqloop.csv', index=False)
