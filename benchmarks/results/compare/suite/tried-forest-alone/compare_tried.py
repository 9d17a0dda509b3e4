"""Each tried rule's runs (v*-SUITE-seedsA-B.csv here) beside the rule of now on
the same seeds (the `ahunt` rows of ../first-seeds*-lookalikes/ and
../first-fits-seeds*-lookalikes/): found per block and per split, and first
finds after label 40."""
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
rows = []
for path in sorted(HERE.glob("v*-*-seeds*.csv")):
    variant, suite, seeds = path.stem.split("-", 2)
    suite = {"first": "first", "firstfits": "first-fits"}[suite]
    new = pd.read_csv(path)
    now = pd.read_csv(HERE.parent / f"{suite}-{seeds}-lookalikes" / "suite.csv")
    now = now[now.method == "ahunt"]
    for table, who in ((now, "now"), (new, "tried")):
        last = table[table["round"] == table["round"].max()]
        for _, r in last.iterrows():
            rows.append(dict(variant=variant, suite=suite, seeds=seeds, split=r.split.split("_rare_")[1],
                             seed=r.seed, who=who, found=r.found,
                             late=not r.first_found <= 40))
t = pd.DataFrame(rows)
t = t[t.set_index(["variant", "suite", "seeds", "split", "seed"]).index.isin(
    t[t.who == "tried"].set_index(["variant", "suite", "seeds", "split", "seed"]).index)]
pd.set_option("display.width", 200)
for variant, v in t.groupby("variant"):
    print(f"== {variant}")
    print(v.pivot_table(index=["suite", "seeds"], columns="who", values=["found", "late"],
                        aggfunc="sum").to_string())
    print(v.pivot_table(index=["suite", "split"], columns="who", values="found",
                        aggfunc="sum").to_string())
    print(v.groupby("who")[["found", "late"]].sum().to_string(), "\n")
