"""Tiny random-weight embedding models of the real architectures, built offline for the tests.

No weights of bge-m3, SigLIP or CLAP exist on this machine, so the tests build models of the
same classes (XLMRobertaModel, SiglipModel, ClapModel) with a few thousand parameters and
tokenizers trained here on a handful of sentences. The product then loads them through its
normal `from_pretrained` path, so its real loading, preprocessing, batching and pooling run.
"""

from __future__ import annotations

import io
from pathlib import Path

# Dimensions of the tiny models; deliberately all different so a mix-up shows.
TINY_DIMS = {"bge-m3": 24, "siglip": 40, "clap": 16}

CORPUS = [
    "the quick brown fox jumps over the lazy dog",
    "a photo of a cat sitting on a red sofa",
    "the sound of a dog barking in the distance",
    "rain falling on a tin roof at night",
    "Bonjour le monde, comment allez-vous aujourd'hui",
    "Hola mundo, el perro ladra y el gato duerme",
    "Guten Morgen, die Sonne scheint über dem Fluss",
    "music playing softly while people are talking",
    "privacy first gateway for multimodal embeddings",
    "1234567890 numbers and punctuation: ; , . ! ?",
]


def sentencepiece_model(vocab_size: int = 160) -> bytes:
    """A unigram sentencepiece model trained on CORPUS (well under a second)."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 20),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        hard_vocab_limit=False,
        character_coverage=1.0,
        minloglevel=2,
    )
    return model.getvalue()


def _xlm_roberta_vocab(sp_model: bytes) -> list[tuple[str, float]]:
    """XLM-R's vocabulary layout: <s>, <pad>, </s>, <unk>, the sentencepiece pieces, <mask>."""
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    pieces = [(processor.id_to_piece(i), processor.get_score(i)) for i in range(processor.get_piece_size())]
    specials = {"<s>", "</s>", "<unk>", "<pad>"}
    return [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [
        piece for piece in pieces if piece[0] not in specials
    ] + [("<mask>", 0.0)]


def build_xlm_roberta(directory: Path, sp_model: bytes, dims: int, layers: int = 2, heads: int = 2) -> Path:
    """bge-m3's architecture: XLMRobertaModel with an XLM-R (unigram) tokenizer."""
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizer

    tokenizer = XLMRobertaTokenizer(vocab=_xlm_roberta_vocab(sp_model), model_max_length=512)
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer), hidden_size=dims, num_hidden_layers=layers, num_attention_heads=heads,
        intermediate_size=2 * dims, max_position_embeddings=514,
    )
    XLMRobertaModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_siglip(directory: Path, sp_model: bytes, dims: int) -> Path:
    """SigLIP: vision + text towers sharing one embedding space, sentencepiece tokenizer."""
    from transformers import SiglipConfig, SiglipImageProcessor, SiglipModel, SiglipProcessor, SiglipTokenizer

    source = directory.with_name(directory.name + "-spiece.model")
    source.write_bytes(sp_model)
    tokenizer = SiglipTokenizer(vocab_file=str(source), model_max_length=16)
    tower = dict(hidden_size=dims, intermediate_size=2 * dims, num_hidden_layers=2, num_attention_heads=2)
    config = SiglipConfig(
        text_config=dict(
            vocab_size=len(tokenizer), max_position_embeddings=16, pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id, **tower,
        ),
        vision_config=dict(image_size=32, patch_size=8, **tower),
    )
    SiglipModel(config).save_pretrained(directory)
    SiglipProcessor(
        image_processor=SiglipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer
    ).save_pretrained(directory)
    return directory


def build_clap(directory: Path, dims: int) -> Path:
    """CLAP (HTSAT audio + RoBERTa text), unfused like laion/clap-htsat-unfused, byte-level BPE tokenizer."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor, RobertaTokenizer

    directory.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        CORPUS * 5, vocab_size=300, show_progress=False,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
    )
    bpe.save_model(str(directory))
    tokenizer = RobertaTokenizer(
        vocab=str(directory / "vocab.json"), merges=str(directory / "merges.txt"), model_max_length=64
    )
    config = ClapConfig(
        text_config=dict(
            vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=2, max_position_embeddings=80, projection_dim=dims,
            pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        ),
        audio_config=dict(
            patch_embeds_hidden_size=16, hidden_size=32, depths=[1, 1], num_attention_heads=[2, 2],
            window_size=8, projection_dim=dims, enable_fusion=False,
        ),
        projection_dim=dims,
    )
    ClapModel(config).save_pretrained(directory)
    ClapProcessor(
        feature_extractor=ClapFeatureExtractor(truncation="rand_trunc"), tokenizer=tokenizer
    ).save_pretrained(directory)
    return directory


def build_tiny_models(directory: Path) -> dict[str, Path]:
    """Build all three tiny models under `directory`; model group -> local path."""
    import torch

    torch.manual_seed(0)
    directory = Path(directory)
    sp_model = sentencepiece_model()
    return {
        "bge-m3": build_xlm_roberta(directory / "tiny-xlm-roberta", sp_model, TINY_DIMS["bge-m3"]),
        "siglip": build_siglip(directory / "tiny-siglip", sp_model, TINY_DIMS["siglip"]),
        "clap": build_clap(directory / "tiny-clap", TINY_DIMS["clap"]),
    }


def tiny_model_overrides(directory: Path) -> dict:
    """Config overrides (deep-merged into litellm_config.yaml) pointing the embedding models at tiny copies."""
    paths = build_tiny_models(directory)
    models = {name: {"source": str(path), "dimensions": TINY_DIMS[name]} for name, path in paths.items()}
    return {"gateway": {"embeddings": {"models": models}}}
