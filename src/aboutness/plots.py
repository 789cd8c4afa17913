"""Plot data for `dvc plots` and the same plots as PNG files, which need no network."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import confusion_matrix, precision_recall_curve  # noqa: E402

from aboutness.columns import LABELS
from aboutness.paths import PLOTS


def pr_points(gold: pd.Series, p_about: np.ndarray, n: int = 200) -> pd.DataFrame:
    """The vital precision-recall curve, thinned to at most n points."""
    precision, recall, thresholds = precision_recall_curve(gold == "about", p_about)
    df = pd.DataFrame({"recall": recall[:-1], "precision": precision[:-1], "threshold": thresholds})
    keep = np.unique(np.linspace(0, len(df) - 1, min(n, len(df))).astype(int))
    return df.iloc[keep].reset_index(drop=True)


def write_plot_data(name: str, preds: pd.DataFrame) -> None:
    """CSV inputs of the confusion-matrix and PR-curve plots declared in dvc.yaml."""
    PLOTS.mkdir(parents=True, exist_ok=True)
    preds[["gold", "predicted"]].to_csv(PLOTS / f"{name}_confusion.csv", index=False)
    pr_points(preds["gold"], preds["p_about"].to_numpy()).to_csv(PLOTS / f"{name}_pr.csv", index=False, float_format="%.5g")


def _confusion_png(ax, name: str, preds: pd.DataFrame) -> None:
    cm = confusion_matrix(preds["gold"], preds["predicted"], labels=list(LABELS))
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", color="white" if v > cm.max() / 2 else "black")
    ax.set_xticks(range(3), LABELS)
    ax.set_yticks(range(3), LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(f"{name}: confusion on test")


def _save(fig, name: str) -> Path:
    fig.tight_layout()
    path = PLOTS / name
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write_pngs(preds: dict[str, pd.DataFrame], curves: dict[str, Path]) -> list[Path]:
    """Confusion matrices, the vital PR curve and the training curves (each model's DVCLive directory) as PNG files."""
    PLOTS.mkdir(parents=True, exist_ok=True)
    out = []
    fig, axes = plt.subplots(1, len(preds), figsize=(5 * len(preds), 4.2))
    for ax, (name, df) in zip(np.atleast_1d(axes), preds.items()):
        _confusion_png(ax, name, df)
    out.append(_save(fig, "confusion.png"))
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    for name, df in preds.items():
        pr = pr_points(df["gold"], df["p_about"].to_numpy())
        ax.plot(pr["recall"], pr["precision"], label=name)
    ax.set_xlabel("vital recall")
    ax.set_ylabel("vital precision")
    ax.set_title("vital (about) precision-recall on test")
    ax.legend()
    out.append(_save(fig, "vital_pr.png"))
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    for name, live_dir in curves.items():
        for split, style, label in (("train", "-", "train loss"), ("eval", "o--", "valid loss")):
            path = live_dir / "plots" / "metrics" / split / "loss.tsv"  # DVCLive's layout: step, loss
            if path.exists():
                c = pd.read_csv(path, sep="\t")
                ax.plot(c["step"], c["loss"], style, label=f"{name} {label}")
    ax.set_xlabel("step")
    ax.set_title("training curves")
    ax.legend()
    out.append(_save(fig, "training_curves.png"))
    return out
