"""PromQL that the dashboards (and anything else that charts sentimon) share.

No Grafana SDK here, and nothing is read at import: the rule files are read the first time
a threshold or selector is asked for, so importing this package costs nothing.
"""
