"""Agents by spec string, e.g. `scripted:fix:0.3`: KIND, a colon, then what that kind's loader reads.

A new kind of agent is one line in AGENT_LOADERS ("kind": "module:function"); the function takes
(spec_rest, seed) and returns an Agent. Modules are imported only when their kind is asked for,
so the CLI never pays for torch when evaluating a scripted agent.
"""

from __future__ import annotations

from importlib import import_module

from agents.interface import Agent

AGENT_LOADERS: dict[str, str] = {
    "scripted": "agents.scripted:from_spec",
    "base": "agents.prompting:base_from_spec",  # base:PATH (a model dir, hub id or "tiny")
    "self-refine": "agents.prompting:self_refine_from_spec",  # self-refine:PATH
}


def load_agent(spec: str, seed: int = 0) -> Agent:
    kind, _, rest = spec.partition(":")
    if kind not in AGENT_LOADERS:
        raise ValueError(
            f"unknown agent kind {kind!r} in {spec!r}; expected KIND:ARGS with KIND one of "
            f"{sorted(AGENT_LOADERS)} (e.g. 'scripted:fix:0.3')"
        )
    module, _, function = AGENT_LOADERS[kind].partition(":")
    agent = getattr(import_module(module), function)(rest, seed)
    if not isinstance(agent, Agent):
        raise TypeError(f"loader for {kind!r} returned {type(agent).__name__}, not an Agent")
    return agent
