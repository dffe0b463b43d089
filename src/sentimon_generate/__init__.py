"""sentimon's generators: the committed files made from other sources, and the one
command that rewrites or checks them all (`python -m sentimon_generate [--check]`).

They live beside the `sentimon` package, not in it: the API's wheel and image ship
`src/sentimon` only, so neither the generators nor their Grafana SDK go with it.
"""
