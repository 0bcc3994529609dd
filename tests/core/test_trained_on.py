"""What a checkpoint was trained on, in words, wherever one is offered: catalog entries, run rows, the demo's
dropdown, the pickers, the run tables and the CLI's ``list`` — read from config.json, never from weights."""
from __future__ import annotations

import json
from pathlib import Path

from sr_core.cli.main import main
from sr_core.runs import catalog as mc
from sr_core.runs.table import RunRow, rows_from
from sr_core.runs.shipped import list_shipped
from sr_core.runs.trained_on import dataset_text, read_train_config, trained_on_text


def test_dataset_words() -> None:
    assert dataset_text("fashion-mnist") == "Fashion-MNIST" and dataset_text("mnist") == "MNIST"
    assert dataset_text("photos") == "photos (scikit-image)" and dataset_text("photos", short=True) == "photos"
    assert dataset_text("photos", 48) == "photos (scikit-image), 48×48 patches"
    assert dataset_text("folder:/home/me/my_pics/") == "folder my_pics"
    assert dataset_text("folder:/home/me/my_pics", 64, short=True) == "folder my_pics"
    assert dataset_text("fashion-mnist", 28) == "Fashion-MNIST"  # patches are for photo runs only
    assert dataset_text("") == "Fashion-MNIST"  # configs from before the field


def test_entries_rows_and_configs_say_it_the_same_way(tmp_path: Path) -> None:
    assert trained_on_text({"dataset": "photos", "patch": 28}) == "photos (scikit-image), 28×28 patches"
    assert trained_on_text({}) == "Fashion-MNIST"
    assert trained_on_text(RunRow("r", "/x", dataset="mnist")) == "MNIST"
    assert trained_on_text(mc.Entry("x", Path("x"), True, dataset="folder:/a/b")) == "folder b"
    (tmp_path / "config.json").write_text(json.dumps({"train": {"dataset": "photos", "patch": 48}}))
    assert read_train_config(tmp_path) == {"dataset": "photos", "patch": 48}
    assert read_train_config(tmp_path / "none") == {}


def test_shipped_entries_and_rows_carry_their_data() -> None:
    entries = mc.shipped_entries()
    rows = {r.name: r for r in rows_from(list_shipped())}
    assert entries["resnet-sr"].dataset == rows["resnet-sr"].dataset == "fashion-mnist"
    if "cnn-vae-photo" in entries:
        e = entries["cnn-vae-photo"]
        assert e.dataset == "photos" and e.patch == 28 and rows["cnn-vae-photo"].model == "cnn-vae"
        assert trained_on_text(e, short=True) == "photos"
        assert ("cnn-vae-photo · trained on photos", "cnn-vae-photo") in mc.labelled_choices()
        assert rows["cnn-vae-photo"].psnr is None and rows["cnn-vae-photo"].gain_db is not None


def test_picker_and_tables_label_the_data() -> None:
    from ui.studio.model_picker import entry_text
    from ui.run_tables import shipped_caption, shipped_table

    e = mc.Entry("cnn-vae-photo", Path("x"), True, dataset="photos", patch=28)
    assert entry_text("shipped · cnn-vae-photo", e) == "shipped · cnn-vae-photo · photos"
    assert entry_text("a/path.pt", None) == "a/path.pt"
    fm = RunRow("resnet-sr", "/x", model="resnet-sr", psnr=26.1, n_eval_images=10000, shipped=True)
    photo = RunRow("cnn-vae-photo", "/y", model="cnn-vae", dataset="photos", patch=28, n_eval_images=3,
                   photo_psnr=27.97, gain_db=-4.28, shipped=True)
    table = shipped_table([fm, photo])
    assert table[0]["Trained on"] == "Fashion-MNIST" and table[0]["PSNR (dB)"] == "26.10"
    assert table[1]["Trained on"] == "photos (scikit-image), 28×28 patches"
    assert table[1]["PSNR (dB)"] == "–" and table[1]["Held-out photos Y-PSNR (dB)"] == "27.97 (-4.28 vs bicubic)"
    caption = shipped_caption([fm, photo])
    assert "10,000 Fashion-MNIST test images" in caption and "held-out photos" in caption


def test_cli_list_has_a_trained_on_column(tmp_path: Path, capsys) -> None:
    assert main(["list", "--runs-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "trained on" in out
    line = next(l for l in out.splitlines() if l.startswith("resnet-sr "))
    assert "Fashion-MNIST" in line
    if any(r["name"] == "cnn-vae-photo" for r in list_shipped()):
        line = next(l for l in out.splitlines() if l.startswith("cnn-vae-photo "))
        assert "photos (scikit-image)" in line and "vs bicubic" in line and "held-out photos" in line
