"""aboutness.demo: the default data written to disk, byte for byte the same for the same seed."""

from aboutness.demo import write_demo
from conftest import as_params, raw_params


def test_demo_is_byte_identical_for_the_same_seed(tmp_path):
    raw = raw_params()
    raw["seed"] = 5
    raw["ingest"] |= {"demo_cards": 40, "demo_ecom_cards": 4, "demo_junk_share": 0.01}
    params = as_params(raw)
    write_demo(params, tmp_path / "a")
    write_demo(params, tmp_path / "b")
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == ["corpus.parquet", "ecom.parquet", "elements.parquet", "labels.parquet", "pair_kinds.parquet",
                     "prod_cards.parquet"]
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    write_demo(params.model_copy(update={"seed": 6}), tmp_path / "c")
    assert (tmp_path / "c" / "labels.parquet").read_bytes() != (tmp_path / "a" / "labels.parquet").read_bytes()
