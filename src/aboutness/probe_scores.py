"""The behavioural probes (`aboutness.probes`) scored by one model: a pass rate per probe that applies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aboutness.heads import score_frame
from aboutness.inference import predict_logits
from aboutness.probes import PROBES, applies, build, pass_rate


def probe_metrics(model, tokenizer, meta: dict, pairs: pd.DataFrame, original_vital: np.ndarray, seed: int, n: int,
                  batch_size: int | str, prefix: str = "probe_") -> dict[str, float]:
    """`<prefix><probe>` -> pass rate on probes built from `pairs` (up to `n` pairs each, drawn by `seed`),
    given the model's vital decisions on `pairs` themselves. A probe that does not apply to the model is
    left out, so a report shows it as "n/a", never as passed."""
    out = {}
    for probe in PROBES:
        if not applies(probe, meta["text"], three_class=meta["head"] != "vital"):
            continue
        probed = build(probe.name, pairs, seed, n)
        if probed.empty:  # no pair to start from (a split with no about page): no rate, rather than NaN
            print(f"probes: {probe.name} has no pair to start from in these {len(pairs)} pairs")
            continue
        scored = score_frame(predict_logits(model, tokenizer, probed, meta["text"], batch_size=batch_size), meta)
        out[prefix + probe.name] = round(pass_rate(probe, probed, scored["vital"].to_numpy(),
                                                   scored["predicted"].to_numpy(), original_vital), 4)
    return out
