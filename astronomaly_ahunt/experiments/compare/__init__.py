"""The page replayed: methods side by side on catalogue-free cutouts, each
labelled round by round as a person labels Astronomaly's page.

- :mod:`.data`: the image sets and class splits (what a person presses for
  each object), named without loading pandas for the command line;
- :mod:`.pipelines`: what each method's ``run_pipeline()`` returns (AHUNT,
  Astronomaly's static pipeline, AADForest, random labelling);
- :mod:`.replay`: the frontend's calls without a browser, and the rounds of
  labels from a truth table;
- :mod:`.results`: the output folder, progress lines, tables and plots;
- the commands: :mod:`.peers` (``compare --data``), :mod:`.suite`
  (``compare --suite``) and :mod:`.scripts` (pipeline scripts side by side).
"""
