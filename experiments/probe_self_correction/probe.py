"""Does a model hold a self-correction skill for RL to elicit? Five probes on held-out Arith.

SCoRe (like any RL) can only amplify what the model sometimes does: it needs second attempts that
fix a wrong first one to reward. This script measures whether a model's second attempt can fix
anything, with the decoding chosen to give it every chance:

1. own slips: turn 1 sampled at temperature 1, turn 2 greedy. A sampled first attempt contains
   slips (low-probability digits) that the model's own greedy computation would not make, so a
   second attempt that recomputed instead of copying would fix some. The bound beside it is the
   share of problems whose sampled turn 1 is wrong but whose greedy turn 1 is right: what a
   greedy re-solve that ignored turn 1 entirely would fix.
2. planted errors: turn 1 is a corrupted worked solution from the pretraining distribution (one
   step's result off, the error propagated: `agents.tiny.data.corrupted_solution`), turn 2
   greedy. The tiny model's two-turn pretraining traces pair exactly these with the gold second
   attempt, so this is the skill it was trained on.
3. planted gold: turn 1 is the gold solution, turn 2 greedy: how often a right answer is kept.
4. the fork: teacher-forced after a planted error, at the first character where the gold second
   attempt departs from the wrong first one, the probability of the gold character against that
   of the copied wrong one. Sampling at temperature 1 fixes about as often as the first number
   says, so this is the rate at which RL would ever see a fix to reward.
5. anatomy of the greedy errors: for each wrong greedy first attempt, the first step that goes
   wrong, what kind of step it is, and which digit of its result is wrong (counted from the right).
   A greedy error is deterministic: a second attempt that computes the same step the same way
   makes it again, so greedy self-correction needs a second attempt that computes differently.

    python experiments/probe_self_correction/probe.py                       # the embedded tiny model
    python experiments/probe_self_correction/probe.py --model tiny:fix-skill
    python experiments/probe_self_correction/probe.py --model path/to/model --problems 1000
"""

from __future__ import annotations

import argparse
import dataclasses
import random
from collections import Counter

import torch

import score_env
from agents.policy import GREEDY, Policy, PolicyConfig, SamplingConfig
from agents.policy.agent import PolicyAgent
from agents.tiny.build import resolve_model
from agents.tiny.data import ExampleEncoder, corrupted_solution
from score_env.tasks.arith import LEVELS, ArithProblem, held_out
from verifiers.arith import grade

ENV_ID = "SelfCorrect-Arith-v0"


def own_slips(policy: Policy, n: int, levels: list[int], max_new_tokens: int) -> dict[str, float]:
    """Turn 1 at temperature 1, turn 2 greedy; and the greedy-re-solve bound on the same problems."""
    greedy = dataclasses.replace(GREEDY, max_new_tokens=max_new_tokens)
    sampled = SamplingConfig(temperature=1.0, max_new_tokens=max_new_tokens)

    def run(agent: PolicyAgent) -> score_env.EvalResult:
        return score_env.evaluate(
            agent, ENV_ID, n_problems=n, batch_size=min(100, n), split="test", level=levels
        )

    mixed = run(PolicyAgent(policy, sampled, seed=0, later_turn_sampling=greedy))
    reference = run(PolicyAgent(policy, greedy))
    greedy_right = {r.problem_id: r.correct[0] for r in reference.episodes}
    metrics = mixed.as_dict(with_episodes=False)["overall"]
    bound = sum(not r.correct[0] and greedy_right[r.problem_id] for r in mixed.episodes) / n
    return {
        "acc_t1": metrics["acc_t1"],
        "acc_t2": metrics["acc_t2"],
        "delta_i2c": metrics["delta_i2c"],
        "delta_c2i": metrics["delta_c2i"],
        "re_solve_bound_i2c": bound,
    }


def planted(
    policy: Policy, problems: list[ArithProblem], first_attempts: list[str], max_new_tokens: int
) -> float:
    """Share of greedy second attempts that are right after the given first attempts."""
    encoder = ExampleEncoder(policy.tokenizer)
    prompts = [
        encoder.prompt(p) + encoder.chars(attempt) + encoder.eos + encoder.new_turn
        for p, attempt in zip(problems, first_attempts, strict=True)
    ]
    greedy = dataclasses.replace(GREEDY, max_new_tokens=max_new_tokens)
    texts = policy.sample(prompts, greedy, seed=0).texts
    right = [grade(t, str(p.answer)).correct for t, p in zip(texts, problems, strict=True)]
    return sum(right) / len(right)


def fork_probabilities(
    policy: Policy, problems: list[ArithProblem], wrong_attempts: list[str]
) -> tuple[float, float]:
    """Mean P(gold character) and P(copied character) where the fix departs from the error."""
    encoder = ExampleEncoder(policy.tokenizer)
    gold_mass = copy_mass = 0.0
    for problem, wrong in zip(problems, wrong_attempts, strict=True):
        gold = problem.solution
        fork = next(i for i, (g, w) in enumerate(zip(gold, wrong, strict=False)) if g != w)
        ids = encoder.prompt(problem) + encoder.chars(wrong) + encoder.eos + encoder.new_turn
        ids += encoder.chars(gold[:fork])
        with torch.no_grad():
            logits = policy.model(torch.tensor([ids], device=policy.device)).logits
        probabilities = logits[0, -1].float().softmax(-1)
        gold_mass += probabilities[encoder.vocab[gold[fork]]].item()
        copy_mass += probabilities[encoder.vocab[wrong[fork]]].item()
    return gold_mass / len(problems), copy_mass / len(problems)


def error_anatomy(
    policy: Policy, problems: list[ArithProblem], max_new_tokens: int
) -> tuple[float, Counter[str]]:
    """Greedy turn-1 accuracy, and a count of its errors by kind of first wrong step and digit.

    Kinds: `operands` (the step's left side differs from the gold one: a misread number or a
    wrong order of operations), `*` or `+-` (right operands, wrong result; the digit label says
    which digit of the result, from the right, is the first wrong one), `format` (no such step).
    """
    encoder = ExampleEncoder(policy.tokenizer)
    greedy = dataclasses.replace(GREEDY, max_new_tokens=max_new_tokens)
    texts = policy.sample([encoder.prompt(p) for p in problems], greedy, seed=0).texts
    counts: Counter[str] = Counter()
    right = 0
    for problem, text in zip(problems, texts, strict=True):
        if grade(text, str(problem.answer)).correct:
            right += 1
            continue
        steps = text.split(";")
        for i, gold in enumerate(problem.steps):
            step = steps[i] if i < len(steps) else ""
            if step == gold:
                continue
            left, value = gold.split("=")
            if not step.startswith(left + "="):
                counts["operands"] += 1
            else:
                wrong = step[len(left) + 1 :]
                digit = next(
                    (
                        k
                        for k, (g, w) in enumerate(zip(value[::-1], wrong[::-1], strict=False))
                        if g != w
                    ),
                    min(len(value), len(wrong)),
                )
                kind = "*" if "*" in left else "+-"
                counts[f"{kind}, {('ones', 'tens', 'hundreds', 'length')[min(digit, 3)]}"] += 1
            break
        else:
            counts["format"] += 1
    return right / len(problems), counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--model", default="tiny", help="a model directory, `tiny` or `tiny:<recipe>`"
    )
    parser.add_argument("--problems", type=int, default=500, help="held-out problems per probe")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2], choices=LEVELS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.model = resolve_model(args.model)
    policy = Policy.from_pretrained(args.model, PolicyConfig(device="cpu", frozen_reference=False))

    slips = own_slips(policy, args.problems, args.levels, args.max_new_tokens)
    per_level = args.problems // len(args.levels)
    problems = [p for level in args.levels for p in held_out(level)[:per_level]]
    rng = random.Random(0)
    corrupted = [corrupted_solution(p, rng) for p in problems]
    fixed = planted(policy, problems, corrupted, args.max_new_tokens)
    kept = planted(policy, problems, [p.solution for p in problems], args.max_new_tokens)
    gold_at_fork, copy_at_fork = fork_probabilities(policy, problems, corrupted)
    greedy_accuracy, anatomy = error_anatomy(policy, problems, args.max_new_tokens)

    print(f"model {args.model}, held-out Arith levels {args.levels}, {args.problems} problems\n")
    print("| probe | result |")
    print("|---|---|")
    print(
        f"| own slips: turn 1 at T=1 ({100 * slips['acc_t1']:.1f}% right), turn 2 greedy "
        f"| Acc@t2 {100 * slips['acc_t2']:.1f}%, Δi→c {100 * slips['delta_i2c']:.1f}%, "
        f"Δc→i {100 * slips['delta_c2i']:.1f}% |"
    )
    print(
        f"| ... a greedy re-solve ignoring turn 1 would fix | {100 * slips['re_solve_bound_i2c']:.1f}% |"
    )
    print(f"| planted errors fixed (greedy turn 2) | {100 * fixed:.1f}% |")
    print(f"| planted gold kept (greedy turn 2) | {100 * kept:.1f}% |")
    print(
        f"| at the fork after a planted error: P(gold) vs P(copy) "
        f"| {100 * gold_at_fork:.1f}% vs {100 * copy_at_fork:.1f}% |"
    )
    errors = sum(anatomy.values())
    print(f"\nGreedy first attempts: {100 * greedy_accuracy:.1f}% right. First wrong step of the")
    print(f"{errors} wrong ones (kind of step, first wrong digit of its result from the right):\n")
    print("| first wrong step | share of errors |")
    print("|---|---|")
    for label, count in anatomy.most_common():
        print(f"| {label} | {100 * count / errors:.1f}% |")


if __name__ == "__main__":
    main()
