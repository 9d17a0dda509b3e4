"""Reproduction and comparison: the paper's round protocols and datasets,
the simulator, the baselines, the benchmark with its metrics and figures,
and ``compare`` (pipeline scripts labelled as a person labels the page).
Imports the engine and the stages; nothing imports it but the command line.
"""
