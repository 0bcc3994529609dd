"""Model registry. Importing this package registers every model; build one with ``build_model(name)``."""
from .base import (Posterior, SROutput, SRModel, build_model, config_from_dict, describe_models, model_class,
                   model_names, register, registered_loss_names)
from . import cnn_vae  # noqa: F401  (registers cnn-vae-paper and cnn-vae)
from . import resnet_sr  # noqa: F401  (registers resnet-sr)
from . import cvae_sr  # noqa: F401  (registers cvae-sr)
from . import cnn_vae_class  # noqa: F401  (registers cnn-vae-class)
from . import cnn_vae_deep  # noqa: F401  (registers cnn-vae-deep)

__all__ = ["Posterior", "SROutput", "SRModel", "build_model", "config_from_dict", "describe_models", "model_class",
           "model_names", "register", "registered_loss_names"]
