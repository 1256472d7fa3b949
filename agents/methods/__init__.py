"""Training methods: SCoRe (score/), and the supervised baselines STaR and Pair-SFT."""
