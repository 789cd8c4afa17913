"""The `aboutness` command: report, predict, export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aboutness.errors import InputError
from aboutness.paths import PLOTS


def batch_size_arg(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'auto', got {value!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aboutness", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="comparison tables from `dvc exp show --json`")
    rep.add_argument("--json", type=Path, help="read this `dvc exp show --json` output instead of running dvc (each "
                     "run's reports/ still come from this repo's git, the workspace's from disk)")
    rep.add_argument("--sort", help="order rows by a param (teacher.lr) or a metric (teacher.accuracy, student.vital_f1)")
    rep.add_argument("--html", type=Path, help="also write one self-contained HTML page here")
    rep.add_argument("--diff", nargs=2, metavar=("A", "B"), help="paired bootstrap of experiment B against A")
    rep.add_argument("--rounds", type=int, default=1000, help="bootstrap rounds for --diff")
    pred = sub.add_parser("predict", help="score a pool-schema file with a saved model")
    pred.add_argument("--model", type=Path, required=True)
    pred.add_argument("--input", type=Path, required=True)
    pred.add_argument("--output", type=Path, required=True)
    pred.add_argument("--batch-size", type=batch_size_arg, default="auto",
                      help="pairs per batch, or auto (default): 16 pairs of 192 tokens on CPU, 2048 on a GPU, scaled by seq_len")
    pred.add_argument("--chunk-rows", type=int, default=4096, help="rows read and scored at a time (streamed)")
    pred.add_argument("--tsv-format", choices=("quoted", "escaped"), default="quoted",
                      help="a .tsv input's quoting: quoted (RFC 4180, as pandas writes it; default) or escaped (backslashes)")
    exp = sub.add_parser("export", help="export a saved model to ONNX for ONNX Runtime")
    exp.add_argument("--onnx", action="store_true", required=True, help="export format (ONNX is the one there is)")
    exp.add_argument("--model", type=Path, required=True)
    exp.add_argument("--output", type=Path, required=True, help="directory for model.onnx, tokenizer and metadata")
    exp.add_argument("--int8", action="store_true", help="int8 dynamic quantisation of the weights")
    args = parser.parse_args(argv)
    try:
        if args.command == "report":
            from aboutness.cli import report

            shown = args.json.read_text() if args.json else report.exp_show_json()
            rows = report.load_experiments(shown, report.read_reports)
            if not rows:
                raise InputError("no experiment has metrics/teacher.json yet; run `dvc repro` first")
            print(report.render_markdown(rows, args.sort))
            for line in report.rule_warnings(rows):
                print(line, file=sys.stderr)
            if args.diff:
                print(report.diff(rows, *args.diff, rounds=args.rounds))
            if args.html:
                images = sorted(PLOTS.glob("*.png"))
                args.html.write_text(report.render_html(rows, images, args.sort), encoding="utf-8")
                print(f"wrote {args.html}")
        elif args.command == "export":
            from aboutness.export import export_onnx

            print(f"wrote {export_onnx(args.model, args.output, int8=args.int8)}")
        else:
            from aboutness.cli.predict import predict_file

            counts = predict_file(args.model, args.input, args.output, args.batch_size, args.chunk_rows, args.tsv_format)
            print(f"predict: {counts['scored']} of {counts['rows_in']} rows scored into {args.output}; "
                  f"{counts['rejected']} rejected")
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
