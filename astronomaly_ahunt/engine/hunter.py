"""The AHUNT round loop behind an ask / tell interface.

``fit_initial`` trains the CNN on the labelled normal classes (round 0).
Each round the caller asks for questions, tells the oracle's answers and
retrains; the loop belongs to the caller, so the simulator, the Astronomaly
stage and a notebook drive the same engine the same way::

    hunter = Hunter(random_state=0).fit_initial(x0, y0)
    for x_round, ids in rounds:
        asked = hunter.ask(x_round, n_q=5, ids=ids)
        hunter.tell(asked, oracle(asked))
        hunter.retrain()
    ranking = np.argsort(-hunter.score(x_all))
"""

import inspect
import numpy as np

from .augmentation import PRESETS, balance
from .losses import LOSSES
from .model import PRETRAINING, AhuntNet
from .persistence import load_hunter, save_hunter
from .questions import (RESERVE_STRATEGIES, STRATEGIES, ReservePool, choose_questions,
                        pixel_features, split_questions, unknownness)
from .taxonomy import ANOMALY, NORMAL, RESERVE, Taxonomy
from .validation import check_ids, check_images


class Hunter:
    """AHUNT: a CNN retrained every round on the oracle's labels.

    Parameters
    ----------
    strategy : {'uncertainty', 'anomalous', 'random'} or callable
        How each class's share of questions is ranked (see :mod:`.questions`).
    reserve_strategy : {None, 'unknownness', 'latent-forest', 'explore'}
        How the reserve class's share is ranked. None (the paper) ranks it
        like every class, by ``strategy``; 'unknownness' by 1 - the largest
        probability of a class with examples; 'latent-forest' by an
        isolation forest fitted on the pool's latent features, so the
        reserve's questions go to objects isolated in AHUNT's own feature
        space (the benchmark's ``ahunt-tuned``); 'explore' in turn by
        forests on the latent space and on the pixels that learn from every
        answer and by latent-space clusters nobody was asked about, tightest
        first (:func:`.questions.explore`, :data:`.presets.PAGE_SETTINGS`);
        under 'explore' each anomaly class's share goes to what ranks high
        at once among its most probable members, in the learnt pixel forest
        and by nearness in the pixels to the interesting objects found
        (:func:`.questions.explore_rule`).
    loss : {'softmax', 'focal', 'isomax'}
    learning_rate : float
        Adam's learning rate. 1e-3 by default; the paper prints 1e-5
        (:data:`.presets.PAPER_SETTINGS`), which barely trains in 3 epochs a round.
    epochs : int
        Epochs of each retrain.
    initial_epochs : int
        Epochs of the round-0 fit on the normal classes.
    pretrain_epochs : int
        Epochs of pretraining of the backbone on the unlabelled images given
        to ``fit_initial`` (none by default, as in the paper): a latent space
        that describes the pool before any label.
    batch_size : int
    latent_dim : int
        Size of the latent (feature) space.
    n_conv : int or None
        Conv layers; by default 4 below 64 px, 6 from 64 px (the paper's choice).
    downsample : {'pool', 'stride', 'auto'}
        Max pooling after each convolution (the paper) or strided
        convolutions, about a third of the training time on a CPU
        (benchmarks/results/training-speed.md) but worse on small images;
        'auto' chooses from the size of the images ``fit_initial`` gets:
        pooling below 28 px, strides from 28 px (:func:`.model.resolve_downsample`).
    augmentation : Augmentation or {'mnist', 'galaxy', 'none'}
        Limits of the class-balancing augmentation.
    max_per_class : int or None
        Size every class is balanced to before a retrain. None (the paper)
        uses the largest class; a cap draws a fresh random subset of the
        larger classes each round, which the warm-started network has
        mostly seen before, and makes a retrain proportionally cheaper.
    interest : policy or None
        Interest policy of the taxonomy (:class:`.taxonomy.NewestAnomaly` if None).
    reserve : str
        Name of the reserve class.
    random_state : int, Generator or None
        Seeds weights, augmentation, shuffling and random questions.
    pretrain : {'reconstruction', 'contrastive'}
        The objective of the ``pretrain_epochs``: reconstructing the images
        (an autoencoder) or telling each image's strong copies from the
        others' (SimCLR).
    consistency : float
        Weight (>= 0) of a FixMatch-style term on unlabelled images in every
        training (0, the paper, leaves it out): where the CNN is sure of an
        unlabelled image's class, a strongly changed copy of it must get that
        class too (:meth:`.model.AhuntNet.train`), so the pool, not only the
        labels, shapes the latent space.

    Attributes
    ----------
    taxonomy_ : Taxonomy
    net_ : AhuntNet
    round_ : int
        Retrains done since ``fit_initial`` (0 after it).
    labels_ : dict
        Object id -> class name for every oracle answer.
    initial_ids_ : list or None
        Ids of the round-0 objects, when ``fit_initial`` was given them.
    asked_ : list
        Every id asked, in order.
    question_classes_ : list of str
        For the last ``ask``: the class whose share each question filled.
    """

    def __init__(self, strategy="uncertainty", loss="softmax", learning_rate=1e-3, epochs=3,
                 initial_epochs=5, pretrain_epochs=0, batch_size=32, latent_dim=64, n_conv=None,
                 downsample="pool", augmentation="mnist", max_per_class=None, interest=None,
                 reserve="reserve", reserve_strategy=None, random_state=None,
                 pretrain="reconstruction", consistency=0.0):
        self.strategy = strategy
        self.reserve_strategy = reserve_strategy
        self.loss = loss
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.initial_epochs = initial_epochs
        self.pretrain_epochs = pretrain_epochs
        self.pretrain = pretrain
        self.consistency = consistency
        self.batch_size = batch_size
        self.latent_dim = latent_dim
        self.n_conv = n_conv
        self.downsample = downsample
        self.augmentation = augmentation
        self.max_per_class = max_per_class
        self.interest = interest
        self.reserve = reserve
        self.random_state = random_state

    def get_params(self):
        """The constructor's parameters as set, as scikit-learn's estimators
        give them."""
        names = inspect.signature(type(self).__init__).parameters
        return {name: getattr(self, name) for name in names if name != "self"}

    # -- round 0 -----------------------------------------------------------
    def fit_initial(self, x, y, ids=None, unlabelled=None):
        """Train on the labelled normal classes: images ``x``, class names ``y``.

        ``ids`` name the round-0 objects when they can come back in a pool
        (one survey, ids as in ``ask``): an object the oracle labels later
        then trains under its new label only, not also as a round-0 normal.
        ``unlabelled`` images, with ``pretrain_epochs`` > 0, first pretrain
        the backbone (by the ``pretrain`` objective); with ``consistency`` > 0
        they also train beside the labels.
        """
        self._check_params()
        x = check_images(x)
        y = np.asarray(y).astype(str)
        if y.shape != (len(x),):
            raise ValueError(f"y must hold one label per image: {len(x)} images, y of shape {y.shape}")
        self.rng_ = np.random.default_rng(self.random_state)
        self.input_shape_ = x.shape[1:]
        self.taxonomy_ = Taxonomy(list(dict.fromkeys(y)), reserve=self.reserve,
                                  interest=self.interest)
        self.net_ = AhuntNet.create(self.input_shape_, len(self.taxonomy_), self.loss,
                                    self.learning_rate, self.latent_dim, self.n_conv,
                                    seed=self._seed(), downsample=self.downsample,
                                    symmetric=self.augmentation_.symmetric)
        if unlabelled is not None and (self.pretrain_epochs or self.consistency):
            unlabelled = check_images(unlabelled, self.input_shape_, name="unlabelled")
        else:
            unlabelled = None
        if self.pretrain_epochs and unlabelled is not None:
            self.net_.pretrain(unlabelled, self.pretrain_epochs, self.batch_size, self.rng_,
                               seed=self._seed(), objective=self.pretrain)
        self.set_initial(x, y, ids)
        self.labels_, self._images, self.asked_ = {}, {}, []
        self.question_classes_ = []
        self._pool = self._pixels = None
        self.round_ = 0
        self._train(self.initial_epochs, unlabelled)
        return self

    def _check_params(self):
        if not (np.isfinite(self.consistency) and self.consistency >= 0):
            raise ValueError(f"consistency must be a finite weight >= 0; got {self.consistency}")
        if self.pretrain not in PRETRAINING:
            raise ValueError(f"unknown pretrain {self.pretrain!r}; choose one of {PRETRAINING}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {LOSSES}")
        if isinstance(self.strategy, str) and self.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}; choose one of {sorted(STRATEGIES)}")
        if self.reserve_strategy is not None and self.reserve_strategy not in RESERVE_STRATEGIES:
            raise ValueError(f"unknown reserve_strategy {self.reserve_strategy!r}; choose None "
                             f"or one of {tuple(RESERVE_STRATEGIES)}")
        if isinstance(self.augmentation, str) and self.augmentation not in PRESETS:
            raise ValueError(f"unknown augmentation {self.augmentation!r}; "
                             f"give an Augmentation or one of {sorted(PRESETS)}")

    def _seed(self):
        return int(self.rng_.integers(2**31 - 1000))

    @property
    def augmentation_(self):
        aug = self.augmentation
        return PRESETS[aug] if isinstance(aug, str) else aug

    # -- the round loop ----------------------------------------------------
    def ask(self, x, n_q, ids=None):
        """Ids of ``n_q`` objects of the pool ``x`` for the oracle to label.

        ``ids`` name the pool's objects (positions by default); pass stable
        ids when the pool changes between rounds, since no id is asked twice
        and no labelled id is asked at all.
        """
        self._check_fitted()
        x = check_images(x, self.input_shape_)
        ids = check_ids(ids, len(x))
        if int(n_q) != n_q or n_q < 0:
            raise ValueError(f"n_q must be a non-negative integer; got {n_q}")
        done = set(self.asked_) | set(self.labels_)
        exclude = [i for i, obj in enumerate(ids.tolist()) if obj in done]
        if n_q > len(x) - len(exclude):
            raise ValueError(f"n_q={n_q} questions asked of a pool of {len(x)} objects of which "
                             f"only {len(x) - len(exclude)} have not been asked or labelled")
        latent, proba = self.latent_and_proba(x)
        where = {obj: i for i, obj in enumerate(ids.tolist())}
        labelled = {where[obj]: name for obj, name in self.labels_.items() if obj in where}
        positions, target = self.choose(latent, proba, int(n_q), exclude,
                                        pixels=lambda: self._pool_pixels(x, ids),
                                        labelled=labelled, images=x)
        asked = ids[positions]
        self.asked_.extend(asked.tolist())
        self.question_classes_ = [self.taxonomy_.classes[c] for c in target]
        self._pool = (x, {obj: i for i, obj in enumerate(ids.tolist())})
        return asked

    def _pool_pixels(self, x, ids):
        """:func:`.questions.pixel_features` of the pool ``x`` named ``ids``,
        seeded by ``random_state`` as the page's are, and kept while the
        pool's ids stay the same (they name the same objects)."""
        cached = self._pixels
        if cached is None or not np.array_equal(cached[0], ids):
            self._pixels = (ids.copy(), pixel_features(x, self.random_state))
        return self._pixels[1]

    def choose(self, latent, proba, n_q, exclude=(), rng=None, pixels=None, labelled=None,
               images=None):
        """(positions, class columns) of ``n_q`` questions among objects with
        these latent features and probabilities, never one in ``exclude``:
        the rule of :meth:`ask`, for callers that hold the model's outputs
        already (the Astronomaly stage ranks its whole pool this way).
        ``pixels`` returns the objects' :func:`.questions.pixel_features`
        (called only by a reserve rule that needs them) and ``labelled`` maps
        the positions of labelled objects to their class names, which the
        'explore' reserve rule learns from when given; ``images`` are the
        objects' images, which the 'novelty' rule compares with the labelled
        examples of the normal classes."""
        rng = self.rng_ if rng is None else rng
        weights = self.taxonomy_.interest_weights()
        column_scores = {}
        if self.reserve_strategy is not None:
            reserve = self.taxonomy_.index(self.taxonomy_.reserve)
            anomalies = self.anomaly_columns()
            interesting = {c for c, anomaly in zip(self.taxonomy_.classes, anomalies) if anomaly}
            labelled = labelled or {}
            pool = ReservePool(
                latent, proba, exclude, split_questions(weights, n_q)[reserve],
                self.known_columns(), reserve, anomalies,
                normal=[p for p, name in labelled.items() if name not in interesting],
                found=[p for p, name in labelled.items() if name in interesting], pixels=pixels,
                images=images, reference=self.normal_examples)
            seed = int(rng.integers(2**31 - 1000))
            column_scores = RESERVE_STRATEGIES[self.reserve_strategy](pool, seed)
        return choose_questions(proba, weights, n_q, self.strategy, known=self.known_columns(),
                                exclude=exclude, rng=rng, column_scores=column_scores)

    def tell(self, ids, labels, x=None, kinds=None):
        """The oracle's class name for each id.

        Images come from ``x`` (aligned with ``ids``) or, by default, from the
        pool of the last ``ask``. A name the taxonomy has not seen creates a
        new class, of the kind ``kinds`` gives it (``{name: 'normal' or
        'anomaly'}``; 'anomaly' by default): an uninteresting class the
        oracle names (artefacts, say) is 'normal' and never draws questions.
        Labelling an id again replaces its label.
        """
        self._check_fitted()
        ids = list(np.asarray(ids).tolist())
        labels = [str(label) for label in np.asarray(labels).tolist()]
        if len(ids) != len(labels):
            raise ValueError(f"{len(ids)} ids but {len(labels)} labels")
        if x is not None:
            images = check_images(x, self.input_shape_)
            if len(images) != len(ids):
                raise ValueError(f"{len(ids)} ids but {len(images)} images")
        else:
            pool_x, where = self._pool if self._pool is not None else (None, {})
            unknown = [i for i in ids if i not in where]
            if unknown:
                raise ValueError(f"ids not in the pool of the last ask: {unknown[:5]}; "
                                 f"pass their images as x")
            images = pool_x[[where[i] for i in ids]]
        for label in labels:
            if label == self.taxonomy_.reserve:
                raise ValueError(f"{label!r} is the reserve class, which stands for anomalies "
                                 f"not yet named; label the object with a class name")
        kinds = kinds or {}
        for obj, label, image in zip(ids, labels, images):
            if label not in self.taxonomy_:
                self.taxonomy_.add_class(label, kinds.get(label, ANOMALY))
                self.net_.add_class(seed=self._seed())
            self.labels_[obj] = label
            self._images[obj] = image
        return self

    def forget(self, ids):
        """Drop the oracle's labels of ``ids`` (a label taken back); their
        classes stay, as output units are never removed."""
        self._check_fitted()
        for obj in np.asarray(ids).tolist():
            self.labels_.pop(obj, None)
            self._images.pop(obj, None)
        return self

    def set_initial(self, x, y, ids=None):
        """Replace the round-0 examples (images ``x``, names of existing
        classes ``y``) that train beside the oracle's labels: how examples
        drawn afresh each round, such as pseudo-normals, come in."""
        self._check_fitted()
        x = check_images(x, self.input_shape_)
        y = np.asarray(y).astype(str)
        if y.shape != (len(x),):
            raise ValueError(f"y must hold one label per image: {len(x)} images, y of shape {y.shape}")
        self.x0_, self.y0_ = x, np.array([self.taxonomy_.index(c) for c in y], dtype=int)
        self.initial_ids_ = None if ids is None else check_ids(ids, len(x)).tolist()
        return self

    def retrain(self, unlabelled=None):
        """Balance the classes by augmentation and train ``epochs`` more epochs;
        with ``consistency`` > 0, also on ``unlabelled`` images (by default
        the pool of the last ``ask``)."""
        self._check_fitted()
        if not self.consistency:
            unlabelled = None
        elif unlabelled is None and self._pool is not None:
            unlabelled = self._pool[0]
        elif unlabelled is not None:
            unlabelled = check_images(unlabelled, self.input_shape_, name="unlabelled")
        self._train(self.epochs, unlabelled)
        self.round_ += 1
        return self

    def _train(self, epochs, unlabelled=None):
        x, y = self.training_data()
        x, y = balance(x, y, self.augmentation_, self.rng_, size=self.max_per_class)
        self.net_.train(x, y, epochs, self.batch_size, self.rng_, unlabelled=unlabelled,
                        consistency=self.consistency)

    def training_data(self):
        """Round-0 examples followed by the oracle's, labels as class indices;
        a round-0 object the oracle has labelled appears once, as the oracle's."""
        if not self.labels_:
            return self.x0_, self.y0_
        x0, y0 = self.x0_, self.y0_
        if self.initial_ids_ is not None:
            keep = np.array([i not in self.labels_ for i in self.initial_ids_], dtype=bool)
            x0, y0 = x0[keep], y0[keep]
        ids = list(self.labels_)
        x = np.stack([self._images[i] for i in ids])
        y = np.array([self.taxonomy_.index(self.labels_[i]) for i in ids])
        return np.concatenate([x0, x]), np.concatenate([y0, y])

    def normal_examples(self):
        """The training images of the normal classes (round 0's and the
        oracle's)."""
        x, y = self.training_data()
        normal = np.flatnonzero([k == NORMAL for k in self.taxonomy_.kinds])
        return x[np.isin(y, normal)]

    # -- what the model says -----------------------------------------------
    def latent_and_proba(self, x):
        """Latent features (n, latent_dim) and class probabilities (n, n_classes)."""
        self._check_fitted()
        return self.net_.predict(check_images(x, self.input_shape_, keep_half=True))

    def predict_proba(self, x):
        """Probabilities over ``taxonomy_.classes``."""
        return self.latent_and_proba(x)[1]

    def latent(self, x):
        """The 64-d latent features: the feature space AHUNT evolves."""
        return self.latent_and_proba(x)[0]

    def predict(self, x):
        """The most probable class name of each image."""
        return np.array(self.taxonomy_.classes)[self.predict_proba(x).argmax(axis=1)]

    def score(self, x):
        """Interest-weighted anomaly score in [0, 1]: the ranking a user looks at."""
        return self.score_from_proba(self.predict_proba(x))

    def score_from_proba(self, proba):
        """:meth:`score` from probabilities already computed.

        The reserve class never has examples, so its own output stays near
        zero; its term is the object's unknown-ness, 1 - the largest
        probability of any class that has examples.
        """
        weights = np.array(self.taxonomy_.interest_weights())
        evidence = np.array(proba, dtype=float, copy=True)
        evidence[:, self.taxonomy_.index(self.taxonomy_.reserve)] = \
            unknownness(proba, self.known_columns())
        return evidence @ weights

    def anomaly_columns(self):
        return np.array([k == ANOMALY for k in self.taxonomy_.kinds])

    def known_columns(self):
        """Output columns of the classes that have examples (all but the reserve)."""
        return np.flatnonzero([k != RESERVE for k in self.taxonomy_.kinds])

    def _check_fitted(self):
        if not hasattr(self, "net_"):
            raise RuntimeError("this Hunter is not fitted yet: call fit_initial(x, y) first")

    # -- persistence (see :mod:`.persistence`) ----------------------------
    def save(self, directory):
        """Write the session to ``directory`` so that :meth:`load` resumes it
        (atomically: a crash at any moment leaves the previous round whole)."""
        self._check_fitted()
        save_hunter(self, directory)
        return self

    @classmethod
    def load(cls, directory):
        """Resume a session written by :meth:`save`."""
        return load_hunter(directory, cls)
