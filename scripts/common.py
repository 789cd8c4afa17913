"""What the seed-study scripts share: params.yaml with `dvc exp run -S`-style overrides."""

from __future__ import annotations

import yaml

from aboutness.params import load_params


def params_with(overrides: list[str]) -> dict:
    """params.yaml, validated, with each `key=value` (a dotted key, a YAML value) set on top."""
    params = load_params()
    for item in overrides:
        key, value = item.split("=", 1)
        *parents, leaf = key.split(".")
        node = params
        for p in parents:
            node = node[p]
        node[leaf] = yaml.safe_load(value)
    return params
