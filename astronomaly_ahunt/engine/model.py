"""The CNN: convolutional backbone -> 64-d latent space -> a head over the
current classes, with a head that can grow by one class at a time.

The paper's network: kernel-3 convolutions each followed by pooling, four
of them for small images and six for large ones, a 64-d latent layer, and
a softmax over the classes. The head can also be IsoMax (logits are minus
the scaled distance to a learned prototype per class).
"""

import numpy as np

from .augmentation import strong_copies, symmetric_copies
from .losses import LOSSES, keras_loss
from .quiet_tensorflow import keras, tf

# Few filters in the first layers, where the maps are large: on a CPU the
# first two convolutions cost most of a retrain.
FILTERS = (8, 16, 32, 64, 64, 128)


def n_conv_layers(image_size):
    """The paper uses 4 conv layers for 28-32 px images, 6 for 128 px."""
    return 4 if image_size < 64 else 6


# FixMatch's confidence threshold: below it an unlabelled image sets no target
CONFIDENT = 0.95

# how the backbone can learn from unlabelled images before the first label
PRETRAINING = ("reconstruction", "contrastive")
# SimCLR's batch and temperature: each image's copy is told apart from the
# other 2 x 127 copies; 0.5 is SimCLR's choice for small batches
CONTRASTIVE_BATCH = 128
CONTRASTIVE_TEMPERATURE = 0.5

DOWNSAMPLING = ("pool", "stride", "auto")
# 'auto' pools below this many pixels: a stride-2 first convolution never
# looks at three positions in four, which a 28 px garment can spare and an
# 8 px digit cannot (see benchmarks/README.md, "Which backbone for which size").
STRIDE_FROM_PX = 28


def resolve_downsample(downsample, image_size):
    """'pool' or 'stride' for ``downsample`` on images of ``image_size`` px."""
    if downsample not in DOWNSAMPLING:
        raise ValueError(f"unknown downsample {downsample!r}; choose one of {DOWNSAMPLING}")
    if downsample == "auto":
        return "pool" if image_size < STRIDE_FROM_PX else "stride"
    return downsample


def build_backbone(input_shape, latent_dim=64, n_conv=None, seed=0, downsample="pool"):
    """Images -> latent features; the layer named ``latent`` is the feature space.

    ``downsample='pool'`` follows each convolution with 2x2 max pooling (the
    paper); 'stride' lets each convolution take strides of 2 instead (an
    all-convolutional net), about a third of the time of a retrain on a
    CPU, where the full-resolution first convolution and its pooling cost most;
    'auto' chooses by the image size (:func:`resolve_downsample`).
    """
    downsample = resolve_downsample(downsample, min(input_shape[:2]))
    if n_conv is None:
        n_conv = n_conv_layers(min(input_shape[:2]))
    stride = 2 if downsample == "stride" else 1
    inputs = keras.Input(shape=input_shape, name="image")
    h = inputs
    for i in range(n_conv):
        h = keras.layers.Conv2D(FILTERS[min(i, len(FILTERS) - 1)], 3, strides=stride,
                                padding="same", activation="relu", name=f"conv{i + 1}",
                                kernel_initializer=keras.initializers.HeUniform(seed + i))(h)
        if downsample == "pool":
            # 'same' pooling keeps a 1x1 map at 1x1, so 8x8 inputs survive 4 layers
            h = keras.layers.MaxPooling2D(2, padding="same", name=f"pool{i + 1}")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    latent = keras.layers.Dense(latent_dim, activation="relu", name="latent",
                                kernel_initializer=keras.initializers.HeUniform(seed + 100))(h)
    return keras.Model(inputs, latent, name="backbone")


@keras.saving.register_keras_serializable(package="astronomaly_ahunt")
class IsoMaxHead(keras.layers.Layer):
    """IsoMax logits (Macedo et al. 2019): ``-entropic_scale * ||z - prototype_c||``.

    Prototypes start at zero as in the original. The same scaled logits are
    used for training and for probabilities, so that ``p_c > 0.5`` keeps
    its meaning for the uncertainty strategy.
    """

    def __init__(self, units, entropic_scale=10.0, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.entropic_scale = float(entropic_scale)

    def build(self, input_shape):
        self.prototypes = self.add_weight(shape=(self.units, input_shape[-1]),
                                          initializer="zeros", name="prototypes")

    def call(self, z):
        return isomax_logits(z, self.prototypes, self.entropic_scale)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "entropic_scale": self.entropic_scale}


def isomax_logits(z, prototypes, entropic_scale):
    diff = keras.ops.expand_dims(z, 1) - keras.ops.expand_dims(prototypes, 0)
    # the epsilon keeps the gradient of sqrt finite at a prototype
    dist = keras.ops.sqrt(keras.ops.sum(diff * diff, axis=-1) + 1e-12)
    return -entropic_scale * dist


def head_logits(z, weights, entropic_scale=None):
    """A head's logits of the latent features ``z`` from its weights given
    as tensors (in the order of its ``weights``), by the same ops as its own
    call: an IsoMax head's with ``entropic_scale``, else a dense layer's.
    The traced training loop takes the head's weights as arguments, so a
    head that grows needs no new trace."""
    if entropic_scale is not None:
        return isomax_logits(z, weights[0], entropic_scale)
    kernel, bias = weights
    return tf.nn.bias_add(tf.matmul(z, kernel), bias)


def build_head(loss, units, seed=0):
    if loss == "isomax":
        return IsoMaxHead(units, name="head")
    if loss in ("softmax", "focal"):
        return keras.layers.Dense(units, name="head",
                                  kernel_initializer=keras.initializers.GlorotUniform(seed))
    raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")


def grown_head(head, loss, latent_dim, seed):
    """A copy of ``head`` with one more output unit and the same weights for
    the old units, so the old classes' logits are unchanged."""
    new = build_head(loss, head.units + 1, seed=seed)
    new.build((None, latent_dim))
    old_weights, fresh = head.get_weights(), new.get_weights()
    if loss == "isomax":
        fresh[0][:head.units] = old_weights[0]
    else:
        fresh[0][:, :head.units] = old_weights[0]
        fresh[1][:head.units] = old_weights[1]
    new.set_weights(fresh)
    return new


def symmetries(x):
    """The images ``x`` (n, h, w, c) under each quarter turn and mirror image
    (8 views; 4 when the images are not square): averaging the backbone's
    features over them gives features, and so decisions, that no turn or
    mirror changes."""
    square = x.shape[1] is not None and x.shape[1] == x.shape[2]
    turned = [tf.image.rot90(x, k) for k in range(4)] if square else \
        [x, tf.image.rot90(x, 2)]
    return turned + [tf.image.flip_left_right(t) for t in turned]


class FusedAdam:
    """Keras's Adam update (its betas and epsilon, the step counted from 1)
    as TensorFlow's fused ``ResourceApplyAdam`` kernel, one op per variable,
    for use inside a traced training loop, where Keras's optimizer is a
    dozen small ops per variable. It keeps only the step count: each
    variable's two moments are :meth:`slots` its owner keeps, so that a
    head that grows brings its own while the traced loop stays as it is."""

    def __init__(self, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.learning_rate, self.beta_1, self.beta_2 = learning_rate, beta_1, beta_2
        self.epsilon = epsilon
        self.iterations = tf.Variable(0.0, trainable=False)

    @staticmethod
    def slots(variables):
        """Zeroed (first moments, second moments) of ``variables``."""
        return tuple([tf.Variable(tf.zeros_like(v), trainable=False) for v in variables]
                     for _ in range(2))

    def restart(self, slots):
        """Zero ``slots`` and the step count, as a fresh Keras optimizer starts."""
        self.iterations.assign(0.0)
        for moment in slots[0] + slots[1]:
            moment.assign(tf.zeros_like(moment))

    def apply(self, variables, firsts, seconds, gradients):
        """One step of each of ``variables`` by its gradient, with its first
        and second moments; all four are lists, the first three of handles
        (a variable's ``.handle``)."""
        self.iterations.assign_add(1.0)
        beta_1_power = tf.pow(self.beta_1, self.iterations)
        beta_2_power = tf.pow(self.beta_2, self.iterations)
        for variable, m, v, gradient in zip(variables, firsts, seconds, gradients):
            tf.raw_ops.ResourceApplyAdam(
                var=variable, m=m, v=v, beta1_power=beta_1_power, beta2_power=beta_2_power,
                lr=self.learning_rate, beta1=self.beta_1, beta2=self.beta_2,
                epsilon=self.epsilon, grad=gradient)


def handles(variables):
    """The resource handles of ``variables`` (a list, or a tuple of lists)."""
    if isinstance(variables, tuple):
        return tuple(handles(group) for group in variables)
    return [v.handle for v in variables]


class AhuntNet:
    """Backbone + head, with a traced training loop and traced inference.

    ``predict`` runs two compiled functions with fixed input signatures (the
    backbone's and the head's) on fixed-size batches: ``model.predict``
    costs ~0.3 s per call, which is most of a round on small pools. Each
    traced function is traced once for the life of the net: those that use
    the head take its weights as arguments, so a head that grows (the
    Retrain that names a new class) traces nothing again.
    """

    def __init__(self, backbone, head, loss, learning_rate, symmetric=False):
        self.backbone, self.head = backbone, head
        self.loss, self.learning_rate = loss, learning_rate
        self.symmetric = bool(symmetric)
        self._image_spec = tf.TensorSpec((None,) + tuple(self.backbone.input.shape[1:]),
                                         tf.float32)
        self._latent = self._latent_function()
        self._loss = keras_loss(self.loss)
        self._optimizer = FusedAdam(self.learning_rate)
        # made here, outside any traced function, which may not create variables
        self._backbone_slots = FusedAdam.slots(self.backbone.trainable_variables)
        self._epochs = {}
        self._assemble()  # builds the head, whose weights' shapes the head's function takes
        self._proba = self._proba_function()

    @classmethod
    def create(cls, input_shape, n_classes, loss="softmax", learning_rate=1e-3,
               latent_dim=64, n_conv=None, seed=0, downsample="pool", symmetric=False):
        backbone = build_backbone(input_shape, latent_dim, n_conv, seed, downsample)
        return cls(backbone, build_head(loss, n_classes, seed + 200), loss, learning_rate,
                   symmetric)

    def _head_shapes(self):
        """Each of the head's weights' shapes, the class axis left open."""
        return [[None if d == self.n_classes else d for d in w.shape] for w in self.head.weights]

    def _latent_function(self):
        """The backbone's features (averaged over turns and mirrors when symmetric)."""
        backbone, symmetric = self.backbone, self.symmetric

        @tf.function(input_signature=[self._image_spec])
        def latent(x):
            if not symmetric:
                return backbone(x, training=False)
            views = symmetries(x)
            return tf.reduce_mean(tf.reshape(backbone(tf.concat(views, 0), training=False),
                                             (len(views), tf.shape(x)[0], -1)), axis=0)

        return latent

    def _head_logits(self, z, weights):
        """:func:`head_logits` for this net's kind of head (the same for a grown one)."""
        return head_logits(z, weights, getattr(self.head, "entropic_scale", None))

    def _proba_function(self):
        """The class probabilities of latent features, given the head's weights."""
        logits_of = self._head_logits

        @tf.function(input_signature=[tf.TensorSpec((None, self.latent_dim), tf.float32),
                                      [tf.TensorSpec(shape, tf.float32)
                                       for shape in self._head_shapes()]])
        def proba(z, weights):
            return tf.nn.softmax(logits_of(z, weights))

        return proba

    def _assemble(self):
        inputs = self.backbone.input
        self.model = keras.Model(inputs, self.head(self.backbone(inputs)), name="ahunt_cnn")
        # a new head: Adam starts afresh, as a new Keras optimizer would
        self._optimizer.restart(self._backbone_slots)
        self._head_slots = FusedAdam.slots(self.head.weights)

    def _epoch_function(self, batch_size, consistency=0.0):
        """One pass over (x, targets) in batches, traced once per batch size
        and consistency weight for the life of the net: the head's weights
        and their Adam moments come in as arguments (variables' handles), so
        the Retrain that names a new class runs the loop as it was traced.

        The whole loop runs in the graph: driving a step at a time from
        Python (as ``fit`` does) costs more than the step itself for a
        network this small on a CPU. With ``consistency`` > 0 each step also
        takes a batch of unlabelled images and their strong views (FixMatch):
        where the CNN gives an image one class with probability at least
        ``CONFIDENT``, that class becomes the target of its strong view,
        with weight ``consistency``.
        """
        key = (batch_size, float(consistency))
        if key not in self._epochs:
            backbone, loss_fn, optimizer = self.backbone, self._loss, self._optimizer
            variables = self.backbone.trainable_variables
            firsts, seconds = handles(self._backbone_slots)
            logits_of = self._head_logits
            weight = float(consistency)
            shapes = self._head_shapes()
            handle = tf.TensorSpec((), tf.resource)

            def logits(x, head_weights, training):
                return logits_of(backbone(x, training=training), head_weights)

            def step_loss(x, targets, unlabelled, strong, head_weights):
                loss = loss_fn(targets, logits(x, head_weights, True))
                if weight:
                    p = tf.stop_gradient(tf.nn.softmax(logits(unlabelled, head_weights, False)))
                    confident = tf.cast(tf.reduce_max(p, axis=-1) >= CONFIDENT, tf.float32)
                    pseudo = tf.one_hot(tf.argmax(p, axis=-1), tf.shape(p)[-1])
                    loss += weight * loss_fn(pseudo, logits(strong, head_weights, True),
                                             sample_weight=confident)
                return loss

            @tf.function(input_signature=[
                self._image_spec, tf.TensorSpec((None, None), tf.float32), self._image_spec,
                self._image_spec] + [[handle] * len(shapes)] * 3)
            def epoch(x, targets, unlabelled, strong, head, head_firsts, head_seconds):
                for start in tf.range(0, tf.shape(x)[0], batch_size):
                    batch = slice(start, start + batch_size)
                    with tf.GradientTape() as tape:
                        head_weights = [tf.ensure_shape(tf.raw_ops.ReadVariableOp(
                            resource=h, dtype=tf.float32), shape) for h, shape in zip(head, shapes)]
                        tape.watch(head_weights)
                        loss = step_loss(x[batch], targets[batch], unlabelled[batch],
                                         strong[batch], head_weights)
                    optimizer.apply(handles(variables) + list(head), firsts + list(head_firsts),
                                    seconds + list(head_seconds),
                                    tape.gradient(loss, [*variables, *head_weights]))

            self._epochs[key] = epoch
        return self._epochs[key]

    @property
    def latent_dim(self):
        return self.backbone.output.shape[-1]

    @property
    def n_classes(self):
        return self.head.units

    def freeze_backbone(self):
        """Stop the backbone from training: later training (and head growth,
        which assembles the net again) only moves the head. Static active learning."""
        self.backbone.trainable = False
        # the traced loops captured the backbone's variables: traced again without
        self._backbone_slots, self._epochs = FusedAdam.slots([]), {}
        self._assemble()

    def add_class(self, seed):
        self.head = grown_head(self.head, self.loss, self.latent_dim, seed)
        self._assemble()

    def logits(self, x):
        return keras.ops.convert_to_numpy(self.model(x, training=False))

    def predict(self, x, batch_size=1024):
        """(latent features, class probabilities) of ``x``, batch by batch;
        float16 ``x`` is cast by TensorFlow, far faster than by NumPy. A
        symmetric net scores 8 views of each image: its batches are an
        eighth as long, so a batch takes the memory it takes otherwise."""
        if self.symmetric:
            batch_size = max(1, batch_size // 8)
        latents, probas = [], []
        head = [tf.convert_to_tensor(w) for w in self.head.weights]
        for start in range(0, len(x), batch_size):
            z = self._latent(tf.cast(tf.convert_to_tensor(x[start:start + batch_size]),
                                     tf.float32))
            p = self._proba(z, head)
            latents.append(z.numpy())
            probas.append(p.numpy())
        if not latents:
            return (np.zeros((0, self.latent_dim), np.float32),
                    np.zeros((0, self.n_classes), np.float32))
        return np.concatenate(latents), np.concatenate(probas)

    def pretrain(self, x, epochs, batch_size, rng, seed=0, objective="reconstruction"):
        """Train the backbone on unlabelled ``x`` so the latent space describes
        the pool before anyone has labelled it: by ``objective``,
        'reconstruction' (an autoencoder whose dense decoder is thrown away
        afterwards) or 'contrastive' (SimCLR, :meth:`_pretrain_contrastive`)."""
        if objective not in PRETRAINING:
            raise ValueError(f"unknown pretraining objective {objective!r}; "
                             f"choose one of {PRETRAINING}")
        x = np.asarray(x, dtype=np.float32)
        if objective == "contrastive":
            return self._pretrain_contrastive(x, epochs, rng, seed)
        shape = tuple(self.backbone.input.shape[1:])
        inputs = keras.Input(shape=shape)
        h = keras.layers.Dense(256, activation="relu",
                               kernel_initializer=keras.initializers.HeUniform(seed))(
            self.backbone(inputs))
        h = keras.layers.Dense(int(np.prod(shape)), activation="sigmoid",
                               kernel_initializer=keras.initializers.GlorotUniform(seed + 1))(h)
        autoencoder = keras.Model(inputs, keras.layers.Reshape(shape)(h))
        autoencoder.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="mse")
        for _ in range(epochs):
            order = rng.permutation(len(x))
            autoencoder.fit(x[order], x[order], batch_size=batch_size, epochs=1, verbose=0,
                            shuffle=False)

    def _pretrain_contrastive(self, x, epochs, rng, seed):
        """SimCLR (Chen et al. 2020): two strong copies of each image
        (:func:`.augmentation.strong_copies`, turned and mirrored too when the
        net is symmetric) must find each other among a batch of
        ``CONTRASTIVE_BATCH`` images' copies (whatever ``pretrain``'s
        ``batch_size``: the objective needs many copies to tell apart),
        through a small projection head thrown away afterwards (NT-Xent,
        temperature ``CONTRASTIVE_TEMPERATURE``)."""
        latent_dim = self.latent_dim
        projector = keras.Sequential([
            keras.layers.Dense(latent_dim, activation="relu",
                               kernel_initializer=keras.initializers.HeUniform(seed)),
            keras.layers.Dense(latent_dim,
                               kernel_initializer=keras.initializers.GlorotUniform(seed + 1))])
        projector.build((None, latent_dim))
        optimizer = keras.optimizers.Adam(self.learning_rate)
        variables = self.backbone.trainable_variables + projector.trainable_variables
        optimizer.build(variables)
        backbone = self.backbone

        @tf.function(input_signature=[self._image_spec, self._image_spec])
        def step(a, b):
            n = tf.shape(a)[0]
            with tf.GradientTape() as tape:
                z = tf.math.l2_normalize(projector(backbone(tf.concat([a, b], 0),
                                                            training=True)), axis=1)
                similarity = tf.matmul(z, z, transpose_b=True) / CONTRASTIVE_TEMPERATURE
                # an image's copy is its only positive; itself is no candidate
                similarity -= 1e9 * tf.eye(2 * n)
                partner = tf.concat([tf.range(n, 2 * n), tf.range(0, n)], 0)
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                    partner, similarity))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

        for _ in range(epochs):
            order = rng.permutation(len(x))
            for start in range(0, len(x) - 1, CONTRASTIVE_BATCH):
                batch = x[order[start:start + CONTRASTIVE_BATCH]]
                step(strong_copies(batch, rng, self.symmetric),
                     strong_copies(batch, rng, self.symmetric))

    def train(self, x, y, epochs, batch_size, rng, unlabelled=None, consistency=0.0):
        """``epochs`` passes over (x, one-hot y), each in a fresh seeded order;
        a symmetric net sees every image under one of its turns and mirrors,
        drawn afresh each epoch (it scores the average over all of them).
        With ``unlabelled`` images and ``consistency`` > 0, each batch is
        paired with as many unlabelled images, drawn afresh each epoch in a
        random order, and their :func:`.augmentation.strong_copies` (see
        :meth:`_epoch_function`)."""
        if unlabelled is None or len(unlabelled) == 0:
            consistency = 0.0
        epoch = self._epoch_function(int(batch_size), consistency)
        x = np.asarray(x, dtype=np.float32)
        targets = tf.one_hot(np.asarray(y, dtype=np.int32), self.n_classes)
        for _ in range(epochs):
            order = rng.permutation(len(y))
            images = symmetric_copies(x[order], rng) if self.symmetric else x[order]
            if consistency:
                drawn = np.sort(rng.choice(len(unlabelled), len(y)))
                # read in order (a store reads chunk by chunk), then shuffled
                weak = np.asarray(unlabelled[drawn], dtype=np.float32)[rng.permutation(len(y))]
                if self.symmetric:
                    weak = symmetric_copies(weak, rng)
                strong = strong_copies(weak, rng, self.symmetric)
            else:  # unused: the traced step takes no unlabelled batch
                weak = strong = np.zeros((0,) + x.shape[1:], np.float32)
            epoch(tf.convert_to_tensor(images), tf.gather(targets, order), weak, strong,
                  handles(self.head.weights), *handles(self._head_slots))

    def save(self, path):
        self.model.save(path)

    @classmethod
    def load(cls, path, loss, learning_rate, symmetric=False):
        model = keras.models.load_model(path, compile=False)
        return cls(model.get_layer("backbone"), model.get_layer("head"), loss, learning_rate,
                   symmetric)
