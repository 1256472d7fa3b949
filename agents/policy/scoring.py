"""Padding, response log-probabilities, per-token KL estimates and entropy.

Shapes: B rows, P = longest prompt, T = longest response, V = vocabulary.
A (prompt, response) batch is laid out as `[pad.. prompt | response ..pad]` (prompts left-padded,
responses right-padded), so every response starts at column P and logits at columns P-1 .. P+T-2
predict it. Position ids count only real tokens, exactly as `generate` numbers a left-padded row,
so the scores are those of the distribution that sampled the tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import torch
from torch import nn


class ResponseLogprobs(NamedTuple):
    """Per-token log pi(y_t | x, y_<t) of the response tokens, and which entries are real."""

    logprobs: torch.Tensor  # (B, T) float32; 0 where mask is 0
    mask: torch.Tensor  # (B, T) float32; 1 on response tokens, 0 on padding


class ScoredResponses(NamedTuple):
    """Log-probabilities, mask and per-token entropy of the full next-token distribution."""

    logprobs: torch.Tensor  # (B, T)
    mask: torch.Tensor  # (B, T)
    entropy: torch.Tensor  # (B, T); 0 where mask is 0


def left_pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, attention_mask), both (B, max_len), with each row right-aligned."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        if row:
            ids[i, width - len(row) :] = torch.tensor(row, dtype=torch.long)
            mask[i, width - len(row) :] = 1
    return ids, mask


def position_ids(attention_mask: torch.Tensor) -> torch.Tensor:
    """0, 1, 2, ... over real tokens (what `generate` uses for a left-padded row)."""
    return (attention_mask.cumsum(-1) - 1).clamp(min=0)


def _check_batch(
    prompt_ids: Sequence[Sequence[int]], response_ids: Sequence[Sequence[int]]
) -> None:
    if len(prompt_ids) != len(response_ids) or not prompt_ids:
        raise ValueError(
            f"expected equally many (>0) prompts and responses, got {len(prompt_ids)} and {len(response_ids)}"
        )
    if any(len(p) == 0 for p in prompt_ids):
        raise ValueError(
            "every prompt must hold at least one token (the response is scored given it)"
        )


def score_responses(
    model: nn.Module,
    prompt_ids: Sequence[Sequence[int]],
    response_ids: Sequence[Sequence[int]],
    pad_id: int,
    temperature: float = 1.0,
    with_entropy: bool = False,
) -> ScoredResponses:
    """log pi(response | prompt) per token under `model` (differentiable unless under no_grad)."""
    _check_batch(prompt_ids, response_ids)
    device = next(model.parameters()).device
    n_resp = max(1, max(len(r) for r in response_ids))
    prompts, prompt_mask = left_pad(prompt_ids, pad_id)  # (B, P)
    responses = torch.full((len(response_ids), n_resp), pad_id, dtype=torch.long)  # (B, T)
    resp_mask = torch.zeros_like(responses)
    for i, r in enumerate(response_ids):
        responses[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        resp_mask[i, : len(r)] = 1
    ids = torch.cat([prompts, responses], dim=1).to(device)  # (B, P+T)
    attention = torch.cat([prompt_mask, resp_mask], dim=1).to(device)
    # Keep only the T logits that predict response tokens (columns P-1 .. P+T-2).
    out = model(
        input_ids=ids,
        attention_mask=attention,
        position_ids=position_ids(attention),
        use_cache=False,
        logits_to_keep=n_resp + 1,
    )
    logits = out.logits[:, :n_resp].float() / temperature  # (B, T, V)
    assert logits.shape[1] == n_resp, "model ignored logits_to_keep"
    mask = resp_mask.to(device=device, dtype=torch.float32)
    return _scored(logits, responses.to(device), mask, with_entropy)


def _scored(
    logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor, with_entropy: bool
) -> ScoredResponses:
    """(B, T, V) logits that predict the (B, T) `targets` -> their log-probs (and entropy)."""
    log_norm = logits.logsumexp(-1)  # (B, T)
    logprobs = (logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - log_norm) * mask
    if not with_entropy:
        return ScoredResponses(logprobs, mask, torch.zeros_like(mask))
    # H = log Z - sum_v p_v * z_v
    entropy = (log_norm - (logits.softmax(-1) * logits).sum(-1)) * mask
    return ScoredResponses(logprobs, mask, entropy)


Turn = tuple[Sequence[Sequence[int]], Sequence[Sequence[int]]]  # (prompt_ids, response_ids)


def nested_in_last(turns: Sequence[Turn]) -> bool:
    """Whether every earlier turn's prompt + response starts the last turn's prompt, token for
    token (how `chat.next_prompt_ids` builds a next turn), row by row."""
    last_prompts = turns[-1][0]
    return all(
        list(last[: len(p) + len(r)]) == [*p, *r]
        for prompts, responses in turns[:-1]
        for last, p, r in zip(last_prompts, prompts, responses, strict=True)
    )


def score_turns(
    model: nn.Module,
    turns: Sequence[Turn],
    pad_id: int,
    temperature: float = 1.0,
    with_entropy: bool = False,
) -> list[ScoredResponses]:
    """Each turn's `score_responses`, from one forward over the last turn's prompt + response.

    An episode's last sequence holds every earlier turn's prompt and response at the same
    positions (`nested_in_last`), so its logits score all turns at once and the earlier turns'
    tokens are not run through the model again. When the turns are not nested, each is scored by
    its own forward. Rows are scored in up to `LENGTH_BUCKETS` groups of similar length, so that
    short episodes are not padded to the longest one.
    """
    for prompts, responses in turns:
        _check_batch(prompts, responses)
    if not nested_in_last(turns):
        return [score_responses(model, p, r, pad_id, temperature, with_entropy) for p, r in turns]
    n = len(turns[0][0])
    lengths = [len(p) + len(r) for p, r in zip(*turns[-1], strict=True)]
    order = sorted(range(n), key=lengths.__getitem__)
    groups = max(1, min(LENGTH_BUCKETS, n // MIN_BUCKET_ROWS))
    if groups == 1:
        return _score_nested(model, turns, pad_id, temperature, with_entropy)
    parts = []
    for g in range(groups):
        rows = order[g * n // groups : (g + 1) * n // groups]
        subset = [([p[i] for i in rows], [r[i] for i in rows]) for p, r in turns]
        parts.append(_score_nested(model, subset, pad_id, temperature, with_entropy))
    inverse = torch.tensor(order).argsort().to(parts[0][0].mask.device)
    scored = []
    for j in range(len(turns)):
        width = max(part[j].mask.shape[1] for part in parts)
        fields = [
            torch.cat(
                [nn.functional.pad(part[j][f], (0, width - part[j][f].shape[1])) for part in parts]
            )
            for f in range(3)
        ]
        scored.append(ScoredResponses(*(x[inverse] for x in fields)))
    return scored


LENGTH_BUCKETS = 4
"""At most this many length groups per `score_turns` call."""
MIN_BUCKET_ROWS = 16
"""Rows per length group at least (smaller groups cost more in per-call overhead than padding)."""


def _score_nested(
    model: nn.Module,
    turns: Sequence[Turn],
    pad_id: int,
    temperature: float,
    with_entropy: bool,
) -> list[ScoredResponses]:
    """`score_turns` of nested turns as one padded batch."""
    device = next(model.parameters()).device
    sequences = [[*p, *r] for p, r in zip(*turns[-1], strict=True)]
    ids, attention = left_pad(sequences, pad_id)  # (B, L)
    length = ids.shape[1]
    offsets = length - torch.tensor([len(s) for s in sequences])  # (B,): first real column
    first = min(int(offsets[i]) + len(turns[0][0][i]) for i in range(len(sequences)))
    keep = length - first + 1  # logits of columns first-1 .. L-1
    out = model(
        input_ids=ids.to(device),
        attention_mask=attention.to(device),
        position_ids=position_ids(attention).to(device),
        use_cache=False,
        logits_to_keep=keep,
    )
    logits = out.logits.float() / temperature  # (B, keep, V)
    assert logits.shape[1] == keep, "model ignored logits_to_keep"
    rows = torch.arange(len(sequences))[:, None]
    scored = []
    for prompts, responses in turns:
        width = max(1, max(len(r) for r in responses))
        steps = torch.arange(width)[None]  # (1, T)
        lengths = torch.tensor([len(r) for r in responses])[:, None]
        starts = offsets[:, None] + torch.tensor([len(p) for p in prompts])[:, None]
        # The logit at column c predicts the token at c + 1; kept column j is column L - keep + j.
        columns = (starts + steps - 1 - (length - keep)).clamp(0, keep - 1)
        targets = torch.full((len(responses), width), pad_id, dtype=torch.long)
        for i, r in enumerate(responses):
            targets[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        mask = (steps < lengths).to(device=device, dtype=torch.float32)
        picked = logits[rows.to(device), columns.to(device)]  # (B, T, V)
        scored.append(_scored(picked, targets.to(device), mask, with_entropy))
    return scored


KLEstimator = Literal["k1", "k2", "k3"]


def per_token_kl(
    logprobs: torch.Tensor, ref_logprobs: torch.Tensor, estimator: KLEstimator = "k3"
) -> torch.Tensor:
    """Per-token estimate of KL(pi || pi_ref) from samples of pi (Schulman, "Approximating KL").

    With r = log pi_ref - log pi at each sampled token:
    k1 = -r (unbiased, can be negative), k2 = r^2 / 2, k3 = (e^r - 1) - r (unbiased, >= 0).
    """
    log_ratio = ref_logprobs - logprobs
    if estimator == "k1":
        return -log_ratio
    if estimator == "k2":
        return 0.5 * log_ratio**2
    if estimator == "k3":
        return torch.expm1(log_ratio) - log_ratio
    raise ValueError(f"KL estimator must be 'k1', 'k2' or 'k3', got {estimator!r}")


def kl_per_sequence(
    logprobs: torch.Tensor, ref_logprobs: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """KL(pi || pi_ref) of each response, [B]: the per-token k3 estimate summed over its tokens.

    Non-negative and unbiased; every method logs it as `train/kl_t<turn>`, and a KL loss term
    differentiates it (`ref_logprobs` is treated as a constant).
    """
    return masked_sum(per_token_kl(logprobs, ref_logprobs.detach(), "k3"), mask, -1)


def masked_sum(values: torch.Tensor, mask: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """Sum of `values` where `mask` is 1 (per row with dim=-1: a sequence's total)."""
    return (values * mask).sum() if dim is None else (values * mask).sum(dim)


def masked_mean(values: torch.Tensor, mask: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """Mean of `values` over entries where `mask` is 1 (0 for an all-masked row)."""
    count = mask.sum() if dim is None else mask.sum(dim)
    return masked_sum(values, mask, dim) / count.clamp(min=1.0)
