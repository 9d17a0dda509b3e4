"""Run `compare` with the page's Hunter settings changed: variant.py VARIANT compare-args..."""
import sys
from astronomaly_ahunt.engine import presets, model
from astronomaly_ahunt.engine.augmentation import Augmentation
variant = sys.argv[1]
if variant.startswith("fix"):
    for d in (presets.PAGE_SETTINGS, presets.SURVEY_SETTINGS):
        d["consistency"] = 1.0
    variant = variant[3:] or "base"
aug = {"base": None,
       "gal": Augmentation(45.0, 0.05, 0.05, "reflect", False),
       "galsym-aug": Augmentation(45.0, 0.05, 0.05, "reflect", True),
       "galsym": Augmentation(45.0, 0.05, 0.05, "reflect", True),
       "sym": Augmentation(10.0, 0.04, 0.04, "constant", True),
       "symp": Augmentation(10.0, 0.04, 0.04, "constant", True),
       "galsymp": Augmentation(45.0, 0.05, 0.05, "reflect", True),
       "sym-aug": Augmentation(10.0, 0.04, 0.04, "constant", True)}[variant]
if aug is not None:
    for d in (presets.PAGE_SETTINGS, presets.SURVEY_SETTINGS):
        d["augmentation"] = aug
if variant.endswith("-aug"):
    init = model.AhuntNet.__init__
    def no_tta(self, backbone, head, loss, learning_rate, symmetric=False):
        init(self, backbone, head, loss, learning_rate, False)
    model.AhuntNet.__init__ = no_tta
if variant in ("symp", "galsymp"):
    import tensorflow as tf
    assemble = model.AhuntNet._assemble
    def proba_only(self):
        assemble(self)
        if not self.symmetric:
            return
        @tf.function(input_signature=[self._image_spec])
        def infer(x):
            views = model.symmetries(x)
            z = tf.reshape(self.backbone(tf.concat(views, 0), training=False),
                           (len(views), tf.shape(x)[0], -1))
            return z[0], tf.nn.softmax(self.head(tf.reduce_mean(z, axis=0)))
        self._infer = infer
    model.AhuntNet._assemble = proba_only
from astronomaly_ahunt.cli import main
sys.exit(main(sys.argv[2:]))
