"""Character LMs, n-gram perplexity by hand, and the LSTM-vs-RNN delayed-recall task."""

import math

import numpy as np
import pytest

from physml.nets import (
    CharLM,
    NGramModel,
    Vocabulary,
    char_lm_perplexity,
    memory_task,
    memory_task_accuracy,
    sample_text,
    train_char_lm,
    train_memory_task,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_bigram_perplexity_by_hand():
    # train "abab", V = 2, α = 1. Bigram counts: ab 2, ba 1; contexts a 2, b 1 (a char follows them).
    # unigram counts a 2, b 2 of 4 characters.
    # test "ab": P(a) = (2+1)/(4+2) = 1/2 (first char: unigram); P(b|a) = (2+1)/(2+2) = 3/4
    model = NGramModel(2, alpha=1.0).fit("abab")
    lp = model.log_prob("ab")
    np.testing.assert_allclose(lp, [math.log(1 / 2), math.log(3 / 4)])
    assert model.perplexity("ab") == pytest.approx(math.exp(-(math.log(1 / 2) + math.log(3 / 4)) / 2))
    # P(a|b) = (1+1)/(1+2) = 2/3, P(b|b) = (0+1)/(1+2) = 1/3: they sum to one
    assert math.exp(model.log_prob("ba")[1]) + math.exp(model.log_prob("bb")[1]) == pytest.approx(1.0)


def test_unigram_on_uniform_text_has_perplexity_vocab_size():
    text = "abcd" * 50
    assert NGramModel(1, alpha=1.0).fit(text).perplexity(text) == pytest.approx(4.0)


def test_vocabulary_round_trip_and_unknown_characters():
    v = Vocabulary("hello world")
    assert v.decode(v.encode("hello")) == "hello"
    with pytest.raises(ValueError, match=r"2 character\(s\) not in the model's vocabulary of 8: 'z', '!'"):
        v.encode("zz!")
    with pytest.raises(ValueError, match="corpus is empty"):
        Vocabulary("")


def test_lstm_learns_a_periodic_text_and_samples_from_it():
    text = "abcabcabc" * 40
    v = Vocabulary(text)
    model = CharLM(len(v), 16, cell="lstm", seed=0)
    before = char_lm_perplexity(model, v.encode(text))
    train_char_lm(model, v.encode(text), steps=150, seq_len=12, batch_size=16, learning_rate=1e-2, seed=1)
    after = char_lm_perplexity(model, v.encode(text))
    assert before > 2.5 and after < 1.1  # a deterministic sequence: perplexity → 1
    s = sample_text(model, v, prompt="ab", n_chars=9, temperature=0.5, seed=0)
    assert s == "cabcabcab"
    with pytest.raises(ValueError, match="not in the model's vocabulary"):
        sample_text(model, v, prompt="abx", n_chars=3)


def test_memory_task_has_the_stated_statistics():
    x, y = memory_task(4000, 7, 4, seed=0)
    assert x.shape == (4000, 8) and np.array_equal(x[:, 0], y)
    assert x[:, 1:].min() >= 4 and x[:, 1:].max() <= 7
    counts = np.bincount(y, minlength=4)
    # uniform over 4 symbols: each count is 1000 ± sqrt(4000 · 1/4 · 3/4) = 27.4
    assert np.all(np.abs(counts - 1000) < 4 * 27.4)


@pytest.mark.slow
def test_lstm_remembers_over_a_lag_where_the_rnn_is_at_chance():
    lag, n_test = 50, 500
    x, y = memory_task(n_test, lag, seed=12345)
    sigma = math.sqrt(0.25 * 0.75 / n_test)  # binomial standard error at chance
    rnn = train_memory_task("rnn", lag, hidden=16, steps=150, seed=0)
    lstm = train_memory_task("lstm", lag, hidden=16, steps=150, timescale=2.0 * lag, seed=0)
    acc_rnn, _ = memory_task_accuracy(rnn, x, y)
    acc_lstm, _ = memory_task_accuracy(lstm, x, y)
    assert abs(acc_rnn - 0.25) < 4 * sigma  # at chance
    assert acc_lstm > 0.9


def test_ngram_score_samples_per_character_or_per_string_and_save_load(tmp_path):
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    text = "the spin lattice has energy; the field has spin. " * 8
    model = NGramModel(3, alpha=0.5).fit(text)
    test = "the lattice field"
    per_char = model.score_samples(test)
    np.testing.assert_array_equal(per_char, model.log_prob(test))
    assert per_char.shape == (len(test),)
    assert model.score(test) == pytest.approx(-math.log(model.perplexity(test)), rel=1e-12)
    per_string = model.score_samples([test, "spin", ""])
    np.testing.assert_allclose(per_string, [per_char.sum(), model.log_prob("spin").sum(), 0.0], rtol=1e-12)
    # a list of strings is counted string by string: no n-gram spans two of them
    split = NGramModel(2, alpha=1.0).fit(["ab", "ab"])
    assert split.counts_[1] == {"ab": 2} and split.context_counts_[1] == {"a": 2}
    assert split.context_counts_[0] == {"": 4}
    model.save(tmp_path / "lm.npz")
    back = NGramModel.load(tmp_path / "lm.npz")
    assert back.counts_ == model.counts_ and back.context_counts_ == model.context_counts_
    np.testing.assert_array_equal(back.score_samples(test), per_char)
    assert clone(model).get_params() == {"n": 3, "alpha": 0.5, "vocab_size": None}
    with pytest.raises(NotFittedError):
        NGramModel().score_samples(test)
    with pytest.raises(TypeError, match="X must be a string of text or a list of strings, got an array of"):
        model.score_samples(np.zeros(3))
    with pytest.raises(TypeError, match="a list holding a int"):
        model.fit(["ab", 3])
    with pytest.raises(ValueError, match="training text is empty"):
        NGramModel().fit(["", ""])


def test_ngram_context_counts_are_those_of_the_text():
    # N(h) counts the times a character follows h: the last characters of the text are no context
    text = "abracadabra"
    model = NGramModel(3).fit(text)
    for k in range(1, 3):
        direct = {text[i : i + k] for i in range(len(text) - k)}
        assert set(model.context_counts_[k]) == direct
        for h in direct:
            assert model.context_counts_[k][h] == sum(text[i : i + k] == h for i in range(len(text) - k))
