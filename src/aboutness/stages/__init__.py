"""One module per dvc.yaml stage, named as the stage, holding its `main()`: `python -m aboutness.stages.<name>`.
A stage reads its params and passes paths to the library; no stage imports another."""
