"""How the oracle's questions are chosen.

A question strategy is a plain function ``(p_c, rng) -> ranked indices``
over one class's probabilities, so a new one is a few lines and a test.
:func:`choose_questions` splits ``n_q`` over the classes by interest weight
and takes each class's share from the top of its ranking. A reserve rule
(:data:`RESERVE_STRATEGIES`) ranks the reserve class's share, which no
probability can rank, from a :class:`ReservePool`.

scikit-learn and coniferest are imported where they are used, so that the
command line can read the names here at once.
"""

import os
from dataclasses import dataclass, field
from typing import Callable, ClassVar, Optional

import numpy as np

from .morphology import (NO_ORIENTATION_BELOW, SHAPE_DIMS, TURN_SAMPLE, shape_features,
                         turn_ratio)


def uncertainty(p_c, rng=None):
    """Objects with ``p_c > 0.5``, most uncertain first.

    The paper's index rho_c = 1 - 2 (p_c - 0.5) is 0 for a sure member and
    1 at the decision boundary, so ranking by rho_c descending puts the
    candidates the model is least sure of first.
    """
    p_c = np.asarray(p_c, dtype=float)
    candidates = np.flatnonzero(p_c > 0.5)
    rho = 1.0 - 2.0 * (p_c[candidates] - 0.5)
    return candidates[np.argsort(-rho, kind="stable")]


def anomalous(p_c, rng=None):
    """Every object, most probable member of class c first."""
    return np.argsort(-np.asarray(p_c, dtype=float), kind="stable")


def random(p_c, rng):
    """Every object in a uniformly random order (the paper's control)."""
    return rng.permutation(len(p_c))


STRATEGIES = {"uncertainty": uncertainty, "anomalous": anomalous, "random": random}


# each tree sees 256 rows whatever the fit is given: a seeded sample this
# large changes nothing but the cost of fitting on a survey
FOREST_FIT_SAMPLE = 100_000
# at most 3 x 20 k-means centres are fitted: 20,000 rows place them as well
# as a million, at a fiftieth of the cost
KMEANS_FIT_SAMPLE = 20_000
# a forest scores fewer objects than this faster on one thread than on a pool
# of them (100 trees on this 2-core EPYC: 20,000 rows 0.06 s either way,
# 10^6 1.3 s on both cores against 2.3 s on one)
FOREST_THREADS_FROM = 20_000
# novelty is a pool object's mean distance to this many nearest known normals
NOVELTY_NEIGHBOURS = 10
# and is measured against a seeded sample of at most this many of them
NOVELTY_REFERENCE = 5_000
# explore's cluster list asks groups of at least this many alike objects
# first: smaller clusters are outliers that its isolated lists ask anyway
GROUP_MIN = 3
# explore clusters the pool into this many clusters per question of the
# round, so that every question can go to a cluster nobody was asked about
CLUSTERS_PER_QUESTION = 3


def isolation_forest(features, seed):
    """(score, outlier) of scikit-learn's isolation forest fitted on
    ``features`` (n, ...) themselves (on a seeded sample of
    ``FOREST_FIT_SAMPLE`` of them when there are more): higher score = more
    isolated, and the forest's own outlier threshold (``contamination='auto'``)."""
    from sklearn.ensemble import IsolationForest
    flat = np.asarray(features).reshape(len(features), -1)
    rows = np.random.default_rng(seed).choice(len(flat), FOREST_FIT_SAMPLE, replace=False) \
        if len(flat) > FOREST_FIT_SAMPLE else slice(None)
    forest = IsolationForest(random_state=seed).fit(flat[rows])
    # scikit-learn scores in chunks of its working memory; predict would score all again
    score = forest.score_samples(flat)
    return -score, score < forest.offset_


# the largest seeded sample of images the pixel features' projection is
# fitted on (as the forests, a sample places it as well as a survey)
PIXEL_FIT_SAMPLE = 5_000
# pixel features wider than this are projected on their leading principal
# components: per-object columns as small as the latent space's
PIXEL_DIMS = 64
# where the pool has no preferred orientation, a find's look-alikes are sought
# at any orientation: its image turned by every multiple of this many degrees,
# and mirrored (:func:`find_anchors`)
VIEW_STEP_DEGREES = 20
# and so for this many finds at most; the others as they lie: a survey's
# nearness costs its objects times the anchors (36 a turned find)
TURNED_FINDS = 25


def projected(image_shape):
    """Whether the pixel features of images of ``image_shape`` (n, ...) are
    their leading principal components rather than the flattened pixels."""
    return int(np.prod(image_shape[1:])) > PIXEL_DIMS


def _by_chunks(function, n, chunk_size):
    """``function(rows)`` of each slice of ``chunk_size`` rows of ``n``,
    concatenated in order: on every core, since the NumPy, scikit-learn and
    store work done on a chunk lets go of Python's lock."""
    from concurrent.futures import ThreadPoolExecutor
    chunks = [slice(start, min(start + chunk_size, n)) for start in range(0, n, chunk_size)]
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        return np.concatenate(list(pool.map(function, chunks)))


@dataclass(frozen=True)
class PoolPixels:
    """What the explore rule reads of the pool's pixels: ``pixels``, the
    flattened cutouts or their leading principal components, and ``shape``,
    their :func:`.morphology.shape_features`, or None for a pool whose
    objects have a preferred orientation (digits, clothes), where a shape
    that ignores it would mix up what the person tells apart.

    It also keeps each find's turned views (:meth:`turned`) for as long as
    it is the pool's, so a find is turned once, not at every Retrain."""
    pixels: np.ndarray
    shape: Optional[np.ndarray] = None
    components: Optional[np.ndarray] = None
    mean: Optional[np.ndarray] = None
    # pool position -> that object's projected turned views
    views: dict = field(default_factory=dict, repr=False, compare=False)

    ARRAYS: ClassVar[tuple] = ("pixels", "shape", "components", "mean")

    def arrays(self):
        """The arrays it holds, by name (what a cache of it keeps)."""
        return {name: getattr(self, name) for name in self.ARRAYS
                if getattr(self, name) is not None}

    def project(self, images):
        """``images`` (n, ...) as ``pixels`` hold the pool's: flattened, and
        on the principal ``components`` (about ``mean``) where there are some."""
        flat = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
        if self.components is None:
            return flat
        return ((flat - self.mean) @ self.components.T).astype(np.float32)

    def turned(self, images, positions):
        """The :func:`turned_views` of the pool's ``images`` at the sorted
        ``positions``, projected (:meth:`project`), one object's after
        another; each object's are computed once."""
        new = [p for p in positions if p not in self.views]
        if new:
            rows = self.project(turned_views(images[np.asarray(new)]))
            for p, views in zip(new, np.split(rows, len(new))):
                self.views[p] = views
        return np.concatenate([self.views[p] for p in positions])


def pixel_features(images, seed, chunk_size=4096, fit_rows=None):
    """The explore rule's :class:`PoolPixels` of ``images``, in one pass:
    per object, the flattened pixels (the representation Astronomaly's
    static pipeline sees) as they are up to ``PIXEL_DIMS`` values, else
    their leading ``PIXEL_DIMS`` principal components; and, where the pool
    has no preferred orientation (:func:`.morphology.turn_ratio` of its
    first ``TURN_SAMPLE`` sampled cutouts below ``NO_ORIENTATION_BELOW``),
    their shape; and the principal components, if any, so that other images
    can be projected as the pool's were (:meth:`PoolPixels.project`). The
    sample is the sorted positions ``fit_rows`` (default: a seeded sample of
    ``PIXEL_FIT_SAMPLE``; a store, where a row costs its whole chunk, passes
    rows of a few chunks), on which the principal components are fitted too.
    ``images[start:stop]`` is read ``chunk_size`` images at a time, so an
    array on disk (the cutout store) is never loaded whole, on every core
    (:func:`_by_chunks`)."""
    n = len(images)
    sample = np.sort(np.random.default_rng(seed).choice(n, min(n, PIXEL_FIT_SAMPLE),
                                                        replace=False)) \
        if fit_rows is None else np.asarray(fit_rows)
    drawn = np.asarray(images[sample], dtype=np.float32)
    oriented = turn_ratio(drawn[:TURN_SAMPLE]) >= NO_ORIENTATION_BELOW

    def flat(x):
        return x.reshape(len(x), -1)

    project = flat
    if projected(images.shape):
        from sklearn.decomposition import PCA
        pca = PCA(min(PIXEL_DIMS, len(sample)), random_state=seed).fit(flat(drawn))

        def project(x):
            return pca.transform(flat(x)).astype(np.float32)

    def both(rows):
        x = np.asarray(images[rows], dtype=np.float32)
        return project(x) if oriented else np.hstack([project(x), shape_features(x)])

    columns = _by_chunks(both, n, chunk_size)
    basis = {} if project is flat else {"components": pca.components_.astype(np.float32),
                                         "mean": pca.mean_.astype(np.float32)}
    if oriented:
        return PoolPixels(columns, **basis)
    return PoolPixels(columns[:, :-SHAPE_DIMS], columns[:, -SHAPE_DIMS:], **basis)


def turned_views(images, step=VIEW_STEP_DEGREES):
    """Each of ``images`` (n, h, w[, channels]) turned about its centre by
    every multiple of ``step`` degrees, and each turn mirrored:
    (n * 2 * (360 // step), h, w[, channels])."""
    from scipy.ndimage import rotate
    views = []
    for image in np.asarray(images, dtype=np.float32):
        for angle in range(0, 360, step):
            turned = rotate(image, angle, axes=(0, 1), reshape=False, order=1, mode="nearest")
            views += [turned, turned[:, ::-1]]
    return np.stack(views)


def learnt_isolation(features, seed, normal=(), interesting=()):
    """How isolated each object is, as an active-anomaly-discovery forest
    (coniferest's ``AADForest``) sees it after the labels: an isolation
    forest whose leaves are reweighted so that the objects labelled
    ``normal`` (positions) score low and the ``interesting`` ones high.
    Every "not interesting" answer moves the ranking away from objects that
    isolate like the answered one. Without labels it is an isolation forest.
    Higher = more isolated; fitted on a seeded sample of
    ``FOREST_FIT_SAMPLE`` when there are more objects."""
    from coniferest.aadforest import AADForest
    from coniferest.label import Label
    flat = np.ascontiguousarray(np.asarray(features, dtype=np.float64).reshape(len(features), -1))
    rows = np.random.default_rng(seed).choice(len(flat), FOREST_FIT_SAMPLE, replace=False) \
        if len(flat) > FOREST_FIT_SAMPLE else slice(None)
    known = np.concatenate([np.asarray(normal, dtype=int), np.asarray(interesting, dtype=int)])
    labels = np.array([Label.REGULAR] * len(normal) + [Label.ANOMALY] * len(interesting),
                      dtype=int)
    # scoring every object is the cost at survey scale: on every core, with the
    # same scores as on one
    forest = AADForest(n_trees=100, n_subsamples=min(256, len(flat)), random_seed=seed,
                       n_jobs=-1)
    forest.fit_known(flat[rows], flat[known] if len(known) else None,
                     labels if len(known) else None)
    # coniferest scores as scikit-learn does: lower is more anomalous
    return -forest.score_samples(flat)


def novelty(images, reference, seed, k=NOVELTY_NEIGHBOURS, chunk_size=4096):
    """Each of ``images``' mean distance, in the flattened pixels, to its
    ``k`` nearest ``reference`` images (objects known to be normal):
    higher = less like anything known to be normal, the nearest-neighbour
    out-of-distribution score (Sun et al. 2022) on what the person sees.
    Measured against a seeded sample of ``NOVELTY_REFERENCE`` references
    when there are more, ``chunk_size`` images at a time (:func:`_by_chunks`)."""
    from sklearn.neighbors import NearestNeighbors
    reference = np.asarray(reference, dtype=np.float32).reshape(len(reference), -1)
    if len(reference) > NOVELTY_REFERENCE:
        reference = reference[np.random.default_rng(seed).choice(
            len(reference), NOVELTY_REFERENCE, replace=False)]
    neighbours = NearestNeighbors(n_neighbors=min(k, len(reference))).fit(reference)

    def distance(rows):
        x = np.asarray(images[rows], dtype=np.float32).reshape(-1, reference.shape[1])
        return neighbours.kneighbors(x)[0].mean(axis=1)

    return _by_chunks(distance, len(images), chunk_size)


def nearness(features, anchors, chunk_size=4096):
    """Minus each object's distance, in ``features`` (n, ...), to the
    nearest of the rows ``anchors`` (in the same space): higher = nearer.
    ``chunk_size`` objects at a time, so a survey never holds a distance
    matrix larger than that many rows, on every core (:func:`_by_chunks`)."""
    from sklearn.metrics import pairwise_distances
    flat = np.asarray(features).reshape(len(features), -1)
    anchors = np.asarray(anchors, dtype=flat.dtype).reshape(len(anchors), -1)

    def nearest(rows):
        return pairwise_distances(flat[rows], anchors).min(axis=1)

    return -_by_chunks(nearest, len(flat), chunk_size)


def explore(features, exclude, k, seed, isolation=None, normal=(), interesting=()):
    """A ranking of objects for exploring, learnt from the labels so far:
    the most isolated in the latent space alternating with the most typical
    member of each of ``CLUSTERS_PER_QUESTION * k`` k-means clusters, all
    over the objects not in ``exclude``; with ``isolation`` (a score per object, higher = more
    isolated in another representation, such as :func:`learnt_isolation`
    of :func:`pixel_features`) its most isolated make a third list,
    between the two.

    Latent isolation is :func:`learnt_isolation`: the positions labelled
    ``normal`` and ``interesting`` reweight its forest, so each answer
    moves the next questions. The clusters' members come by
    :func:`uncovered_medoids`: a group of alike objects nobody has been
    asked about is what has not been covered.

    The isolated lists find what is unusual; the cluster list finds groups
    of alike objects, so that an interesting class that is not unusual one
    by one (compact radio sources among extended ones, say) still gets a
    question; the pixels find a class that differs in shape before the CNN
    has learned to tell it apart.
    Returns a score per object, higher first (as ``column_scores`` takes
    it): ``k`` from each list interleaved, then the rest by isolation,
    excluded objects last.
    """
    features = np.asarray(features, dtype=np.float32).reshape(len(features), -1)
    kept = np.ones(len(features), dtype=bool)
    kept[np.asarray(list(exclude), dtype=int)] = False
    free = np.flatnonzero(kept)
    scores = np.full(len(features), -np.inf)
    if len(free) == 0:
        return scores
    labelled = np.concatenate([np.asarray(normal, dtype=int),
                               np.asarray(interesting, dtype=int)])
    latent = learnt_isolation(features, seed, normal, interesting)
    lists = [free[np.argsort(-np.asarray(score)[free], kind="stable")]
             for score in (latent, isolation) if score is not None]
    typical = uncovered_medoids(features, free, labelled,
                                int(min(CLUSTERS_PER_QUESTION * k, len(free))), seed)
    return interleaved_scores(len(features), [*lists, typical], lists[0])


def free_clusters(features, free, labelled, k, seed):
    """``k`` k-means clusters of the ``free`` positions: (each free
    position's distance to each cluster's centre, (len(free), k); whether
    each cluster holds a ``labelled`` position). The centres come from a
    seeded sample, as the forest's fit does."""
    from sklearn.cluster import KMeans
    fit = free if len(free) <= KMEANS_FIT_SAMPLE else \
        np.random.default_rng(seed).choice(free, KMEANS_FIT_SAMPLE, replace=False)
    clusters = KMeans(k, n_init=1, random_state=seed).fit(features[fit])
    labelled = np.asarray(labelled, dtype=int)
    covered = np.zeros(k, dtype=bool)
    if len(labelled):
        covered[clusters.predict(features[labelled])] = True
    return clusters.transform(features[free]), covered


def uncovered_medoids(features, free, labelled, k, seed):
    """The most typical member of each of ``k`` k-means clusters of the
    ``free`` positions (:func:`free_clusters`): clusters that hold no
    ``labelled`` position first, tightest first (smallest mean distance of
    its members to its centre; clusters of fewer than ``GROUP_MIN`` members
    last)."""
    if k <= 0:
        return free[:0]
    distances, covered = free_clusters(features, free, labelled, k, seed)
    member = distances.argmin(axis=1)
    sizes = np.bincount(member, minlength=k)
    spread = np.bincount(member, weights=distances.min(axis=1),
                         minlength=k) / np.maximum(sizes, 1)
    spread[sizes < GROUP_MIN] = np.inf
    medoids = distances.argmin(axis=0)[np.lexsort((-sizes, spread, covered))]
    return free[list(dict.fromkeys(medoids.tolist()))]


# reciprocal rank fusion's constant (Cormack, Clarke & Buettcher 2009): a
# ranking's top few count for little more than its next few, so agreement wins
FUSION_K = 60


def fused_ranks(rankings, k=FUSION_K):
    """Reciprocal rank fusion of ``rankings`` (each every object once, best
    first): a score per object, the sum of 1 / (k + its rank) over them."""
    n = len(rankings[0])
    scores = np.zeros(n)
    for ranking in rankings:
        rank = np.empty(n)
        rank[np.asarray(ranking)] = np.arange(n)
        scores += 1.0 / (k + rank)
    return scores


def interleaved_scores(n, lists, rest=()):
    """A score per object (higher first, unlisted ones -inf): the heads of
    ``lists`` taken in turn, each object once, then ``rest`` in order."""
    lists = [np.asarray(group, dtype=np.int64) for group in lists]
    heads = min(map(len, lists), default=0)
    turns = np.stack([group[:heads] for group in lists], axis=1).ravel() if lists else []
    listed = np.concatenate([turns, rest]).astype(np.int64)
    # each object where it is first listed (in NumPy: a survey's objects are too many for Python)
    _, first = np.unique(listed, return_index=True)
    ranked = listed[np.sort(first)]
    scores = np.full(n, -np.inf)
    scores[ranked] = np.arange(len(ranked), 0, -1)
    return scores



@dataclass(frozen=True)
class ReservePool:
    """What a reserve rule may look at when it ranks one round's questions.

    ``share`` is the reserve class's share of the questions; ``known`` the
    columns of classes that have examples, ``reserve`` the reserve class's
    column and ``anomalies`` a flag per column; ``normal`` and ``found`` the
    positions labelled with an uninteresting and an interesting class.
    ``images`` are the pool's images and ``reference`` returns images of
    objects known to be normal (the labelled examples of the normal
    classes), which the novelty rule measures the pool against.
    ``pixels`` returns the objects' :class:`PoolPixels` (:func:`pixel_features`):
    a rule that needs them calls it, and the caller computes or reads them
    only then.
    """
    latent: np.ndarray
    proba: np.ndarray
    exclude: np.ndarray
    share: int
    known: np.ndarray
    reserve: int
    anomalies: np.ndarray
    normal: list = ()
    found: list = ()
    pixels: Optional[Callable[[], PoolPixels]] = None
    images: Optional[np.ndarray] = None
    reference: Optional[Callable[[], np.ndarray]] = None


def unknownness_rule(pool, seed):
    """The reserve class asks the objects least like any known class."""
    return {pool.reserve: unknownness(pool.proba, pool.known)}


def latent_forest_rule(pool, seed):
    """The reserve class asks the most isolated objects of the latent space
    (scikit-learn's isolation forest fitted on the pool)."""
    if len(pool.latent) < 2:
        return unknownness_rule(pool, seed)
    return {pool.reserve: isolation_forest(pool.latent, seed)[0]}


def novelty_rule(pool, seed):
    """The reserve class asks the objects least like any labelled example of
    a normal class (:func:`novelty`); without such examples, the most
    isolated in the latent space (:func:`latent_forest_rule`)."""
    if pool.images is None or pool.reference is None:
        return latent_forest_rule(pool, seed)
    reference = pool.reference()
    if len(reference) == 0:
        return latent_forest_rule(pool, seed)
    return {pool.reserve: novelty(pool.images, reference, seed)}


def shape_forest(shape, normal, found, seed):
    """Each object's probability of being interesting from a random forest
    fitted on the ``shape`` features of the positions labelled ``normal``
    and ``found`` (classes weighted alike, so a first find counts as much
    as the normals)."""
    from sklearn.ensemble import RandomForestClassifier
    rows = np.concatenate([np.asarray(normal, dtype=int), np.asarray(found, dtype=int)])
    interesting = np.r_[np.zeros(len(normal)), np.ones(len(found))]
    forest = RandomForestClassifier(100, class_weight="balanced", random_state=seed,
                                    n_jobs=1).fit(shape[rows], interesting)
    # the same trees and scores whatever the threads; threads only pay on a survey
    forest.set_params(n_jobs=-1 if len(shape) >= FOREST_THREADS_FROM else 1)
    return forest.predict_proba(shape)[:, 1]


def find_anchors(pool_pixels, found, images=None):
    """The rows in the pool's pixel features that :func:`nearness` to the
    finds at positions ``found`` is measured against: the finds' own, or,
    where the pool has no preferred orientation (its ``pool_pixels`` hold
    shapes) and its ``images`` are given, each find's :func:`turned_views`
    (of the ``TURNED_FINDS`` finds at the lowest positions; the others as
    they lie). A source
    turned by a right angle is far from itself in the pixels; turned, a
    find's nearest objects hold more of its kind on every FIRST pool
    measured (benchmarks/results/compare/suite/tried-turned-nearness/)."""
    found = np.sort(np.asarray(found, dtype=int))
    if pool_pixels.shape is None or images is None:
        return pool_pixels.pixels[found]
    turned = pool_pixels.turned(images, found[:TURNED_FINDS].tolist())
    return np.concatenate([turned, pool_pixels.pixels[found[TURNED_FINDS:]]])


def lookalikes(near, shape, found):
    """A score per object (higher first) for how alike it is, at any
    orientation, to the one object at position ``found``: the reciprocal
    rank fusion of ``near`` (its :func:`nearness` to the find's turned
    views) and its nearness to the find in the standardised ``shape``.
    One example teaches a learner, the CNN or a forest, next to nothing."""
    shape = (shape - shape.mean(axis=0)) / (shape.std(axis=0) + 1e-9)
    return fused_ranks([np.argsort(-near, kind="stable"),
                        np.argsort(-nearness(shape, shape[[int(found)]]), kind="stable")])


def explore_rule(pool, seed):
    """The reserve class asks by :func:`explore`, with the pixels'
    :func:`learnt_isolation` as its second representation; once an anomaly
    class has an example, that class's share goes to the objects that rank
    high in four rankings at once (:func:`fused_ranks`): its most probable
    members, the same pixel forest, the pixels' :func:`nearness` to the
    interesting objects found so far and, once something was answered
    uninteresting too, a :func:`shape_forest` that learns both answers from
    the cutouts' rotation-invariant morphology (where the pool has no
    preferred orientation, as the sky has none: :class:`PoolPixels`). A few
    examples the CNN has barely learnt still lead to more, each ranking vets
    the others' guesses, the look-alikes of what the person called
    interesting come forward, as Astronomaly's own neighbour score brings
    them, and so do sources of the same morphology at any orientation
    (:func:`find_anchors`). While there is only one find in a pool with no
    preferred orientation (and the pool's ``images`` are given), the
    anomaly classes ask its :func:`lookalikes` instead."""
    pixels = shape = isolation = None
    if pool.pixels is not None:
        pool_pixels = pool.pixels()
        pixels, shape = pool_pixels.pixels, pool_pixels.shape
        isolation = learnt_isolation(pixels, seed, pool.normal, pool.found)
    scores = {pool.reserve: explore(pool.latent, pool.exclude, pool.share, seed, isolation,
                                    pool.normal, pool.found)}
    if isolation is not None and len(pool.found):
        near = nearness(pixels, find_anchors(pool_pixels, pool.found, pool.images))
        if len(pool.found) == 1 and shape is not None and pool.images is not None:
            alike = lookalikes(near, shape, pool.found[0])
            scores.update({c: alike for c in np.flatnonzero(pool.anomalies)})
            return scores
        rankings = [np.argsort(-isolation, kind="stable"), np.argsort(-near, kind="stable")]
        if shape is not None and len(pool.normal):
            # the forest's probabilities tie in runs; nearness orders each run
            told = shape_forest(shape, pool.normal, pool.found, seed)
            rankings.append(np.lexsort((-near, -told)))
        for c in np.flatnonzero(pool.anomalies):
            scores[c] = fused_ranks([np.argsort(-pool.proba[:, c], kind="stable"), *rankings])
    return scores


# reserve rule name -> ``rule(pool, seed) -> {column: score per object}``:
# the columns whose share goes to the highest scores (``choose_questions``'s
# ``column_scores``)
RESERVE_STRATEGIES = {"unknownness": unknownness_rule, "latent-forest": latent_forest_rule,
                      "explore": explore_rule, "novelty": novelty_rule}

def split_questions(weights, n_q):
    """Split ``n_q`` questions in proportion to ``weights`` by largest
    remainder (Hamilton's method): floors first, then one more to the
    largest fractional parts, ties to the lower index. Sums to ``n_q``."""
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 1 or len(weights) == 0:
        raise ValueError("weights must be a non-empty 1-d sequence")
    if np.any(~np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError(f"weights must be finite, >= 0 and not all zero; got {weights.tolist()}")
    if int(n_q) != n_q or n_q < 0:
        raise ValueError(f"n_q must be a non-negative integer; got {n_q}")
    quota = weights / weights.sum() * n_q
    counts = np.floor(quota).astype(int)
    left = int(n_q) - counts.sum()
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[:left]] += 1
    return counts


def unknownness(proba, known):
    """How little an object looks like any class that has examples:
    1 - the largest probability over the ``known`` columns."""
    return 1.0 - np.asarray(proba)[:, known].max(axis=1)


def choose_questions(proba, weights, n_q, strategy="uncertainty", known=None,
                     exclude=(), rng=None, column_scores=None):
    """Pick ``n_q`` distinct objects to show the oracle.

    Parameters
    ----------
    proba : array (n_objects, n_classes)
        Class probabilities of the pool.
    weights : array (n_classes,)
        Interest weights; the share of class c is ``split_questions(weights)[c]``.
    strategy : str or callable
        One of :data:`STRATEGIES` or a function ``(p_c, rng) -> ranked indices``.
    known : array of int, optional
        Columns of classes that have examples (all columns by default).
    exclude : iterable of int
        Pool positions never to ask (already asked or labelled).
    column_scores : dict, optional
        Column -> score per object: that class's share goes to the highest
        scores instead of the strategy's ranking (how a reserve-class
        strategy such as an isolation forest on the latent space plugs in).

    Returns
    -------
    positions : array of int
        Pool positions, class by class in column order.
    target : array of int
        The class column whose share each question filled.

    Notes
    -----
    When a class has fewer candidates than its share (always so for the
    empty reserve class, whose probability never passes 0.5) the rest of
    its share goes to the objects least like any known class (highest
    :func:`unknownness`): the same objects an oracle hunting for something
    new would want to see.
    """
    proba = np.asarray(proba, dtype=float)
    n_objects, n_classes = proba.shape
    rng = np.random.default_rng(rng)
    rank = STRATEGIES[strategy] if isinstance(strategy, str) else strategy
    known = np.arange(n_classes) if known is None else np.asarray(known, dtype=int)
    taken = np.zeros(n_objects, dtype=bool)
    taken[list(exclude)] = True
    if n_q > n_objects - taken.sum():
        raise ValueError(f"{n_q} questions asked of a pool with only "
                         f"{n_objects - taken.sum()} unasked objects")
    fallback = np.argsort(-unknownness(proba, known), kind="stable")
    column_scores = column_scores or {}
    positions, target = [], []
    for c, share in enumerate(split_questions(weights, n_q)):
        if share == 0:
            continue
        ranked = (np.argsort(-np.asarray(column_scores[c], dtype=float), kind="stable")
                  if c in column_scores else rank(proba[:, c], rng))
        picked = _take(ranked, taken, share)
        picked += _take(fallback, taken, share - len(picked))
        positions += picked
        target += [c] * len(picked)
    return np.array(positions, dtype=int), np.array(target, dtype=int)


def _take(ranked, taken, k):
    """First ``k`` untaken entries of ``ranked``; marks them taken."""
    out = []
    for i in ranked:
        if len(out) == k:
            break
        if not taken[i]:
            taken[i] = True
            out.append(int(i))
    return out
