"""`Policy`: a Hugging Face causal LM that samples turns and scores them token-exactly."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GenerationConfig,
    PreTrainedTokenizerBase,
)
from transformers.activations import GELUTanh, NewGELUActivation

from agents.policy import chat, fast_sampler
from agents.policy.config import PolicyConfig, SamplingConfig
from agents.policy.scoring import (
    ResponseLogprobs,
    ScoredResponses,
    Turn,
    left_pad,
    score_responses,
    score_turns,
)

logger = logging.getLogger(__name__)

_DTYPE = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass(frozen=True)
class TurnSamples:
    """One sampled turn for a batch of prompts (ids are unpadded; responses keep their eos)."""

    prompt_ids: list[list[int]]
    response_ids: list[list[int]]
    texts: list[str]  # responses decoded without special tokens
    finished: list[bool]  # ended on eos or a stop string (False: hit max_new_tokens)
    # log pi(y_t | prompt, y_<t) at the sampling temperature, one per response token, when the
    # sampler produced them (the lean tiny-model loop does; `generate` does not): exactly what
    # `Policy.response_logprobs(prompt_ids, response_ids, temperature=T)` would recompute.
    # Not part of equality: two samples are the same when their tokens are.
    logprobs: list[list[float]] | None = field(default=None, compare=False)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"PolicyConfig.device is {name!r} but CUDA is not available here")
    return torch.device(name)


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return _DTYPE[name]


class Policy:
    """A causal LM with its tokenizer, a frozen reference, sampling and exact scoring.

    Build one with `Policy.from_pretrained(path_or_id, config)`, or wrap an in-memory model with
    `Policy(model, tokenizer, config)`. `.model` is what an optimizer trains (the peft model when
    LoRA is on); the model stays in eval mode (no dropout), so sampling and scoring agree.
    """

    def __init__(
        self, model: nn.Module, tokenizer: PreTrainedTokenizerBase, config: PolicyConfig
    ) -> None:
        self.config = config
        self.tokenizer = tokenizer
        tokenizer.padding_side = "left"
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token  # responses are cut at the first eos anyway
        if tokenizer.chat_template is None:
            tokenizer.chat_template = chat.PLAIN_CHAT_TEMPLATE
        if config.lora is not None and not _is_peft(model):
            model = _add_lora(model, config)
        self.model = model.eval()
        self.reference: nn.Module | None = None
        if config.frozen_reference and not _is_peft(model):
            self.reference = copy.deepcopy(model).eval().requires_grad_(False)
        self.device = next(model.parameters()).device
        self.max_context = config.max_context or _position_limit(model)
        self.eos_token_ids = _eos_ids(model, tokenizer)

    # ------------------------------------------------------------------ loading / saving
    @classmethod
    def from_pretrained(cls, path_or_id: str | Path, config: PolicyConfig | None = None) -> Policy:
        """Load a model directory or hub id (or an adapter directory this class saved)."""
        config = dataclasses.replace(config or PolicyConfig(), model=str(path_or_id))
        device = resolve_device(config.device)
        dtype = resolve_dtype(config.dtype, device)
        adapter_file = Path(path_or_id) / "adapter_config.json"
        base = (
            json.loads(adapter_file.read_text())["base_model_name_or_path"]
            if adapter_file.is_file()
            else str(path_or_id)
        )
        model: nn.Module = AutoModelForCausalLM.from_pretrained(
            base, dtype=dtype, trust_remote_code=config.trust_remote_code
        )
        model = model.to(device)
        _fuse_gelu(model)  # a model loaded here is ours to change; one handed in is not
        if adapter_file.is_file():
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(path_or_id), is_trainable=True)
        tokenizer = AutoTokenizer.from_pretrained(
            str(path_or_id), trust_remote_code=config.trust_remote_code
        )
        return cls(model, tokenizer, config)

    def save_pretrained(self, directory: str | Path) -> Path:
        """Save a standard HF directory (adapter-only when LoRA is on) that `from_pretrained` loads."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(directory)  # type: ignore[operator]
        self.tokenizer.save_pretrained(directory)
        return directory

    # ------------------------------------------------------------------ prompts
    def first_prompt_ids(self, messages_batch: Sequence[Sequence[chat.Message]]) -> list[list[int]]:
        """Turn-1 prompt ids from each conversation's chat messages."""
        return chat.first_prompt_ids(self.tokenizer, messages_batch)

    def next_prompt_ids(
        self,
        prev_prompt_ids: Sequence[Sequence[int]],
        prev_response_ids: Sequence[Sequence[int]],
        new_messages: Sequence[Sequence[chat.Message]],
    ) -> list[list[int]]:
        """Next-turn prompt ids: the exact previous prompt and sampled response, then the new turn.

        `new_messages[i]` is conversation i so far (e.g. the env's turn-2 `info["messages"]`:
        user question, assistant attempt, user instruction); only what follows the last assistant
        message is tokenized.
        """
        return chat.next_prompt_ids(
            self.tokenizer, prev_prompt_ids, prev_response_ids, new_messages, self.eos_token_ids
        )

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def sample(
        self, prompt_ids: Sequence[Sequence[int]], sampling: SamplingConfig, seed: int | None = None
    ) -> TurnSamples:
        """Sample one response per prompt (batched, left-padded). A seed makes it reproducible."""
        if not prompt_ids or any(len(p) == 0 for p in prompt_ids):
            raise ValueError("sample: expected a non-empty batch of non-empty prompts")
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices, enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            step = self.config.generation_batch_size
            parts = [
                self._generate(prompt_ids[start : start + step], sampling)
                for start in range(0, len(prompt_ids), step)
            ]
        responses = [r for part in parts for r in part[0]]
        finished = [f for part in parts for f in part[1]]
        logprobs = None
        if all(part[2] is not None for part in parts):
            logprobs = [lp for part in parts for lp in part[2] or []]
        texts = self.tokenizer.batch_decode(responses, skip_special_tokens=True)
        return TurnSamples([list(p) for p in prompt_ids], responses, texts, finished, logprobs)

    def _generate(
        self, prompt_ids: Sequence[Sequence[int]], sampling: SamplingConfig
    ) -> tuple[list[list[int]], list[bool], list[list[float]] | None]:
        """(responses, finished, logprobs or None) for one chunk of prompts."""
        ids, attention = left_pad(prompt_ids, self.tokenizer.pad_token_id)
        room = self.max_context - ids.shape[1]
        if room < 1:
            raise ValueError(
                f"sample: a prompt of {ids.shape[1]} tokens leaves no room in the model's "
                f"max_context of {self.max_context} tokens"
            )
        max_new = min(sampling.max_new_tokens, room)
        if fast_sampler.supports(self.model):
            tokens, token_logprobs, steps = fast_sampler.sample(
                self.model,  # type: ignore[arg-type]
                ids,
                attention,
                sampling,
                max_new,
                self.eos_token_ids,
                self.tokenizer.pad_token_id,
            )
            cut = [self._cut(row, sampling.stop_strings) for row in tokens[:, :steps].tolist()]
            scores = token_logprobs[:, :steps].tolist()
            return (
                [c[0] for c in cut],
                [c[1] for c in cut],
                [row[: len(c[0])] for row, c in zip(scores, cut, strict=True)],
            )
        generation = GenerationConfig(
            do_sample=not sampling.greedy,
            temperature=None if sampling.greedy else sampling.temperature,
            top_p=None if sampling.greedy else sampling.top_p,
            top_k=0,  # 0 disables top-k (None falls back to generate's default of 50)
            max_new_tokens=max_new,
            stop_strings=list(sampling.stop_strings) or None,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=sorted(self.eos_token_ids),
        )
        out = self.model.generate(  # type: ignore[operator]
            input_ids=ids.to(self.device),
            attention_mask=attention.to(self.device),
            generation_config=generation,
            tokenizer=self.tokenizer if sampling.stop_strings else None,
        )
        new = out[:, ids.shape[1] :].tolist()
        cut = [self._cut(row, sampling.stop_strings) for row in new]
        return [c[0] for c in cut], [c[1] for c in cut], None

    def _cut(self, row: list[int], stop_strings: Sequence[str]) -> tuple[list[int], bool]:
        """Trim a generated row after its first eos or stop string (the rest is padding)."""
        end = next((i + 1 for i, t in enumerate(row) if t in self.eos_token_ids), None)
        if stop_strings:
            text = self.tokenizer.decode(row[:end])
            if any(s in text for s in stop_strings):
                # Shortest prefix whose text contains a stop string (containment is monotone).
                lo, hi = 1, len(row[:end])
                while lo < hi:
                    mid = (lo + hi) // 2
                    if any(s in self.tokenizer.decode(row[:mid]) for s in stop_strings):
                        hi = mid
                    else:
                        lo = mid + 1
                return row[:lo], True
        return (row[:end], True) if end is not None else (row, False)

    # ------------------------------------------------------------------ scoring
    def response_logprobs(
        self,
        prompt_ids: Sequence[Sequence[int]],
        response_ids: Sequence[Sequence[int]],
        model: nn.Module | None = None,
        temperature: float = 1.0,
    ) -> ResponseLogprobs:
        """(logprobs, mask), both (B, T): log pi(y_t | prompt, y_<t) for response tokens only.

        Differentiable for the policy (call under `torch.no_grad()` when not training); `model`
        scores under another model with the same tokenizer.
        """
        scored = self.score(prompt_ids, response_ids, model, temperature, with_entropy=False)
        return ResponseLogprobs(scored.logprobs, scored.mask)

    def score(
        self,
        prompt_ids: Sequence[Sequence[int]],
        response_ids: Sequence[Sequence[int]],
        model: nn.Module | None = None,
        temperature: float = 1.0,
        with_entropy: bool = True,
    ) -> ScoredResponses:
        """Log-probabilities, mask and per-token entropy of the response tokens."""
        return score_responses(
            model or self.model,
            prompt_ids,
            response_ids,
            self.tokenizer.pad_token_id,
            temperature,
            with_entropy,
        )

    def score_turns(
        self,
        turns: Sequence[Turn],
        model: nn.Module | None = None,
        temperature: float = 1.0,
        with_entropy: bool = True,
    ) -> list[ScoredResponses]:
        """`score` of every turn of a batch of episodes, `turns[j] = (prompt_ids, response_ids)`,
        from one forward over the last turn when each turn's prompt continues the previous turn
        token for token (as `next_prompt_ids` builds it)."""
        return score_turns(
            model or self.model, turns, self.tokenizer.pad_token_id, temperature, with_entropy
        )

    @torch.no_grad()
    def reference_logprobs(
        self,
        prompt_ids: Sequence[Sequence[int]],
        response_ids: Sequence[Sequence[int]],
        temperature: float = 1.0,
    ) -> ResponseLogprobs:
        """(logprobs, mask) under the frozen reference: the initial weights, or the LoRA base."""
        (scored,) = self.reference_turns([(prompt_ids, response_ids)], temperature)
        return scored

    @torch.no_grad()
    def reference_turns(
        self, turns: Sequence[Turn], temperature: float = 1.0
    ) -> list[ResponseLogprobs]:
        """`reference_logprobs` of every turn, from one forward as `score_turns`."""
        with self._reference() as reference:
            scored = self.score_turns(turns, reference, temperature, with_entropy=False)
        return [ResponseLogprobs(s.logprobs, s.mask) for s in scored]

    @contextlib.contextmanager
    def _reference(self) -> Iterator[nn.Module]:
        """The frozen reference model: the initial weights, or the LoRA base with adapters off."""
        if _is_peft(self.model):
            with self.model.disable_adapter():  # type: ignore[operator]
                yield self.model
            return
        if self.reference is None:
            raise ValueError(
                "this Policy was built with frozen_reference=False and has no reference"
            )
        yield self.reference

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]


def _fuse_gelu(model: nn.Module) -> None:
    """Swap GPT-2's `gelu_new` (a chain of Python-level tensor ops) for transformers' `GELUTanh`,
    the same tanh-approximated GELU in one fused kernel: a third of a small model's training
    step on the CPU went to the unfused chain, and the outputs agree to float rounding."""
    for module in list(model.modules()):
        for name, child in module.named_children():
            if type(child) is NewGELUActivation:
                setattr(module, name, GELUTanh())


def _is_peft(model: nn.Module) -> bool:
    return hasattr(model, "disable_adapter") and hasattr(model, "peft_config")


def _add_lora(model: nn.Module, config: PolicyConfig) -> nn.Module:
    from peft import LoraConfig, get_peft_model

    assert config.lora is not None
    target = config.lora.target_modules
    lora = LoraConfig(
        task_type="CAUSAL_LM",
        r=config.lora.r,
        lora_alpha=config.lora.alpha,
        lora_dropout=config.lora.dropout,
        target_modules=target if isinstance(target, str) else list(target),
    )
    return get_peft_model(model, lora)  # type: ignore[arg-type]


def _position_limit(model: nn.Module) -> int:
    cfg = model.config  # type: ignore[union-attr]
    for name in ("n_positions", "max_position_embeddings", "n_ctx", "seq_length"):
        value = getattr(cfg, name, None)
        if isinstance(value, int) and value > 0:
            return value
    raise ValueError("cannot read the model's context length; set PolicyConfig.max_context")


def _eos_ids(model: nn.Module, tokenizer: PreTrainedTokenizerBase) -> frozenset[int]:
    ids: set[int] = set()
    generation = getattr(model, "generation_config", None)
    configured = getattr(generation, "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif configured:
        ids.update(configured)
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    if not ids:
        raise ValueError("the model and tokenizer define no eos token; responses could not end")
    return frozenset(ids)
