"""The README's Python API snippet runs as a reader copies it."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def api_snippet():
    section = README.read_text().split("## The Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_api_snippet_runs_as_copied(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # it saves a session to ./ahunt_session
    namespace = {"__name__": "__main__"}
    exec(compile(api_snippet(), str(README), "exec"), namespace)
    hunter = namespace["hunter"]
    # measured (seed 0): the 2s are found in the first round and rank on top
    assert hunter.taxonomy_.anomalies == ["2"]
    assert (namespace["y"][namespace["ranking"][:10]] == 2).mean() >= 0.8
    assert (tmp_path / "ahunt_session" / "hunter.json").exists()
    assert "classes:" in capsys.readouterr().out
