import dataclasses

import numpy as np
import pytest
from hypothesis import given, strategies as st

from astronomaly_ahunt.engine.questions import (anomalous, choose_questions, random, split_questions,
                                         uncertainty)


def test_split_follows_weights_by_largest_remainder():
    # quotas 8.3 / 1.7 -> floors 8 / 1, the one left goes to the larger remainder (0.7)
    assert split_questions([0.83, 0.17], 10).tolist() == [8, 2]
    # quotas 1.25 / 1.25 / 7.5 -> floors 1 / 1 / 7, one left to the 0.5 remainder
    assert split_questions([0.125, 0.125, 0.75], 10).tolist() == [1, 1, 8]
    assert split_questions([0, 1, 0], 5).tolist() == [0, 5, 0]
    # equal remainders: ties go to the lower index
    assert split_questions([1, 1, 1], 5).tolist() == [2, 2, 1]


@given(st.lists(st.floats(0, 10), min_size=1, max_size=8).filter(lambda w: sum(w) > 0.01),
       st.integers(0, 60))
def test_split_sums_to_n_q_and_stays_within_one_of_the_quota(weights, n_q):
    counts = split_questions(weights, n_q)
    quota = np.array(weights) / sum(weights) * n_q
    assert counts.sum() == n_q
    assert np.all(np.abs(counts - quota) < 1)


@pytest.mark.parametrize("weights", [[-0.1, 1.1], [0, 0], [np.nan, 1], []])
def test_split_rejects_bad_weights(weights):
    with pytest.raises(ValueError, match="weights"):
        split_questions(weights, 5)


def test_uncertainty_ranks_by_rho_among_likely_members_only():
    p = np.array([0.99, 0.3, 0.51, 0.75, 0.5, 0.6])
    # rho = 1 - 2 (p - 0.5): 0.51 -> 0.98, 0.6 -> 0.8, 0.75 -> 0.5, 0.99 -> 0.02;
    # 0.3 and 0.5 are not > 0.5 and are no candidates
    assert uncertainty(p).tolist() == [2, 5, 3, 0]


def test_anomalous_ranks_by_probability_and_random_is_seeded():
    p = np.array([0.2, 0.9, 0.5, 0.7])
    assert anomalous(p).tolist() == [1, 3, 2, 0]
    a = random(p, np.random.default_rng(3))
    assert sorted(a.tolist()) == [0, 1, 2, 3]
    assert a.tolist() == random(p, np.random.default_rng(3)).tolist()


def _pool():
    # columns: normal A, normal B, reserve, anomaly X
    return np.array([
        [0.90, 0.05, 0.01, 0.04],  # 0 sure A
        [0.30, 0.30, 0.02, 0.38],  # 1 unknown-ish, X most likely
        [0.10, 0.05, 0.01, 0.84],  # 2 sure X
        [0.20, 0.18, 0.02, 0.60],  # 3 uncertain X
        [0.45, 0.45, 0.01, 0.09],  # 4 confused between A and B
        [0.05, 0.93, 0.01, 0.01],  # 5 sure B
    ])


def test_questions_fill_empty_reserve_with_least_confident_objects():
    positions, target = choose_questions(_pool(), [0, 0, 1, 0], 2, "uncertainty",
                                         known=[0, 1, 3])
    # no object has p_reserve > 0.5; unknown-ness 1 - max known p: #1 0.62, #4 0.55
    assert positions.tolist() == [1, 4]
    assert target.tolist() == [2, 2]


def test_questions_split_over_classes_and_never_repeat():
    positions, target = choose_questions(_pool(), [0, 0, 0.5, 0.5], 4, "uncertainty",
                                         known=[0, 1, 3])
    # reserve: #1, #4 (fill); X by rho among p > 0.5: #3 (0.60) then #2 (0.84)
    assert positions.tolist() == [1, 4, 3, 2]
    assert target.tolist() == [2, 2, 3, 3]
    assert len(set(positions.tolist())) == len(positions)


def test_questions_skip_excluded_objects_and_overflow_into_the_fallback():
    positions, _ = choose_questions(_pool(), [0, 0, 0, 1], 3, "uncertainty", known=[0, 1, 3],
                                    exclude=[3])
    # X candidates without #3: only #2; then the least confident: #1, #4
    assert positions.tolist() == [2, 1, 4]


def test_questions_refuse_more_than_the_pool_holds():
    with pytest.raises(ValueError, match="only 5 unasked"):
        choose_questions(_pool(), [0, 0, 1, 0], 6, exclude=[0])


def test_column_scores_replace_the_strategy_for_that_share():
    scores = [0.1, 0.2, 0.9, 0.3, 0.8, 0.0]
    positions, target = choose_questions(_pool(), [0, 0, 0.5, 0.5], 4, "uncertainty",
                                         known=[0, 1, 3], column_scores={2: scores})
    # reserve: the two highest scores (#2, #4), not the least confident (#1, #4);
    # X by rho among p > 0.5, #2 already taken: #3, then the fill (#1)
    assert positions.tolist() == [2, 4, 3, 1]
    assert target.tolist() == [2, 2, 3, 3]


def test_explore_alternates_the_most_isolated_with_a_tight_group_of_alike_objects():
    from astronomaly_ahunt.engine.questions import explore
    rng = np.random.default_rng(0)
    crowd = rng.normal(0, 1, (200, 2))
    group = rng.normal((3.5, 0), 0.05, (6, 2))  # six alike objects, none far out alone
    pair = np.array([[-6.0, -6.0], [6.0, 6.0]])  # two loners: the smallest clusters
    loner = np.array([[-9.0, 9.0]])
    features = np.concatenate([crowd, group, pair, loner])
    scores = explore(features, exclude=[208], k=3, seed=0)
    first = np.argsort(-scores, kind="stable")
    # the loner is excluded (already labelled): the most isolated object
    # comes first, then the typical member of the tightest cluster, the
    # group, although the pair's clusters are smaller
    assert first[0] in (206, 207) and 200 <= first[1] < 206
    assert scores[208] == -np.inf and np.isfinite(scores[:208]).all()
    assert len(set(first[:208])) == 208


def test_a_cluster_with_a_labelled_member_goes_behind_every_uncovered_one():
    from astronomaly_ahunt.engine.questions import uncovered_medoids
    rng = np.random.default_rng(0)
    features = np.concatenate([rng.normal(0, 1, (200, 2)),
                               rng.normal((3.5, 0), 0.05, (6, 2))])  # the tightest group
    free = np.arange(len(features))
    unasked = uncovered_medoids(features, free, [], 9, seed=0)
    asked = uncovered_medoids(features, free, [203], 9, seed=0)
    assert 200 <= unasked[0] < 206
    assert 200 <= asked[-1] < 206 and not np.isin(asked[:-1], np.arange(200, 206)).any()


def test_the_pixels_find_the_odd_shape_and_explore_asks_it_second():
    from astronomaly_ahunt.engine import questions
    rng = np.random.default_rng(1)
    images = rng.normal(0.2, 0.05, (120, 4, 4, 1)).astype(np.float32)
    images[:, :, 1:3] += 0.6                  # a vertical bar: the common shape
    odd = 57
    images[odd] = rng.normal(0.2, 0.05, (4, 4, 1))
    images[odd, 1:3, :] += 0.6                # a horizontal one
    # read in chunks of 16, as from the store: the same features as whole
    pixels = questions.pixel_features(images, seed=0, chunk_size=16).pixels
    assert np.array_equal(pixels, images.reshape(120, -1))
    isolation = questions.learnt_isolation(pixels, seed=0)
    assert np.argmax(isolation) == odd
    # in these latent features (drawn apart from the images) the odd one is
    # neither isolated nor a typical member of a tight cluster
    latent = np.random.default_rng(0).normal(0, 1, (120, 4))
    first = np.argsort(-questions.explore(latent, exclude=[], k=3, seed=0, isolation=isolation),
                       kind="stable")
    assert first[1] == odd
    assert odd not in np.argsort(-questions.explore(latent, exclude=[], k=3, seed=0))[:3]


def test_wide_pixels_become_their_leading_components_read_chunk_by_chunk():
    from astronomaly_ahunt.engine import questions
    images = np.random.default_rng(2).random((300, 12, 12, 1)).astype(np.float32)
    chunked = questions.pixel_features(images, seed=0, chunk_size=64)
    pixels, shape = chunked.pixels, chunked.shape
    assert pixels.shape == (300, questions.PIXEL_DIMS) and pixels.dtype == np.float32
    whole = questions.pixel_features(images, seed=0, chunk_size=1000)
    assert np.allclose(pixels, whole.pixels, atol=1e-5)
    # other images are projected as the pool's were
    np.testing.assert_allclose(whole.project(images[:5]), whole.pixels[:5], atol=1e-4)
    # noise has no preferred orientation: its shapes come too, the same to
    # float rounding whatever the chunks
    assert shape.shape == (300, questions.SHAPE_DIMS)
    np.testing.assert_allclose(shape, whole.shape, rtol=1e-6)
    np.testing.assert_allclose(shape, questions.shape_features(images), rtol=1e-6)


def test_explore_moves_away_from_what_was_answered_not_interesting():
    from astronomaly_ahunt.engine.questions import explore, learnt_isolation
    rng = np.random.default_rng(0)
    crowd = rng.normal(0, 1, (300, 2))
    seen = rng.normal((6, 6), 0.1, (10, 2))     # odd, and its kind answered 0
    unseen = rng.normal((-6, 6), 0.1, (10, 2))  # as odd, nobody asked yet
    features = np.concatenate([crowd, seen, unseen])
    answered = list(range(300, 304)) + list(range(10))

    def mean_rank(scores, members):
        return np.argsort(np.argsort(-scores))[members].mean()

    before = learnt_isolation(features, seed=0)
    after = learnt_isolation(features, seed=0, normal=answered)
    assert mean_rank(before, range(304, 310)) < 15 and mean_rank(before, range(310, 320)) < 20
    # the answers push the seen kind down and leave the unseen one on top
    assert mean_rank(after, range(304, 310)) > 30 and mean_rank(after, range(310, 320)) < 5
    # the cluster list likewise: the group holding an answered object is asked last
    tight = np.concatenate([crowd * 3, rng.normal((0, 30), 0.05, (8, 2)),
                            rng.normal((30, 0), 0.2, (8, 2))])
    typical = np.argsort(-explore(tight, exclude=[], k=2, seed=0), kind="stable")[1]
    assert 300 <= typical < 308                 # the tightest group, before any answer
    answered = explore(tight, exclude=[300], k=2, seed=0, normal=[300])
    assert 308 <= np.argsort(-answered, kind="stable")[1] < 316


def test_a_named_class_asks_what_the_cnn_and_the_answers_agree_on():
    """Under 'explore', once an interesting class has examples its share goes
    to the objects that rank high both among the CNN's most probable members
    and in the pixel forest reweighted by the answers (no CNN is needed to
    check the order)."""
    from astronomaly_ahunt.engine.questions import (RESERVE_STRATEGIES, PoolPixels, ReservePool,
                                                    fused_ranks)
    rng = np.random.default_rng(0)
    pixels = np.concatenate([rng.normal(0, 1, (200, 3)), rng.normal((5, 5, 5), 0.1, (8, 3))])
    proba = np.full((208, 3), 0.1)
    proba[:, 2] = np.linspace(0.9, 0.0, 208)  # the CNN likes the crowd's first objects best
    proba[200:, 2] = 0.87                     # and the objects alike the answered 5s next
    normal, found = [0, 1], [200, 201]
    computed = []

    def pool(found):
        labelled = normal + found
        return ReservePool(rng.normal(0, 1, (208, 4)), proba, labelled, 4, known=[0, 2],
                           reserve=1, anomalies=np.array([False, False, True]), normal=normal,
                           found=found, pixels=lambda: computed.append(1) or PoolPixels(pixels))

    scores = RESERVE_STRATEGIES["explore"](pool(found), seed=5)
    order = np.argsort(-scores[2], kind="stable")
    asked = [i for i in order if i not in normal + found][:7]  # labelled objects are never asked
    # the six alike the answered 5s (high in both rankings) come before the CNN's
    # favourite, which the forest ranks low and taking turns would ask first
    assert set(range(202, 208)) <= set(asked) and 2 not in asked
    # fusion: ranked second by both beats first by one and tenth or sixth by the other
    assert np.argmax(fused_ranks([np.arange(12), np.r_[5, 1:5, 6:10, 0, 10, 11]])) == 1
    # before any interesting answer the class shares keep the strategy's ranking
    assert list(RESERVE_STRATEGIES["explore"](pool([]), seed=5)) == [1]
    # the pixels are asked for once a round, and only by a rule that uses them
    RESERVE_STRATEGIES["latent-forest"](pool([]), seed=5)
    assert len(computed) == 2


def test_nearness_puts_the_look_alikes_of_what_was_found_first():
    from astronomaly_ahunt.engine.questions import nearness
    rng = np.random.default_rng(1)
    features = rng.normal(0, 1, (50, 2, 2))
    features[7] = features[3] + 0.01
    features[9] = features[40] - 0.02
    near = nearness(features, features[[3, 40]], chunk_size=16)
    assert near[3] == 0 and near[40] == 0 and np.all(near <= 0)
    assert set(np.argsort(-near, kind="stable")[:4]) == {3, 40, 7, 9}
    assert near[7] == pytest.approx(-0.02) and near[9] == pytest.approx(-0.04)
    # chunks change nothing
    np.testing.assert_array_equal(near, nearness(features, features[[3, 40]]))


def sources(angles, bend, size=24, seed=0):
    """Noisy images (n, size, size, 1) of two-lobed sources, each turned by
    its angle in degrees: lobes on a line through the centre, or, bent, both
    on one side of it."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    images = rng.normal(0.05, 0.02, (len(angles), size, size, 1)).astype(np.float32)
    for image, angle in zip(images, np.radians(angles)):
        for turn in (0, np.pi - bend):
            a = angle + turn
            image[..., 0] += np.exp(-((yy - 7 * np.sin(a)) ** 2 + (xx - 7 * np.cos(a)) ** 2) / 4)
        image[..., 0] += np.exp(-(yy ** 2 + xx ** 2) / 2)
    return images


def test_one_find_asks_its_lookalikes_at_any_orientation():
    """With one find in a pool with no preferred orientation, the anomaly
    class asks what looks like it turned or mirrored, where the pixels as
    they lie prefer the straight sources that happen to share its angle."""
    from astronomaly_ahunt.engine import questions
    straight = sources(np.arange(0, 360, 3), bend=0, seed=1)
    bent = sources([10, 100, 145, 200, 260, 330], bend=np.radians(100), seed=2)
    images = np.concatenate([straight, bent])                 # 120 straight, then 6 bent
    pixels = questions.pixel_features(images, seed=0)
    assert pixels.shape is not None and pixels.components is not None  # no orientation
    found = 120
    anchors = questions.find_anchors(pixels, [found], images)
    assert len(anchors) == 2 * 360 // questions.VIEW_STEP_DEGREES
    turned = questions.nearness(pixels.pixels, anchors)
    as_they_lie = questions.nearness(pixels.pixels, questions.find_anchors(pixels, [found]))
    assert len(set(np.argsort(-as_they_lie)[1:6]) & set(range(121, 126))) <= 2
    assert len(set(np.argsort(-turned)[1:6]) & set(range(121, 126))) >= 4
    # while the find is the only one, the explore rule asks its look-alikes
    # (turned and in the shapes), after that the fused rankings
    pool = questions.ReservePool(
        np.random.default_rng(0).normal(size=(126, 4)), np.full((126, 3), 1 / 3), [0, found],
        2, known=[0, 2], reserve=1, anomalies=np.array([False, False, True]), normal=[0],
        found=[found], pixels=lambda: pixels, images=images)
    alike = questions.explore_rule(pool, seed=0)[2]
    np.testing.assert_array_equal(alike, questions.lookalikes(turned, pixels.shape, found))
    assert set(np.argsort(-alike, kind="stable")[:6]) == set(range(120, 126))
    two = dataclasses.replace(pool, found=[found, 121])
    assert not np.array_equal(questions.explore_rule(two, seed=0)[2], alike)
    # past TURNED_FINDS finds, the rest are measured as they lie
    many = questions.find_anchors(pixels, range(questions.TURNED_FINDS + 3), images)
    assert len(many) == questions.TURNED_FINDS * len(anchors) + 3


def test_a_find_is_turned_once_while_the_pool_pixels_are_kept(monkeypatch):
    """A caller that keeps the pool's pixel features across rounds (the
    page's session, the Hunter while its pool's ids stay the same) turns
    each find once: the next rounds read its views from there, the same
    rows as turning it again."""
    from astronomaly_ahunt.engine import questions
    images = np.concatenate([sources(np.arange(0, 360, 6), bend=0, seed=1),
                             sources([10, 100, 145], bend=np.radians(100), seed=2)])
    pixels = questions.pixel_features(images, seed=0)
    assert pixels.shape is not None  # no preferred orientation: finds are turned
    turned = []
    real = questions.turned_views
    monkeypatch.setattr(questions, "turned_views",
                        lambda found: turned.append(len(found)) or real(found))
    first = questions.find_anchors(pixels, [60], images)
    both = questions.find_anchors(pixels, [62, 60], images)
    assert turned == [1, 1]  # the second round turns only the new find
    fresh = questions.find_anchors(questions.pixel_features(images, seed=0), [60, 62], images)
    np.testing.assert_array_equal(both, fresh)
    np.testing.assert_array_equal(both[:len(first)], first)
    assert turned == [1, 1, 2]
    # the views are kept out of the arrays a cache file holds
    assert set(pixels.arrays()) == {"pixels", "shape", "components", "mean"}


def test_novelty_is_the_mean_distance_to_the_nearest_known_normals():
    from astronomaly_ahunt.engine.questions import (RESERVE_STRATEGIES, ReservePool,
                                                    novelty)
    reference = np.zeros((30, 2, 2, 1), np.float32)
    reference[:, 0, 0, 0] = np.arange(30)          # normals on a line, 1 apart
    images = np.zeros((4, 2, 2, 1), np.float32)
    images[1, 0, 0, 0] = 10                        # on the line
    images[2, 1, 1, 0] = 3                         # 3 off it, by the first normals
    images[3, 0, 0, 0] = 40                        # far past its end
    score = novelty(images, reference, seed=0, k=3, chunk_size=3)
    np.testing.assert_allclose(score, [(0 + 1 + 2) / 3, (0 + 1 + 1) / 3,
                                       (3 + np.sqrt(10) + np.sqrt(13)) / 3,
                                       (11 + 12 + 13) / 3], rtol=1e-6)
    pool = ReservePool(np.random.default_rng(0).normal(size=(4, 3)), np.full((4, 3), 1 / 3), [],
                       2, known=[0, 2], reserve=1, anomalies=np.array([False, False, False]),
                       images=images, reference=lambda: reference)
    rule = RESERVE_STRATEGIES["novelty"]
    assert np.argsort(-rule(pool, seed=0)[1])[:2].tolist() == [3, 2]
    # with no known normal to measure against, the latent space's isolation forest ranks
    blind = ReservePool(pool.latent, pool.proba, [], 2, known=[0, 2], reserve=1,
                        anomalies=pool.anomalies)
    np.testing.assert_array_equal(rule(blind, seed=0)[1],
                                  RESERVE_STRATEGIES["latent-forest"](blind, seed=0)[1])


def test_a_named_class_asks_its_shape_at_any_orientation():
    """The shape forest learns the answers from rotation-invariant
    morphology: two-lobed sources answered 5 at one angle bring forward the
    two-lobed sources at another, which the pixels place with neither."""
    from astronomaly_ahunt.engine.questions import (RESERVE_STRATEGIES, PoolPixels, ReservePool,
                                                    pixel_features, shape_forest)
    from test_morphology import source
    rng = np.random.default_rng(3)
    kinds = ["compact"] * 150 + ["jet"] * 50 + ["lobes"] * 8
    angles = rng.uniform(0, np.pi, 208)
    angles[200:202] = 0.0            # the two found
    angles[202:] = np.pi / 2         # their look-alikes, turned
    images = np.stack([source(kind, 32, angle) for kind, angle in zip(kinds, angles)])
    # artefacts: a spot anywhere, each as odd in the pixels as the turned lobes
    for i in range(0, 200, 7):
        y, x = rng.integers(2, 30, 2)
        images[i, y - 2:y + 2, x - 2:x + 2] += 1.0
    images = (images + rng.normal(0, 0.05, images.shape)).astype(np.float32)[..., None]
    features = pixel_features(images, seed=0)
    normal, found, alike = list(range(0, 200, 10)), [200, 201], list(range(202, 208))
    assert features.shape is not None  # sources at every angle: the sky's symmetry
    told = shape_forest(features.shape, normal, found, seed=0)
    unasked = np.setdiff1d(np.arange(208), normal + found)
    assert set(unasked[np.argsort(-told[unasked], kind="stable")][:6]) == set(alike)

    proba = np.full((208, 3), 0.1)
    proba[:, 2] = rng.uniform(0, 1, 208)
    proba[202:, 2] = 0.75                  # a CNN that has barely learnt the class

    def places(features):
        """Where the turned look-alikes come in the named class's questions."""
        pool = ReservePool(rng.normal(0, 1, (208, 4)), proba, normal + found, 4, known=[0, 2],
                           reserve=1, anomalies=np.array([False, False, True]), normal=normal,
                           found=found, pixels=lambda: features)
        order = np.argsort(-RESERVE_STRATEGIES["explore"](pool, seed=5)[2], kind="stable")
        order = [i for i in order if i not in normal + found]
        return np.array([order.index(i) for i in alike])

    blind = PoolPixels(features.pixels)  # as for a pool with a preferred orientation
    # of the 186 unasked, with the shapes learnt all six come in the first 50
    # (17th on average), without the shape forest past the 40th (81st)
    assert places(features).max() < 50 and places(features).mean() < 25
    assert places(blind).min() > 40 and places(blind).mean() > 60
