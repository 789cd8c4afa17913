"""Training curves with DVCLive: the Trainer's logs at its own global step, one directory per model, so
`dvc exp show` lists the step metrics, `dvc plots` draws the curves and a running experiment shows its step."""

from __future__ import annotations

from pathlib import Path

from transformers.integrations import DVCLiveCallback

# What a curve shows; the Trainer also logs runtimes, throughput, grad norms and FLOPs, which would
# crowd `dvc metrics show` and vary run to run.
CURVE_KEYS = ("loss", "eval_loss", "eval_accuracy", "eval_macro_f1", "eval_vital_f1")


class StepCurves(DVCLiveCallback):
    """transformers' DVCLive callback, with two changes: the step is the Trainer's global step (DVCLive
    counts log calls, so train and valid points of one step landed on different steps), and only
    CURVE_KEYS are logged; the params live in params.yaml, so they are not logged again."""

    def __init__(self, live_dir: Path, resume: bool = False):
        super().__init__()
        self.live_dir, self.resume = Path(live_dir), resume

    def setup(self, args, state, model):
        from dvclive import Live

        self._initialized = True
        if state.is_world_process_zero and self.live is None:
            # dvcyaml=None: the outputs are declared in the project's dvc.yaml; save_dvc_exp=False: the
            # run belongs to the `dvc repro` or `dvc exp run` that started it
            self.live = Live(str(self.live_dir), resume=self.resume, dvcyaml=None, save_dvc_exp=False, report=None)

    def on_log(self, args, state, control, model=None, logs=None, **kwargs):
        # "loss" becomes train/loss beside eval/loss (DVCLive names train_x train/x and eval_x eval/x)
        logs = {("train_loss" if k == "loss" else k): v for k, v in (logs or {}).items() if k in CURVE_KEYS}
        if not logs:
            return
        if not self._initialized:
            self.setup(args, state, model)
        if state.is_world_process_zero:
            self.live.step = state.global_step
        super().on_log(args, state, control, model=model, logs=logs, **kwargs)
