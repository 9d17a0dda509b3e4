import numpy as np
import pytest

from astronomaly_ahunt.engine.model import AhuntNet, FusedAdam

# trains a CNN: deselect with -m "not slow" for a quick run
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("loss", ["softmax", "focal", "isomax"])
def test_head_growth_keeps_every_old_logit(loss):
    rng = np.random.default_rng(0)
    x = rng.random((64, 8, 8, 1), dtype=np.float32)
    net = AhuntNet.create((8, 8, 1), 3, loss=loss, seed=1)
    net.train(x, rng.integers(0, 3, 64), epochs=1, batch_size=16, rng=rng)
    before = net.logits(x)
    assert np.ptp(before) > 0  # trained weights, not a trivially equal head
    net.add_class(seed=2)
    after = net.logits(x)
    assert after.shape == (64, 4)
    np.testing.assert_allclose(after[:, :3], before, rtol=1e-5, atol=1e-6)
    latent, proba = net.predict(x)
    assert latent.shape == (64, 64)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)


def test_fused_adam_takes_the_steps_of_keras_adam():
    from astronomaly_ahunt.engine.quiet_tensorflow import keras, tf
    rng = np.random.default_rng(0)
    start = rng.normal(size=(2, 50)).astype(np.float32)
    ours, theirs = tf.Variable(start), tf.Variable(start)
    keras_adam = keras.optimizers.Adam(1e-2)
    keras_adam.build([theirs])
    fused = FusedAdam(1e-2)
    firsts, seconds = FusedAdam.slots([ours])
    for _ in range(50):
        gradient = tf.constant(rng.normal(size=(2, 50)).astype(np.float32))
        keras_adam.apply_gradients([(gradient, theirs)])
        fused.apply([ours.handle], [firsts[0].handle], [seconds[0].handle], [gradient])
    assert np.abs(theirs.numpy() - start).max() > 0.1  # both moved, by ~50 steps of 0.01
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-5)


@pytest.mark.parametrize("loss, consistency", [("softmax", 1.0), ("isomax", 0.0)])
def test_a_grown_head_trains_as_a_net_built_with_it_without_a_new_trace(loss, consistency):
    rng = np.random.default_rng(0)
    x = rng.random((48, 8, 8, 1), dtype=np.float32)
    grown = AhuntNet.create((8, 8, 1), 2, loss=loss, seed=1)
    grown.predict(x)
    grown.train(x, np.arange(48) % 2, 2, 16, rng, unlabelled=x, consistency=consistency)
    grown.add_class(seed=2)
    built = AhuntNet.create((8, 8, 1), 3, loss=loss, seed=1)
    built.model.set_weights(grown.model.get_weights())
    for net in (grown, built):
        net.train(x, np.arange(48) % 3, 2, 16, np.random.default_rng(5), unlabelled=x,
                  consistency=consistency)
    trained = [np.ptp(w) for w in grown.head.get_weights()]
    assert min(trained) > 0  # the new class's weights moved (IsoMax's start at zero)
    for ours, theirs in zip(grown.model.get_weights(), built.model.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(grown.predict(x)[1], built.predict(x)[1])
    # the first head's traces serve the grown one
    assert [f.experimental_get_tracing_count() for f in grown._epochs.values()] == [1]
    assert grown._proba.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("size, n_conv", [(8, 4), (28, 4), (64, 6)])
def test_paper_depth_by_image_size(size, n_conv):
    net = AhuntNet.create((size, size, 3), 2, seed=0)
    convs = [layer for layer in net.backbone.layers if layer.name.startswith("conv")]
    assert len(convs) == n_conv
    latent, proba = net.predict(np.zeros((3, size, size, 3), np.float32))
    assert latent.shape == (3, 64) and proba.shape == (3, 2)
    strided = AhuntNet.create((size, size, 3), 2, seed=0, downsample="stride").backbone
    # the same depth and map sizes, with no pooling layers
    assert [l.strides for l in strided.layers if l.name.startswith("conv")] == [(2, 2)] * n_conv
    assert not [l for l in strided.layers if l.name.startswith("pool")]
    assert strided.get_layer("flatten").output.shape == net.backbone.get_layer("flatten").output.shape
    # 'auto' pools the 8 px digits, where strides cost MCC, and strides from 28 px
    auto = AhuntNet.create((size, size, 3), 2, seed=0, downsample="auto").backbone
    assert any(l.name.startswith("pool") for l in auto.layers) == (size < 28)


def test_save_and_load_give_the_same_outputs(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.random((10, 8, 8, 1), dtype=np.float32)
    net = AhuntNet.create((8, 8, 1), 3, loss="isomax", seed=0)
    # trained, so that the prototypes differ: an untrained IsoMax head gives
    # 1/3 to every class whatever its weights
    net.train(x, np.arange(10) % 3, epochs=3, batch_size=4, rng=rng)
    latent, proba = net.predict(x)
    assert proba.std(axis=1).max() > 1e-3
    net.save(tmp_path / "m.keras")
    again = AhuntNet.load(tmp_path / "m.keras", "isomax", 1e-3)
    other = AhuntNet.create((8, 8, 1), 3, loss="isomax", seed=1)
    assert np.abs(other.predict(x)[0] - latent).max() > 1e-3  # other weights, other outputs
    np.testing.assert_allclose(again.predict(x)[0], latent, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(again.predict(x)[1], proba, rtol=1e-5, atol=1e-6)


def test_symmetric_features_ignore_turns_and_mirrors():
    x = np.random.default_rng(2).random((6, 16, 16, 1), dtype=np.float32)
    turned = np.rot90(x, 1, axes=(1, 2))[:, :, ::-1].copy()
    net = AhuntNet.create((16, 16, 1), 3, seed=0, symmetric=True)
    for a, b in zip(net.predict(x), net.predict(turned)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    plain = AhuntNet.create((16, 16, 1), 3, seed=0)
    assert np.abs(plain.predict(x)[0] - plain.predict(turned)[0]).max() > 1e-3
    wide = np.random.default_rng(3).random((4, 16, 12, 1), dtype=np.float32)
    net = AhuntNet.create((16, 12, 1), 3, seed=0, symmetric=True)
    np.testing.assert_allclose(net.predict(wide)[0], net.predict(wide[:, ::-1, ::-1].copy())[0],
                               rtol=1e-4, atol=1e-5)


def test_consistency_pulls_strong_views_to_the_class_of_their_source(digits):
    from astronomaly_ahunt.engine.augmentation import strong_copies
    x, y = digits.x[:1000], digits.y[:1000]
    labelled, pool = np.arange(300), np.arange(300, 1000)
    strong = strong_copies(x[pool], np.random.default_rng(9))
    agree = {}
    for weight in (0.0, 1.0):
        net = AhuntNet.create(x.shape[1:], 10, seed=0)
        net.train(x[labelled], y[labelled], epochs=40, batch_size=32,
                  rng=np.random.default_rng(0), unlabelled=x[pool], consistency=weight)
        agree[weight] = np.mean(net.predict(strong)[1].argmax(1) ==
                                net.predict(x[pool])[1].argmax(1))
    # the unlabelled images teach what labels alone do not: their strong views
    assert agree[1.0] > agree[0.0] + 0.04


@pytest.mark.parametrize("objective", ["reconstruction", "contrastive"])
def test_pretraining_without_labels_brings_alike_images_together(digits, objective):
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    x, y = digits.x[:1000], digits.y[:1000]

    def neighbours_agree(net):
        return cross_val_score(KNeighborsClassifier(5), net.predict(x)[0], y, cv=5).mean()

    untrained = neighbours_agree(AhuntNet.create(x.shape[1:], 2, seed=0))
    net = AhuntNet.create(x.shape[1:], 2, seed=0)
    net.pretrain(x, 10, 32, np.random.default_rng(0), seed=1, objective=objective)
    # the digits' classes, never shown, come out of the images alone
    assert neighbours_agree(net) > untrained + 0.08
    with pytest.raises(ValueError, match="unknown pretraining objective"):
        net.pretrain(x, 1, 32, np.random.default_rng(0), objective="byol")
