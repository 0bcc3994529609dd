"""Trainer contracts on synthetic data: callbacks, checkpoints, exact resume, stop, NaN guard."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from sr_core.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from sr_core.config import TrainConfig
from sr_core.errors import CheckpointError
from sr_core.models import build_model
from sr_core.trainer import Trainer
from tests._synthetic import synthetic_split


def _cfg(**kw) -> TrainConfig:
    base = dict(model="cnn-vae", steps=12, batch_size=8, lr=1e-3, alpha_schedule=[(0, 0.75), (6, 0.25)],
                eval_every=4, checkpoint_every=5, seed=0, device="cpu")
    base.update(kw)
    return TrainConfig(**base).validate()


def _trainer(cfg: TrainConfig, ckpt: Path | None = None, **kw) -> Trainer:
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model, cfg.model_config)
    return Trainer(model, cfg, synthetic_split(64), synthetic_split(20, seed=1, train=False),
                   checkpoint_path=str(ckpt) if ckpt else None, **kw)


@pytest.mark.parametrize("model", ["cnn-vae", "cnn-vae-paper"])
def test_callbacks_and_snapshot(model: str) -> None:
    counts = {"on_step": 0, "on_eval": 0, "on_end": 0}
    tr = _trainer(_cfg(model=model))
    for ev in counts:
        tr.add_callback(ev, lambda t, info, ev=ev: counts.__setitem__(ev, counts[ev] + 1))
    assert tr.run() == "finished"
    assert counts == {"on_step": 12, "on_eval": 1 + 3, "on_end": 1}  # step 0 + steps 4, 8, 12
    snap = tr.snapshot()
    assert snap.status == "finished" and snap.step == 12
    assert [r["alpha"] for r in snap.train][5:7] == [0.75, 0.25]
    assert snap.preview["sr"].shape[1:] == (28, 28)


def test_checkpoint_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    tr = _trainer(_cfg(), tmp_path / "c.pt")
    tr.run()
    model, ckpt = model_from_checkpoint(tmp_path / "c.pt")
    lr = torch.rand(3, 1, 14, 14)
    tr.model.eval()
    assert torch.equal(model.super_resolve(lr), tr.model.super_resolve(lr))
    assert ckpt["step"] == 12 and ckpt["model_name"] == "cnn-vae"
    # weights_only load works and the file alone rebuilds the model
    raw = torch.load(tmp_path / "c.pt", weights_only=True)
    assert raw["train_config"]["steps"] == 12 and "model_config" in raw


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_resume_continues_exactly(tmp_path: Path, schedule: str) -> None:
    full = _trainer(_cfg(lr_schedule=schedule))
    full.run()
    first = _trainer(_cfg(lr_schedule=schedule), tmp_path / "a.pt")
    first.add_callback("on_step", lambda t, row: t.request_stop() if row["step"] == 7 else None)
    assert first.run() == "stopped"
    ckpt = load_checkpoint(tmp_path / "a.pt")
    assert ckpt["step"] == 7
    model, _ = model_from_checkpoint(ckpt)
    resumed = Trainer(model, _cfg(lr_schedule=schedule), synthetic_split(64),
                      synthetic_split(20, seed=1, train=False),
                      start_step=7, optimizer_state=ckpt["optimizer_state"], best_test_loss=0.0)
    resumed.run()
    assert [r["lr"] for r in full.snapshot().train[7:]] == [r["lr"] for r in resumed.snapshot().train]
    for (k, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), f"{k} differs after resume"
    full_rows = [r["total"] for r in full.snapshot().train[7:]]
    assert full_rows == [r["total"] for r in resumed.snapshot().train]


def test_stop_within_one_batch_keeps_checkpoint(tmp_path: Path) -> None:
    tr = _trainer(_cfg(steps=10_000, eval_every=10_000, checkpoint_every=10_000), tmp_path / "s.pt")
    stop_at = {}

    def on_step(t: Trainer, row: dict) -> None:
        if row["step"] == 3:
            threading.Thread(target=t.request_stop).start()
            threading.Event().wait(0.2)  # the stop request lands while this batch finishes
            stop_at["step"] = t.step

    tr.add_callback("on_step", on_step)
    assert tr.run() == "stopped"
    assert tr.step <= stop_at["step"] + 1
    assert load_checkpoint(tmp_path / "s.pt")["step"] == tr.step


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path: Path) -> None:
    tr = _trainer(_cfg(steps=20, checkpoint_every=5, eval_every=100), tmp_path / "n.pt")

    def poison(t: Trainer, row: dict) -> None:
        if row["step"] == 7:
            with torch.no_grad():
                t.model.dec_fc.weight.fill_(float("nan"))

    tr.add_callback("on_step", poison)
    assert tr.run() == "nan"
    snap = tr.snapshot()
    assert snap.status == "nan" and "lower the learning rate" in snap.message
    ckpt = load_checkpoint(tmp_path / "n.pt")
    assert ckpt["step"] == 5
    assert all(torch.isfinite(v).all() for v in ckpt["model_state"].values())


def test_foreign_and_corrupt_checkpoints_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "foreign.pt")
    for name in ("junk.pt", "foreign.pt", "absent.pt"):
        with pytest.raises(CheckpointError) as err:
            load_checkpoint(tmp_path / name)
        assert "\n" not in str(err.value)


def test_checkpoint_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = build_model("cnn-vae")
    path = tmp_path / "c.pt"
    save_checkpoint(path, model, step=1)
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        save_checkpoint(path, model, step=2)
    assert path.read_bytes() == before  # the saved checkpoint survives a failed write
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cosine_schedule_decays_to_zero_and_constant_stays() -> None:
    from sr_core.config import lr_at

    cos = _cfg(lr_schedule="cosine", steps=100)
    values = [lr_at(s, cos) for s in range(101)]
    assert values[0] == pytest.approx(1e-3) and values[50] == pytest.approx(5e-4) and values[100] == 0.0
    assert all(a > b for a, b in zip(values[:100], values[1:]))  # strictly decreasing
    assert {lr_at(s, _cfg()) for s in range(0, 12)} == {1e-3}
    tr = _trainer(_cfg(lr_schedule="cosine"))
    tr.run()
    lrs = [r["lr"] for r in tr.snapshot().train]  # the rate each batch was trained with
    assert lrs[0] == pytest.approx(1e-3) and lrs == [pytest.approx(lr_at(s, tr.config)) for s in range(12)]


@pytest.mark.parametrize("bad", [dict(lr=-1.0), dict(lr_schedule="step"), dict(batch_size=0), dict(steps=0),
                                 dict(model="nope"), dict(alpha_schedule=[(5, 0.5)]), dict(alpha_schedule=[(0, 1.5)]),
                                 dict(device="tpu"), dict(kl_weight=-1.0)])
def test_invalid_config_is_refused(bad: dict) -> None:
    from sr_core.errors import UserError

    with pytest.raises(UserError):
        TrainConfig(**bad).validate()
