"""Tiny teachers saved as folders, and a tiny BEIR corpus.

The tokenizer is built from an in-memory vocabulary: transformers 5 ignores a
``vocab_file=`` argument, which would make every word [UNK].
"""

from __future__ import annotations

import json
import random
from pathlib import Path

WORDS = ["the", "cat", "dog", "sat", "on", "mat", "ran", "fast", "big", "red", "sun", "hat"]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, ".", ","]


def tiny_bert_config(layers: int = 4, hidden: int = 32):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=hidden * 2,
        max_position_embeddings=64,
    )


def tiny_tokenizer():
    from transformers import BertTokenizer

    return BertTokenizer(vocab={token: i for i, token in enumerate(VOCAB)})


def tiny_teacher(folder: Path, layers: int = 4, hidden: int = 32, mlm_head: bool = False) -> Path:
    """A random ``layers``-layer BERT saved as a sentence-transformers folder (mean pooling).

    ``mlm_head=True`` saves a ``BertForMaskedLM`` (weights with ``cls.predictions.*``).
    """
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertForMaskedLM, BertModel

    torch.manual_seed(0)
    hf_dir = folder / "hf"
    config = tiny_bert_config(layers, hidden)
    model = BertForMaskedLM(config) if mlm_head else BertModel(config)
    with torch.no_grad():  # larger weights than BERT's init, so layers really differ
        for name, param in model.named_parameters():
            if param.ndim == 2 and "embeddings" not in name:
                param.normal_(0, 0.3)
    model.save_pretrained(hf_dir)
    tiny_tokenizer().save_pretrained(hf_dir)
    transformer = models.Transformer(str(hf_dir), max_seq_length=48)
    out = folder / "st"
    modules = [transformer, models.Pooling(hidden, pooling_mode="mean"), models.Normalize()]
    SentenceTransformer(modules=modules, device="cpu").save(str(out))
    if mlm_head:  # the sentence-transformers save dropped the head: put the full model back
        model.save_pretrained(out)
    return out


def tiny_corpus(path: Path, docs: int = 40, seed: int = 0) -> Path:
    """A BEIR ``corpus.jsonl`` of random sentences over the tiny vocabulary."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        for i in range(docs):
            title = " ".join(rng.choices(WORDS, k=3))
            text = " . ".join(" ".join(rng.choices(WORDS, k=rng.randint(3, 9))) for _ in range(3))
            handle.write(json.dumps({"_id": f"d{i}", "title": title, "text": text}) + "\n")
    return path
