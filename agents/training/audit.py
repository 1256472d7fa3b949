"""The grader audit during training: how often a second grader disagrees with the reward's.

With `env.audit: true` the MATH env grades every response twice, ours for the reward and
math-verify beside it (`info["audit_peer_correct"]`); these numbers say whether a training curve
moves because of the model or because of the grader. They never enter the loss.
"""

from __future__ import annotations

import numpy as np

from agents.training.rollout import RolloutBatch, TurnBatch

SAMPLE_CHARS = 300  # of each disagreeing response shown in the text sample


def _audited(batch: RolloutBatch) -> list[tuple[int, TurnBatch]]:
    return [(t, turn) for t, turn in enumerate(batch.turns, 1) if turn.peer_correct is not None]


def audit_metrics(batch: RolloutBatch) -> dict[str, float]:
    """`audit/disagree` (fraction of graded responses, both turns, where the peer's verdict
    differs from ours), `audit/accept_ours` and `audit/accept_peer`; {} without an audit."""
    turns = _audited(batch)
    if not turns or not len(batch):
        return {}
    ours = np.concatenate([turn.correct for _, turn in turns])
    peer = np.concatenate([turn.peer_correct for _, turn in turns if turn.peer_correct is not None])
    return {
        "audit/disagree": float(np.mean(ours != peer)),
        "audit/accept_ours": float(np.mean(ours)),
        "audit/accept_peer": float(np.mean(peer)),
    }


def disagreements(batch: RolloutBatch, n: int = 4) -> str | None:
    """Markdown of up to `n` responses the two graders judged differently, or None."""
    blocks: list[str] = []
    for t, turn in _audited(batch):
        assert turn.peer_correct is not None
        for i in np.flatnonzero(turn.correct != turn.peer_correct)[: n - len(blocks)]:
            blocks.append(
                f"**{batch.problem_ids[i]}** turn {t}: ours {bool(turn.correct[i])}, "
                f"peer {bool(turn.peer_correct[i])}\n\n```\n...{turn.texts[i][-SAMPLE_CHARS:]}\n```"
            )
    return "\n\n".join(blocks) or None
