"""A lean decode loop for small GPT-2 models on the CPU, with the per-token log-probabilities.

At the batch sizes of a CPU training step (tens of rows) a decode step of a sub-million-parameter
GPT-2 is about a millisecond of matrix products, and `generate`'s per-step machinery (logits
processors, stopping criteria, cache objects, mask building) costs several times that. This loop
runs the same arithmetic as `GPT2LMHeadModel.forward` on the model's own weights with a
preallocated key/value cache: one Python loop over tokens, a few batched products per layer; rows
that have ended leave the batch once they are half of it, and the loop stops as soon as every row
has emitted an end-of-sequence token.

It samples exactly the distribution `scoring.score_responses` scores: the same left padding and
position ids (counting real tokens only), temperature then nucleus (top-p) truncation as
`generate` applies them, and argmax when greedy. The log-probabilities it returns are those of the
full temperature-scaled distribution at each sampled token, which is what
`Policy.response_logprobs(..., temperature=T)` computes; the tests hold them to 1e-5.

`supports(model)` says when the loop applies; every other model goes through `generate`.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from transformers import GPT2LMHeadModel

from agents.policy.config import SamplingConfig

MAX_PARAMETERS = 20_000_000
"""Above this size the matrix products dominate a decode step and `generate` is as fast."""

_ACTIVATIONS = {"gelu_new": lambda x: F.gelu(x, approximate="tanh"), "gelu": F.gelu}


def supports(model: nn.Module) -> bool:
    """A plain, small GPT-2 on the CPU whose configuration this loop reproduces exactly."""
    if type(model) is not GPT2LMHeadModel:  # a peft wrapper or a subclass may change forward
        return False
    cfg = model.config
    params = list(model.parameters())
    return (
        params[0].device.type == "cpu"
        and all(p.dtype == torch.float32 for p in params)
        and sum(p.numel() for p in params) <= MAX_PARAMETERS
        and cfg.activation_function in _ACTIVATIONS
        and cfg.scale_attn_weights
        and not cfg.scale_attn_by_inverse_layer_idx
        and not cfg.reorder_and_upcast_attn
        and not cfg.add_cross_attention
    )


class _Cache:
    """Every layer's keys, stored transposed as (B, H, D, L) so a decode step's scores are one
    batched product with no copy, and values as (B, H, L, D); filled left to right. `bias` is the
    additive attention mask over key columns: -inf on prompt padding, 0 elsewhere."""

    def __init__(self, n_layer: int, shape: tuple[int, int, int, int], real: Tensor) -> None:
        b, h, length, d = shape
        self.keys = [torch.empty(b, h, d, length) for _ in range(n_layer)]
        self.values = [torch.empty(shape) for _ in range(n_layer)]
        self.bias = torch.zeros(b, 1, 1, length)
        self.bias[:, 0, 0, : real.shape[1]].masked_fill_(real == 0, -math.inf)

    def keep_rows(self, index: Tensor) -> None:
        """Keep only the rows at `index` (rows that ended need no more decode steps)."""
        self.keys = [k[index] for k in self.keys]
        self.values = [v[index] for v in self.values]
        self.bias = self.bias[index]


def _attention(q: Tensor, k: Tensor, v: Tensor, cache: _Cache, layer: int, start: int) -> Tensor:
    """Store the new keys and values at `start`, then attend (B, H, S, D) queries: S > 1 is the
    causal prefill over the whole prompt, S = 1 a decode step over everything cached."""
    s = q.shape[2]
    end = start + s
    cache.keys[layer][..., start:end] = k.transpose(-1, -2)
    cache.values[layer][:, :, start:end] = v
    if s == 1:
        scores = torch.matmul(q, cache.keys[layer][..., :end]).mul_(q.shape[-1] ** -0.5)
        weights = scores.add_(cache.bias[..., :end]).softmax(-1)
        return torch.matmul(weights, cache.values[layer][:, :, :end])
    # A padding query sees only itself, so no row is all -inf (its output is never used).
    causal = torch.full((s, s), -math.inf).triu(1)
    mask = cache.bias[..., :end] + causal
    mask.diagonal(0, -2, -1).zero_()
    return F.scaled_dot_product_attention(q, k, v, mask)


def _block_forward(
    model: Any,  # GPT2LMHeadModel (its submodules are untyped)
    hidden: Tensor,  # (B, S, E): the new positions only
    cache: _Cache,
    start: int,  # cache column of hidden[:, 0]
) -> Tensor:
    """All transformer blocks and the final layer norm over the S new positions."""
    cfg = model.config
    heads, width = cfg.n_head, cfg.n_embd
    act = _ACTIVATIONS[cfg.activation_function]
    b, s, _ = hidden.shape
    for layer, block in enumerate(model.transformer.h):
        x = F.layer_norm(
            hidden, (width,), block.ln_1.weight, block.ln_1.bias, cfg.layer_norm_epsilon
        )
        qkv = torch.addmm(block.attn.c_attn.bias, x.view(-1, width), block.attn.c_attn.weight)
        q, k, v = qkv.view(b, s, 3, heads, width // heads).permute(2, 0, 3, 1, 4)
        attn = _attention(q, k, v, cache, layer, start).transpose(1, 2).reshape(b * s, width)
        proj = block.attn.c_proj
        hidden = hidden + torch.addmm(proj.bias, attn, proj.weight).view(b, s, width)
        x = F.layer_norm(
            hidden, (width,), block.ln_2.weight, block.ln_2.bias, cfg.layer_norm_epsilon
        )
        mlp = block.mlp
        inner = act(torch.addmm(mlp.c_fc.bias, x.view(-1, width), mlp.c_fc.weight))
        hidden = hidden + torch.addmm(mlp.c_proj.bias, inner, mlp.c_proj.weight).view(b, s, width)
    ln_f = model.transformer.ln_f
    return F.layer_norm(hidden, (width,), ln_f.weight, ln_f.bias, cfg.layer_norm_epsilon)


def _next_tokens(logits: Tensor, sampling: SamplingConfig) -> tuple[Tensor, Tensor]:
    """(token, log-probability) per row from (B, V) logits, as `generate` picks them."""
    if sampling.greedy:
        log_probs = logits.log_softmax(-1)
        token = log_probs.argmax(-1)
        return token, log_probs.gather(-1, token[:, None]).squeeze(-1)
    scaled = logits / sampling.temperature
    log_probs = scaled.log_softmax(-1)
    probs = nucleus(scaled, sampling.top_p).softmax(-1)
    # The exponential race `torch.multinomial` runs, with a cheaper exponential draw: the token
    # with the smallest E_v / p_v, E_v ~ Exp(1) i.i.d., is token v with probability p_v.
    race = torch.rand_like(probs).log_().neg_()  # Exp(1); log(0) = -inf gives +inf: never picked
    token = (probs / race).argmax(-1)
    return token, log_probs.gather(-1, token[:, None]).squeeze(-1)


def nucleus(scores: Tensor, top_p: float) -> Tensor:
    """(B, V) scores with the least likely tokens holding at most 1 - top_p of the mass set to
    -inf; the most likely token always stays (the rule of `generate`'s top-p warper)."""
    if top_p >= 1.0:
        return scores
    sorted_scores, order = scores.sort(-1)
    drop_sorted = sorted_scores.softmax(-1).cumsum(-1) <= 1.0 - top_p
    drop_sorted[:, -1] = False
    return scores.masked_fill(drop_sorted.scatter(-1, order, drop_sorted), -math.inf)


@torch.no_grad()
def sample(
    model: Any,  # a GPT2LMHeadModel that `supports` accepts
    ids: Tensor,  # (B, P) left-padded prompts
    attention: Tensor,  # (B, P) 1 on real tokens
    sampling: SamplingConfig,
    max_new_tokens: int,
    eos_token_ids: frozenset[int],
    pad_id: int,
) -> tuple[Tensor, Tensor, int]:
    """(tokens, logprobs, steps): (B, max_new_tokens) each, only the first `steps` columns filled.

    Columns after a row's first end-of-sequence token hold `pad_id` and log-probability 0.
    """
    cfg = model.config
    b, p = ids.shape
    total = p + max_new_tokens
    heads = cfg.n_head
    cache = _Cache(cfg.n_layer, (b, heads, total, cfg.n_embd // heads), attention)
    positions = (attention.cumsum(-1) - 1).clamp(min=0)
    wte, wpe = model.transformer.wte.weight, model.transformer.wpe.weight
    hidden = _block_forward(model, wte[ids] + wpe[positions], cache, 0)
    last = hidden[:, -1]
    next_pos = positions[:, -1] + 1
    eos = torch.tensor(sorted(eos_token_ids))
    tokens = torch.full((b, max_new_tokens), pad_id, dtype=torch.long)
    logprobs = torch.zeros(b, max_new_tokens)
    rows = torch.arange(b)  # the batch rows still decoding, in the order of the cache's rows
    done = torch.zeros(b, dtype=torch.bool)  # per cache row: emitted eos
    lm_head = model.lm_head.weight
    steps = 0
    for t in range(max_new_tokens):
        token, logprob = _next_tokens(last @ lm_head.T, sampling)
        tokens[rows, t] = token.masked_fill(done, pad_id)
        logprobs[rows, t] = logprob.masked_fill(done, 0.0)
        steps = t + 1
        done |= torch.isin(token, eos)
        finished = int(done.sum())
        if t == max_new_tokens - 1 or finished == len(rows):
            break
        if 2 * finished >= len(rows):  # drop ended rows once they are half the batch
            keep = (~done).nonzero().squeeze(1)
            cache.keep_rows(keep)
            rows, token, next_pos, done = rows[keep], token[keep], next_pos[keep], done[keep]
        hidden = _block_forward(model, (wte[token] + wpe[next_pos])[:, None], cache, p + t)
        last = hidden[:, 0]
        next_pos = next_pos + 1
    return tokens, logprobs, steps
