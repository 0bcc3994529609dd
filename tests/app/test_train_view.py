"""The Train page's logic in ui.train_view: the form <-> preset <-> TrainConfig, status lines, loss choices."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sr_core.presets import PRESETS, preset_config
from sr_core.errors import UserError
from sr_core.trainer import TrainSnapshot
from ui import train_view


def form(preset: str = "tiny", **changes) -> dict:
    state = {"train_preset": preset}
    train_view.apply_preset(state)
    state.update({f"train_{k}": v for k, v in changes.items()})
    return state


@pytest.mark.parametrize("preset", list(PRESETS))
def test_an_untouched_form_gives_the_presets_config(preset):
    cfg = train_view.config_from_form(form(preset), preset)
    assert cfg == preset_config(preset).validate()


def test_form_changes_reach_the_config_and_another_model_drops_the_presets_model_settings():
    cfg = train_view.config_from_form(form(steps=7.0, lr=" 2e-3 ", alpha_schedule="0:0.5,3:0.1"), "tiny")
    assert (cfg.steps, cfg.lr, [tuple(x) for x in cfg.alpha_schedule]) == (7, 2e-3, [(0, 0.5), (3, 0.1)])
    other = train_view.config_from_form(form(model="resnet-sr"), "tiny")
    assert other.model == "resnet-sr" and other.model_config == {}


@pytest.mark.parametrize("field,value,word", [("lr", "fast", "learning rate"), ("batch_size", 0, "batch")])
def test_invalid_form_values_are_one_line_errors(field, value, word):
    with pytest.raises(UserError, match=word):
        train_view.config_from_form(form(**{field: value}), "tiny")


def snap(**kw) -> TrainSnapshot:
    return TrainSnapshot(**{"running": False, "status": "finished", "run_name": "r", "step": 10, "total_steps": 10,
                            **kw})


@pytest.mark.parametrize("kw,kind,text", [
    (dict(best_test_loss=0.12345), "success", "best test loss 0.1235"),
    (dict(), "success", "Run `r` finished."),
    (dict(status="stopped", step=4), "warning", "stopped at step 4 / 10"),
    (dict(status="nan", message="loss became nan"), "error", "loss became nan"),
])
def test_ended_message(kw, kind, text):
    got = train_view.ended_message(snap(**kw))
    assert got[0] == kind and text in got[1]


def test_no_ended_message_while_running_and_progress_text_names_rate_and_time():
    running = snap(running=True, status="running", step=3, img_s=250.0, eta_s=5.0, elapsed_s=2.0)
    assert train_view.ended_message(running) is None
    assert train_view.progress_text(running).startswith("Step 3 / 10 · 250 images/s ·")
    assert "on average" in train_view.progress_text(snap(avg_img_s=300.0, total_s=4.0))


def test_loss_choices_follow_the_model_and_hide_an_unweighted_kl():
    cfg = preset_config("tiny")
    choice = train_view.loss_choices(cfg, TrainSnapshot())
    assert choice.names[0] == "total" and ("kl" in choice.names) == ("kl" in choice.labels)
    assert "kl" not in choice.default or cfg.kl_weight > 0
    assert choice.alpha_marks == list(cfg.alpha_schedule[1:])
    unknown = train_view.loss_choices(None, TrainSnapshot(alpha_changes=[(5, 0.2)]))
    assert unknown.labels is None and unknown.alpha_marks == [(5, 0.2)] and "kl" not in unknown.default


def test_preview_pngs_add_the_latent_strip_only_with_z():
    prev = {k: np.zeros((3, 28, 28), np.float32) for k in ("lr", "sr", "hr")}
    prev["lr"] = np.zeros((3, 14, 14), np.float32)
    strip, latent = train_view.preview_pngs(prev)
    assert strip.startswith(b"\x89PNG") and latent is None
    _, latent = train_view.preview_pngs({**prev, "z": np.zeros((3, 14, 14), np.float32)})
    assert latent.startswith(b"\x89PNG")


@pytest.mark.parametrize("seconds,text", [(None, "–"), (float("inf"), "–"), (42.4, "42 s"), (185, "3 min 05 s"),
                                          (3720, "1 h 02 min")])
def test_fmt_duration(seconds, text):
    from ui.labels import fmt_duration

    assert fmt_duration(seconds) == text


def test_every_train_config_field_is_on_the_form_or_said_where_it_is_set():
    """The form is derived from TrainConfig: a new field must get a widget or a NOT_ON_FORM reason."""
    import dataclasses

    from sr_core.config import TrainConfig

    page_src = (Path(__file__).resolve().parents[2] / "pages" / "train.py").read_text()
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    assert set(train_view.FIELDS) | set(train_view.NOT_ON_FORM) == fields
    assert not set(train_view.FIELDS) & set(train_view.NOT_ON_FORM)
    missing = [f for f in train_view.FIELDS if f'key="train_{f}"' not in page_src]
    assert not missing, f"TrainConfig fields without a widget on pages/train.py: {missing}"


@pytest.mark.parametrize("choice,folder,dataset", [("photos", "", "photos"), ("mnist", "/ignored", "mnist")])
def test_dataset_choice_reaches_the_config(choice, folder, dataset):
    cfg = train_view.config_from_form(form("tiny", model="resnet-sr", dataset=choice, folder=folder), "tiny")
    assert cfg.dataset == dataset


def test_an_image_folder_becomes_folder_path_and_round_trips(tmp_path):
    cfg = train_view.config_from_form(form("tiny", model="resnet-sr", dataset="folder", folder=f" {tmp_path} "),
                                      "tiny")
    assert cfg.dataset == f"folder:{tmp_path.resolve()}"
    with pytest.raises(UserError, match="no folder at"):
        train_view.config_from_form(form("tiny", dataset="folder", folder=str(tmp_path / "nope")), "tiny")


@pytest.mark.parametrize("side,zoom", [(28, 2), (48, 1)])
def test_preview_strip_tiles_at_the_runs_own_size(side, zoom):
    from PIL import Image
    import io

    prev = {"step": 4, "indices": list(range(8)), "hr": np.zeros((8, side, side), np.float32),
            "sr": np.zeros((8, side, side), np.float32), "lr": np.zeros((8, side // 2, side // 2), np.float32),
            "source": f"{side}×{side} crops of held-out photos: chelsea ×8"}
    strip, _ = train_view.preview_pngs(prev)
    w, h = Image.open(io.BytesIO(strip)).size
    assert (w, h) == ((8 * side + 7 * 2) * zoom, (3 * side + 2 * 2) * zoom)
    cap = train_view.preview_caption(prev)
    assert cap.startswith(f"{side}×{side} crops of held-out photos: chelsea ×8 at step 4")
    assert f"LR {side // 2}×{side // 2}" in cap and f"HR {side}×{side}" in cap
