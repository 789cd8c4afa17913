"""aboutness.checkpoints: the fingerprint that decides whether a run may resume a checkpoint."""



from conftest import as_params, raw_params


def test_run_fingerprint_changes_with_every_input_that_shapes_a_run(tmp_path, monkeypatch, tiny_bert):
    """Resuming another run's checkpoint saved the old model as the new one: text.py, models.py, the base
    model's weights and the world size were not part of the old fingerprint (issue 14, point 3)."""
    import shutil

    from aboutness.checkpoints import run_fingerprint

    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src/text.py").write_text("def card_text(): ...\n")
    (tmp_path / "data.parquet").write_bytes(b"rows")
    base = tmp_path / "base_models/bert"
    shutil.copytree(tiny_bert, base)
    params = as_params(raw_params())  # the object the stages pass

    def fp(**kw):
        files = (tmp_path / "src/text.py", tmp_path / "data.parquet")
        return run_fingerprint("train_teacher", params, ("seed", "teacher"), "base_models/bert", files, **kw)

    first = fp()
    assert fp() == first
    params.model.lr = 3e-4  # a param the stage does not declare changes nothing
    assert fp() == first
    (tmp_path / "src/text.py").write_text("def card_text(): return 'other'\n")
    second = fp()
    assert second != first
    weights = next(base.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:-1] + b"\0")
    third = fp()
    assert third != second
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert fp() != third
    monkeypatch.delenv("WORLD_SIZE")
    params.teacher.lr = 2e-4
    assert fp() != third
    params.teacher.lr, params.teacher.head = 1e-4, "msetarget"  # a new head must not resume the old one's optimizer
    assert fp() != third
