"""The transformers backend with tiny, randomly initialised models that the test builds."""

import json

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers

from affectlens.analyzers.huggingface import TransformersAnalyzer

pytestmark = pytest.mark.llm


WORDS = ["i", "am", "so", "happy", "sad", "angry", "furious", "the", "a", "text", "thanks", "for", "nothing"]


@pytest.fixture(scope="module")
def hf():
    """torch and transformers, imported only when these (llm-marked) tests run."""
    reason = "needs affectlens[transformers]: run `make test-llm`"
    return pytest.importorskip("torch", reason=reason), pytest.importorskip("transformers", reason=reason)


def _tokenizer(transformers):
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, **{w: i + 4 for i, w in enumerate(WORDS)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", eos_token="[SEP]")


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory, hf):
    torch, transformers = hf
    folder = tmp_path_factory.mktemp("classifier")
    labels = {0: "joy", 1: "Furious", 2: "zorblax"}
    config = transformers.BertConfig(
        vocab_size=len(WORDS) + 4,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
        num_labels=3,
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
        problem_type="multi_label_classification",
    )
    model = transformers.BertForSequenceClassification(config)
    with torch.no_grad():  # make every label fire, so the mapping is what is tested
        model.classifier.weight.zero_()
        model.classifier.bias.fill_(5.0)
    model.save_pretrained(folder)
    _tokenizer(transformers).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def generator_dir(tmp_path_factory, hf):
    _, transformers = hf
    folder = tmp_path_factory.mktemp("generator")
    config = transformers.GPT2Config(vocab_size=len(WORDS) + 4, n_positions=2048, n_embd=16, n_layer=1, n_head=2)
    transformers.GPT2LMHeadModel(config).save_pretrained(folder)
    _tokenizer(transformers).save_pretrained(folder)
    return folder


def test_classification_labels_are_normalised_into_any_taxonomy(classifier_dir):
    analyzer = TransformersAnalyzer(model_dir=classifier_dir)
    assert analyzer.mode == "classification"
    a = analyzer.analyze("i am so happy", taxonomy="ekman")
    assert a.labels == ["anger", "joy"]  # "Furious" is an open-vocabulary word for anger
    assert set(a.scores) == {"anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"}
    assert any("'zorblax' maps to nothing" in w for w in a.warnings)
    assert a.sentiment == "mixed" and a.backend.startswith("transformers/")
    long = analyzer.analyze("happy " * 40)
    assert any("only the start was analysed" in w for w in long.warnings)


def test_generation_runs_the_pipeline_and_reports_unparsable_answers(generator_dir):
    analyzer = TransformersAnalyzer(model_dir=generator_dir, max_new_tokens=8, parse_retries=0)
    assert analyzer.mode == "generation"
    a = analyzer.analyze("thanks for nothing", taxonomy="goemotions")
    assert a.labels == [] and any("could not be parsed" in w for w in a.warnings)  # random weights write noise
    assert analyzer.usage.requests == 2 and analyzer.usage.parse_failures == 2


def test_generation_happy_path_with_a_scripted_model(generator_dir, monkeypatch):
    analyzer = TransformersAnalyzer(model_dir=generator_dir)
    answers = {
        "cues": json.dumps({"cues": [{"id": 1, "quote": "thanks for nothing", "type": "sarcasm"}]}),
        "emotions": json.dumps(
            {
                "emotions": [{"label": "annoyed", "probability": 0.8, "cue_ids": [1]}],
                "valence": -0.5,
                "arousal": 0.3,
                "dominance": 0.0,
                "rationale": "Sarcastic 'thanks for nothing'.",
                "confidence": 0.7,
            }
        ),
    }
    monkeypatch.setattr(
        analyzer.completer, "_generate", lambda prompt, sample: answers["cues" if "Find the cues" in prompt else "emotions"]
    )
    a = analyzer.analyze("Well, thanks for nothing.")
    assert a.labels == ["annoyance"] and [e.text for e in a.evidence] == ["thanks for nothing"]


def test_not_a_model_directory(tmp_path):
    from affectlens.errors import ConfigError

    with pytest.raises(ConfigError, match=r"no config\.json"):
        TransformersAnalyzer(model_dir=tmp_path)
