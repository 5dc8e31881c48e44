"""Developer tools: vendor simulators and helpers that tests, the CLI and the benchmark share."""
