"""Agents: policies that act in the SelfCorrect envs through one batched interface.

`agents.interface.Agent` is the protocol; `agents.scripted` holds model-free agents with known
metrics; `agents.specs.load_agent("scripted:fix:0.3")` builds agents by name; `agents.cli` is the
`score-env` command.
"""

from agents.threads import prefer_passive_waits

prefer_passive_waits()  # before anything imports torch
