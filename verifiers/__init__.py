"""Verifiers: pure functions that turn a response and a reference into a typed verdict.

They know nothing of models or environments (dependencies flow verifiers -> score_env -> agents).
Submodules: `verifiers.math` (MATH answer equivalence), `verifiers.code` (sandboxed execution of
HumanEval / MBPP programs), `verifiers.arith` (exact integers for the built-in Arith task),
`verifiers.countdown` (exact recomputation of an expression over given numbers).
"""
