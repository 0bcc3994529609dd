"""Model registry. Importing this package registers every model; build one with ``build_model(name)``."""
from sr_core.models.base import (Posterior, SROutput, SRModel, build_model, config_from_dict, describe_models, model_class,
                   model_names, register, registered_loss_names)
from sr_core.models import cnn_vae  # noqa: F401  (registers cnn-vae-paper and cnn-vae)
from sr_core.models import resnet_sr  # noqa: F401  (registers resnet-sr)
from sr_core.models import cvae_sr  # noqa: F401  (registers cvae-sr)
from sr_core.models import cnn_vae_class  # noqa: F401  (registers cnn-vae-class)
from sr_core.models import cnn_vae_deep  # noqa: F401  (registers cnn-vae-deep)

__all__ = ["Posterior", "SROutput", "SRModel", "build_model", "config_from_dict", "describe_models", "model_class",
           "model_names", "register", "registered_loss_names"]
