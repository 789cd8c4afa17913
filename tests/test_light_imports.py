"""The stages that read no model (`baselines`, `compare`) and `aboutness report` must not load torch or
transformers: the import alone costs ~5 s on 2 cores, paid at every run of each (issue 28: make repro time)."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["aboutness.stages.baselines", "aboutness.stages.compare", "aboutness.cli.report"])
def test_model_free_modules_do_not_load_torch(module):
    code = f"import sys, {module}; print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"{module} loads {out.strip()}"
